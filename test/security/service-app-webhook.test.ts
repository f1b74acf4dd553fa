import { createHmac } from 'node:crypto';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentClientFor } from '#adapters/dynamodb/index.js';
import { ManualClock } from '#test-support/fakes/index.js';
import { hostileText } from '#test-support/security-arbitraries.js';
import {
  addOrgWithAdmin,
  linkTokenOf,
  onboardOverHttp,
  request,
  simControl,
  startTestLocalSystem,
  type TestLocalSystem,
} from '#test-support/security-local.js';
import { createVendorTenant, CUSTOMER_ADMIN, demoWitnessControl } from '#test-support/service-app-local.js';

/*
 * Hostile deliveries to the serviceApp webhook on the local run (DynamoDB Local, the simulator as
 * Webex): unsigned, wrongly signed, malformed, replayed, or naming another tenant's org or an org
 * nobody has. None answers a 5xx, and none changes a tenant, an authorization or the history: the
 * only item a signed delivery may add is its own replay key.
 */

const OPS = 'ops@vendor.example';

describe('hostile serviceApp webhook deliveries change nothing', () => {
  let local: TestLocalSystem;
  let secret: string;
  let betaOrg: string;
  const clock = new ManualClock(new Date());

  const post = async (body: string, headers: Record<string, string>) => {
    const response = await fetch(`${local.system.publicBaseUrl}/webhooks/service-app`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...headers },
      body,
    });
    return { status: response.status, body: await response.text() };
  };
  const sign = (body: string) => createHmac('sha1', secret).update(body).digest('hex');
  const postSigned = (body: string) => post(body, { 'X-Spark-Signature': sign(body) });
  const notification = (event: string, orgId: string, applicationId?: string) => {
    const appId = applicationId ?? local.system.catalog.witness?.applicationId ?? '';
    return JSON.stringify({
      id: 'webhook-1',
      name: 'serviceApp',
      resource: 'serviceApp',
      event,
      orgId,
      createdBy: 'vendor-admin',
      appId,
      data: { applicationId: appId, orgId, created: clock.now().toISOString() },
    });
  };
  /** Every item but the webhook's replay keys, in key order; and the events published so far. */
  const snapshot = async () => {
    const documents = documentClientFor(local.system.dynamoDb.client);
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await documents.send(
        new ScanCommand({
          TableName: local.system.tableName,
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    const key = (item: Record<string, unknown>) => `${String(item.pk)}|${String(item.sk)}`;
    return {
      items: items
        .filter((item) => !String(item.pk).startsWith('WEBHOOK#'))
        .sort((a, b) => key(a).localeCompare(key(b))),
      replayKeys: items.filter((item) => String(item.pk).startsWith('WEBHOOK#')).length,
      events: (await local.system.events.events()).length,
    };
  };
  const witnessOf = (tenantId: string) => local.system.repositories.authorizations.get(tenantId, 'witness');

  beforeAll(async () => {
    local = await startTestLocalSystem({ clock });
    await createVendorTenant(local, { opsEmail: OPS, clock, authorize: true });
    secret = await local.system.secrets.webhookSecretSource.get();
    const link = linkTokenOf(await local.system.demoPortalUrl());
    expect((await onboardOverHttp(local.system, link, 'presence', CUSTOMER_ADMIN)).callback.status).toBe(200);
    await demoWitnessControl(local, 'authorize');
    // A second customer with its own org, whose witness is authorized and stored too.
    const beta = await addOrgWithAdmin(local.system, 'Beta Org');
    betaOrg = beta.orgId;
    const created = await request(`${local.system.api.url}/admin/tenants`, {
      method: 'POST',
      body: { tenantId: 'beta', name: 'Beta', contacts: ['it@beta.example'], orgId: betaOrg },
    });
    expect(created.status).toBe(201);
    const witness = local.system.catalog.witness;
    await simControl(
      local.system,
      `orgs/${encodeURIComponent(betaOrg)}/service-apps/${encodeURIComponent(witness?.applicationId ?? '')}/authorize`,
      { actor: beta.email },
    );
    expect((await witnessOf('demo'))?.status).toBe('active');
    expect((await witnessOf('beta'))?.status).toBe('active');
  }, 60_000);

  afterAll(async () => {
    await local?.stop();
  });

  it('refuses any delivery without the signature of the webhook secret (401), writing nothing at all', async () => {
    const signature = fc.oneof(
      fc.constant(undefined),
      fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 40, maxLength: 40 }),
      // What an HTTP client can put in a header at all.
      hostileText.filter((text) => /^[\x20-\x7e]*$/.test(text)),
    );
    const body = fc.oneof(
      hostileText,
      fc.constantFrom('deauthorized', 'authorized').map((event) => notification(event, 'placeholder')),
    );
    await fc.assert(
      fc.asyncProperty(body, signature, async (text, forged) => {
        const payload = text.replace('placeholder', betaOrg);
        const before = await snapshot();
        const answer = await post(payload, forged === undefined ? {} : { 'X-Spark-Signature': forged });
        // 431: a header too large for the HTTP server (API Gateway has its own limit) never reaches the handler.
        expect([401, 413, 431], `signature ${JSON.stringify(forged)}`).toContain(answer.status);
        expect(answer.body).not.toContain(secret);
        expect(await snapshot(), `signature ${JSON.stringify(forged)}`).toEqual(before);
      }),
      { numRuns: 40 },
    );
    expect((await witnessOf('beta'))?.status).toBe('active');
  });

  it('answers a signed delivery that is not a serviceApp notification with 400 (413 when oversized) or 200, never touching a record', async () => {
    const malformed = fc.oneof(
      hostileText,
      fc.dictionary(fc.constantFrom('id', 'resource', 'event', 'orgId', 'data', 'appId'), hostileText),
      fc
        .constantFrom('messages', 'rooms')
        .map((resource) =>
          notification('deauthorized', betaOrg).replace(
            '"resource":"serviceApp"',
            `"resource":"${resource}"`,
          ),
        ),
      fc.constantFrom('created', 'deleted').map((event) => notification(event, betaOrg)),
    );
    await fc.assert(
      fc.asyncProperty(malformed, async (body) => {
        const text = typeof body === 'string' ? body : JSON.stringify(body);
        const before = await snapshot();
        const answer = await postSigned(text);
        expect([200, 400, 413]).toContain(answer.status);
        const after = await snapshot();
        expect(after.items).toEqual(before.items);
        expect(after.events).toBe(before.events);
      }),
      { numRuns: 40 },
    );
  });

  it("leaves another tenant's live authorization and unknown orgs alone, whatever org a signed deauthorized names", async () => {
    const before = await snapshot();
    for (const orgId of [betaOrg, 'org-nobody', 'Y2lzY29zcGFyazovL3VzL09SR0FOSVpBVElPTi9ub2JvZHk']) {
      expect((await postSigned(notification('deauthorized', orgId))).status).toBe(200);
    }
    expect((await postSigned(notification('authorized', 'org-nobody'))).status).toBe(200);
    expect((await postSigned(notification('deauthorized', betaOrg, 'app-of-someone-else'))).status).toBe(200);
    const after = await snapshot();
    expect(after.items).toEqual(before.items);
    expect(after.events).toBe(before.events);
  });

  it('acts on a delivery once: a replay is answered 200 and not acted on again', async () => {
    const demoOrg = (await local.system.repositories.tenants.get('demo'))?.orgId ?? '';
    // Control Hub changes below are not delivered by the simulator: the test delivers them itself.
    local.system.simulator.world.webhooks.clear();
    await demoWitnessControl(local, 'deauthorize');
    const deauthorized = notification('deauthorized', demoOrg);
    expect((await postSigned(deauthorized)).status).toBe(200);
    expect((await witnessOf('demo'))?.status).toBe('invalid');

    await demoWitnessControl(local, 'authorize');
    const authorized = notification('authorized', demoOrg);
    expect((await postSigned(authorized)).status).toBe(200);
    expect((await witnessOf('demo'))?.status).toBe('active');

    // Deauthorized again; the first `deauthorized` replayed would find the token endpoint's 403
    // now, the `authorized` one its pair after a new authorization: neither is acted on.
    await demoWitnessControl(local, 'deauthorize');
    const active = await witnessOf('demo');
    expect((await postSigned(deauthorized)).status).toBe(200);
    expect(await witnessOf('demo')).toEqual(active);
  });
});
