import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ALERT_POLICY } from '#domain/alert-policy.js';
import type { Authorization } from '#domain/model.js';
import { VENDOR_TENANT_ID } from '#local/local-system.js';
import { ManualClock } from '#test-support/fakes/index.js';
import { advanceBoth } from '#test-support/sim-authorization.js';
import {
  localMailbox,
  simControl,
  simSecrets,
  startTestLocalSystem,
  type TestLocalSystem,
} from '#test-support/security-local.js';
import {
  confirmWitness,
  createVendorTenant,
  CUSTOMER_ADMIN,
  demoWitnessControl,
  onboardDemoWitness,
} from '#test-support/service-app-local.js';

/*
 * The validator keeps a Service App authorization alive on the local run (the simulator's Service
 * Apps, the composition root's validator, the notifier and its mailbox): no person's life cycle
 * touches it, a refused refresh recovers through the token endpoint with the vendor token, a
 * deauthorization in Control Hub is found by the next check without the webhook, and a dead vendor token never
 * invalidates a customer's Service App.
 */

const OPS = 'ops@vendor.example';
/** The demo tenant's contact. */
const CONTACT = 'it@demo.example';

describe('a Service App authorization kept alive by the validator', () => {
  let local: TestLocalSystem;
  let vendorAdmin: string;
  const clock = new ManualClock(new Date());

  const sweep = async () => {
    const report = await local.system.api.sweep(3600);
    expect(report.errors).toEqual([]);
  };
  const witness = async (): Promise<Authorization> => {
    const record = await local.system.repositories.authorizations.get('demo', 'witness');
    if (!record) throw new Error('no witness record');
    return record;
  };
  /** A sweep that checks the witness: its check time moves. */
  const sweepChecking = async () => {
    const before = (await witness()).validatedAt;
    advanceBoth(clock, local.system.simulator, 60);
    await sweep();
    expect((await witness()).validatedAt).not.toBe(before);
  };

  beforeAll(async () => {
    local = await startTestLocalSystem({ clock });
    vendorAdmin = await createVendorTenant(local, { opsEmail: OPS, clock, authorize: true });
    // Without the serviceApp webhook the local run registered: these are what the checks find by
    // themselves (service-app-webhook.test.ts has what the webhook finds).
    local.system.simulator.world.webhooks.clear();
    await onboardDemoWitness(local);
  }, 60_000);

  afterAll(async () => {
    await local?.stop();
  });

  it("stays active through the org admin's password change, deactivation and Full Admin removal", async () => {
    for (const change of ['password-change', 'remove-full-admin', 'deactivate']) {
      await simControl(local.system, `people/${CUSTOMER_ADMIN}/${change}`);
      await sweepChecking();
      expect(await witness()).toMatchObject({ status: 'active', consecutiveFailures: 0 });
    }
    // The admin's own authorization died with the password change: the events did happen.
    expect((await local.system.repositories.authorizations.get('demo', 'presence'))?.status).toBe('invalid');
    expect((await witness()).authorizer).toBeUndefined();
  });

  it('recovers through the token endpoint when its refresh token expired, with no customer action', async () => {
    const world = local.system.simulator.world;
    const defaults = world.currentSettings();
    world.updateSettings({
      accessTokenLifetimeSeconds: 600,
      refreshTokenLifetimeSeconds: 1200,
      extendRefreshTokens: false,
    });
    expect((await confirmWitness(local)).status).toBe(200);
    world.updateSettings(defaults);
    advanceBoth(clock, local.system.simulator, 1800);

    await sweepChecking();

    const record = await witness();
    expect(record).toMatchObject({ status: 'active', consecutiveFailures: 0 });
    expect(record.refreshedAt).toBe(clock.now().toISOString());
    expect(Date.parse(record.refreshTokenExpiresAt ?? '')).toBeGreaterThan(
      clock.now().getTime() + 86_400_000,
    );
    expect(record.cause).toBeUndefined();
  });

  it('finds a deauthorization at the next check as service_app_deauthorized, and mails the customer how to authorize it again', async () => {
    await demoWitnessControl(local, 'deauthorize');
    await sweepChecking();

    expect(await witness()).toMatchObject({
      status: 'invalid',
      cause: 'service_app_deauthorized',
      confidence: 'confirmed',
    });
    advanceBoth(clock, local.system.simulator, DEFAULT_ALERT_POLICY.incidentWindowSeconds + 60);
    await sweep();
    const mail = (await localMailbox(local.system)).find(
      (sent) => sent.type === 'invalidated' && sent.integration === 'witness' && sent.to === CONTACT,
    );
    expect(mail?.subject).toContain('Vendor witness');
    expect(mail?.text).toContain('Control Hub: Apps > Service Apps');
    expect(mail?.text).toContain("Webex's Service App token endpoint refused to issue new ones (403)");
    expect(mail?.text).toContain('press "I have authorized it"');
    const published = JSON.stringify(await localMailbox(local.system));
    for (const secret of (await simSecrets(local.system)).all) expect(published).not.toContain(secret);
  });

  it("leaves the record's status alone when the vendor token is dead, and ops get the vendor token's alert", async () => {
    await demoWitnessControl(local, 'authorize');
    expect((await confirmWitness(local)).status).toBe(200);
    expect((await witness()).status).toBe('active');
    await simControl(local.system, `people/${vendorAdmin}/password-change`);
    // Deauthorized too: only the token endpoint could tell, and nothing can ask it now.
    await demoWitnessControl(local, 'deauthorize');

    await sweepChecking();

    expect(
      (await local.system.repositories.authorizations.get(VENDOR_TENANT_ID, 'service-app-token'))?.status,
    ).toBe('invalid');
    const record = await witness();
    expect(record).toMatchObject({ status: 'active', consecutiveFailures: 1 });
    expect(record.cause).toBeUndefined();
    const opsMails = (await localMailbox(local.system)).filter((mail) => mail.to === OPS);
    expect(opsMails.map((mail) => mail.subject)).toContain('Ops incident: the vendor token is dead');
  });
});
