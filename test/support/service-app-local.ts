import { expect } from 'vitest';
import { issueOnboardingLink } from '#domain/onboarding-link.js';
import type { Clock } from '#domain/ports.js';
import { VENDOR_TENANT_ID } from '#local/local-system.js';
import {
  addOrgWithAdmin,
  linkTokenOf,
  onboardOverHttp,
  portalPress,
  request,
  simControl,
  type Exchanged,
  type TestLocalSystem,
} from './security-local.js';

/*
 * Service Apps on the local run, as the runbook sets them up (docs/service-apps.md): the vendor's
 * own tenant authorizes the vendor token from its portal, and a customer's Full Admin authorizes
 * the witness Service App in the simulator's Control Hub, then presses "I have authorized it".
 */

/** The customer's Full Admin in the demo org. */
export const CUSTOMER_ADMIN = 'admin@demo.example';

/** A signed onboarding link of the vendor tenant. */
export async function vendorLink(local: TestLocalSystem, clock: Clock): Promise<string> {
  const tenant = await local.system.repositories.tenants.get(VENDOR_TENANT_ID);
  if (!tenant) throw new Error('the vendor tenant was not created');
  return issueOnboardingLink({
    tenant,
    key: await local.system.secrets.linkSigningKeySource.get(),
    clock,
    publicBaseUrl: local.system.publicBaseUrl,
  }).token;
}

/**
 * Creates the vendor's own org (one Full Admin) and tenant, as the runbook does; `authorize`
 * also authorizes the vendor token from that tenant's portal. Returns the vendor org's admin.
 */
export async function createVendorTenant(
  local: TestLocalSystem,
  input: { opsEmail: string; clock: Clock; authorize: boolean },
): Promise<string> {
  const vendorAdmin = (await addOrgWithAdmin(local.system, 'Vendor Org')).email;
  const created = await request(`${local.system.api.url}/admin/tenants`, {
    method: 'POST',
    body: { tenantId: VENDOR_TENANT_ID, name: 'Vendor (own Webex org)', contacts: [input.opsEmail] },
  });
  expect(created.status).toBe(201);
  if (input.authorize) {
    const link = await vendorLink(local, input.clock);
    const onboarded = await onboardOverHttp(local.system, link, 'service-app-token', vendorAdmin);
    expect(onboarded.callback.status).toBe(200);
  }
  return vendorAdmin;
}

/** The portal's "I have authorized it" for the witness, pressed with the demo tenant's link. */
export async function confirmWitness(local: TestLocalSystem, link?: string): Promise<Exchanged> {
  const token = link ?? linkTokenOf(await local.system.demoPortalUrl());
  return request(
    `${local.system.publicBaseUrl}/service-apps/confirm?link=${encodeURIComponent(token)}&serviceApp=witness`,
    { method: 'POST', headers: portalPress(local.system) },
  );
}

/** The simulator's control path of the witness in the demo tenant's org, e.g. `.../authorize`. */
export async function demoWitnessControl(
  local: TestLocalSystem,
  action: 'authorize' | 'deauthorize',
): Promise<unknown> {
  const witness = local.system.catalog.witness;
  const tenant = await local.system.repositories.tenants.get('demo');
  if (!witness || tenant?.orgId === undefined) throw new Error('no witness, or the demo org is not bound');
  return simControl(
    local.system,
    `orgs/${encodeURIComponent(tenant.orgId)}/service-apps/${encodeURIComponent(witness.applicationId)}/${action}`,
  );
}

/**
 * The demo tenant's org bound by an integration's authorization, then the witness authorized in
 * Control Hub and confirmed on the portal: an active Service App record without authorizer.
 */
export async function onboardDemoWitness(local: TestLocalSystem): Promise<void> {
  const link = linkTokenOf(await local.system.demoPortalUrl());
  expect((await onboardOverHttp(local.system, link, 'presence', CUSTOMER_ADMIN)).callback.status).toBe(200);
  await demoWitnessControl(local, 'authorize');
  expect((await confirmWitness(local, link)).status).toBe(200);
  const record = await local.system.repositories.authorizations.get('demo', 'witness');
  expect(record?.status).toBe('active');
  expect(record?.authorizer).toBeUndefined();
}
