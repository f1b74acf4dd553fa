import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRepositories } from '#adapters/dynamodb/index.js';
import { HttpWebexClient } from '#adapters/webex-client.js';
import { defaultCatalog } from '#adapters/catalog-file.js';
import type { TokenMaterial } from '#domain/model.js';
import { silentLog, type WebexClient } from '#domain/ports.js';
import {
  AuthorizationDegradedError,
  AuthorizationInvalidError,
  createTokenAccess,
  NotAuthorizedError,
  type TokenAccessOptions,
} from '#functions/token-access.js';
import type { WebexSimulator } from '#local/webex-simulator/index.js';
import { ManualClock, MemoryTokenVault } from '#test-support/fakes/index.js';
import { testTenant } from '#test-support/fixtures.js';
import { createTestTable, type TestTable } from '#test-support/dynamodb.js';
import {
  advanceBoth,
  authorizeInSimulator,
  simClientSecrets,
  startCatalogSimulator,
} from '#test-support/sim-authorization.js';

/** Access tokens live two minutes here, so a test makes one stale by moving the clocks 90 s. */
const ACCESS_LIFETIME_S = 120;

describe('token access against DynamoDB Local and the Webex simulator', () => {
  let table: TestTable;
  let repos: ReturnType<typeof createRepositories>;
  let sim: WebexSimulator;
  let vault: MemoryTokenVault;
  let clock: ManualClock;
  let refreshes: number;
  let webex: WebexClient;
  const catalog = defaultCatalog();

  beforeAll(async () => {
    table = await createTestTable('token-access');
    repos = createRepositories(table.client, table.tableName);
    sim = await startCatalogSimulator({ accessTokenLifetimeSeconds: ACCESS_LIFETIME_S });
    vault = new MemoryTokenVault();
    clock = new ManualClock(new Date());
    const http = new HttpWebexClient({ baseUrl: sim.url });
    refreshes = 0;
    // Counts the refresh grants that reach the simulator; everything else goes straight through.
    webex = Object.assign(Object.create(http) as WebexClient, {
      refresh: (input: Parameters<WebexClient['refresh']>[0]) => {
        refreshes += 1;
        return http.refresh(input);
      },
    });
  });
  afterAll(async () => {
    await sim.close();
    await table.drop();
  });

  let tenantCount = 0;
  async function newTenant(): Promise<string> {
    tenantCount += 1;
    const tenantId = `tenant-${tenantCount}`;
    const now = clock.now().toISOString();
    const tenant = testTenant({ tenantId, name: tenantId, contacts: [], createdAt: now, updatedAt: now });
    await repos.tenants.create(tenant);
    return tenantId;
  }

  /** The integration authorized at the simulator (by `person`, the demo admin by default) and stored. */
  const authorize = (tenantId: string, integration: string, person?: string) =>
    authorizeInSimulator({ sim, repos, vault, clock, tenantId, integration, ...(person ? { person } : {}) });

  function access(overrides: Partial<TokenAccessOptions> = {}) {
    return createTokenAccess({
      authorizations: repos.authorizations,
      tenants: repos.tenants,
      vault,
      webex,
      clientSecrets: simClientSecrets,
      catalog,
      clock,
      log: silentLog,
      ...overrides,
    });
  }

  async function probe(accessToken: string): Promise<number> {
    const response = await fetch(`${sim.url}/v1/people/me`, {
      headers: { Authorization: `Bearer ${accessToken}` },
    });
    return response.status;
  }

  it('hands out the stored token while it is valid, opening it once per cache period', async () => {
    const tenantId = await newTenant();
    const { material } = await authorize(tenantId, 'presence');
    const tokens = access();
    const readsBefore = vault.reads;

    const first = await tokens.getAccessToken(tenantId, 'presence');
    expect(first).toEqual({
      accessToken: material.accessToken,
      expiresAt: material.accessTokenExpiresAt,
      scopes: (material.scope as string).split(' '),
      status: 'active',
    });
    expect(await probe(first.accessToken)).toBe(200);
    await tokens.getAccessToken(tenantId, 'presence');
    expect(vault.reads - readsBefore).toBe(1);

    clock.advance(61);
    await tokens.getAccessToken(tenantId, 'presence');
    expect(vault.reads - readsBefore).toBe(2);
  });

  it('refreshes an access token within a minute of its end, under the lease, tokens and record in one write', async () => {
    const tenantId = await newTenant();
    const { record, material } = await authorize(tenantId, 'cdr');
    advanceBoth(clock, sim, ACCESS_LIFETIME_S - 30);
    const before = refreshes;

    const token = await access().getAccessToken(tenantId, 'cdr');
    expect(refreshes - before).toBe(1);
    expect(token.accessToken).not.toBe(material.accessToken);
    expect(Date.parse(token.expiresAt)).toBe(clock.now().getTime() + ACCESS_LIFETIME_S * 1000);
    expect(await probe(token.accessToken)).toBe(200);

    const saved = await repos.authorizations.get(tenantId, 'cdr');
    expect(saved).toMatchObject({
      status: 'active',
      version: record.version + 1,
      accessTokenExpiresAt: token.expiresAt,
      refreshedAt: clock.now().toISOString(),
    });
    expect(saved?.leaseOwner).toBeUndefined();
    expect((await vault.tokensOf(saved)).accessToken).toBe(token.accessToken);
  });

  it('never stores refreshed tokens over a re-authorization saved while its lease ran out', async () => {
    const tenantId = await newTenant();
    const { record } = await authorize(tenantId, 'cdr');
    advanceBoth(clock, sim, ACCESS_LIFETIME_S + 10);
    const newGrant: TokenMaterial = {
      accessToken: 'NEW-GRANT-ACCESS',
      refreshToken: 'NEW-GRANT-REFRESH',
      accessTokenExpiresAt: new Date(clock.now().getTime() + 3_600_000).toISOString(),
      refreshTokenExpiresAt: new Date(clock.now().getTime() + 86_400_000).toISOString(),
    };
    let refreshed: string | undefined;
    const reauthorizing = Object.assign(Object.create(webex) as WebexClient, {
      refresh: async (input: Parameters<WebexClient['refresh']>[0]) => {
        const grant = await webex.refresh(input);
        refreshed = grant.accessToken;
        // Meanwhile the lease ran out and an admin authorized again: the callback's writes.
        const current = (await repos.authorizations.get(tenantId, 'cdr'))!;
        await repos.authorizations.save(
          {
            ...current,
            sealedTokens: await vault.seal({ tenantId, integration: 'cdr' }, newGrant),
            accessTokenExpiresAt: newGrant.accessTokenExpiresAt,
            refreshTokenExpiresAt: newGrant.refreshTokenExpiresAt,
            grantedAt: clock.now().toISOString(),
            leaseOwner: undefined,
            leaseUntil: undefined,
          },
          current.version,
        );
        return grant;
      },
    });

    const token = await access({ webex: reauthorizing }).getAccessToken(tenantId, 'cdr');
    expect(refreshed).toBeDefined();
    expect(token.accessToken).toBe('NEW-GRANT-ACCESS');
    const stored = await repos.authorizations.get(tenantId, 'cdr');
    expect(await vault.tokensOf(stored)).toEqual(newGrant);
    expect(stored).toMatchObject({ version: record.version + 1 });
  });

  it('refuses a token of a tenant that is not active (offboarding under way)', async () => {
    const tenantId = await newTenant();
    await authorize(tenantId, 'presence');
    const tokens = access();
    await tokens.getAccessToken(tenantId, 'presence');
    const tenant = (await repos.tenants.get(tenantId))!;
    clock.advance(1);
    await repos.tenants.replace(
      {
        ...tenant,
        status: 'offboarded',
        linkVersion: tenant.linkVersion + 1,
        updatedAt: clock.now().toISOString(),
      },
      tenant.updatedAt,
    );
    // The record is still active: offboarding has not reached it yet.
    expect(await repos.authorizations.get(tenantId, 'presence')).toMatchObject({ status: 'active' });
    const refused = await tokens.getAccessToken(tenantId, 'presence').catch((caught: unknown) => caught);
    expect(refused).toBeInstanceOf(NotAuthorizedError);
    expect(refused).toMatchObject({ tenantId, integration: 'presence', reason: 'tenant_inactive' });
    // No tenant at all is told apart from an inactive one: "inactive" would send ops looking for it.
    await expect(tokens.getAccessToken('no-such-tenant', 'presence')).rejects.toMatchObject({
      reason: 'tenant_not_found',
      message: 'Tenant no-such-tenant has no usable authorization for presence (tenant_not_found)',
    });
  });

  it('refreshes an expired access token once for many concurrent callers in one process', async () => {
    const tenantId = await newTenant();
    await authorize(tenantId, 'users-sync');
    advanceBoth(clock, sim, ACCESS_LIFETIME_S + 10);
    const tokens = access();
    const before = refreshes;

    const results = await Promise.all(
      Array.from({ length: 8 }, () => tokens.getAccessToken(tenantId, 'users-sync')),
    );
    expect(refreshes - before).toBe(1);
    expect(new Set(results.map((result) => result.accessToken)).size).toBe(1);
    expect(await probe(results[0]!.accessToken)).toBe(200);
  });

  it('lets a second process that loses the lease wait for the refresh and reread it', async () => {
    const tenantId = await newTenant();
    await authorize(tenantId, 'call-control');
    advanceBoth(clock, sim, ACCESS_LIFETIME_S + 10);
    const before = refreshes;
    const one = access({ leaseOwner: 'process-one' });
    const two = access({ leaseOwner: 'process-two' });

    const [a, b] = await Promise.all([
      one.getAccessToken(tenantId, 'call-control'),
      two.getAccessToken(tenantId, 'call-control'),
    ]);
    expect(refreshes - before).toBe(1);
    expect(a.accessToken).toBe(b.accessToken);
  });

  it('says degraded when the lease stays taken and no fresh token shows up', async () => {
    const tenantId = await newTenant();
    await authorize(tenantId, 'sso');
    advanceBoth(clock, sim, ACCESS_LIFETIME_S + 10);
    const now = clock.now();
    await repos.authorizations.acquireLease(
      tenantId,
      'sso',
      'stuck-worker',
      new Date(now.getTime() + 60_000),
      now,
    );

    const error = await access({ leaseWaitMs: 300 })
      .getAccessToken(tenantId, 'sso')
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AuthorizationDegradedError);
    expect(error).toMatchObject({ reason: 'refresh_busy' });
  });

  it('refuses a degraded record unless the caller accepts it, and then refreshes its stale token too', async () => {
    const tenantId = await newTenant();
    const { record, material } = await authorize(tenantId, 'presence');
    await repos.authorizations.save({ ...record, status: 'degraded' }, record.version);
    const tokens = access();

    const error = await tokens.getAccessToken(tenantId, 'presence').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AuthorizationDegradedError);
    expect(error).toMatchObject({ reason: 'authorization_degraded' });
    expect(String(error)).not.toContain(material.accessToken);
    await expect(
      tokens.getAccessToken(tenantId, 'presence', { acceptDegraded: true }),
    ).resolves.toMatchObject({
      accessToken: material.accessToken,
      status: 'degraded',
    });

    advanceBoth(clock, sim, ACCESS_LIFETIME_S + 10);
    const refreshed = await tokens.getAccessToken(tenantId, 'presence', { acceptDegraded: true });
    expect(refreshed.accessToken).not.toBe(material.accessToken);
    expect(sim.world.authenticate(refreshed.accessToken)).toBeDefined();
    await expect(tokens.getAccessToken(tenantId, 'presence')).rejects.toMatchObject({
      reason: 'authorization_degraded',
    });
  });

  it('says degraded, and changes nothing, when Webex fails transiently during the refresh', async () => {
    const tenantId = await newTenant();
    const { record } = await authorize(tenantId, 'presence');
    advanceBoth(clock, sim, ACCESS_LIFETIME_S + 10);
    sim.world.faults.update({ next429: 1, retryAfterSeconds: 7 });

    const error = await access()
      .getAccessToken(tenantId, 'presence')
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AuthorizationDegradedError);
    expect(error).toMatchObject({ reason: 'webex_unavailable', retryAfterSeconds: 7 });
    const after = await repos.authorizations.get(tenantId, 'presence');
    expect(after).toMatchObject({ version: record.version, status: 'active' });
    expect(after?.leaseOwner).toBeUndefined();
  });

  it('reports our client credentials refused as degraded, never invalid, and asks the validator to check at once', async () => {
    const tenantId = await newTenant();
    const { record } = await authorize(tenantId, 'presence');
    advanceBoth(clock, sim, ACCESS_LIFETIME_S + 10);
    const wrongSecret = { get: async () => 'a-regenerated-away-secret-0123456789' };

    const error = await access({ clientSecrets: wrongSecret })
      .getAccessToken(tenantId, 'presence')
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AuthorizationDegradedError);
    expect(error).toMatchObject({ reason: 'client_credentials_refused' });
    expect(String(error)).not.toContain('a-regenerated-away-secret');
    expect(await repos.authorizations.get(tenantId, 'presence')).toMatchObject({
      status: 'active',
      version: record.version + 1,
      nextCheckAt: clock.now().toISOString(),
    });
  });

  it('reports a refused refresh as invalid and asks the validator to check at once, asking Webex only once', async () => {
    const tenantId = await newTenant();
    const { record, material } = await authorize(tenantId, 'cdr', 'user@demo.example');
    sim.world.changePassword('user@demo.example');
    advanceBoth(clock, sim, ACCESS_LIFETIME_S + 10);
    const tokens = access();
    const before = refreshes;

    const error = await tokens.getAccessToken(tenantId, 'cdr').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AuthorizationInvalidError);
    expect((error as AuthorizationInvalidError).invalidationCause).toBeUndefined();
    expect(JSON.stringify(error) + String(error)).not.toContain(material.refreshToken);
    const after = await repos.authorizations.get(tenantId, 'cdr');
    expect(after).toMatchObject({
      status: 'active',
      version: record.version + 1,
      nextCheckAt: clock.now().toISOString(),
    });

    await expect(tokens.getAccessToken(tenantId, 'cdr')).rejects.toBeInstanceOf(AuthorizationInvalidError);
    expect(refreshes - before).toBe(1);
  });

  it('brings no token back when the tenant is offboarded while its refresh runs', async () => {
    const tenantId = await newTenant();
    await authorize(tenantId, 'presence');
    advanceBoth(clock, sim, ACCESS_LIFETIME_S + 10);
    const racing: WebexClient = Object.assign(Object.create(webex) as WebexClient, {
      refresh: async (input: Parameters<WebexClient['refresh']>[0]) => {
        // Offboarding lands between the refresh call and the token write: record revoked, tokens gone.
        const current = (await repos.authorizations.get(tenantId, 'presence'))!;
        await repos.authorizations.save(
          { ...current, status: 'revoked', sealedTokens: undefined },
          current.version,
        );
        return webex.refresh(input);
      },
    });

    const error = await access({ webex: racing })
      .getAccessToken(tenantId, 'presence')
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(NotAuthorizedError);
    expect(error).toMatchObject({ reason: 'revoked' });
    const after = await repos.authorizations.get(tenantId, 'presence');
    expect(after).toMatchObject({ status: 'revoked' });
    expect(after?.sealedTokens).toBeUndefined();
  });

  it('refuses invalid authorizations with their cause, without calling Webex', async () => {
    const tenantId = await newTenant();
    const { record } = await authorize(tenantId, 'presence');
    await repos.authorizations.save(
      { ...record, status: 'invalid', cause: 'user_deactivated', causeDetail: 'The person is deactivated' },
      record.version,
    );
    const before = refreshes;
    const error = await access()
      .getAccessToken(tenantId, 'presence')
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AuthorizationInvalidError);
    expect(error).toMatchObject({
      invalidationCause: 'user_deactivated',
      causeDetail: 'The person is deactivated',
    });
    expect(refreshes).toBe(before);
  });

  it('refuses what was never authorized, is still pending, or was revoked', async () => {
    const tenantId = await newTenant();
    const tokens = access();
    await expect(tokens.getAccessToken(tenantId, 'presence')).rejects.toMatchObject({
      name: 'NotAuthorizedError',
      reason: 'not_found',
    });
    const now = clock.now().toISOString();
    const base = {
      tenantId,
      scopes: [],
      consecutiveFailures: 0,
      version: 0,
      warningsSent: [],
      updatedAt: now,
    };
    await repos.authorizations.save({ ...base, integration: 'cdr', status: 'pending' }, undefined);
    await repos.authorizations.save({ ...base, integration: 'sso', status: 'revoked' }, undefined);
    const pending = await tokens.getAccessToken(tenantId, 'cdr').catch((caught: unknown) => caught);
    expect(pending).toBeInstanceOf(NotAuthorizedError);
    expect(pending).toMatchObject({ reason: 'pending' });
    await expect(tokens.getAccessToken(tenantId, 'sso')).rejects.toMatchObject({ reason: 'revoked' });
  });
});
