import { suppressesAddress } from '#domain/contact-suppression.js';
import type { ContactSuppression, Tenant } from '#domain/model.js';
import { ConflictError, type Page, type TenantRepository } from '#domain/ports.js';
import type { InMemoryAuthorizationRepository } from './authorization-repository.js';
import type { InMemoryHistory } from './history-repository.js';
import { pageBy } from './paging.js';

/** The records a tenant's DynamoDB partition holds beside the tenant item, which `purge` deletes. */
export interface TenantPartition {
  authorizations: InMemoryAuthorizationRepository;
  history: InMemoryHistory;
}

/**
 * Tenants in memory with the DynamoDB repository's rules: `create` refuses a taken id, `replace`
 * writes only when `updatedAt` is the one read and never changes `orgId` or `createdAt`, `setOrg`
 * checks both the org and `updatedAt`, `removeContactSuppressions` reads and writes with no await
 * in between (so no other call interleaves), `list` pages in id order, and `purge` deletes an
 * offboarded tenant with its partition (when given one, as `inMemoryRepositories` does). A grant's
 * save binds the org through the authorizations (InMemoryAuthorizationRepository `tenants`).
 */
export class InMemoryTenantRepository implements TenantRepository {
  readonly tenants = new Map<string, Tenant>();
  partition: TenantPartition | undefined;

  constructor(...initial: Tenant[]) {
    initial.forEach((tenant) => this.put(tenant));
  }

  /** Stores the tenant as it is, without the repository's checks: a test's starting state. */
  put(tenant: Tenant): void {
    this.tenants.set(tenant.tenantId, structuredClone(tenant));
  }

  async create(tenant: Tenant): Promise<void> {
    if (this.tenants.has(tenant.tenantId))
      throw new ConflictError(`Tenant ${tenant.tenantId} already exists`);
    this.put(tenant);
  }

  async get(tenantId: string): Promise<Tenant | undefined> {
    const tenant = this.tenants.get(tenantId);
    return tenant ? structuredClone(tenant) : undefined;
  }

  async list(options: { limit: number; cursor?: string }): Promise<Page<Tenant>> {
    const page = pageBy([...this.tenants.values()], (tenant) => tenant.tenantId, options);
    return { ...page, items: page.items.map((tenant) => structuredClone(tenant)) };
  }

  async replace(tenant: Tenant, expectedUpdatedAt: string): Promise<void> {
    const stored = this.tenants.get(tenant.tenantId);
    if (stored?.updatedAt !== expectedUpdatedAt)
      throw new ConflictError(`Tenant ${tenant.tenantId} changed meanwhile or is gone`);
    const { orgId: _orgId, createdAt: _createdAt, suppressedContacts: _suppressed, ...mutable } = tenant;
    this.put({
      ...mutable,
      createdAt: stored.createdAt,
      ...(stored.orgId ? { orgId: stored.orgId } : {}),
      ...(stored.suppressedContacts ? { suppressedContacts: stored.suppressedContacts } : {}),
    });
  }

  async suppressContact(tenantId: string, suppression: ContactSuppression): Promise<boolean> {
    const stored = this.tenants.get(tenantId);
    if (!stored) return false;
    this.put({ ...stored, suppressedContacts: [...(stored.suppressedContacts ?? []), suppression] });
    return true;
  }

  async removeContactSuppressions(tenantId: string, email: string): Promise<ContactSuppression[]> {
    const stored = this.tenants.get(tenantId);
    const entries = stored?.suppressedContacts ?? [];
    const removed = entries.filter((entry) => suppressesAddress(entry, email));
    if (!stored || removed.length === 0) return [];
    // As DynamoDB leaves it: the list stays, empty once its last entry goes.
    this.put({ ...stored, suppressedContacts: entries.filter((entry) => !suppressesAddress(entry, email)) });
    return structuredClone(removed);
  }

  async setOrg(
    ...[tenantId, orgId, expected, updatedAt]: Parameters<TenantRepository['setOrg']>
  ): Promise<void> {
    const stored = this.tenants.get(tenantId);
    if (!stored || stored.updatedAt !== expected.updatedAt || stored.orgId !== expected.orgId)
      throw new ConflictError(`Tenant ${tenantId}'s org or tenant changed meanwhile, or it is gone`);
    const { orgId: _previous, ...rest } = stored;
    this.put({ ...rest, updatedAt, ...(orgId === undefined ? {} : { orgId }) });
  }

  async purge(tenantId: string): Promise<number> {
    if (this.tenants.get(tenantId)?.status !== 'offboarded')
      throw new ConflictError(`Tenant ${tenantId} is not offboarded, or is gone`);
    const deleted =
      (this.partition?.authorizations.deleteTenant(tenantId) ?? 0) +
      (this.partition?.history.deleteTenant(tenantId) ?? 0);
    this.tenants.delete(tenantId);
    return deleted + 1;
  }
}
