import { notifierPreview } from '#test-support/notifier-harness.js';
import { describe, expect, it } from 'vitest';
import { defaultCatalog } from '#adapters/catalog-file.js';
import type { Authorization } from '#domain/model.js';
import { LinkExpiredError, LinkRevokedError, issueOnboardingLink } from '#domain/onboarding-link.js';
import {
  AuthorizationBusyError,
  CodeRefusedError,
  MissingCodeError,
  NotAPersonError,
  NotFullAdminError,
  OrgMismatchError,
  StateExpiredError,
  StateUnknownError,
  UnknownIntegrationError,
  WebexUnavailableError,
} from '#domain/onboarding-errors.js';
import { showPortal, showTroubleshooting, warningsFor } from '#domain/onboarding-portal.js';
import {
  completeAuthorization,
  startAuthorization,
  type OnboardingDependencies,
} from '#domain/onboarding.js';
import { WebexError } from '#domain/ports.js';
import {
  type FakeWebex,
  InMemoryAuthorizationRepository,
  InMemoryHistory,
  InMemoryOAuthStateStore,
  InMemoryTenantRepository,
  ManualClock,
  MemoryTokenVault,
  RecordingLog,
  RecordingPublisher,
  clientSecretsFrom,
  fixedLinkKeys,
  webexWithConsentingAdmin,
} from '#test-support/fakes/index.js';
import { UNOPENED_SEALED_TOKENS, testSettings, testTenant } from '#test-support/fixtures.js';

const catalog = defaultCatalog();

function setup(
  options: { tenant?: Partial<Parameters<typeof testTenant>[0]>; records?: Authorization[] } = {},
) {
  const calls: string[] = [];
  const vault = new MemoryTokenVault(calls);
  const linkKeys = fixedLinkKeys();
  const clock = new ManualClock();
  const history = new InMemoryHistory();
  const webex = webexWithConsentingAdmin(clock);
  const tenants = new InMemoryTenantRepository(testTenant(options.tenant ?? {}));
  const authorizations = new InMemoryAuthorizationRepository({ calls, history }).put(
    ...(options.records ?? []),
  );
  authorizations.tenants = tenants;
  const deps = {
    tenants,
    authorizations,
    history,
    oauthStates: new InMemoryOAuthStateStore(),
    vault,
    webex,
    // Each publication carries the mail the notifier writes about it.
    events: new RecordingPublisher(
      notifierPreview({
        tenants,
        authorizations,
        catalog,
        reauthorizeLink: async () => 'https://keeper.example/connect/x',
        passwordMaxAgeDays: 1825,
      }),
    ),
    clientSecrets: clientSecretsFrom(Object.fromEntries(catalog.keys.map((key) => [key, `secret-${key}`]))),
    linkKeys,
    catalog,
    clock,
    settings: testSettings(),
    log: new RecordingLog(),
  } satisfies OnboardingDependencies;
  const tenant = deps.tenants.tenants.get('acme');
  if (!tenant) throw new Error('no tenant');
  const link = issueOnboardingLink({
    tenant,
    key: linkKeys.key,
    clock: deps.clock,
    publicBaseUrl: 'https://portal.test',
  });
  /** Starts an authorization and returns the state Webex would send back. */
  const start = async (integration = 'presence') => {
    const { authorizeUrl } = await startAuthorization(deps, { linkToken: link.token, integration });
    return new URL(authorizeUrl).searchParams.get('state') ?? '';
  };
  /** Everything a refused callback must leave untouched. */
  const written = () => ({
    records: [...deps.authorizations.records.values()],
    seals: deps.vault.writes,
    history: deps.history.events.length,
    published: deps.events.published.length,
    tenant: deps.tenants.tenants.get('acme'),
  });
  return { deps, link, start, calls, written };
}

/** Sets the tenant's org while the callback lists its authorizations: after its read, before the grant's save. */
function setsOrgAfterTenantRead(deps: ReturnType<typeof setup>['deps'], orgId: string): void {
  const listForTenant = deps.authorizations.listForTenant.bind(deps.authorizations);
  deps.authorizations.listForTenant = async (tenantId) => {
    const tenant = deps.tenants.tenants.get(tenantId);
    if (tenant) deps.tenants.put({ ...tenant, orgId });
    return listForTenant(tenantId);
  };
}

/**
 * Records the tenants the callback reads until its first save (after it, the notifier's preview
 * reads the tenant for its mail); `onRead` runs at each read.
 */
function tenantReadsBeforeSave(
  deps: ReturnType<typeof setup>['deps'],
  onRead: () => void = () => undefined,
): () => string[] {
  const reads: string[] = [];
  let saved = false;
  const getTenant = deps.tenants.get.bind(deps.tenants);
  deps.tenants.get = async (tenantId) => {
    if (!saved) reads.push(tenantId);
    onRead();
    return getTenant(tenantId);
  };
  const save = deps.authorizations.save.bind(deps.authorizations);
  deps.authorizations.save = async (...args) => {
    saved = true;
    return save(...args);
  };
  return () => reads;
}

function activeRecord(overrides: Partial<Authorization> = {}): Authorization {
  return {
    tenantId: 'acme',
    integration: 'presence',
    status: 'active',
    scopes: ['spark:people_read'],
    consecutiveFailures: 0,
    version: 4,
    warningsSent: ['password:30'],
    updatedAt: '2026-02-01T00:00:00.000Z',
    authorizer: {
      personId: 'person-0',
      email: 'old@acme.example',
      displayName: 'Old Admin',
      orgId: 'org-acme',
      fullAdmin: true,
    },
    sealedTokens: UNOPENED_SEALED_TOKENS,
    ...overrides,
  };
}

describe('startAuthorization', () => {
  it('stores a hashed state and returns the Webex authorize URL with PKCE S256', async () => {
    const { deps, link } = setup();
    const { authorizeUrl } = await startAuthorization(deps, {
      linkToken: link.token,
      integration: 'presence',
    });
    const url = new URL(authorizeUrl);
    const presence = catalog.find('presence');
    expect(`${url.origin}${url.pathname}`).toBe('https://webexapis.test/v1/authorize');
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      response_type: 'code',
      client_id: presence?.integrationId,
      scope: presence?.scopes.join(' '),
      redirect_uri: 'https://portal.test/oauth/callback',
      code_challenge_method: 'S256',
    });
    const state = url.searchParams.get('state') ?? '';
    const [stored] = [...deps.oauthStates.states.values()];
    expect(stored).toMatchObject({ tenantId: 'acme', integration: 'presence', linkVersion: 1 });
    expect(stored?.stateHash).not.toBe(state);
    expect(url.searchParams.get('code_challenge')).toHaveLength(43);
  });

  it('refuses an integration that is not in the catalog', async () => {
    const { deps, link } = setup();
    await expect(startAuthorization(deps, { linkToken: link.token, integration: 'nope' })).rejects.toThrow(
      UnknownIntegrationError,
    );
    expect(deps.oauthStates.states.size).toBe(0);
  });
});

/**
 * A gate a step waits at until another step opens it; it refuses after two seconds, so a step
 * that runs only after the waiting one fails the test instead of hanging it.
 */
function gate(refusal: string): { open: () => void; passed: Promise<void> } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const refused = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(refusal)), 2000);
  });
  return { open, passed: Promise.race([opened, refused]).finally(() => clearTimeout(timer)) };
}

describe('completeAuthorization', () => {
  it('seals the tokens, saves them on the active record with its event, then publishes granted', async () => {
    const { deps, start, calls } = setup();
    const state = await start();
    deps.clock.advance(30);

    const outcome = await completeAuthorization(deps, { state, code: 'the-code' });

    // Tokens sealed, then the record with them and its event (and outbox marker), then the marker cleared.
    expect(calls).toEqual([
      'seal acme/presence',
      'save acme/presence active +granted',
      'save acme/presence active',
    ]);
    const [exchange] = deps.webex.exchanges;
    expect(exchange?.input).toMatchObject({
      clientId: catalog.find('presence')?.integrationId,
      clientSecret: 'secret-presence',
      code: 'the-code',
      redirectUri: 'https://portal.test/oauth/callback',
    });
    const record = await deps.authorizations.get('acme', 'presence');
    const now = deps.clock.now();
    expect(record).toMatchObject({
      status: 'active',
      version: 2,
      consecutiveFailures: 0,
      warningsSent: [],
      scopes: ['spark:people_read', 'spark-admin:people_read'],
      authorizer: {
        personId: 'person-1',
        email: 'admin@acme.example',
        displayName: 'Ada Admin',
        orgId: 'org-acme',
        fullAdmin: true,
      },
      grantedAt: now.toISOString(),
      accessTokenExpiresAt: new Date(now.getTime() + deps.webex.accessLifetimeSeconds * 1000).toISOString(),
      refreshTokenExpiresAt: new Date(now.getTime() + deps.webex.refreshLifetimeSeconds * 1000).toISOString(),
      nextCheckAt: new Date(now.getTime() + 3_600_000).toISOString(),
    });
    expect(await deps.vault.tokensOf(record)).toMatchObject({
      accessToken: exchange?.grant.accessToken,
      refreshToken: exchange?.grant.refreshToken,
    });
    // The tenant had no org: the grant's save bound it (org_bound, to ops).
    expect(deps.history.events.map((event) => event.type)).toEqual(['org_bound', 'granted']);
    // Both published, together (so in either order).
    expect(deps.events.published).toHaveLength(2);
    expect(deps.events.published.map(({ event }) => event)).toEqual(
      expect.arrayContaining(deps.history.events),
    );
    const binding = deps.events.published.find(({ event }) => event.type === 'org_bound');
    expect(binding?.alert?.audience).toBe('ops');
    expect(outcome.kind).toBe('authorized');
    expect(outcome.event).toMatchObject({ type: 'granted', severity: 'info', status: 'active' });
    expect(deps.tenants.tenants.get('acme')?.orgId).toBe('org-acme');
  });

  it('takes the expiries from the token response, whatever they are', async () => {
    const { deps, start } = setup();
    deps.webex.accessLifetimeSeconds = 60;
    deps.webex.refreshLifetimeSeconds = 120;
    deps.webex.exchangeScope = undefined;
    await completeAuthorization(deps, { state: await start(), code: 'c' });
    const record = await deps.authorizations.get('acme', 'presence');
    const now = deps.clock.now().getTime();
    expect(record?.accessTokenExpiresAt).toBe(new Date(now + 60_000).toISOString());
    expect(record?.refreshTokenExpiresAt).toBe(new Date(now + 120_000).toISOString());
    // No scope in the answer: the catalog's scopes were asked for and granted.
    expect(record?.scopes).toEqual(catalog.find('presence')?.scopes);
  });

  it('publishes restored, not granted, when it replaces an invalid authorization, and clears the cause', async () => {
    const { deps, start } = setup({
      records: [
        activeRecord({
          status: 'invalid',
          cause: 'password_changed_or_revoked',
          confidence: 'likely',
          evidence: [
            {
              call: 'GET /v1/people/me',
              via: 'presence',
              answer: 'refused',
              status: 401,
              at: '2026-01-01T00:00:00.000Z',
            },
          ],
          causeDetail: 'x',
        }),
      ],
    });
    const outcome = await completeAuthorization(deps, { state: await start(), code: 'c' });
    const record = await deps.authorizations.get('acme', 'presence');
    expect(outcome.event).toMatchObject({ type: 'restored', previousStatus: 'invalid', status: 'active' });
    expect(record).toMatchObject({ status: 'active', version: 6, warningsSent: [] });
    expect(record?.cause).toBeUndefined();
    expect(record?.confidence).toBeUndefined();
    expect(record?.evidence).toBeUndefined();
    expect(record?.causeDetail).toBeUndefined();
    expect(outcome.kind === 'authorized' && outcome.page.restored).toBe(true);
  });

  it('publishes granted when it replaces an active authorization', async () => {
    const { deps, start } = setup({ records: [activeRecord()] });
    const outcome = await completeAuthorization(deps, { state: await start(), code: 'c' });
    expect(outcome.event).toMatchObject({ type: 'granted', previousStatus: 'active' });
  });

  it('saves again on a version conflict (a validator wrote meanwhile)', async () => {
    const { deps, start } = setup({ records: [activeRecord()] });
    deps.authorizations.failNextSaves(1);
    await completeAuthorization(deps, { state: await start(), code: 'c' });
    expect((await deps.authorizations.get('acme', 'presence'))?.version).toBe(6);
  });

  it('holds the lease while it replaces an authorization, and releases it with the save', async () => {
    const { deps, start, calls } = setup({ records: [activeRecord()] });
    await completeAuthorization(deps, { state: await start(), code: 'c' });
    const order = calls.filter((call) => /^(lease|seal|save) /.test(call));
    expect(order.slice(0, 3)).toEqual([
      'lease acme/presence',
      expect.stringMatching(/^seal /),
      'save acme/presence active +granted',
    ]);
    expect((await deps.authorizations.get('acme', 'presence'))?.leaseOwner).toBeUndefined();
  });

  it('keeps nothing and says "busy" when a validator holds the lease past the wait', async () => {
    const held = activeRecord({ leaseOwner: 'validator-1', leaseUntil: '2999-01-01T00:00:00.000Z' });
    const { deps, start, written } = setup({ records: [held] });
    const state = await start();
    const before = written();
    await expect(completeAuthorization(deps, { state, code: 'c' })).rejects.toThrow(AuthorizationBusyError);
    // The org is bound only with a saved grant: no token, record, org, event or history is kept.
    expect(written()).toEqual(before);
    expect((await deps.tenants.get('acme'))?.orgId).toBeUndefined();
  }, 15_000);

  it('clears the outbox marker once the event is published', async () => {
    const { deps, start } = setup();
    await completeAuthorization(deps, { state: await start(), code: 'c' });
    expect((await deps.authorizations.get('acme', 'presence'))?.pendingEvent).toBeUndefined();
  });

  it("reads the tenant's authorizations beside people/me and roles: people/me is held until they are listed", async () => {
    const { deps, start } = setup({ records: [activeRecord({ integration: 'cdr' })] });
    const listed = gate("people/me answered before the tenant's authorizations were listed");
    const listForTenant = deps.authorizations.listForTenant.bind(deps.authorizations);
    deps.authorizations.listForTenant = async (tenantId) => {
      listed.open();
      return listForTenant(tenantId);
    };
    const getMe = deps.webex.getMe.bind(deps.webex);
    deps.webex.getMe = async (accessToken) => {
      await listed.passed;
      return getMe(accessToken);
    };

    const outcome = await completeAuthorization(deps, { state: await start('presence'), code: 'c' });

    expect(outcome.kind === 'authorized' && outcome.page.remaining).toEqual(
      catalog.integrations
        .filter((integration) => integration.key !== 'presence' && integration.key !== 'cdr')
        .map((integration) => integration.name),
    );
    expect((await deps.authorizations.get('acme', 'presence'))?.status).toBe('active');
  });

  it("finds the record a re-authorization replaces among the tenant's authorizations, without reading it again", async () => {
    const { deps, start } = setup({
      // Bound already: no org_bound, whose mail preview reads the record beside the grant.
      tenant: { orgId: 'org-acme' },
      records: [activeRecord({ status: 'invalid', cause: 'user_deactivated' })],
    });
    const state = await start();
    const reads: string[] = [];
    const get = deps.authorizations.get.bind(deps.authorizations);
    deps.authorizations.get = async (tenantId, integration) => {
      reads.push('get');
      return get(tenantId, integration);
    };
    const save = deps.authorizations.save.bind(deps.authorizations);
    deps.authorizations.save = async (...args) => {
      reads.push('save');
      return save(...args);
    };

    const outcome = await completeAuthorization(deps, { state, code: 'c' });

    // The notifier's preview reads the record to write its mail, after the save; the callback never does.
    expect(reads.slice(0, reads.indexOf('save'))).toEqual([]);

    expect(outcome.event).toMatchObject({ type: 'restored', previousStatus: 'invalid' });
    expect(outcome.kind === 'authorized' && outcome.page.restored).toBe(true);
    expect(deps.events.published.map(({ event }) => event.type)).toEqual(['restored']);
    expect(deps.log.lines.filter((line) => line.level === 'error')).toEqual([]);
  });

  it('fails as before when the save fails, binding no org and announcing nothing', async () => {
    const { deps, start } = setup();
    const broken = new Error('table unavailable');
    deps.authorizations.save = async () => {
      throw broken;
    };

    await expect(completeAuthorization(deps, { state: await start(), code: 'c' })).rejects.toBe(broken);

    expect(deps.history.events).toEqual([]);
    expect(deps.events.published).toEqual([]);
    expect((await deps.tenants.get('acme'))?.orgId).toBeUndefined();
    expect(await deps.authorizations.get('acme', 'presence')).toBeUndefined();
  });

  it("keeps nothing and binds no org when the tenant's authorizations cannot be read", async () => {
    const { deps, start, written } = setup();
    const state = await start();
    const before = written();
    const broken = new Error('query failed');
    deps.authorizations.listForTenant = async () => {
      throw broken;
    };

    await expect(completeAuthorization(deps, { state, code: 'c' })).rejects.toBe(broken);

    expect(written()).toEqual(before);
  });

  it('still shows success when publishing fails, and leaves the event in the outbox for the validator', async () => {
    const { deps, start } = setup();
    deps.events.fail(new Error('bus down'));
    const outcome = await completeAuthorization(deps, { state: await start(), code: 'c' });
    expect(outcome.kind).toBe('authorized');
    expect(deps.log.lines.some((line) => line.level === 'error')).toBe(true);
    expect((await deps.authorizations.get('acme', 'presence'))?.pendingEvent).toEqual(outcome.event);
  });

  it('does nothing on a replayed state', async () => {
    const { deps, start, written } = setup();
    const state = await start();
    await completeAuthorization(deps, { state, code: 'c' });
    const before = written();
    await expect(completeAuthorization(deps, { state, code: 'c' })).rejects.toThrow(StateUnknownError);
    expect(written()).toEqual(before);
    expect(deps.webex.calls.filter((call) => call === 'exchangeCode')).toHaveLength(1);
  });

  it('refuses an unknown state without touching anything', async () => {
    const { deps, written } = setup();
    const before = written();
    await expect(completeAuthorization(deps, { state: 'A'.repeat(43), code: 'c' })).rejects.toThrow(
      StateUnknownError,
    );
    expect(written()).toEqual(before);
    expect(deps.webex.calls).toEqual([]);
  });

  it('refuses an expired state and offers a fresh start', async () => {
    const { deps, start, written } = setup();
    const state = await start();
    deps.clock.advance(601);
    const before = written();
    const error = await completeAuthorization(deps, { state, code: 'c' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StateExpiredError);
    expect((error as StateExpiredError).retryUrl).toMatch(
      /^https:\/\/portal\.test\/oauth\/start\?link=.+&integration=presence$/,
    );
    expect(written()).toEqual(before);
    expect(deps.webex.calls).toEqual([]);
  });

  it('refuses the callback when the link was revoked after the start', async () => {
    const { deps, start, written } = setup();
    const state = await start();
    const tenant = deps.tenants.tenants.get('acme');
    if (tenant) deps.tenants.tenants.set('acme', { ...tenant, linkVersion: 2 });
    const before = written();
    await expect(completeAuthorization(deps, { state, code: 'c' })).rejects.toMatchObject({
      name: 'LinkRevokedError',
      revocation: 'replaced',
    });
    expect(written()).toEqual(before);
  });

  it('refuses the callback as access ended when the tenant was offboarded or purged after the start', async () => {
    for (const end of ['offboarded', 'purged'] as const) {
      const { deps, start, written } = setup();
      const state = await start();
      const tenant = deps.tenants.tenants.get('acme');
      if (tenant && end === 'offboarded') {
        deps.tenants.tenants.set('acme', { ...tenant, status: 'offboarded', linkVersion: 2 });
      } else {
        deps.tenants.tenants.delete('acme');
      }
      const before = written();
      await expect(completeAuthorization(deps, { state, code: 'c' }), end).rejects.toMatchObject({
        name: 'LinkRevokedError',
        revocation: 'access_ended',
      });
      expect(written(), end).toEqual(before);
    }
  });

  it("reads the tenant its browser's cookie names beside the state: the consume waits until that read has started", async () => {
    const { deps, start } = setup();
    const state = await start();
    const tenantRead = gate('the state was consumed before the tenant was read');
    const readsBeforeSave = tenantReadsBeforeSave(deps, () => tenantRead.open());
    const consume = deps.oauthStates.consume.bind(deps.oauthStates);
    deps.oauthStates.consume = async (stateHash) => {
      await tenantRead.passed;
      return consume(stateHash);
    };

    const outcome = await completeAuthorization(deps, { state, tenantHint: 'acme', code: 'c' });

    expect(outcome.kind).toBe('authorized');
    expect(readsBeforeSave()).toEqual(['acme']);
  });

  it('reads and uses the tenant the state names when the cookie names another', async () => {
    const { deps, start } = setup();
    deps.tenants.put(testTenant({ tenantId: 'other', name: 'Other Corp', orgId: 'org-other' }));
    const state = await start();
    const readsBeforeSave = tenantReadsBeforeSave(deps);

    const outcome = await completeAuthorization(deps, { state, tenantHint: 'other', code: 'c' });

    expect(readsBeforeSave()).toEqual(['other', 'acme']);
    expect(outcome.kind === 'authorized' && outcome.page.tenantName).toBe(testTenant().name);
    expect(await deps.authorizations.get('acme', 'presence')).toMatchObject({ status: 'active' });
    expect(await deps.authorizations.listForTenant('other')).toEqual([]);
  });

  it('consumes the state and refuses a revoked link even when the cookie names a live tenant', async () => {
    const { deps, start, written } = setup();
    deps.tenants.put(testTenant({ tenantId: 'other', name: 'Other Corp' }));
    const state = await start();
    const tenant = deps.tenants.tenants.get('acme');
    if (tenant) deps.tenants.put({ ...tenant, linkVersion: tenant.linkVersion + 1 });
    const before = written();

    await expect(completeAuthorization(deps, { state, tenantHint: 'other', code: 'c' })).rejects.toThrow(
      LinkRevokedError,
    );

    expect({ ...written(), tenant: undefined }).toEqual({ ...before, tenant: undefined });
    expect(deps.webex.exchanges).toEqual([]);
    expect(deps.oauthStates.states.size).toBe(0);
  });

  it("reads the deployment's link key and client secret while the tenant is read", async () => {
    const { deps, start } = setup();
    const state = await start();
    const linkKeyRead = gate('the tenant was read before the link key was asked for');
    const secretRead = gate('the tenant was read before the client secret was asked for');
    const getLinkKey = deps.linkKeys.get.bind(deps.linkKeys);
    deps.linkKeys.get = async () => {
      linkKeyRead.open();
      return getLinkKey();
    };
    const getSecret = deps.clientSecrets.get.bind(deps.clientSecrets);
    deps.clientSecrets.get = async (integration, options) => {
      secretRead.open();
      return getSecret(integration, options);
    };
    const getTenant = deps.tenants.get.bind(deps.tenants);
    deps.tenants.get = async (tenantId) => {
      await Promise.all([linkKeyRead.passed, secretRead.passed]);
      return getTenant(tenantId);
    };

    const outcome = await completeAuthorization(deps, { state, code: 'c' });

    expect(outcome.kind).toBe('authorized');
    expect(deps.webex.exchanges[0]?.input.clientSecret).toBe('secret-presence');
  });

  it('still refuses a revoked link first when the client secret read fails, and writes nothing', async () => {
    const { deps, start, written } = setup();
    const state = await start();
    const tenant = deps.tenants.tenants.get('acme');
    if (tenant) deps.tenants.tenants.set('acme', { ...tenant, linkVersion: 2 });
    deps.clientSecrets.get = async () => {
      throw new Error('secret unreadable');
    };
    const before = written();
    await expect(completeAuthorization(deps, { state, code: 'c' })).rejects.toThrow(LinkRevokedError);
    expect(written()).toEqual(before);
    expect(deps.webex.exchanges).toEqual([]);
  });

  it('says so when the client secret cannot be read, before any call to Webex', async () => {
    const { deps, start } = setup();
    const state = await start();
    const unreadable = new Error('secret unreadable');
    deps.clientSecrets.get = async () => {
      throw unreadable;
    };
    await expect(completeAuthorization(deps, { state, code: 'c' })).rejects.toBe(unreadable);
    expect(deps.webex.exchanges).toEqual([]);
  });

  it('refuses a callback with neither code nor error', async () => {
    const { deps, start, written } = setup();
    const state = await start();
    const before = written();
    await expect(completeAuthorization(deps, { state })).rejects.toThrow(MissingCodeError);
    expect(written()).toEqual(before);
  });

  it('says the code was refused when Webex answers 400, and Webex is unavailable on 5xx or timeouts', async () => {
    const { deps, start, written } = setup();
    const before = written();
    deps.webex.fail(
      'exchangeCode',
      new WebexError('rejected', 'Webex authorization code grant answered 400', {
        status: 400,
        trackingId: 'ROUTER_1',
      }),
    );
    const refused = await completeAuthorization(deps, { state: await start(), code: 'c' }).catch(
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(CodeRefusedError);
    expect((refused as CodeRefusedError).trackingId).toBe('ROUTER_1');
    deps.webex.fail('exchangeCode', new WebexError('transient', 'Webex authorization code grant timed out'));
    await expect(completeAuthorization(deps, { state: await start(), code: 'c' })).rejects.toThrow(
      WebexUnavailableError,
    );
    expect(written()).toEqual(before);
  });

  /** The Webex calls a refusal made to revoke: only ever the refused grant, by its id. */
  const revocations = (deps: { webex: FakeWebex }) =>
    deps.webex.calls.filter((call) =>
      /^(revokeAuthorizations|deleteAuthorization|listAuthorizations)/.test(call),
    );
  /** The deletion of the grant the last code exchange created. */
  const deletionOfRefusedGrant = (deps: { webex: FakeWebex }) =>
    `deleteAuthorization ${deps.webex.exchanges.at(-1)?.authorizationId ?? 'no exchange'}`;

  it('asks Webex for the person and the roles together: people/me is held until roles is requested', async () => {
    const { deps, start } = setup();
    let rolesRequested!: () => void;
    const rolesGate = new Promise<void>((resolve) => {
      rolesRequested = resolve;
    });
    const getMe = deps.webex.getMe.bind(deps.webex);
    const listRoles = deps.webex.listRoles.bind(deps.webex);
    deps.webex.getMe = async (accessToken) => {
      // A serialized callback asks for roles only after people/me answers: it never opens this gate.
      let refuse: ReturnType<typeof setTimeout> | undefined;
      const held = new Promise<never>((_, reject) => {
        refuse = setTimeout(
          () => reject(new Error('people/me answered alone: roles was not requested')),
          2000,
        );
      });
      await Promise.race([rolesGate, held]).finally(() => clearTimeout(refuse));
      return getMe(accessToken);
    };
    deps.webex.listRoles = async (accessToken) => {
      rolesRequested();
      return listRoles(accessToken);
    };

    const outcome = await completeAuthorization(deps, { state: await start(), code: 'c' });

    expect(outcome.kind).toBe('authorized');
    expect(deps.webex.calls.filter((call) => call === 'getMe' || call === 'listRoles').sort()).toEqual([
      'getMe',
      'listRoles',
    ]);
  });

  it('says Webex is unavailable when people/me fails transiently, whatever the roles answered', async () => {
    const { deps, start, written } = setup();
    deps.webex.fail(
      'getMe',
      new WebexError('transient', 'Webex GET /v1/people/me answered 503', { status: 503 }),
    );
    const before = written();
    await expect(completeAuthorization(deps, { state: await start(), code: 'c' })).rejects.toThrow(
      WebexUnavailableError,
    );
    expect(written()).toEqual(before);
  });

  it('refuses a bot as not a person even when its roles request failed transiently', async () => {
    const { deps, start } = setup();
    deps.webex.addPerson('bot-2', 'bot2@acme.example', { type: 'bot', orgId: 'org-acme' });
    deps.webex.signInAs('bot-2');
    deps.webex.fail(
      'listRoles',
      new WebexError('transient', 'Webex GET /v1/roles answered 503', { status: 503 }),
    );
    await expect(completeAuthorization(deps, { state: await start(), code: 'c' })).rejects.toThrow(
      NotAPersonError,
    );
  });

  it('refuses a person who is not a Full Administrator, keeps nothing and revokes that grant alone', async () => {
    const { deps, start, written } = setup();
    deps.webex.addPerson('person-1', 'admin@acme.example', { admin: false, orgId: 'org-acme' });
    const before = written();
    await expect(completeAuthorization(deps, { state: await start(), code: 'c' })).rejects.toThrow(
      NotFullAdminError,
    );
    expect(written()).toEqual(before);
    expect(revocations(deps)).toEqual(['listAuthorizations person-1', deletionOfRefusedGrant(deps)]);
  });

  it('treats a 403 on the roles list as "not a Full Administrator"', async () => {
    const { deps, start, written } = setup();
    deps.webex.fail(
      'listRoles',
      new WebexError('forbidden', 'Webex GET /v1/roles answered 403', { status: 403 }),
    );
    const before = written();
    await expect(completeAuthorization(deps, { state: await start(), code: 'c' })).rejects.toThrow(
      NotFullAdminError,
    );
    expect(written()).toEqual(before);
  });

  it('refuses a bot, keeps nothing and revokes its grant alone', async () => {
    const { deps, start, written } = setup();
    deps.webex.addPerson('bot-1', 'bot@acme.example', { type: 'bot', orgId: 'org-acme' });
    deps.webex.signInAs('bot-1');
    const before = written();
    await expect(completeAuthorization(deps, { state: await start(), code: 'c' })).rejects.toThrow(
      NotAPersonError,
    );
    expect(written()).toEqual(before);
    expect(revocations(deps)).toEqual(['listAuthorizations bot-1', deletionOfRefusedGrant(deps)]);
  });

  it('refuses an admin of another org than the tenant is bound to, and revokes only their refused grant, never the org', async () => {
    const { deps, start, written } = setup({ tenant: { orgId: 'org-other' } });
    const before = written();
    await expect(completeAuthorization(deps, { state: await start(), code: 'c' })).rejects.toThrow(
      OrgMismatchError,
    );
    expect(written()).toEqual(before);
    expect(revocations(deps)).toEqual(['listAuthorizations person-1', deletionOfRefusedGrant(deps)]);
  });

  it('refuses the grant, keeping nothing, when an admin binds the unbound tenant to another org during the callback', async () => {
    const { deps, start, written } = setup();
    const state = await start();
    const before = written();
    setsOrgAfterTenantRead(deps, 'org-other');

    await expect(completeAuthorization(deps, { state, code: 'c' })).rejects.toThrow(OrgMismatchError);

    // The tokens were sealed for the save the tenant refused: an envelope stores nothing, and it is dropped.
    const untouched = { tenant: undefined, seals: undefined };
    expect({ ...written(), ...untouched }).toEqual({ ...before, ...untouched });
    expect(deps.tenants.tenants.get('acme')?.orgId).toBe('org-other');
    expect(revocations(deps)).toEqual(['listAuthorizations person-1', deletionOfRefusedGrant(deps)]);
  });

  it('refuses the grant when the bound tenant is rebound to another org during the callback', async () => {
    const { deps, start, written } = setup({ tenant: { orgId: 'org-acme' } });
    const state = await start();
    setsOrgAfterTenantRead(deps, 'org-other');
    const before = written();

    await expect(completeAuthorization(deps, { state, code: 'c' })).rejects.toThrow(OrgMismatchError);

    const untouched = { tenant: undefined, seals: undefined };
    expect({ ...written(), ...untouched }).toEqual({ ...before, ...untouched });
    expect(await deps.authorizations.get('acme', 'presence')).toBeUndefined();
  });

  it('keeps the grant without a second org_bound when another consent of the same org bound the tenant meanwhile', async () => {
    const { deps, start } = setup();
    const state = await start();
    setsOrgAfterTenantRead(deps, 'org-acme');

    const outcome = await completeAuthorization(deps, { state, code: 'c' });

    expect(outcome.kind).toBe('authorized');
    expect(await deps.authorizations.get('acme', 'presence')).toMatchObject({ status: 'active' });
    expect(deps.history.events.map((event) => event.type)).toEqual(['granted']);
    expect(deps.events.published.map(({ event }) => event.type)).toEqual(['granted']);
    expect(deps.webex.calls.filter((call) => call.startsWith('listAuthorizations'))).toEqual([]);
  });

  it("revokes only the refused grant among the person's authorizations: access tokens and other integrations are left alone", async () => {
    const { deps, start } = setup({ tenant: { orgId: 'org-other' } });
    const clientId = catalog.find('presence')?.integrationId ?? '';
    const item = { personId: 'person-1', created: '2026-03-01T10:00:00+00:00' };
    deps.webex.authorizations.push(
      {
        ...item,
        id: 'other-integration',
        clientId: catalog.find('cdr')?.integrationId ?? '',
        type: 'refresh',
      },
      { ...item, id: 'its-access-token', clientId, type: 'access' },
      { ...item, id: 'someone-else', clientId, personId: 'person-2', type: 'refresh' },
    );
    await expect(completeAuthorization(deps, { state: await start(), code: 'c' })).rejects.toThrow(
      OrgMismatchError,
    );
    expect(revocations(deps)).toEqual(['listAuthorizations person-1', deletionOfRefusedGrant(deps)]);
  });

  it("revokes nothing when the person holds another grant of the integration (it may be another tenant's)", async () => {
    const { deps, start } = setup({ tenant: { orgId: 'org-other' } });
    const clientId = catalog.find('presence')?.integrationId ?? '';
    const grant = { personId: 'person-1', clientId, type: 'refresh' };
    // The exchange adds the refused grant, created now.
    deps.webex.authorizations.push({
      ...grant,
      id: 'live-grant-of-tenant-x',
      created: '2026-01-10T08:00:00+00:00',
    });
    await expect(completeAuthorization(deps, { state: await start(), code: 'c' })).rejects.toThrow(
      OrgMismatchError,
    );
    expect(revocations(deps)).toEqual(['listAuthorizations person-1']);
  });

  it('revokes nothing when the only grant is older than the attempt (Webex handed back a grant someone relies on)', async () => {
    const { deps, start } = setup({ tenant: { orgId: 'org-other' } });
    // Webex answers the exchange with this existing grant rather than a new one.
    deps.webex.reusesExistingGrant = true;
    deps.webex.authorizations.push({
      id: 'live-grant-of-tenant-x',
      personId: 'person-1',
      clientId: catalog.find('presence')?.integrationId ?? '',
      type: 'refresh',
      created: '2026-03-01T09:59:59+00:00',
    });
    await expect(completeAuthorization(deps, { state: await start(), code: 'c' })).rejects.toThrow(
      OrgMismatchError,
    );
    expect(revocations(deps)).toEqual(['listAuthorizations person-1']);
  });

  it('keeps the refusal and only discards the tokens when Webex refuses the listing or the deletion (no identity:tokens scope)', async () => {
    // A fresh world each: the grant a failed revocation leaves behind would make the next attempt's grant not the only one.
    for (const refused of ['listAuthorizations', 'deleteAuthorization'] as const) {
      const { deps, start, written } = setup();
      deps.webex.removeFullAdmin('person-1', false);
      deps.webex.fail(refused, new WebexError('forbidden', `Webex ${refused} answered 403`, { status: 403 }));
      const before = written();
      await expect(completeAuthorization(deps, { state: await start(), code: 'c' })).rejects.toThrow(
        NotFullAdminError,
      );
      expect(written()).toEqual(before);
      expect(deps.webex.calls.filter((call) => call.startsWith(refused))).toHaveLength(1);
      expect(
        deps.log.lines.filter((line) => line.message === 'Refused grant could not be revoked at Webex'),
      ).toHaveLength(1);
    }
  });

  it('never revokes a refused grant org-wide, even beside a live authorization of the same org', async () => {
    const { deps, start } = setup({ records: [activeRecord()] });
    deps.webex.removeFullAdmin('person-1', false);
    await expect(completeAuthorization(deps, { state: await start(), code: 'c' })).rejects.toThrow(
      NotFullAdminError,
    );
    // The live record was authorized by person-0; the refused grant is person-1's own.
    expect(revocations(deps)).toEqual(['listAuthorizations person-1', deletionOfRefusedGrant(deps)]);
    expect(deps.webex.calls.some((call) => call.startsWith('revokeAuthorizations'))).toBe(false);
  });

  it('records a denial from Webex, publishes it as a warning with an alert, and shows the troubleshooting page', async () => {
    const { deps, start } = setup();
    const outcome = await completeAuthorization(deps, {
      state: await start('cdr'),
      error: 'access_denied',
      errorDescription: 'blocked by admin',
    });
    expect(outcome.kind).toBe('denied');
    expect(outcome.event).toMatchObject({ type: 'denied', severity: 'warning', integration: 'cdr' });
    expect(deps.history.events).toEqual([outcome.event]);
    expect(deps.events.published[0]?.event).toEqual(outcome.event);
    expect(deps.events.published[0]?.alert?.text).toContain(catalog.find('cdr')?.integrationId);
    expect(deps.authorizations.records.size).toBe(0);
    expect(deps.vault.writes).toBe(0);
    if (outcome.kind === 'denied') {
      expect(outcome.page.integration.integrationId).toBe(catalog.find('cdr')?.integrationId);
      expect(outcome.page.denial).toEqual({ error: 'access_denied', description: 'blocked by admin' });
    }
  });

  it.each([
    'invalid_request',
    'unauthorized_client',
    'access_denied',
    'unsupported_response_type',
    'invalid_scope',
    'server_error',
    'temporarily_unavailable',
  ])('repeats the RFC 6749 error %s in the event, the alert and the page', async (error) => {
    const { deps, start } = setup();
    const outcome = await completeAuthorization(deps, { state: await start('cdr'), error });
    if (outcome.kind !== 'denied') throw new Error('not denied');
    expect(outcome.page.denial?.error).toBe(error);
    expect(outcome.event.summary).toContain(`(${error})`);
    expect(deps.events.published[0]?.alert?.text).toContain(`(${error})`);
  });

  it("never copies an error value RFC 6749 does not define (a link holder's own text): unknown_error in the mail, page, event, history and log", async () => {
    const { deps, start } = setup();
    const attack = 'ACCOUNT_LOCKED_reset_it_at_www.evil-webex-login.com';
    const outcome = await completeAuthorization(deps, { state: await start('cdr'), error: attack });
    if (outcome.kind !== 'denied') throw new Error('not denied');
    expect(outcome.page.denial?.error).toBe('unknown_error');
    const published = deps.events.published[0];
    expect(published?.alert?.text).toContain('(unknown_error)');
    const everything = JSON.stringify([outcome, deps.history.events, published, deps.log.lines]);
    expect(everything).not.toContain('evil-webex-login');
    expect(everything).not.toContain('ACCOUNT_LOCKED');
  });

  it('mails the denial of a tenant with a 200-character Unicode name full of line breaks: one-line ASCII subject under 100 characters, no forged line', async () => {
    const name = `Société\nRe-authorize at https://evil.example\r\n${'東京😀 '.repeat(40)}`.slice(0, 200);
    const { deps, start } = setup({ tenant: { name } });
    await completeAuthorization(deps, { state: await start('cdr'), error: 'access_denied' });
    const alert = deps.events.published[0]?.alert;
    expect(alert?.subject).toMatch(/^[\x21-\x7e][\x20-\x7e]{0,98}$/);
    expect(alert?.subject.startsWith('Webex authorization denied: ')).toBe(true);
    expect(alert?.text.split('\n').filter((line) => line.startsWith('Re-authorize'))).toEqual([]);
    expect(alert?.text).toContain('An administrator of Société Re-authorize at https://evil.example 東京😀');
    expect(deps.history.events[0]?.summary).not.toMatch(/[\r\n]/);
  });

  describe('links handed out by the callback', () => {
    /** The link token inside a portal, start or troubleshooting URL. */
    const tokenOf = (url: string) => {
      const parsed = new URL(url);
      return parsed.searchParams.get('link') ?? decodeURIComponent(parsed.pathname.split('/').at(-1) ?? '');
    };
    const expiryOf = (url: string) => {
      const [payload = ''] = tokenOf(url).split('.');
      return (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { expiresAt: string })
        .expiresAt;
    };

    it('never outlive the link the flow started from, however often start and denial are looped', async () => {
      const { deps, link } = setup();
      let token = link.token;
      for (let round = 0; round < 3; round += 1) {
        deps.clock.advance(4 * 24 * 3600);
        const { state } = await startAuthorization(deps, { linkToken: token, integration: 'cdr' });
        const outcome = await completeAuthorization(deps, { state, error: 'access_denied' });
        if (outcome.kind !== 'denied') throw new Error('not denied');
        expect(expiryOf(outcome.page.retryUrl)).toBe(link.expiresAt);
        expect(expiryOf(outcome.page.portalUrl)).toBe(link.expiresAt);
        token = tokenOf(outcome.page.retryUrl);
      }
      // Twelve days in: once the first link's fourteen days are over, so is the loop.
      deps.clock.advance(2 * 24 * 3600);
      await expect(startAuthorization(deps, { linkToken: token, integration: 'cdr' })).rejects.toThrow(
        LinkExpiredError,
      );
    });

    it("give the success page a portal link with the starting link's expiry", async () => {
      const { deps, link, start } = setup();
      const state = await start();
      deps.clock.advance(300);
      const outcome = await completeAuthorization(deps, { state, code: 'c' });
      if (outcome.kind !== 'authorized') throw new Error('not authorized');
      expect(expiryOf(outcome.page.portalUrl)).toBe(link.expiresAt);
    });

    it("give a refusal's retry link the starting link's expiry", async () => {
      const { deps, link, start } = setup({ tenant: { orgId: 'org-other' } });
      const state = await start();
      deps.clock.advance(60);
      const error = await completeAuthorization(deps, { state, code: 'c' }).catch(
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(OrgMismatchError);
      expect(expiryOf((error as OrgMismatchError).retryUrl ?? '')).toBe(link.expiresAt);
    });
  });

  it('emails one denial alert per tenant and integration in 24 hours, and still records and publishes every denial', async () => {
    const { deps, start } = setup();
    const deny = async (integration: string) =>
      completeAuthorization(deps, { state: await start(integration), error: 'access_denied' });
    const alerts = () => deps.events.published.filter(({ alert }) => alert !== undefined);

    const first = await deny('cdr');
    for (let round = 0; round < 4; round += 1) {
      deps.clock.advance(3600);
      await deny('cdr');
    }
    expect(deps.history.events.map((event) => event.type)).toEqual(Array(5).fill('denied'));
    expect(deps.events.published).toHaveLength(5);
    expect(alerts().map(({ event }) => event.eventId)).toEqual([first.event.eventId]);
    // Every denial says when the alert it falls under went out.
    expect(new Set(deps.history.events.map((event) => event.alertedAt))).toEqual(
      new Set([first.event.occurredAt]),
    );

    // Another integration has its own window.
    await deny('presence');
    expect(alerts()).toHaveLength(2);

    // 24 hours after the first alert, the next denial of the same integration alerts again.
    deps.clock.advance(20 * 3600 - 1);
    await deny('cdr');
    expect(alerts()).toHaveLength(2);
    deps.clock.advance(1);
    const later = await deny('cdr');
    expect(
      alerts()
        .map(({ event }) => event.eventId)
        .at(-1),
    ).toBe(later.event.eventId);
    expect(later.event.alertedAt).toBe(later.event.occurredAt);
  });

  it('never writes a token, code or verifier to the log, an event or an error', async () => {
    const { deps, start } = setup();
    await completeAuthorization(deps, { state: await start(), code: 'the-secret-code' });
    deps.webex.removeFullAdmin('person-1', false);
    const error = await completeAuthorization(deps, {
      state: await start('cdr'),
      code: 'the-secret-code',
    }).catch((caught: unknown) => caught);
    const verifiers = deps.oauthStates.verifiers;
    expect(verifiers).toHaveLength(2);
    const everything = JSON.stringify([
      deps.log.lines,
      deps.events.published,
      deps.history.events,
      String(error),
    ]);
    const secrets = [...deps.webex.issuedTokens(), 'the-secret-code', ...verifiers];
    expect(secrets.length).toBeGreaterThan(verifiers.length + 1);
    for (const secret of secrets) {
      expect(everything).not.toContain(secret);
    }
  });
});

describe('showPortal', () => {
  it('lists every catalog integration with its state, cause in plain words and authorizer', async () => {
    const { deps, link } = setup({
      records: [
        activeRecord({ grantedAt: '2026-02-01T09:00:00.000Z' }),
        activeRecord({ integration: 'cdr', status: 'invalid', cause: 'user_deactivated' }),
        activeRecord({ integration: 'sso', status: 'pending' }),
      ],
    });
    const portal = await showPortal(deps, { linkToken: link.token });
    expect(portal.integrations.map((view) => [view.key, view.state])).toEqual([
      ['users-sync', 'not_authorized'],
      ['presence', 'active'],
      ['call-control', 'not_authorized'],
      ['cdr', 'invalid'],
      ['sso', 'not_authorized'],
    ]);
    const presence = portal.integrations[1];
    expect(presence?.authorizedBy).toEqual({ displayName: 'Old Admin', email: 'old@acme.example' });
    expect(presence?.authorizedAt).toBe('2026-02-01T09:00:00.000Z');
    expect(presence?.authorizeUrl).toBe(
      `https://portal.test/oauth/start?link=${encodeURIComponent(link.token)}&integration=presence`,
    );
    expect(portal.integrations[3]?.detail).toMatch(/deactivated/);
    expect(portal.integrations[3]?.detail).not.toMatch(/likely/);
    expect(portal.linkExpiresAt).toBe(link.expiresAt);
  });

  it('says when Webex did not confirm the cause it shows', async () => {
    const { deps, link } = setup({
      records: [
        activeRecord({
          integration: 'cdr',
          status: 'invalid',
          cause: 'integration_revoked',
          confidence: 'likely',
        }),
      ],
    });
    const portal = await showPortal(deps, { linkToken: link.token });
    expect(portal.integrations.find((view) => view.key === 'cdr')?.detail).toBe(
      "The integration was revoked or its access turned off in Webex Control Hub. This is the likely cause: Webex's answers did not confirm it.",
    );
  });
});

describe('showTroubleshooting', () => {
  it('gives the integration ID and a retry link', async () => {
    const { deps, link } = setup();
    const model = await showTroubleshooting(deps, { linkToken: link.token, integration: 'sso' });
    expect(model.integration.integrationId).toBe(catalog.find('sso')?.integrationId);
    expect(model.retryUrl).toContain('/oauth/start?link=');
    await expect(showTroubleshooting(deps, { linkToken: link.token, integration: 'nope' })).rejects.toThrow(
      UnknownIntegrationError,
    );
  });

  it("has no page for the vendor's own integration on a customer's link, as its start has none", async () => {
    const { deps, link } = setup();
    const vendorOnly = catalog.vendorIntegrations[0]?.key ?? '';
    expect(vendorOnly).not.toBe('');
    await expect(
      showTroubleshooting(deps, { linkToken: link.token, integration: vendorOnly }),
    ).rejects.toThrow(UnknownIntegrationError);
    await expect(
      startAuthorization(deps, { linkToken: link.token, integration: vendorOnly }),
    ).rejects.toThrow(UnknownIntegrationError);
  });
});

describe('warningsFor', () => {
  it('warns about password expiry without SSO and about presence sharing for the presence integration', () => {
    expect(warningsFor({ sso: true }, { presenceSharing: false }, 1825)).toEqual([]);
    const warnings = warningsFor({ sso: false }, { presenceSharing: true }, 1825);
    expect(warnings.map((warning) => warning.kind)).toEqual(['password_expiry', 'presence_sharing']);
    expect(warnings[0]?.text).toMatch(/next Webex password change/);
    expect(warnings[0]?.text).toMatch(/five years/);
    expect(warnings[1]?.text).toMatch(/Never disable presence status sharing/);
    expect(warningsFor({ sso: false }, { presenceSharing: false }, 90)[0]?.text).toMatch(/90 days/);
  });
});
