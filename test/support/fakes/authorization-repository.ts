import { dueShardOf } from '#adapters/dynamodb/keys.js';
import { authorizationSchema, dueAt, type Authorization, type AuthorizationEvent } from '#domain/model.js';
import {
  ConflictError,
  TenantOrgChangedError,
  type AuthorizationRepository,
  type CheckLease,
  type Page,
  type TenantOrgCondition,
} from '#domain/ports.js';
import { InMemoryHistory } from './history-repository.js';
import { pageBy } from './paging.js';
import type { InMemoryTenantRepository } from './tenant-repository.js';

const keyOf = (tenantId: string, integration: string) => `${tenantId}/${integration}`;

/**
 * What the repository's conditional lease write does to `stored`: taken when free (or expired, or
 * `owner`'s) and, with `dueOnly`, due at `now` or with an event to publish; otherwise refused with
 * the record as it stands. The DynamoDB adapter's condition expression, in memory.
 */
function leaseOf(
  stored: Authorization | undefined,
  lease: { owner: string; until: Date; now: Date; dueOnly: boolean },
): CheckLease {
  if (!stored) return { refused: undefined };
  const now = lease.now.getTime();
  const held =
    stored.leaseUntil !== undefined &&
    Date.parse(stored.leaseUntil) >= now &&
    stored.leaseOwner !== lease.owner;
  const due = dueAt(stored);
  const notDue = lease.dueOnly && !stored.pendingEvent && (due === undefined || Date.parse(due) > now);
  if (held || notDue) return { refused: stored };
  return { leased: { ...stored, leaseOwner: lease.owner, leaseUntil: lease.until.toISOString() } };
}

/** The record as the DynamoDB repository reads it back: `nextCheckAt` is the `due` index's key. */
function asStored(authorization: Authorization): Authorization {
  const { nextCheckAt: _nextCheckAt, ...rest } = authorization;
  const due = dueAt(authorization);
  return authorizationSchema.parse(due === undefined ? rest : { ...rest, nextCheckAt: due });
}

/**
 * Authorizations in memory with the DynamoDB repository's rules (the repository contract suite
 * runs against both): version check on save with the history event in the same write, a lease that
 * does not bump the version, and a due list per shard ordered by due time, paged.
 *
 * For ordering assertions it logs `save <tenant>/<integration> <status>[ +<event type>]`,
 * `lease <key>` and `release <key>` to `calls` (share the array with a MemoryTokenVault to see
 * `store` among them); `failNextSaves` makes saves throw ConflictError as if another writer won.
 */
export class InMemoryAuthorizationRepository implements AuthorizationRepository {
  readonly records = new Map<string, Authorization>();
  readonly calls: string[];
  /** Where saves write their events: the tenant history a test reads, or a private one. */
  readonly history: InMemoryHistory;
  /** The tenants a grant's save checks or binds the org of (`inMemoryRepositories` links them). */
  tenants: InMemoryTenantRepository | undefined;
  private conflictsToThrow = 0;

  constructor(options: { calls?: string[]; history?: InMemoryHistory } = {}) {
    this.calls = options.calls ?? [];
    this.history = options.history ?? new InMemoryHistory();
  }

  /** Stores records as they are, without a version check: a test's starting state. */
  put(...records: Authorization[]): this {
    for (const record of records)
      this.records.set(keyOf(record.tenantId, record.integration), asStored(record));
    return this;
  }

  /** The next `count` saves throw ConflictError and write nothing. */
  failNextSaves(count: number): void {
    this.conflictsToThrow = count;
  }

  /** Deletes the tenant's records (its purge); answers how many. */
  deleteTenant(tenantId: string): number {
    const keys = [...this.records.values()]
      .filter((record) => record.tenantId === tenantId)
      .map((record) => keyOf(record.tenantId, record.integration));
    keys.forEach((key) => this.records.delete(key));
    return keys.length;
  }

  async get(tenantId: string, integration: string): Promise<Authorization | undefined> {
    const record = this.records.get(keyOf(tenantId, integration));
    return record ? structuredClone(record) : undefined;
  }

  async listForTenant(tenantId: string): Promise<Authorization[]> {
    return [...this.records.values()]
      .filter((record) => record.tenantId === tenantId)
      .map((record) => structuredClone(record));
  }

  async save(
    authorization: Authorization,
    expectedVersion: number | undefined,
    event?: AuthorizationEvent,
    tenantOrg?: TenantOrgCondition,
  ): Promise<Authorization> {
    const key = keyOf(authorization.tenantId, authorization.integration);
    if (tenantOrg) this.checkTenantOrg(tenantOrg);
    if (this.conflictsToThrow > 0) {
      this.conflictsToThrow -= 1;
      throw new ConflictError(`Authorization ${key} changed meanwhile`);
    }
    if (this.records.get(key)?.version !== expectedVersion)
      throw new ConflictError(
        `Authorization ${key} changed meanwhile (expected version ${expectedVersion ?? 'none'})`,
      );
    const saved = asStored({ ...authorization, version: (expectedVersion ?? 0) + 1 });
    this.calls.push(`save ${key} ${saved.status}${event ? ` +${event.type}` : ''}`);
    this.records.set(key, saved);
    if (tenantOrg?.binding) {
      // Bound before the first await, as the transaction binds it: a simultaneous save then sees it.
      const tenant = this.tenants?.tenants.get(tenantOrg.tenantId);
      if (tenant) this.tenants?.put({ ...tenant, orgId: tenantOrg.orgId });
      await this.history.append(tenantOrg.binding);
    }
    if (event) await this.history.append(event);
    return structuredClone(saved);
  }

  /** The DynamoDB repository's condition on the tenant item of a grant's transaction. */
  private checkTenantOrg(tenantOrg: TenantOrgCondition): void {
    if (!this.tenants)
      throw new Error('A save with a tenant org needs the tenants: link them (inMemoryRepositories)');
    const tenant = this.tenants.tenants.get(tenantOrg.tenantId);
    const asRequired = tenantOrg.binding
      ? tenant !== undefined && tenant.orgId === undefined
      : tenant?.orgId === tenantOrg.orgId;
    if (!asRequired)
      throw new TenantOrgChangedError(`Tenant ${tenantOrg.tenantId} is not as the grant requires`);
  }

  async acquireLease(
    ...[tenantId, integration, owner, until, now]: Parameters<AuthorizationRepository['acquireLease']>
  ): Promise<Authorization | undefined> {
    const lease = await this.leaseForCheck(tenantId, integration, owner, until, now, { dueOnly: false });
    return 'leased' in lease ? lease.leased : undefined;
  }

  async leaseForCheck(
    ...[tenantId, integration, owner, until, now, options]: Parameters<
      AuthorizationRepository['leaseForCheck']
    >
  ): Promise<CheckLease> {
    const key = keyOf(tenantId, integration);
    const lease = leaseOf(this.records.get(key), { owner, until, now, dueOnly: options.dueOnly });
    if ('leased' in lease) {
      this.calls.push(`lease ${key}`);
      this.records.set(key, lease.leased);
    }
    return structuredClone(lease);
  }

  async releaseLease(tenantId: string, integration: string, owner: string): Promise<void> {
    const key = keyOf(tenantId, integration);
    const stored = this.records.get(key);
    if (stored?.leaseOwner !== owner) return;
    this.calls.push(`release ${key}`);
    const { leaseOwner: _owner, leaseUntil: _until, ...released } = stored;
    this.records.set(key, released);
  }

  /** The shard is the DynamoDB repository's (`dueShardOf`), so both split the records alike. */
  async listDue(
    shard: number,
    now: Date,
    options: { limit: number; cursor?: string },
  ): Promise<Page<{ tenantId: string; integration: string }>> {
    const due = [...this.records.values()].filter((record) => {
      const at = dueAt(record);
      return (
        at !== undefined &&
        Date.parse(at) <= now.getTime() &&
        dueShardOf(record.tenantId, record.integration) === `DUE#${shard}`
      );
    });
    const page = pageBy(
      due,
      (record) => `${dueAt(record) ?? ''}#${keyOf(record.tenantId, record.integration)}`,
      options,
    );
    return {
      ...page,
      items: page.items.map((record) => ({ tenantId: record.tenantId, integration: record.integration })),
    };
  }
}
