import { notifierPreview } from '#test-support/notifier-harness.js';
import { describe, expect, it, vi } from 'vitest';
import { defaultCatalog } from '#adapters/catalog-file.js';
import { tableDefinition } from '#adapters/table-definition.js';
import { authorizationEventSchema, type Authorization, type Tenant } from '#domain/model.js';
import { silentLog, WebexError } from '#domain/ports.js';
import { runSweep } from '#domain/sweep.js';
import { DEFAULT_VALIDATOR_CONFIG, type ValidatorDependencies } from '#domain/validator-config.js';
import { validateAuthorization } from '#domain/validator.js';
import {
  FakeWebex,
  InMemoryAuthorizationRepository,
  InMemoryTenantRepository,
  ManualClock,
  MemoryTokenVault,
  RecordingPublisher,
} from '#test-support/fakes/index.js';

const DAY = 86_400;
const catalog = defaultCatalog();

function tenantOf(overrides: Partial<Tenant> = {}): Tenant {
  return {
    tenantId: 'acme',
    name: 'Acme Corp',
    contacts: ['it@acme.example'],
    sso: false,
    orgId: 'org-1',
    linkVersion: 1,
    status: 'active',
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    ...overrides,
  };
}

function setup(tenant: Partial<Tenant> = {}) {
  const clock = new ManualClock();
  const calls: string[] = [];
  const repo = new InMemoryAuthorizationRepository({ calls });
  const vault = new MemoryTokenVault(calls);
  const tenants = new InMemoryTenantRepository();
  const webex = new FakeWebex(clock);
  // Each publication carries the mail the notifier writes about it.
  const events = new RecordingPublisher((event) =>
    notifierPreview({ ...deps, passwordMaxAgeDays: deps.config.passwordMaxAgeDays })(event),
  );
  tenants.put(tenantOf(tenant));
  webex.addPerson('p-admin', 'admin@acme.example');
  webex.addPerson('p-other', 'other@acme.example');
  const deps: ValidatorDependencies = {
    authorizations: repo,
    tenants,
    vault,
    webex,
    clientSecrets: { get: async () => 'client-secret' },
    events,
    clock,
    catalog,
    config: { ...DEFAULT_VALIDATOR_CONFIG },
    reauthorizeLink: async (t) => `https://keeper.example/connect/${t.tenantId}-link`,
    random: () => 0.5,

    log: silentLog,
  };

  /** Stores tokens and a record as a successful onboarding would, due now. */
  async function authorize(integration: string, personId = 'p-admin'): Promise<Authorization> {
    const material = webex.grant(personId, integration);
    const sealedTokens = await vault.seal({ tenantId: 'acme', integration }, material);
    const person = webex.people.get(personId);
    const now = clock.now().toISOString();
    const record: Authorization = {
      tenantId: 'acme',
      integration,
      status: 'active',
      authorizer: {
        personId,
        email: person?.email ?? '',
        displayName: person?.email ?? '',
        orgId: 'org-1',
        fullAdmin: true,
      },
      scopes: catalog.find(integration)?.scopes ?? [],
      accessTokenExpiresAt: material.accessTokenExpiresAt,
      refreshTokenExpiresAt: material.refreshTokenExpiresAt,
      grantedAt: now,
      consecutiveFailures: 0,
      sealedTokens,
      version: 1,
      nextCheckAt: now,
      warningsSent: [],
      updatedAt: now,
    };
    repo.put(record);
    return record;
  }

  const validate = (integration: string, options: { force?: boolean } = {}) =>
    validateAuthorization(deps, { tenantId: 'acme', integration }, options);
  const record = async (integration: string) => {
    const found = await repo.get('acme', integration);
    if (!found) throw new Error(`no record ${integration}`);
    return found;
  };
  /** Moves time to the record's next check. */
  const untilDue = async (integration: string) => {
    const next = Date.parse((await record(integration)).nextCheckAt ?? '');
    clock.advance(Math.max(0, (next - clock.now().getTime()) / 1000));
  };
  return { clock, calls, repo, vault, tenants, webex, events, deps, authorize, validate, record, untilDue };
}

function expectNoToken(world: ReturnType<typeof setup>): void {
  const published = JSON.stringify(world.events.published);
  for (const token of world.vault.allTokens()) expect(published).not.toContain(token);
}

describe('validateAuthorization: healthy', () => {
  it('keeps a healthy authorization active without an event, and releases the lease', async () => {
    const world = setup();
    await world.authorize('presence');
    world.calls.length = 0;
    const outcome = await world.validate('presence');
    const writes = [...world.calls];
    expect(outcome).toEqual({
      kind: 'checked',
      previousStatus: 'active',
      status: 'active',
      refreshed: false,
    });
    const record = await world.record('presence');
    expect(record).toMatchObject({
      status: 'active',
      consecutiveFailures: 0,
      validatedAt: world.clock.now().toISOString(),
    });
    expect(record.leaseOwner).toBeUndefined();
    expect(record.pendingEvent).toBeUndefined();
    // Two writes: the lease (which reads the record) and the save that frees it, no release call.
    expect(writes).toEqual(['lease acme/presence', 'save acme/presence active']);
    // 15 min less the jitter (0.5 -> 12.5 %), so the next 15-minute sweep picks it up.
    expect(Date.parse(record.nextCheckAt ?? '') - world.clock.now().getTime()).toBe(900_000 * 0.875);
    expect(world.events.published).toEqual([]);
  });

  it('reads no tenant for a healthy check far from its deadlines', async () => {
    const world = setup();
    await world.authorize('presence');
    const reads = vi.spyOn(world.tenants, 'get');
    expect(await world.validate('presence')).toMatchObject({ kind: 'checked', status: 'active' });
    expect(reads).not.toHaveBeenCalled();
  });

  it('reads the tenant once the password warnings may be due, and honours its SSO flag', async () => {
    const world = setup({ sso: true });
    await world.authorize('presence');
    const grantedAt = new Date(world.clock.now().getTime() - (1825 - 29) * DAY * 1000).toISOString();
    world.repo.put({ ...(await world.record('presence')), grantedAt });
    const reads = vi.spyOn(world.tenants, 'get');
    expect(await world.validate('presence')).toMatchObject({ status: 'active' });
    // Read once for the whole check (the refresh this old grant triggers asks for it too).
    expect(reads).toHaveBeenCalledTimes(1);
    expect(world.events.types().filter((type) => type.endsWith(':expiring'))).toEqual([]);
  });

  it('skips an offboarded tenant before refreshing its tokens', async () => {
    const world = setup({ status: 'offboarded' });
    await world.authorize('presence');
    world.clock.advance(12.5 * DAY);
    world.calls.length = 0;
    expect(await world.validate('presence')).toEqual({ kind: 'skipped', reason: 'tenant_inactive' });
    expect(world.calls.filter((call) => call.startsWith('store'))).toEqual([]);
    expect(world.webex.calls.filter((call) => call.startsWith('refresh'))).toEqual([]);
    expect((await world.record('presence')).leaseOwner).toBeUndefined();
  });

  it('sends the people/me and roles probes together, not one after the other', async () => {
    const world = setup();
    await world.authorize('presence');
    const order: string[] = [];
    const webex = Object.create(world.webex) as typeof world.webex;
    webex.getMe = async (token) => {
      order.push('me:start');
      const me = await world.webex.getMe(token);
      order.push('me:end');
      return me;
    };
    webex.listRoles = async (token) => {
      order.push('roles:start');
      return world.webex.listRoles(token);
    };
    const outcome = await validateAuthorization(
      { ...world.deps, webex },
      { tenantId: 'acme', integration: 'presence' },
    );
    expect(outcome).toMatchObject({ kind: 'checked', status: 'active' });
    expect(order.indexOf('roles:start')).toBeLessThan(order.indexOf('me:end'));
  });

  it('skips an authorization that is not due (a duplicate delivery)', async () => {
    const world = setup();
    await world.authorize('presence');
    await world.validate('presence');
    const calls = world.webex.calls.length;
    expect(await world.validate('presence')).toEqual({ kind: 'skipped', reason: 'not_due' });
    expect(world.webex.calls.length).toBe(calls);
  });

  it('checks a not-yet-due authorization when forced (validate now)', async () => {
    const world = setup();
    await world.authorize('presence');
    await world.validate('presence');
    expect(await world.validate('presence', { force: true })).toMatchObject({ kind: 'checked' });
  });

  it('skips, successfully, when another worker holds the lease', async () => {
    const world = setup();
    await world.authorize('presence');
    await world.repo.acquireLease(
      'acme',
      'presence',
      'someone-else',
      new Date(Date.now() + 3_600_000),
      world.clock.now(),
    );
    expect(await world.validate('presence')).toEqual({ kind: 'skipped', reason: 'leased' });
    expect(world.webex.calls).toEqual([]);
  });
});

describe('validateAuthorization: password deadlines per tenant', () => {
  /** Moves the record's grant `days` back, as if it had been granted then. */
  async function grantedDaysAgo(world: ReturnType<typeof setup>, integration: string, days: number) {
    const grantedAt = new Date(world.clock.now().getTime() - days * DAY * 1000).toISOString();
    world.repo.put({ ...(await world.record(integration)), grantedAt });
    return grantedAt;
  }

  /** A tenant's presence authorization granted `days` ago, and a spy on the tenant reads from now on. */
  async function presenceGrantedDaysAgo(tenant: Partial<Tenant>, days: number) {
    const world = setup(tenant);
    await world.authorize('presence');
    await grantedDaysAgo(world, 'presence', days);
    return { world, reads: vi.spyOn(world.tenants, 'get') };
  }

  it("counts the password deadline with the tenant's own password age, as an upper bound", async () => {
    const world = setup({ passwordMaxAgeDays: 90 });
    await world.authorize('presence');
    const grantedAt = await grantedDaysAgo(world, 'presence', 61);
    expect(await world.validate('presence')).toMatchObject({ status: 'expiring', event: 'expiring' });
    const warning = world.events.published.find(({ event }) => event.type === 'expiring');
    expect(warning?.event).toMatchObject({
      deadline: new Date(Date.parse(grantedAt) + 90 * DAY * 1000).toISOString(),
      deadlineIsUpperBound: true,
    });
    expect(warning?.alert?.text).toMatch(/up to 90 days old/);
    expect(warning?.alert?.text).toMatch(/upper bound/);
    expect((await world.record('presence')).warningsSent).toEqual(['password:30']);
  });

  it('uses the deployment default for a tenant without a password age of its own', async () => {
    const world = setup();
    await world.authorize('presence');
    await grantedDaysAgo(world, 'presence', 61);
    expect(await world.validate('presence')).toMatchObject({ status: 'active' });
    expect(world.events.types()).toEqual([]);
  });

  it('gives an SSO authorizer no password warning, and warns another authorizer of the same tenant', async () => {
    const world = setup({ passwordMaxAgeDays: 90, ssoAuthorizers: ['admin@acme.example'] });
    await world.authorize('presence', 'p-admin');
    await world.authorize('call-control', 'p-other');
    await grantedDaysAgo(world, 'presence', 70);
    await grantedDaysAgo(world, 'call-control', 70);
    expect(await world.validate('presence')).toMatchObject({ status: 'active' });
    expect(await world.validate('call-control')).toMatchObject({ status: 'expiring', event: 'expiring' });
    expect(world.events.types()).toEqual(['call-control:expiring']);
  });

  it('reads no tenant before a password warning may be due under the shortest policy (90 days)', async () => {
    const { world, reads } = await presenceGrantedDaysAgo({ passwordMaxAgeDays: 90 }, 59);
    expect(await world.validate('presence')).toMatchObject({ status: 'active' });
    expect(reads).not.toHaveBeenCalled();
    world.clock.advance(2 * DAY);
    // From 60 days on it reads the tenant, whose 90-day policy opens the window (the alert reads it too).
    expect(await world.validate('presence')).toMatchObject({ status: 'expiring' });
    expect(reads).toHaveBeenCalled();
  });

  it("reads the tenant at most once a day far from its deadline, and a change of the tenant's policy warns within a day", async () => {
    const { world, reads } = await presenceGrantedDaysAgo({ passwordMaxAgeDays: 1825 }, 100);
    expect(await world.validate('presence')).toMatchObject({ status: 'active' });
    expect(reads).toHaveBeenCalledTimes(1);
    expect((await world.record('presence')).passwordPolicy).toMatchObject({ maxAgeDays: 1825, sso: false });
    await world.untilDue('presence');
    expect(await world.validate('presence')).toMatchObject({ status: 'active' });
    expect(reads).toHaveBeenCalledTimes(1);

    world.tenants.put(tenantOf({ passwordMaxAgeDays: 90 }));
    world.clock.advance(DAY);
    expect(await world.validate('presence')).toMatchObject({ status: 'expiring', event: 'expiring' });
    expect((await world.record('presence')).passwordPolicy).toMatchObject({ maxAgeDays: 90 });
  });
});

describe('validateAuthorization: a record from before tokens moved onto the item', () => {
  it('never marks it invalid: its check fails on our side, naming the old secret', async () => {
    const world = setup();
    const current = await world.authorize('presence');
    const legacy: Authorization = { ...current, secretId: 'webex-auth-keeper/tokens/acme/presence' };
    delete legacy.sealedTokens;
    world.repo.put(legacy);
    await expect(world.validate('presence')).rejects.toThrow(
      /acme\/presence is active but its tokens are in the Secrets Manager secret webex-auth-keeper\/tokens\/acme\/presence/,
    );
    const after = await world.record('presence');
    expect(after.status).toBe('active');
    expect(after.cause).toBeUndefined();
    expect(world.events.published).toEqual([]);
  });
});

describe('validateAuthorization: refresh', () => {
  it('refreshes an access token near its end, saving the tokens on the record at once', async () => {
    const world = setup();
    const before = await world.authorize('presence');
    world.clock.advance(12.5 * DAY);
    world.calls.length = 0;
    const outcome = await world.validate('presence');
    expect(outcome).toMatchObject({ kind: 'checked', status: 'active', refreshed: true, event: 'refreshed' });
    // The refreshed tokens are saved on the record at once, before the check's own write.
    expect(world.calls.filter((call) => call.startsWith('seal ') || call.startsWith('save '))).toEqual([
      'seal acme/presence',
      'save acme/presence active',
      'save acme/presence active +refreshed',
      // The published event leaves the outbox.
      'save acme/presence active',
    ]);
    const record = await world.record('presence');
    expect(Date.parse(record.accessTokenExpiresAt ?? '')).toBeGreaterThan(
      Date.parse(before.accessTokenExpiresAt ?? ''),
    );
    expect(record.refreshedAt).toBe(world.clock.now().toISOString());
    const material = await world.vault.tokensOf(record);
    expect(world.webex.isWorking(material.accessToken)).toBe(true);
    // Routine: on the bus, no email.
    expect(world.events.published).toHaveLength(1);
    expect(world.events.published[0]?.alert).toBeUndefined();
    expectNoToken(world);
  });

  it('refreshes at once when the access token already ended, and stays active', async () => {
    const world = setup();
    await world.authorize('presence');
    world.clock.advance(15 * DAY);
    expect(await world.validate('presence')).toMatchObject({ status: 'active', refreshed: true });
  });

  it('schedules the next check no later than the next refresh', async () => {
    const world = setup();
    const record = await world.authorize('presence');
    world.clock.advance(11.9 * DAY);
    await world.validate('presence');
    const next = Date.parse((await world.record('presence')).nextCheckAt ?? '');
    expect(next).toBeLessThanOrEqual(Date.parse(record.accessTokenExpiresAt ?? '') - 2 * DAY * 1000);
  });
});

describe('validateAuthorization: causes', () => {
  it('invalidates every authorization of a single admin whose tokens all died, naming no one cause as fact', async () => {
    const world = setup();
    for (const integration of ['users-sync', 'presence', 'call-control']) await world.authorize(integration);
    world.webex.revokeAllOf('p-admin');
    // The workers of one sweep run in any order; the cause is the same whichever runs first.
    for (const integration of ['presence', 'call-control', 'users-sync']) {
      expect(await world.validate(integration)).toMatchObject({
        status: 'invalid',
        cause: 'password_change_or_deactivation_or_role_removal',
        event: 'invalidated',
      });
      expect(await world.record(integration)).toMatchObject({ confidence: 'likely' });
    }
    expect(world.events.types()).toEqual([
      'presence:invalidated',
      'call-control:invalidated',
      'users-sync:invalidated',
    ]);
    for (const { alert } of world.events.published) {
      expect(alert?.text).toContain('All 3 authorizations that admin@acme.example granted for this tenant');
      expect(alert?.text).toContain('https://keeper.example/connect/acme-link');
    }
    expectNoToken(world);
  });

  it('carries the cause, its confidence and the Webex calls behind it on the record, the event and the history', async () => {
    const world = setup();
    for (const integration of ['presence', 'call-control']) await world.authorize(integration);
    world.webex.revokeAllOf('p-admin');
    await world.validate('presence');
    const at = world.clock.now().toISOString();
    const evidence = [
      {
        call: 'GET /v1/people/me',
        via: 'presence',
        answer: 'refused',
        status: 401,
        trackingId: 'ROUTER_401',
        at,
      },
      {
        call: 'POST /v1/access_token',
        via: 'presence',
        answer: 'refused',
        status: 400,
        error: 'invalid_grant',
        trackingId: 'ROUTER_400',
        at,
      },
      // The sibling by the same person, probed on the spot with its own token.
      {
        call: 'GET /v1/people/me',
        via: 'call-control',
        answer: 'refused',
        status: 401,
        trackingId: 'ROUTER_401',
        at,
      },
    ];
    const event = world.events.published[0]?.event;
    // The event detail as the bus gets it: the schema's shape, nothing more, nothing less.
    expect(authorizationEventSchema.strict().parse(event)).toEqual(event);
    expect(event).toMatchObject({
      type: 'invalidated',
      cause: 'password_change_or_deactivation_or_role_removal',
      confidence: 'likely',
      evidence,
      summary:
        'Attendant Console Webex presence retrieval stopped working (likely: password change, deactivation or Full Admin role removal).',
    });
    expect(await world.record('presence')).toMatchObject({
      cause: 'password_change_or_deactivation_or_role_removal',
      confidence: 'likely',
      evidence,
    });
    const history = await world.repo.history.list('acme', { limit: 10 });
    expect(history.items).toEqual([event]);
    expectNoToken(world);
  });

  it('does not blame a password change for an SSO tenant', async () => {
    const world = setup({ sso: true });
    for (const integration of ['presence', 'call-control']) await world.authorize(integration);
    world.webex.revokeAllOf('p-admin');
    expect(await world.validate('presence')).toMatchObject({
      cause: 'password_change_or_deactivation_or_role_removal',
    });
    expect(world.events.published[0]?.alert?.text).toMatch(/not a password change/);
    expect(world.events.published[0]?.alert?.text).not.toMatch(/password was changed/);
  });

  it('does not count a sibling that died before this authorization was granted as dying with it', async () => {
    const world = setup();
    for (const integration of ['users-sync', 'presence']) await world.authorize(integration);
    world.webex.revokeAllOf('p-admin');
    expect(await world.validate('users-sync')).toMatchObject({ status: 'invalid' });
    // Four minutes later, within the together-window: presence is authorized again, then revoked.
    world.clock.advance(240);
    await world.authorize('presence');
    world.webex.revokeIntegration('p-admin', 'presence');
    expect(await world.validate('presence')).toMatchObject({ status: 'invalid', cause: 'unknown' });
    expect((await world.record('presence')).causeDetail).not.toMatch(/at the same time/);
  });

  it('names integration_revoked when one authorization dies alone', async () => {
    const world = setup();
    for (const integration of ['presence', 'call-control']) await world.authorize(integration);
    world.webex.revokeIntegration('p-admin', 'call-control');
    expect(await world.validate('call-control')).toMatchObject({
      status: 'invalid',
      cause: 'integration_revoked',
    });
    expect(await world.record('call-control')).toMatchObject({ confidence: 'likely' });
    expect(await world.validate('presence')).toMatchObject({ status: 'active' });
    expect(world.events.published[0]?.alert?.text).toContain('Apps > Integrations');
  });

  it('finds a deactivation by looking the person up through another admin’s users-sync', async () => {
    const world = setup();
    await world.authorize('users-sync', 'p-other');
    for (const integration of ['presence', 'call-control']) await world.authorize(integration);
    world.webex.deactivate('p-admin');
    expect(await world.validate('presence')).toMatchObject({ cause: 'user_deactivated' });
    expect(await world.validate('call-control')).toMatchObject({ cause: 'user_deactivated' });
    expect(await world.record('presence')).toMatchObject({ confidence: 'confirmed' });
    expect(await world.record('call-control')).toMatchObject({ confidence: 'confirmed' });
  });

  it('finds a removed Full Admin role through the look-up when the tokens were revoked', async () => {
    const world = setup();
    await world.authorize('users-sync', 'p-other');
    await world.authorize('presence');
    world.webex.removeFullAdmin('p-admin', true);
    expect(await world.validate('presence')).toMatchObject({ cause: 'admin_role_removed' });
  });

  it('finds a removed Full Admin role from the probe when the tokens still work', async () => {
    const world = setup();
    await world.authorize('presence');
    world.webex.removeFullAdmin('p-admin', false);
    expect(await world.validate('presence')).toMatchObject({
      status: 'invalid',
      cause: 'admin_role_removed',
    });
    // Webex refuses the roles list to non-admins (403): that says the role went, without proving it.
    expect(await world.record('presence')).toMatchObject({ confidence: 'likely' });
  });

  it('names refresh_token_expired when the refresh token is past its recorded expiry', async () => {
    const world = setup();
    for (const integration of ['presence', 'call-control']) await world.authorize(integration);
    world.clock.advance(91 * DAY);
    expect(await world.validate('presence')).toMatchObject({
      status: 'invalid',
      cause: 'refresh_token_expired',
    });
    expect(await world.record('presence')).toMatchObject({ confidence: 'confirmed' });
  });

  it('sends nothing again for a status that stays the same', async () => {
    const world = setup();
    await world.authorize('presence');
    world.webex.revokeAllOf('p-admin');
    await world.validate('presence');
    world.clock.advance(3600);
    expect(await world.validate('presence', { force: true })).toEqual({
      kind: 'skipped',
      reason: 'not_checkable',
    });
    expect(world.events.published).toHaveLength(1);
  });
});

describe('validateAuthorization: transient failures', () => {
  it('degrades after three 429s in a row, never invalid, honouring Retry-After, then restores', async () => {
    const world = setup();
    await world.authorize('presence');
    const statuses: string[] = [];
    for (let i = 0; i < 4; i += 1) {
      world.webex.fail(
        'getMe',
        new WebexError('transient', 'Too Many Requests', { status: 429, retryAfterSeconds: 600 }),
      );
      const now = world.clock.now().getTime();
      const outcome = await world.validate('presence');
      statuses.push(outcome.kind === 'checked' ? outcome.status : outcome.reason);
      const next = Date.parse((await world.record('presence')).nextCheckAt ?? '');
      expect(next - now).toBeGreaterThanOrEqual(600_000);
      await world.untilDue('presence');
    }
    expect(statuses).toEqual(['active', 'active', 'degraded', 'degraded']);
    expect(await world.record('presence')).toMatchObject({ consecutiveFailures: 4 });
    // The record says why (the digest and the board show it); nobody is mailed a degraded.
    expect((await world.record('presence')).causeDetail).toContain('429');
    expect(await world.validate('presence')).toMatchObject({ status: 'active', event: 'restored' });
    expect(world.events.types()).toEqual(['presence:degraded', 'presence:restored']);
    expect(world.events.published.map(({ alert }) => alert)).toEqual([undefined, undefined]);
  });

  it('backs off exponentially after 5xx', async () => {
    const world = setup();
    await world.authorize('presence');
    const gaps: number[] = [];
    for (let i = 0; i < 3; i += 1) {
      world.webex.fail('getMe', new WebexError('transient', 'Service Unavailable', { status: 503 }));
      const now = world.clock.now().getTime();
      await world.validate('presence');
      gaps.push(Math.round((Date.parse((await world.record('presence')).nextCheckAt ?? '') - now) / 1000));
      await world.untilDue('presence');
    }
    expect(gaps).toEqual([63, 126, 252]);
  });
});

describe('validateAuthorization: our client credentials refused', () => {
  it('keeps the status, counts no failure, sends nothing and pauses the checks', async () => {
    const world = setup();
    await world.authorize('presence');
    world.clock.advance(15 * DAY);
    world.webex.fail(
      'refresh',
      new WebexError('client_rejected', 'Webex refresh token grant answered 401 (invalid_client)', {
        status: 401,
      }),
    );
    const now = world.clock.now().getTime();
    expect(await world.validate('presence')).toMatchObject({ status: 'active', previousStatus: 'active' });
    const after = await world.record('presence');
    expect(after).toMatchObject({ status: 'active', consecutiveFailures: 0 });
    expect(after.cause).toBeUndefined();
    expect(Date.parse(after.nextCheckAt ?? '') - now).toBeGreaterThanOrEqual(60_000);
    expect(world.events.published).toEqual([]);
  });
});

describe('validateAuthorization: expiry warnings', () => {
  it('warns at each password threshold once, then returns to active after a re-authorization', async () => {
    const world = setup();
    await world.authorize('presence');
    const grantedAt = new Date(world.clock.now().getTime() - (1825 - 29) * DAY * 1000).toISOString();
    world.repo.put({ ...(await world.record('presence')), grantedAt });
    expect(await world.validate('presence')).toMatchObject({ status: 'expiring', event: 'expiring' });
    await world.untilDue('presence');
    expect(await world.validate('presence')).toMatchObject({ status: 'expiring' });
    expect((await world.validate('presence', { force: true })).kind).toBe('checked');
    expect(world.events.types()).toEqual(['presence:expiring']);
    expect(world.events.published[0]?.alert?.subject).toBe(
      'Warning: Acme Corp - Attendant Console Webex presence retrieval expires in at most 29 days',
    );
    expect((await world.record('presence')).warningsSent).toEqual(['password:30']);

    world.clock.advance(22 * DAY);
    // The access token is renewed in the same run; the warning is the event that run records.
    expect(await world.validate('presence', { force: true })).toMatchObject({
      refreshed: true,
      event: 'expiring',
    });
    expect(world.events.types()).toEqual(['presence:expiring', 'presence:expiring']);
    expect((await world.record('presence')).warningsSent).toEqual(['password:30', 'password:7']);

    // The person re-authorized: a new grant moves the deadline away.
    world.repo.put({ ...(await world.record('presence')), grantedAt: world.clock.now().toISOString() });
    expect(await world.validate('presence', { force: true })).toMatchObject({
      status: 'active',
      event: 'restored',
    });
    expect((await world.record('presence')).warningsSent).toEqual([]);
  });
});

describe('validateAuthorization: crash safety', () => {
  it('keeps the event pending when publishing fails, and the next run publishes it exactly once', async () => {
    const world = setup();
    await world.authorize('presence');
    world.webex.revokeAllOf('p-admin');
    world.events.fail(new Error('publish failed'), 1);
    await expect(world.validate('presence')).rejects.toThrow('publish failed');
    const stuck = await world.record('presence');
    expect(stuck).toMatchObject({ status: 'invalid', pendingEvent: { type: 'invalidated' } });
    expect(stuck.leaseOwner).toBeUndefined();
    expect(world.repo.history.events.map((e) => e.type)).toEqual(['invalidated']);

    await world.validate('presence');
    expect(world.events.types()).toEqual(['presence:invalidated']);
    expect(world.events.published[0]?.event.eventId).toBe(stuck.pendingEvent?.eventId);
    expect((await world.record('presence')).pendingEvent).toBeUndefined();
    await world.validate('presence');
    expect(world.events.published).toHaveLength(1);
  });

  it("loses no token when it dies between the refresh and the check's own write", async () => {
    const world = setup();
    await world.authorize('presence');
    world.clock.advance(12.5 * DAY);
    const save = world.repo.save.bind(world.repo);
    let saves = 0;
    world.repo.save = async (...args) => {
      saves += 1;
      // The refresh's save of the tokens goes through; the check's write after it does not.
      if (saves > 1) throw new Error('crash');
      return save(...args);
    };
    await expect(world.validate('presence')).rejects.toThrow('crash');
    world.repo.save = save;
    const stored = await world.vault.tokensOf(await world.record('presence'));
    expect(world.webex.isWorking(stored.accessToken)).toBe(true);
    expect(await world.validate('presence')).toMatchObject({ status: 'active' });
    const record = await world.record('presence');
    expect(record.accessTokenExpiresAt).toBe(stored.accessTokenExpiresAt);
  });

  it('never clobbers a re-authorization that lands during the check', async () => {
    const world = setup();
    await world.authorize('presence');
    world.webex.revokeAllOf('p-admin');
    const getMe = world.webex.getMe.bind(world.webex);
    world.webex.getMe = async (token) => {
      // The customer re-authorizes while the probe is in flight.
      const current = await world.record('presence');
      await world.repo.save(
        {
          ...current,
          status: 'active',
          grantedAt: world.clock.now().toISOString(),
          leaseOwner: undefined,
          leaseUntil: undefined,
        },
        current.version,
      );
      world.webex.getMe = getMe;
      return getMe(token);
    };
    expect(await world.validate('presence')).toEqual({ kind: 'skipped', reason: 'superseded' });
    expect(await world.record('presence')).toMatchObject({ status: 'active', version: 2 });
    expect(world.events.published).toEqual([]);
  });

  it('brings no token back when offboarding revoked the authorization during a refresh', async () => {
    const world = setup();
    await world.authorize('presence');
    world.clock.advance(12.5 * DAY);
    const seal = world.vault.seal.bind(world.vault);
    world.vault.seal = async (context, material) => {
      // Offboarding runs while the refresh is in flight: it revokes the record and its tokens go.
      const current = await world.record('presence');
      await world.repo.save(
        {
          ...current,
          status: 'revoked',
          sealedTokens: undefined,
          leaseOwner: undefined,
          leaseUntil: undefined,
        },
        current.version,
      );
      world.vault.seal = seal;
      return seal(context, material);
    };
    expect(await world.validate('presence')).toEqual({ kind: 'skipped', reason: 'superseded' });
    const record = await world.record('presence');
    expect(record).toMatchObject({ status: 'revoked' });
    expect(record.sealedTokens).toBeUndefined();
  });

  it('lets only one of two concurrent workers check an authorization', async () => {
    const world = setup();
    await world.authorize('presence');
    world.webex.revokeAllOf('p-admin');
    const outcomes = await Promise.all([world.validate('presence'), world.validate('presence')]);
    expect(outcomes.filter((o) => o.kind === 'checked')).toHaveLength(1);
    expect(world.events.published).toHaveLength(1);
  });
});

describe('runSweep', () => {
  it('validates every due authorization once, and nothing that is not due', async () => {
    const world = setup();
    for (const integration of ['users-sync', 'presence', 'call-control', 'cdr'])
      await world.authorize(integration);
    const later = await world.record('cdr');
    world.repo.put({
      ...later,
      nextCheckAt: new Date(world.clock.now().getTime() + 3_600_000).toISOString(),
    });
    const report = await runSweep(world.deps, { shards: tableDefinition.dueShards, pageSize: 1 });
    expect(report.dispatched).toBe(3);
    expect(report.outcomes.every((o) => o.kind === 'checked')).toBe(true);
    expect(report.errors).toEqual([]);
    expect((await runSweep(world.deps, { shards: tableDefinition.dueShards })).dispatched).toBe(0);
  });

  it('reports a check that throws and goes on with the others', async () => {
    const world = setup();
    for (const integration of ['presence', 'call-control']) await world.authorize(integration);
    world.webex.revokeAllOf('p-admin');
    world.events.fail(new Error('publish failed'), 1);
    const report = await runSweep(world.deps, {
      shards: tableDefinition.dueShards,
      concurrency: 1,
    });
    expect(report.errors).toHaveLength(1);
    expect(report.outcomes).toHaveLength(1);
  });
});
