import type { createRepositories } from '#adapters/dynamodb/index.js';
import { type Catalog } from '#domain/catalog.js';
import { defaultCatalog } from '#adapters/catalog-file.js';
import type { Authorization, TokenMaterial } from '#domain/model.js';
import type { ClientSecretSource, TokenVault } from '#domain/ports.js';
import { obtainTokens, startWebexSimulator, type WebexSimulator } from '#local/webex-simulator/index.js';
import type { ManualClock } from './fakes/index.js';
import { grantedAuthorization } from './fixtures.js';

export const REDIRECT_URI = 'https://auth.example.test/oauth/callback';

/** Client secrets of the catalog's integrations in the simulator (test values, never real ones). */
export function simClientSecret(integration: string): string {
  return `sim-client-secret-of-${integration}-0123456789`;
}

export const simClientSecrets: ClientSecretSource = {
  get: async (integration) => simClientSecret(integration),
};

/** A simulator with every catalog integration registered under its real Integration ID. */
export async function startCatalogSimulator(
  options: { accessTokenLifetimeSeconds?: number; catalog?: Catalog } = {},
): Promise<WebexSimulator> {
  const catalog = options.catalog ?? defaultCatalog();
  return startWebexSimulator({
    port: 0,
    ...(options.accessTokenLifetimeSeconds
      ? { accessTokenLifetimeSeconds: options.accessTokenLifetimeSeconds }
      : {}),
    integrations: catalog.integrations.map((integration) => ({
      clientId: integration.integrationId,
      clientSecret: simClientSecret(integration.key),
      name: integration.name,
      redirectUris: [REDIRECT_URI],
    })),
  });
}

/**
 * Authorizes an integration the way a Full Admin would (the simulator's consent form, then the
 * code grant) and stores the result as the onboarding flow does: an active record with the tokens sealed on it.
 */
export async function authorizeInSimulator(input: {
  sim: WebexSimulator;
  repos: ReturnType<typeof createRepositories>;
  vault: TokenVault;
  clock: ManualClock;
  tenantId: string;
  integration: string;
  person?: string;
  extraScopes?: string[];
  catalog?: Catalog;
}): Promise<{ record: Authorization; material: TokenMaterial }> {
  const catalog = input.catalog ?? defaultCatalog();
  const entry = catalog.find(input.integration);
  if (!entry) throw new Error(`no ${input.integration} in the catalog`);
  const person = input.person ?? 'admin@demo.example';
  const tokens = await obtainTokens(input.sim.url, {
    integration: {
      clientId: entry.integrationId,
      clientSecret: simClientSecret(entry.key),
      redirectUri: REDIRECT_URI,
    },
    person,
    scopes: [...entry.scopes, ...(input.extraScopes ?? [])],
  });
  const now = input.clock.now();
  const material: TokenMaterial = {
    accessToken: tokens.access_token,
    refreshToken: tokens.refresh_token,
    accessTokenExpiresAt: new Date(now.getTime() + tokens.expires_in * 1000).toISOString(),
    refreshTokenExpiresAt: new Date(now.getTime() + tokens.refresh_token_expires_in * 1000).toISOString(),
    scope: tokens.scope,
  };
  const sealedTokens = await input.vault.seal(input, material);
  const simPerson = input.sim.world.findPersonByEmail(person);
  if (!simPerson) throw new Error(`no ${person} in the simulator`);
  // As the callback's save would: an unbound tenant is bound to the consenting person's org.
  const tenant = await input.repos.tenants.get(input.tenantId);
  if (tenant && tenant.orgId === undefined) {
    const { updatedAt } = tenant;
    await input.repos.tenants.setOrg(
      input.tenantId,
      simPerson.orgId,
      { orgId: undefined, updatedAt },
      updatedAt,
    );
  }
  const record = await input.repos.authorizations.save(
    grantedAuthorization(
      { tenantId: input.tenantId, integration: input.integration, material, sealedTokens, now },
      {
        scopes: tokens.scope.split(' '),
        authorizer: {
          personId: simPerson.id,
          email: simPerson.email,
          displayName: simPerson.displayName,
          orgId: simPerson.orgId,
          fullAdmin: true,
        },
        nextCheckAt: new Date(now.getTime() + 900_000).toISOString(),
      },
    ),
    undefined,
  );
  return { record, material };
}

/** {@link authorizeInSimulator} into a harness's repositories, vault and clock; the record it saved. */
export async function authorizeInto(
  harness: { repos: ReturnType<typeof createRepositories>; vault: TokenVault; clock: ManualClock },
  sim: WebexSimulator,
  key: { tenantId: string; integration: string; person?: string },
): Promise<Authorization> {
  const { record } = await authorizeInSimulator({
    sim,
    repos: harness.repos,
    vault: harness.vault,
    clock: harness.clock,
    ...key,
  });
  return record;
}

/** Moves our clock and the simulator's together, so both agree on what has expired. */
export function advanceBoth(clock: ManualClock, sim: WebexSimulator, seconds: number): void {
  clock.advance(seconds);
  sim.world.advanceClock(seconds);
}
