import * as z from 'zod';
import { queryFlag } from './query-flag.js';
import {
  requireActiveTenant,
  nextUpdatedAt,
  updateTenant,
  type AdminDependencies,
  type TenantPatch,
} from './admin.js';
import { LiveAuthorizationsError, TenantVersionMismatchError } from './admin-errors.js';
import { LIVE_STATUSES, type Tenant } from './model.js';
import {
  revokeTenantAuthorizations,
  type OffboardedAuthorization,
  type OffboardingDependencies,
} from './offboarding.js';

/*
 * The tenant's Webex org binding as the admin sets it: in advance (so a link holder of another org
 * cannot bind the tenant by consenting first), changed, or removed.
 */

/** PATCH's query: `revokeAuthorizations=true` lets an org change revoke the tenant's authorizations first. */
export const tenantPatchQuerySchema = z.strictObject({
  revokeAuthorizations: queryFlag(),
});

export type TenantPatchQuery = z.infer<typeof tenantPatchQuerySchema>;

/** What changing the org takes: the admin ports, and offboarding's to revoke authorizations. */
export type OrgChangeDependencies = AdminDependencies & OffboardingDependencies;

/** The tenant as patched, and the authorizations an org change revoked (none unless asked). */
export interface PatchedTenant {
  tenant: Tenant;
  revokedAuthorizations: OffboardedAuthorization[];
}

/**
 * Changes a tenant (PATCH):
 * 1. reads it (404 when unknown, 409 when offboarded);
 * 2. when `orgId` changes (another org, or `null` to unbind) and any authorization is live
 *    (active, expiring or degraded): refuses with LiveAuthorizationsError, unless
 *    `revokeAuthorizations`, which first revokes every authorization of the tenant as offboarding
 *    does (tokens revoked at Webex where allowed and destroyed, `revoked` status, history, events);
 * 3. writes the new org, on condition that neither the org nor the tenant changed meanwhile (a
 *    consent binding it in between makes this a 409 to retry);
 * 4. writes name, contacts and SSO flag when given (updateTenant).
 * With `expectedUpdatedAt` (the caller's `If-Match`), a tenant of another version is refused first.
 * `revokeAuthorizations` without an org change is refused: it would silently do nothing.
 */
export async function patchTenant(
  deps: OrgChangeDependencies,
  tenantId: string,
  patch: TenantPatch,
  query: TenantPatchQuery,
  /** The `updatedAt` the caller read (`If-Match`): any other version is refused, unchanged. */
  expectedUpdatedAt?: string,
): Promise<PatchedTenant> {
  const { orgId, ...fields } = patch;
  const current = await requireActiveTenant(deps.tenants, tenantId);
  if (expectedUpdatedAt !== undefined && current.updatedAt !== expectedUpdatedAt) {
    throw new TenantVersionMismatchError(tenantId);
  }
  const wanted = orgId === null ? undefined : orgId;
  const orgChanges = orgId !== undefined && wanted !== current.orgId;
  if (query.revokeAuthorizations && orgId === undefined) {
    throw new RevokeWithoutOrgChangeError();
  }
  let revokedAuthorizations: OffboardedAuthorization[] = [];
  let tenant = current;
  if (orgChanges) {
    const records = await deps.authorizations.listForTenant(tenantId);
    const live = records.filter((record) => LIVE_STATUSES.includes(record.status));
    if (live.length > 0 && !query.revokeAuthorizations) {
      throw new LiveAuthorizationsError(
        tenantId,
        live.map((record) => record.integration),
      );
    }
    if (query.revokeAuthorizations) {
      revokedAuthorizations = await revokeTenantAuthorizations(deps, current, 'org_unbound');
    }
    const updatedAt = nextUpdatedAt(deps.clock, current.updatedAt);
    await deps.tenants.setOrg(
      tenantId,
      wanted,
      { orgId: current.orgId, updatedAt: current.updatedAt },
      updatedAt,
    );
    const { orgId: _previous, ...unbound } = current;
    tenant = { ...unbound, ...(wanted === undefined ? {} : { orgId: wanted }), updatedAt };
    deps.log.info('Tenant org changed', {
      tenantId,
      from: current.orgId ?? null,
      to: wanted ?? null,
      revokedAuthorizations: revokedAuthorizations.length,
    });
  }
  if (Object.values(fields).some((value) => value !== undefined)) {
    // With If-Match, the fields go on the version just checked (or just written by the org change).
    tenant = await updateTenant(
      deps,
      tenantId,
      fields,
      expectedUpdatedAt === undefined ? undefined : tenant.updatedAt,
    );
  }
  return { tenant, revokedAuthorizations };
}

/** `?revokeAuthorizations=true` was sent with no `orgId` in the body. */
export class RevokeWithoutOrgChangeError extends Error {
  override readonly name = 'RevokeWithoutOrgChangeError';
  constructor() {
    super('revokeAuthorizations=true only goes with an orgId change');
  }
}
