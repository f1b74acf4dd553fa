import {
  AUTHORIZATION_STATUSES,
  INVALIDATION_CAUSES,
  type Authorization,
  type AuthorizationStatus,
  type InvalidationCause,
} from './model.js';
import type { Page } from './ports.js';

/*
 * The status board's view of the fleet: exact totals and rows found by status, cause, integration
 * and tenant, whatever the fleet's size. Each authorization sits in one *bucket*, its status and
 * cause (`invalid#user_deactivated`, `active`); the store keeps a count per bucket, changed in
 * the same write as the record, and finds rows by bucket, so neither needs a read of the fleet.
 */

/** Statuses in the order the board lists them: the ones someone must act on first. */
export const PROBLEMS_FIRST: readonly AuthorizationStatus[] = [
  'check_failing',
  'invalid',
  'degraded',
  'expiring',
  'pending',
  'active',
  'revoked',
];

/** The bucket an authorization is counted and indexed in: its status, and its cause when it has one. */
export function boardBucketOf(authorization: Pick<Authorization, 'status' | 'cause'>): string {
  return authorization.cause ? `${authorization.status}#${authorization.cause}` : authorization.status;
}

/** Every bucket there can be, problems first, each status without a cause before its causes. */
export const ALL_BUCKETS: readonly string[] = PROBLEMS_FIRST.flatMap((status) => [
  status,
  ...INVALIDATION_CAUSES.map((cause) => `${status}#${cause}`),
]);

/** The buckets a filter reaches, in board order. */
export function bucketsFor(filter: { status?: AuthorizationStatus; cause?: InvalidationCause }): string[] {
  return ALL_BUCKETS.filter((bucket) => {
    const [status, cause] = bucket.split('#');
    if (filter.status !== undefined && status !== filter.status) return false;
    if (filter.cause !== undefined && cause !== filter.cause) return false;
    return true;
  });
}

/** Fleet totals: exact, from the per-bucket counts. */
export interface FleetTotals {
  byStatus: Partial<Record<AuthorizationStatus, number>>;
  /** Authorizations by cause (the invalid ones, and any other status that keeps a cause). */
  byCause: Partial<Record<InvalidationCause, number>>;
  authorizations: number;
  tenants: number;
}

const isStatus = (value: string | undefined): value is AuthorizationStatus =>
  (AUTHORIZATION_STATUSES as readonly (string | undefined)[]).includes(value);
const isCause = (value: string | undefined): value is InvalidationCause =>
  (INVALIDATION_CAUSES as readonly (string | undefined)[]).includes(value);

/** Totals from the count of each bucket (buckets the catalog of statuses does not know are skipped). */
export function totalsOf(bucketCounts: ReadonlyMap<string, number>, tenants: number): FleetTotals {
  const totals: FleetTotals = { byStatus: {}, byCause: {}, authorizations: 0, tenants };
  for (const [bucket, count] of bucketCounts) {
    const [status, cause] = bucket.split('#');
    if (count === 0 || !isStatus(status)) continue;
    totals.byStatus[status] = (totals.byStatus[status] ?? 0) + count;
    if (isCause(cause)) totals.byCause[cause] = (totals.byCause[cause] ?? 0) + count;
    totals.authorizations += count;
  }
  return totals;
}

/** Which rows to list: buckets in board order, narrowed by integration and tenant id prefix. */
export interface FleetRowQuery {
  buckets: readonly string[];
  integration?: string;
  tenantPrefix?: string;
  limit: number;
  /** The `cursor` of the previous page, as the store issued it. */
  cursor?: string;
}

/** What a backfill page did: items read, and items it counted that had not been counted yet. */
export interface RecountPage {
  scanned: number;
  counted: number;
  /** Where the next page starts; absent once the whole table was read. */
  cursor?: string;
}

/**
 * Where the board reads the fleet. The DynamoDB adapter keeps a count per bucket in sharded
 * counter items, written in the transaction of each record that changes bucket, and finds rows
 * through the `board` index (bucket, then tenant and integration).
 */
export interface FleetBoardStore {
  totals(): Promise<FleetTotals>;
  /** Keys of the authorizations in the query's buckets, bucket by bucket, each by tenant id. */
  listKeys(query: FleetRowQuery): Promise<Page<{ tenantId: string; integration: string }>>;
  /**
   * Counts, page by page of a full read, the records and tenants written before the counters
   * existed (each once, in a conditional write, so a run racing live writes counts nothing twice).
   */
  countUncounted(options: { limit: number; cursor?: string }): Promise<RecountPage>;
}
