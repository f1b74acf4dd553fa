import { textMail } from '#test-support/alert-inputs.js';
import { describe, expect, it, vi } from 'vitest';
import { defaultCatalog } from '#adapters/catalog-file.js';
import type { ServiceApp } from '#domain/catalog.js';
import type { Authorization } from '#domain/model.js';
import {
  silentLog,
  VendorTokenUnavailableError,
  WebexError,
  type WebexServiceAppTokens,
  type WebexTokenGrant,
} from '#domain/ports.js';
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
import { testAuthorization, testTenant } from '#test-support/fixtures.js';

/*
 * The validator keeps a Service App authorization alive: no person's life cycle touches it, a
 * refused refresh is replaced from the Service App token endpoint with the vendor token, and only
 * that endpoint's 403 invalidates it (`service_app_deauthorized`). Whatever else keeps Webex from
 * answering (no vendor token, 429, 5xx, a refused vendor token) leaves it live.
 */

const catalog = defaultCatalog();
function shippedWitness(): ServiceApp {
  const witness = catalog.witness;
  if (!witness) throw new Error('the shipped catalog has no witness Service App');
  return witness;
}
const WITNESS = shippedWitness();
const MACHINE = 'p-machine';
const DAY_SECONDS = 86_400;

/** How a test's world differs from a tenant with an org and a usable vendor token. */
interface WorldOptions {
  vendorToken?: () => Promise<string>;
  withoutTokenEndpoint?: boolean;
  tenantWithoutOrg?: boolean;
}

function world(options: WorldOptions = {}) {
  const clock = new ManualClock();
  const repo = new InMemoryAuthorizationRepository();
  const vault = new MemoryTokenVault();
  const tenants = new InMemoryTenantRepository();
  const webex = new FakeWebex(clock);
  const events = new RecordingPublisher();
  tenants.put(testTenant({ tenantId: 'acme', orgId: options.tenantWithoutOrg ? undefined : 'org-1' }));
  webex.addPerson('p-admin', 'admin@acme.example');
  webex.addPerson(MACHINE, 'machine@serviceapp.webex.invalid', { type: 'appuser' });
  const tokenEndpoint = vi.fn<WebexServiceAppTokens['fetchServiceAppToken']>();
  const deps: ValidatorDependencies = {
    authorizations: repo,
    tenants,
    vault,
    webex,
    clientSecrets: { get: async (key) => `secret-of-${key}` },
    ...(options.withoutTokenEndpoint
      ? {}
      : {
          serviceAppTokens: {
            webex: { fetchServiceAppToken: tokenEndpoint },
            vendorToken: { accessToken: options.vendorToken ?? (async () => 'vendor-access-token') },
          },
        }),
    events,
    clock,
    catalog,
    config: { ...DEFAULT_VALIDATOR_CONFIG },
    reauthorizeLink: async (tenant) => `https://keeper.example/connect/${tenant.tenantId}-link`,
    random: () => 0.5,
    log: silentLog,
  };
  /** The witness's pair stored as the portal's confirm stores it: no authorizer, due now. */
  const storeWitness = async (grantedAt = clock.now()): Promise<void> => {
    const material = webex.grant(MACHINE, 'witness');
    const key = { tenantId: 'acme', integration: 'witness' };
    const at = clock.now().toISOString();
    const record: Authorization = {
      ...key,
      status: 'active',
      scopes: [...WITNESS.scopes],
      accessTokenExpiresAt: material.accessTokenExpiresAt,
      refreshTokenExpiresAt: material.refreshTokenExpiresAt,
      grantedAt: grantedAt.toISOString(),
      consecutiveFailures: 0,
      sealedTokens: await vault.seal(key, material),
      version: 1,
      nextCheckAt: at,
      warningsSent: [],
      updatedAt: at,
    };
    repo.put(record);
  };
  /** A new pair of the machine account, as the token endpoint answers it. */
  const freshPair = (): WebexTokenGrant => {
    const material = webex.grant(MACHINE, 'witness');
    return {
      accessToken: material.accessToken,
      refreshToken: material.refreshToken,
      expiresIn: 14 * DAY_SECONDS,
      refreshTokenExpiresIn: 90 * DAY_SECONDS,
    };
  };
  const check = () =>
    validateAuthorization(deps, { tenantId: 'acme', integration: 'witness' }, { force: true });
  const witness = async () => {
    const found = await repo.get('acme', 'witness');
    if (!found) throw new Error('no witness record');
    return found;
  };
  return { clock, webex, vault, events, tokenEndpoint, storeWitness, freshPair, check, witness };
}

describe('validateAuthorization of a Service App', () => {
  it('checks it (no longer skipped as an unknown integration) and keeps it active through its Full Admin’s password change', async () => {
    const w = world();
    await w.storeWitness();
    w.webex.revokeAllOf('p-admin');
    w.webex.deactivate('p-admin');

    const outcome = await w.check();

    expect(outcome).toMatchObject({ kind: 'checked', status: 'active', previousStatus: 'active' });
    expect((await w.witness()).validatedAt).toBe(w.clock.now().toISOString());
    // No person is looked up, and the token endpoint is not needed while its tokens answer.
    expect(w.webex.calls).toEqual(['getMe']);
    expect(w.tokenEndpoint).not.toHaveBeenCalled();
    expect(w.events.published).toEqual([]);
  });

  it('fetches a new pair from the token endpoint with the vendor token when its refresh is refused', async () => {
    const w = world();
    await w.storeWitness();
    w.webex.revokeAllOf(MACHINE);
    const pair = w.freshPair();
    w.tokenEndpoint.mockResolvedValueOnce(pair);

    const outcome = await w.check();

    expect(outcome).toMatchObject({ kind: 'checked', status: 'active', refreshed: true, event: 'refreshed' });
    expect(w.tokenEndpoint).toHaveBeenCalledWith('vendor-access-token', {
      applicationId: WITNESS.applicationId,
      clientId: WITNESS.clientId,
      clientSecret: 'secret-of-witness',
      targetOrgId: 'org-1',
    });
    const record = await w.witness();
    const stored = record.sealedTokens ? await w.vault.open(record, record.sealedTokens) : undefined;
    expect(stored?.accessToken).toBe(pair.accessToken);
    expect(record.consecutiveFailures).toBe(0);
  });

  it('refreshes it under the Service App’s own client ID', async () => {
    const w = world();
    await w.storeWitness();
    w.clock.advance(15 * DAY_SECONDS);
    const refresh = vi.spyOn(w.webex, 'refresh');

    await w.check();

    expect(refresh).toHaveBeenCalledWith(
      expect.objectContaining({ clientId: WITNESS.clientId, clientSecret: 'secret-of-witness' }),
    );
    expect((await w.witness()).status).toBe('active');
  });

  it('invalidates it as service_app_deauthorized, confirmed, when the token endpoint answers 403', async () => {
    const w = world();
    await w.storeWitness();
    w.webex.revokeAllOf(MACHINE);
    w.tokenEndpoint.mockRejectedValueOnce(
      new WebexError('forbidden', 'not authorized', { status: 403, trackingId: 'ROUTER_403' }),
    );

    const outcome = await w.check();

    expect(outcome).toMatchObject({ kind: 'checked', status: 'invalid', cause: 'service_app_deauthorized' });
    expect(await w.witness()).toMatchObject({
      status: 'invalid',
      cause: 'service_app_deauthorized',
      confidence: 'confirmed',
    });
    const event = w.events.published[0]?.event;
    expect(event).toMatchObject({
      type: 'invalidated',
      cause: 'service_app_deauthorized',
      trackingId: 'ROUTER_403',
    });
    expect(event?.evidence).toContainEqual(
      expect.objectContaining({
        call: 'POST /v1/applications/{applicationId}/token',
        via: 'witness',
        answer: 'refused',
        status: 403,
      }),
    );
    expect(event?.summary).toContain('Service App deauthorized in Control Hub');
  });

  const undecided: Array<
    [string, { vendorToken?: () => Promise<string>; failure?: WebexError; withoutTokenEndpoint?: boolean }]
  > = [
    [
      'the vendor token is unavailable',
      {
        vendorToken: async () => {
          throw new VendorTokenUnavailableError('the vendor token is invalid');
        },
      },
    ],
    [
      'the token endpoint answers 429',
      { failure: new WebexError('transient', 'slow down', { status: 429, retryAfterSeconds: 30 }) },
    ],
    [
      'the token endpoint answers 503',
      { failure: new WebexError('transient', 'unavailable', { status: 503 }) },
    ],
    [
      'the token endpoint refuses the vendor token (401)',
      { failure: new WebexError('unauthorized', 'refused', { status: 401 }) },
    ],
    [
      'the token endpoint does not know the app (404)',
      { failure: new WebexError('not_found', 'unknown', { status: 404 }) },
    ],
    ['no vendor token is configured', { withoutTokenEndpoint: true }],
  ];

  it.each(undecided)(
    'never invalidates it when %s: counted as transient, degraded at the third',
    async (_name, setup) => {
      const w = world(setup);
      await w.storeWitness();
      w.webex.revokeAllOf(MACHINE);
      if (setup.failure) w.tokenEndpoint.mockRejectedValue(setup.failure);

      const first = await w.check();
      expect(first).toMatchObject({ kind: 'checked', status: 'active' });
      expect((await w.witness()).consecutiveFailures).toBe(1);
      await w.check();
      const third = await w.check();

      expect(third).toMatchObject({ kind: 'checked', status: 'degraded' });
      expect((await w.witness()).cause).toBeUndefined();
      expect(w.events.types()).toEqual(['witness:degraded']);
    },
  );

  const unasked: Array<[string, WorldOptions, string]> = [
    [
      'no vendor token is configured, even when the tenant has no org either',
      { withoutTokenEndpoint: true, tenantWithoutOrg: true },
      'No vendor token is configured to fetch new Service App tokens with.',
    ],
    [
      'the tenant has no org',
      { tenantWithoutOrg: true },
      'The tenant has no Webex organization to fetch new Service App tokens for.',
    ],
    [
      'the vendor token is unavailable',
      {
        vendorToken: async () => {
          throw new VendorTokenUnavailableError('the vendor token is invalid');
        },
      },
      'The vendor token that fetches Service App tokens is not usable right now.',
    ],
  ];

  it.each(unasked)(
    'says in the check why the token endpoint was not asked when %s',
    async (_name, setup, detail) => {
      const w = world(setup);
      await w.storeWitness();
      w.webex.revokeAllOf(MACHINE);

      const outcome = await w.check();

      expect(outcome).toMatchObject({ kind: 'checked', status: 'active' });
      expect(w.tokenEndpoint).not.toHaveBeenCalled();
      const record = await w.witness();
      expect(record.causeDetail).toContain(detail);
    },
  );

  it('says in the check the HTTP status with which the token endpoint gave no tokens', async () => {
    const w = world();
    await w.storeWitness();
    w.webex.revokeAllOf(MACHINE);
    w.tokenEndpoint.mockRejectedValue(
      new WebexError('transient', 'unavailable', { status: 503, trackingId: 'ROUTER_503' }),
    );

    const outcome = await w.check();

    expect(outcome).toMatchObject({ kind: 'checked', status: 'active' });
    expect((await w.witness()).causeDetail).toContain(
      'The Service App token endpoint could not give new tokens (HTTP 503).',
    );
  });

  it('never warns of a password deadline: a Service App has no password', async () => {
    const w = world();
    await w.storeWitness(new Date(w.clock.now().getTime() - 2000 * DAY_SECONDS * 1000));

    const outcome = await w.check();

    expect(outcome).toMatchObject({ kind: 'checked', status: 'active' });
    expect(w.events.types()).not.toContain('witness:expiring');
    expect((await w.witness()).warningsSent).toEqual([]);
  });
});

describe('the alert of a deauthorized Service App', () => {
  it('says what it means and the Control Hub path to authorize the app again', () => {
    const text = textMail({
      event: {
        version: 1,
        eventId: 'evt-1',
        type: 'invalidated',
        severity: 'critical',
        tenantId: 'acme',
        integration: 'witness',
        occurredAt: '2026-03-01T10:00:00.000Z',
        status: 'invalid',
        previousStatus: 'active',
        cause: 'service_app_deauthorized',
        confidence: 'confirmed',
        summary: 'The witness stopped working (Service App deauthorized in Control Hub).',
      },
      tenant: testTenant({ tenantId: 'acme' }),
      integration: undefined,
      serviceApp: WITNESS,
      authorization: testAuthorization('acme', 'witness', { status: 'invalid', scopes: [...WITNESS.scopes] }),
      reauthorizeLink: 'https://keeper.example/connect/abc.def',
      passwordMaxAgeDays: 1825,
    }).text;

    expect(text).toContain(`Service App ID: ${WITNESS.applicationId}`);
    expect(text).toContain('Control Hub: Apps > Service Apps');
    expect(text).toContain("Cause (confirmed by Webex's answers)");
    expect(text).toContain('no longer authorized for the Webex organization');
    expect(text).toContain('no password change, deactivation or role change ends them');
    expect(text).toContain(`open Control Hub > Apps > Service Apps and find "${WITNESS.name}"`);
    expect(text).toContain('press "I have authorized it"');
    expect(text).not.toContain('Integration ID');
  });
});
