import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { mailSchema } from '#local/adapters/local-mailbox.js';
import { VENDOR_TENANT_ID } from '#local/local-system.js';
import { ManualClock } from '#test-support/fakes/index.js';
import { advanceBoth } from '#test-support/sim-authorization.js';
import {
  linkTokenOf,
  onboardOverHttp,
  request,
  simControl,
  startTestLocalSystem,
  type TestLocalSystem,
} from '#test-support/security-local.js';
import {
  confirmWitness,
  createVendorTenant,
  CUSTOMER_ADMIN,
  demoWitnessControl,
  vendorLink,
} from '#test-support/service-app-local.js';

/*
 * The vendor token of Service Apps on the local run: the vendor's own tenant authorizes the
 * vendor-only integration from its portal (as any tenant authorizes), a customer's "I have
 * authorized it" fetches its Service App tokens with it, and when it dies ops are told at once.
 */

const OPS = 'ops@vendor.example';

describe('the vendor token on the local run', () => {
  let local: TestLocalSystem;
  let vendorAdmin: string;
  const clock = new ManualClock(new Date());

  const mailbox = async () =>
    z.array(mailSchema).parse(await (await fetch(`${local.system.api.url}/_local/mailbox.json`)).json());
  const sweep = async () => {
    const report = await local.system.api.sweep(3600);
    expect(report.errors).toEqual([]);
  };

  beforeAll(async () => {
    local = await startTestLocalSystem({ clock });
    // As the runbook creates it: a tenant like any other, under the deployment's VENDOR_TENANT_ID.
    vendorAdmin = await createVendorTenant(local, { opsEmail: OPS, clock, authorize: false });
  }, 60_000);

  afterAll(async () => {
    await local?.stop();
  });

  it("is authorized from the vendor tenant's portal, and fetches a customer's Service App tokens", async () => {
    const link = await vendorLink(local, clock);
    const portal = await request(`${local.system.publicBaseUrl}/connect/${encodeURIComponent(link)}`);
    expect(portal.body).toContain('data-integration="service-app-token"');
    const onboarded = await onboardOverHttp(local.system, link, 'service-app-token', vendorAdmin);
    expect(onboarded.callback.status).toBe(200);

    const customerLink = linkTokenOf(await local.system.demoPortalUrl());
    const customerPortal = await request(
      `${local.system.publicBaseUrl}/connect/${encodeURIComponent(customerLink)}`,
    );
    expect(customerPortal.body).not.toContain('data-integration="service-app-token"');
    expect(
      (await onboardOverHttp(local.system, customerLink, 'presence', CUSTOMER_ADMIN)).callback.status,
    ).toBe(200);
    await demoWitnessControl(local, 'authorize');
    const confirmed = await confirmWitness(local, customerLink);
    expect(confirmed.status).toBe(200);
    const record = await local.system.repositories.authorizations.get('demo', 'witness');
    expect(record?.status).toBe('active');
    expect(record?.authorizer).toBeUndefined();
  });

  it("serves a Service App's token once its access token ended, refreshed under the app's client ID", async () => {
    const before = await local.system.repositories.authorizations.get('demo', 'witness');
    advanceBoth(clock, local.system.simulator, 15 * 24 * 3600);
    const answer = await request(`${local.system.api.url}/admin/tenants/demo/authorizations/witness/token`);
    expect(answer.status).toBe(200);
    const after = await local.system.repositories.authorizations.get('demo', 'witness');
    expect(after?.version).toBeGreaterThan(before?.version ?? 0);
    expect(Date.parse(after?.accessTokenExpiresAt ?? '')).toBeGreaterThan(clock.now().getTime());
  });

  it('alerts ops at once when it dies, and the portal then says Webex cannot be asked', async () => {
    await simControl(local.system, `people/${vendorAdmin}/password-change`);
    await sweep();
    expect(
      (await local.system.repositories.authorizations.get(VENDOR_TENANT_ID, 'service-app-token'))?.status,
    ).toBe('invalid');
    const opsMails = (await mailbox()).filter((mail) => mail.to === OPS);
    const vendorTokenMail = opsMails.find(
      (mail) => mail.subject === 'Ops incident: the vendor token is dead',
    );
    expect(vendorTokenMail?.text).toContain("fetches every tenant's Service App tokens");
    expect(vendorTokenMail?.text).toContain('Re-authorize: ');

    const answer = await confirmWitness(local);
    expect(answer.status).toBe(503);
    expect(answer.body).toContain('data-reason="service_app_unavailable"');
    // The stored Service App authorization is not the vendor token's: it stays as it was.
    expect((await local.system.repositories.authorizations.get('demo', 'witness'))?.status).toBe('active');
  });
});
