import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ALERT_POLICY } from '#domain/alert-policy.js';
import type { Authorization } from '#domain/model.js';
import { runCliHere } from '#test-support/cli-process.js';
import { expectDeauthorizedOn403 } from '#test-support/service-app-expectations.js';
import { ManualClock } from '#test-support/fakes/index.js';
import { advanceBoth } from '#test-support/sim-authorization.js';
import {
  linkTokenOf,
  localMailbox,
  onboardOverHttp,
  simControl,
  startTestLocalSystem,
  type TestLocalSystem,
} from '#test-support/security-local.js';
import {
  createVendorTenant,
  CUSTOMER_ADMIN,
  demoWitnessControl,
  vendorLink,
} from '#test-support/service-app-local.js';

/*
 * The serviceApp webhook on the local run, end to end: the local run registers it with the
 * simulator once the vendor token exists, and the simulator's Authorize and Deauthorize (Control
 * Hub) deliver signed notifications to the local public API, which asks the token endpoint before
 * it changes anything.
 */

const OPS = 'ops@vendor.example';
const CONTACT = 'it@demo.example';

describe('the serviceApp webhook on the local run', () => {
  let local: TestLocalSystem;
  let vendorAdmin: string;
  const clock = new ManualClock(new Date());

  const witness = async (): Promise<Authorization | undefined> =>
    local.system.repositories.authorizations.get('demo', 'witness');
  const demoOrg = async (): Promise<string> => {
    const orgId = (await local.system.repositories.tenants.get('demo'))?.orgId;
    if (orgId === undefined) throw new Error('the demo org is not bound');
    return orgId;
  };
  /** A delivery signed with the deployment's own secret, as only Webex (or a replay of it) could sign. */
  const deliverSigned = async (event: 'authorized' | 'deauthorized', orgId: string) => {
    const app = local.system.catalog.witness;
    if (!app) throw new Error('no witness');
    const body = JSON.stringify({
      id: 'webhook-forged',
      name: 'forged',
      resource: 'serviceApp',
      event,
      orgId,
      createdBy: 'someone',
      appId: app.applicationId,
      data: { applicationId: app.applicationId, orgId, created: clock.now().toISOString() },
    });
    const secret = await local.system.secrets.webhookSecretSource.get();
    const response = await fetch(`${local.system.publicBaseUrl}/webhooks/service-app`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'X-Spark-Signature': createHmac('sha1', secret).update(body).digest('hex'),
      },
      body,
    });
    return response.status;
  };

  beforeAll(async () => {
    local = await startTestLocalSystem({ clock });
    vendorAdmin = await createVendorTenant(local, { opsEmail: OPS, clock, authorize: true });
    // The demo tenant's org is bound by its admin's first consent.
    const link = linkTokenOf(await local.system.demoPortalUrl());
    expect((await onboardOverHttp(local.system, link, 'presence', CUSTOMER_ADMIN)).callback.status).toBe(200);
  }, 60_000);

  afterAll(async () => {
    await local?.stop();
  });

  it('is registered with the simulator once the vendor token is authorized: one webhook per event, with a secret', () => {
    const registered = local.system.simulator.world.webhooks.all();
    expect(registered.map((webhook) => [webhook.resource, webhook.event, webhook.targetUrl]).sort()).toEqual([
      ['serviceApp', 'authorized', `${local.system.publicBaseUrl}/webhooks/service-app`],
      ['serviceApp', 'deauthorized', `${local.system.publicBaseUrl}/webhooks/service-app`],
    ]);
    for (const webhook of registered) expect(webhook.secret?.length).toBeGreaterThanOrEqual(32);
  });

  it("stores the org's pair when the simulator's Control Hub authorizes the Service App, with no button pressed", async () => {
    expect(await witness()).toBeUndefined();
    await demoWitnessControl(local, 'authorize');
    const deliveries = local.system.simulator.world.webhooks.listDeliveries();
    expect(deliveries.at(-1)).toMatchObject({ event: 'authorized', status: 200 });
    const record = await witness();
    expect(record).toMatchObject({ status: 'active' });
    expect(record?.authorizer).toBeUndefined();
  });

  it('leaves the record active on a signed deauthorized for an app the org still authorizes', async () => {
    const before = await witness();
    expect(await deliverSigned('deauthorized', await demoOrg())).toBe(200);
    expect(await witness()).toEqual(before);
  });

  it('finds a deauthorization by webhook: invalid with service_app_deauthorized, confirmed by the token endpoint, and mailed', async () => {
    await demoWitnessControl(local, 'deauthorize');
    expectDeauthorizedOn403(await witness());
    advanceBoth(clock, local.system.simulator, DEFAULT_ALERT_POLICY.incidentWindowSeconds + 60);
    expect((await local.system.api.sweep(3600)).errors).toEqual([]);
    const mail = (await localMailbox(local.system)).find(
      (sent) => sent.type === 'invalidated' && sent.integration === 'witness' && sent.to === CONTACT,
    );
    expect(mail?.text).toContain('Control Hub: Apps > Service Apps');
  });

  it('registers again when the vendor tenant authorizes the vendor token again, replacing its webhooks', async () => {
    const before = local.system.simulator.world.webhooks.all().map((webhook) => webhook.id);
    const link = await vendorLink(local, clock);
    const vendorAdmin = (await local.system.repositories.authorizations.get('vendor', 'service-app-token'))
      ?.authorizer?.email;
    expect(vendorAdmin).toBeDefined();
    expect(
      (await onboardOverHttp(local.system, link, 'service-app-token', vendorAdmin ?? '')).callback.status,
    ).toBe(200);
    const after = local.system.simulator.world.webhooks.all();
    expect(after).toHaveLength(2);
    for (const webhook of after) expect(before).not.toContain(webhook.id);
  });

  it("is registered again by the CLI's webhooks register, and refused (exit 1) while the vendor token is dead", async () => {
    const before = local.system.simulator.world.webhooks.all().map((webhook) => webhook.id);
    const run = await runCliHere(['--api', local.system.api.url, 'webhooks', 'register']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      `Registered the serviceApp webhook for authorized and deauthorized at ${local.system.publicBaseUrl}/webhooks/service-app (replaced 2 of before).`,
    );
    const after = local.system.simulator.world.webhooks.all();
    expect(after).toHaveLength(2);
    for (const webhook of after) expect(before).not.toContain(webhook.id);

    await simControl(local.system, `people/${vendorAdmin}/password-change`);
    advanceBoth(clock, local.system.simulator, 60);
    await local.system.api.sweep(3600);
    const refused = await runCliHere(['--api', local.system.api.url, 'webhooks', 'register']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('No vendor token');
    expect(local.system.simulator.world.webhooks.all().map((webhook) => webhook.id)).toEqual(
      after.map((webhook) => webhook.id),
    );
  });
});
