import { InMemoryAuthorizationRepository } from './authorization-repository.js';
import { InMemoryHistory } from './history-repository.js';
import { InMemoryOAuthStateStore } from './oauth-state-store.js';
import { InMemoryTenantRepository } from './tenant-repository.js';

/**
 * All repositories in memory over one "table", as `createRepositories` builds them over DynamoDB:
 * saves write their events to the history, a purge deletes the tenant's records and history.
 */
export function inMemoryRepositories(options: { calls?: string[] } = {}) {
  const history = new InMemoryHistory();
  const authorizations = new InMemoryAuthorizationRepository({ history, ...options });
  const tenants = new InMemoryTenantRepository();
  tenants.partition = { authorizations, history };
  authorizations.tenants = tenants;
  return { tenants, authorizations, history, oauthStates: new InMemoryOAuthStateStore() };
}
