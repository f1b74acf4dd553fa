import { defaultCatalog } from '#adapters/catalog-file.js';
import type { OnboardingSettings } from '#domain/onboarding.js';
import type { PublicApiDependencies } from '#functions/public-api.app.js';
import {
  InMemoryAuthorizationRepository,
  InMemoryHistory,
  InMemoryOAuthStateStore,
  InMemoryTenantRepository,
  ManualClock,
  MemoryTokenVault,
  RecordingPublisher,
  clientSecretsFrom,
  fixedLinkKeys,
  webexWithConsentingAdmin,
} from './fakes/index.js';
import { testSettings, testTenant } from './fixtures.js';

/**
 * The public API's ports on in-memory fakes: the test tenant, a Webex whose admin consents, the
 * shipped catalog with a client secret per integration, and the given settings.
 */
export function inMemoryPublicApiDependencies(settings: Partial<OnboardingSettings> = {}) {
  const catalog = defaultCatalog();
  const clock = new ManualClock();
  const tenants = new InMemoryTenantRepository(testTenant());
  const authorizations = new InMemoryAuthorizationRepository();
  authorizations.tenants = tenants;
  return {
    tenants,
    authorizations,
    history: new InMemoryHistory(),
    oauthStates: new InMemoryOAuthStateStore(),
    vault: new MemoryTokenVault(),
    webex: webexWithConsentingAdmin(clock),
    events: new RecordingPublisher(),
    clientSecrets: clientSecretsFrom(Object.fromEntries(catalog.keys.map((key) => [key, `secret-${key}`]))),
    linkKeys: fixedLinkKeys(),
    catalog,
    clock,
    settings: testSettings(settings),
  } satisfies PublicApiDependencies;
}
