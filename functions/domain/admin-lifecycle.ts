import * as z from 'zod';
import { queryFlag } from './query-flag.js';
import { nextUpdatedAt, requireTenant, type AdminDependencies } from './admin.js';
import { TenantNotOffboardedError } from './admin-errors.js';
import type { Tenant } from './model.js';
import { offboardTenant, type OffboardingDependencies } from './offboarding.js';

/*
 * After offboarding: a tenant comes back (reactivate), or goes for good so its id can be used
 * again (purge).
 */

/** DELETE's query: `purge=true` deletes an offboarded tenant for good instead of offboarding it. */
export const tenantDeleteQuerySchema = z.strictObject({
  purge: queryFlag(),
});

/** What a purge answers. */
export interface PurgeReport {
  tenantId: string;
  purged: true;
  /** Items deleted from the table: the tenant, its authorization records and its history. */
  deletedItems: number;
}

/**
 * Reactivates an offboarded tenant:
 * 1. reads it (404 when unknown, 409 when it is active);
 * 2. marks it active, keeping its Webex org and its link version (every link issued before the
 *    offboarding stays dead: issue a new one). Its contacts are mailed again from then on.
 * Its authorizations stay `revoked` until the customer authorizes again.
 */
export async function reactivateTenant(deps: AdminDependencies, tenantId: string): Promise<Tenant> {
  const current = await requireTenant(deps.tenants, tenantId);
  if (current.status !== 'offboarded') throw new TenantNotOffboardedError(tenantId);
  const reactivated: Tenant = {
    ...current,
    status: 'active',
    updatedAt: nextUpdatedAt(deps.clock, current.updatedAt),
  };
  await deps.tenants.replace(reactivated, current.updatedAt);
  return reactivated;
}

/**
 * Purges an offboarded tenant so its id can be used again:
 * 1. reads it (404 when unknown, 409 when it is active: offboard it first);
 * 2. runs the offboarding again, which finishes one that stopped half-way (every token secret
 *    destroyed, subscriptions removed) and repeats no event;
 * 3. deletes its authorization records and history, then the tenant item.
 * A purge that stopped half-way is finished by purging again.
 */
export async function purgeTenant(
  deps: AdminDependencies & OffboardingDependencies,
  tenantId: string,
): Promise<PurgeReport> {
  const tenant = await requireTenant(deps.tenants, tenantId);
  if (tenant.status !== 'offboarded') throw new TenantNotOffboardedError(tenantId);
  await offboardTenant(deps, tenantId);
  const deletedItems = await deps.tenants.purge(tenantId);
  deps.log.info('Tenant purged', { tenantId, deletedItems });
  return { tenantId, purged: true, deletedItems };
}
