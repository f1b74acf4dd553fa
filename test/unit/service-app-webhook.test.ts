import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Tenant } from '#domain/model.js';
import { silentLog, WebexError } from '#domain/ports.js';
import { isWebexSignature, receiveServiceAppNotification } from '#domain/service-app-webhook.js';
import { createPublicApiHandler, type ServiceAppWebhookPorts } from '#functions/public-api.app.js';
import { clientSecretsFrom, ScriptedServiceAppTokens } from '#test-support/fakes/index.js';
import {
  apiGatewayEvent,
  lambdaContext,
  silentObservability,
  testAuthorization,
  testTenant,
  UNOPENED_SEALED_TOKENS,
} from '#test-support/fixtures.js';
import { inMemoryPublicApiDependencies } from '#test-support/public-api-harness.js';
import { expectDeauthorizedOn403 } from '#test-support/service-app-expectations.js';

const ORG_ID = 'org-acme';
const SECRET = 'webhook-secret-of-at-least-32-characters';

/** Deliveries taken in, as the table's conditional put keeps them. */
class MemoryDeliveryLedger {
  readonly keys = new Map<string, Date>();
  async claim(key: string, keepUntil: Date): Promise<boolean> {
    if (this.keys.has(key)) return false;
    this.keys.set(key, keepUntil);
    return true;
  }
  async release(key: string): Promise<void> {
    this.keys.delete(key);
  }
}

function setup(options: { tenants?: Tenant[]; withoutWebhook?: boolean } = {}) {
  const base = inMemoryPublicApiDependencies();
  for (const tenant of options.tenants ?? [testTenant({ orgId: ORG_ID })]) {
    base.tenants.tenants.set(tenant.tenantId, tenant);
  }
  const webex = new ScriptedServiceAppTokens();
  const deliveries = new MemoryDeliveryLedger();
  /** The index as it stands: set a tenant's entry by hand to play an index a moment behind. */
  const orgIndex = new Map<string, string[]>();
  const serviceAppWebhook: ServiceAppWebhookPorts = {
    webhookSecret: { get: async () => SECRET },
    deliveries,
    tenantsByOrg: {
      tenantIdsOfOrg: async (orgId) =>
        orgIndex.get(orgId) ??
        [...base.tenants.tenants.values()].filter((t) => t.orgId === orgId).map((t) => t.tenantId),
    },
  };
  const deps = {
    ...base,
    clientSecrets: clientSecretsFrom((key) => `secret-${key}`),
    serviceAppTokens: { webex, vendorToken: { accessToken: async () => 'vendor-access-token' } },
    ...(options.withoutWebhook ? {} : { serviceAppWebhook }),
  };
  const handler = createPublicApiHandler(deps, silentObservability());
  const witness = deps.catalog.findServiceApp('witness');
  if (!witness) throw new Error('the shipped catalog has the witness');
  const notification = (
    event: 'authorized' | 'deauthorized',
    overrides: { orgId?: string; created?: Date; applicationId?: string } = {},
  ) =>
    JSON.stringify({
      id: 'webhook-1',
      name: 'webex-auth-keeper serviceApp',
      targetUrl: 'https://portal.test/webhooks/service-app',
      resource: 'serviceApp',
      event,
      orgId: overrides.orgId ?? ORG_ID,
      createdBy: 'vendor-admin',
      appId: overrides.applicationId ?? witness.applicationId,
      ownedBy: 'creator',
      status: 'active',
      created: '2026-01-01T00:00:00.000Z',
      data: {
        applicationId: overrides.applicationId ?? witness.applicationId,
        orgId: overrides.orgId ?? ORG_ID,
        actorId: 'customer-admin',
        created: (overrides.created ?? deps.clock.now()).toISOString(),
      },
    });
  const deliver = async (body: string, signature: string | null = sign(body)) => {
    const event = apiGatewayEvent({
      method: 'POST',
      path: '/webhooks/service-app',
      body,
      headers: {
        'content-type': 'application/json',
        ...(signature === null ? {} : { 'x-spark-signature': signature }),
      },
    });
    const answer = await handler(event, lambdaContext());
    return { statusCode: answer.statusCode, body: answer.body ?? '' };
  };
  const storeActive = async (tenantId = 'acme') =>
    deps.authorizations.save(
      testAuthorization(tenantId, 'witness', {
        scopes: [...witness.scopes],
        sealedTokens: UNOPENED_SEALED_TOKENS,
        nextCheckAt: '2026-03-01T11:00:00.000Z',
      }),
      undefined,
    );
  return {
    deps,
    webex,
    deliveries,
    serviceAppWebhook,
    orgIndex,
    witness,
    notification,
    deliver,
    storeActive,
  };
}

function sign(body: string, secret = SECRET): string {
  return createHmac('sha1', secret).update(body).digest('hex');
}

describe('the serviceApp webhook: authorized', () => {
  it("fetches the org's pair with the vendor token and stores it as the portal's button does", async () => {
    const { deps, webex, witness, notification, deliver } = setup();
    const answer = await deliver(notification('authorized'));
    expect(answer.statusCode).toBe(200);
    expect(webex.requests).toEqual([
      {
        vendorAccessToken: 'vendor-access-token',
        request: {
          applicationId: witness.applicationId,
          clientId: witness.clientId,
          clientSecret: 'secret-witness',
          targetOrgId: ORG_ID,
        },
      },
    ]);
    const record = await deps.authorizations.get('acme', 'witness');
    expect(record).toMatchObject({ status: 'active' });
    expect(record?.authorizer).toBeUndefined();
    expect(deps.events.published.map(({ event }) => event.type)).toEqual(['granted']);
  });

  it('stores nothing when the token endpoint says the org does not authorize the app (a stale or forged authorized)', async () => {
    const { deps, webex, notification, deliver } = setup();
    webex.answer = new WebexError('forbidden', 'Webex answered 403', { status: 403 });
    expect((await deliver(notification('authorized'))).statusCode).toBe(200);
    expect(await deps.authorizations.get('acme', 'witness')).toBeUndefined();
    expect(deps.events.published).toEqual([]);
  });

  it('leaves an active record alone without asking Webex', async () => {
    const { deps, webex, notification, deliver, storeActive } = setup();
    const stored = await storeActive();
    expect((await deliver(notification('authorized'))).statusCode).toBe(200);
    expect(webex.requests).toEqual([]);
    expect(await deps.authorizations.get('acme', 'witness')).toEqual(stored);
  });
});

describe('the serviceApp webhook: deauthorized', () => {
  it("invalidates the record with service_app_deauthorized (confirmed) on the token endpoint's 403, with the validator's event", async () => {
    const { deps, webex, notification, deliver, storeActive } = setup();
    await storeActive();
    webex.answer = new WebexError('forbidden', 'Webex answered 403', { status: 403, trackingId: 'ROUTER_1' });
    expect((await deliver(notification('deauthorized'))).statusCode).toBe(200);
    const record = await deps.authorizations.get('acme', 'witness');
    expectDeauthorizedOn403(record, { via: 'witness', trackingId: 'ROUTER_1' });
    expect(record?.pendingEvent).toBeUndefined();
    const published = deps.events.published.map(({ event }) => event);
    expect(published).toEqual([
      expect.objectContaining({
        type: 'invalidated',
        severity: 'critical',
        status: 'invalid',
        previousStatus: 'active',
        cause: 'service_app_deauthorized',
        confidence: 'confirmed',
      }),
    ]);
  });

  it('leaves a live record active when the token endpoint still gives the pair (a forged or stale deauthorized)', async () => {
    const { deps, webex, notification, deliver, storeActive } = setup();
    const stored = await storeActive();
    expect((await deliver(notification('deauthorized'))).statusCode).toBe(200);
    expect(webex.requests).toHaveLength(1);
    expect(await deps.authorizations.get('acme', 'witness')).toEqual(stored);
    expect(deps.events.published).toEqual([]);
  });

  it.each([
    ['a 503', new WebexError('transient', 'Webex answered 503', { status: 503 })],
    ['a refused vendor token', new WebexError('unauthorized', 'Webex answered 401', { status: 401 })],
    ['a 404', new WebexError('not_found', 'Webex answered 404', { status: 404 })],
  ])('leaves the record as it was when the token endpoint answers %s', async (_name, answer) => {
    const { deps, webex, notification, deliver, storeActive } = setup();
    const stored = await storeActive();
    webex.answer = answer;
    expect((await deliver(notification('deauthorized'))).statusCode).toBe(200);
    expect(await deps.authorizations.get('acme', 'witness')).toEqual(stored);
    expect(deps.events.published).toEqual([]);
  });
});

describe('the serviceApp webhook: refusals', () => {
  it('refuses a delivery without a signature, or with one the secret did not make, and changes nothing', async () => {
    const { deps, webex, deliveries, notification, deliver, storeActive } = setup();
    const stored = await storeActive();
    webex.answer = new WebexError('forbidden', 'Webex answered 403', { status: 403 });
    const body = notification('deauthorized');
    for (const signature of [null, sign(body, 'another-secret-of-32-characters-or-more'), 'zz', '']) {
      const answer = await deliver(body, signature);
      expect(answer.statusCode).toBe(401);
      expect(answer.body).not.toContain(SECRET);
    }
    expect(webex.requests).toEqual([]);
    expect(deliveries.keys.size).toBe(0);
    expect(await deps.authorizations.get('acme', 'witness')).toEqual(stored);
  });

  it('refuses a body changed after signing', async () => {
    const { webex, notification, deliver } = setup();
    const body = notification('authorized');
    const answer = await deliver(body.replace(ORG_ID, 'org-other'), sign(body));
    expect(answer.statusCode).toBe(401);
    expect(webex.requests).toEqual([]);
  });

  it('answers 400 naming the field for a signed body that is not a serviceApp notification', async () => {
    const { webex, notification, deliver } = setup();
    const notJson = await deliver('{not json');
    expect(notJson.statusCode).toBe(400);
    const wrongResource = notification('authorized').replace(
      '"resource":"serviceApp"',
      '"resource":"messages"',
    );
    const answer = await deliver(wrongResource);
    expect(answer.statusCode).toBe(400);
    expect(JSON.parse(answer.body)).toEqual({ error: 'invalid_notification', field: 'resource' });
    expect(webex.requests).toEqual([]);
  });

  it('acts on a delivery once: a replay is answered 200 and not acted on', async () => {
    const { deps, webex, notification, deliver } = setup();
    const body = notification('authorized');
    expect((await deliver(body)).statusCode).toBe(200);
    expect((await deliver(body)).statusCode).toBe(200);
    expect(webex.requests).toHaveLength(1);
    expect(deps.events.published).toHaveLength(1);
  });

  it('takes in a delivery sent again after acting on it failed: the claim is released', async () => {
    const { deps, webex, deliveries, notification, deliver } = setup();
    const body = notification('authorized');
    const get = deps.authorizations.get.bind(deps.authorizations);
    deps.authorizations.get = async () => {
      deps.authorizations.get = get;
      throw new Error('the table is unavailable');
    };
    expect((await deliver(body)).statusCode).toBeGreaterThanOrEqual(500);
    expect(deliveries.keys.size).toBe(0);
    expect(webex.requests).toEqual([]);

    expect((await deliver(body)).statusCode).toBe(200);
    expect(webex.requests).toHaveLength(1);
    expect(await deps.authorizations.get('acme', 'witness')).toMatchObject({ status: 'active' });
    expect((await deliver(body)).statusCode).toBe(200);
    expect(webex.requests).toHaveLength(1);
  });

  it("throws the failure, not the release's, when the claim cannot be released either: a copy is then a replay", async () => {
    const { deps, deliveries, serviceAppWebhook, notification, deliver } = setup();
    deps.authorizations.get = async () => {
      throw new Error('the table is unavailable');
    };
    deliveries.release = async () => {
      throw new Error('the ledger is unavailable');
    };
    const body = notification('authorized');
    await expect(
      receiveServiceAppNotification(
        { ...deps, ...serviceAppWebhook, log: silentLog },
        { body, signature: sign(body) },
      ),
    ).rejects.toThrow('the table is unavailable');
    expect(deliveries.keys.size).toBe(1);
    expect((await deliver(body)).statusCode).toBe(200);
  });

  it('refuses a delivery older than an hour, or from the future, without acting', async () => {
    const { deps, webex, notification, deliver } = setup();
    const now = deps.clock.now().getTime();
    const old = await deliver(notification('authorized', { created: new Date(now - 61 * 60_000) }));
    const future = await deliver(notification('authorized', { created: new Date(now + 10 * 60_000) }));
    expect([old.statusCode, future.statusCode]).toEqual([200, 200]);
    expect(webex.requests).toEqual([]);
    expect(await deps.authorizations.get('acme', 'witness')).toBeUndefined();
  });

  it('touches nothing for an org no tenant is bound to, or an unknown Service App', async () => {
    const { deps, webex, notification, deliver } = setup();
    expect((await deliver(notification('authorized', { orgId: 'org-nobody' }))).statusCode).toBe(200);
    expect((await deliver(notification('authorized', { applicationId: 'app-unknown' }))).statusCode).toBe(
      200,
    );
    expect(webex.requests).toEqual([]);
    expect(deps.events.published).toEqual([]);
  });

  it('never acts on a tenant the index still lists for an org it is no longer bound to', async () => {
    const other = testTenant({ tenantId: 'beta', name: 'Beta', orgId: 'org-beta' });
    const { deps, webex, orgIndex, notification, deliver, storeActive } = setup({
      tenants: [testTenant({ orgId: ORG_ID }), other],
    });
    const beta = await storeActive('beta');
    webex.answer = new WebexError('forbidden', 'Webex answered 403', { status: 403 });
    orgIndex.set(ORG_ID, ['beta']);
    expect((await deliver(notification('deauthorized'))).statusCode).toBe(200);
    expect(webex.requests).toEqual([]);
    expect(await deps.authorizations.get('beta', 'witness')).toEqual(beta);
  });

  it('is not found on a deployment without a webhook secret', async () => {
    const { webex, notification, deliver } = setup({ withoutWebhook: true });
    expect((await deliver(notification('authorized'))).statusCode).toBe(404);
    expect(webex.requests).toEqual([]);
  });
});

describe('isWebexSignature', () => {
  it('accepts the hex HMAC-SHA1 of the body in either case, and nothing else', () => {
    const signature = sign('{"a":1}');
    expect(isWebexSignature(SECRET, '{"a":1}', signature)).toBe(true);
    expect(isWebexSignature(SECRET, '{"a":1}', signature.toUpperCase())).toBe(true);
    expect(isWebexSignature(SECRET, '{"a":2}', signature)).toBe(false);
    expect(isWebexSignature(SECRET, '{"a":1}', signature.slice(0, 39))).toBe(false);
    expect(isWebexSignature(SECRET, '{"a":1}', `${signature}00`)).toBe(false);
  });
});
