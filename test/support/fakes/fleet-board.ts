import { boardBucketOf, totalsOf, type FleetBoardStore, type FleetRowQuery } from '#domain/fleet-board.js';
import type { Authorization } from '#domain/model.js';
import type { Page } from '#domain/ports.js';
import { pageBy } from './paging.js';

/**
 * The fleet board over records in memory (an InMemoryAuthorizationRepository's `records`), with the
 * DynamoDB store's order: bucket by bucket as the query lists them, then tenant and integration.
 * Its totals are counted from the records themselves, so they are exact by construction.
 */
export class InMemoryFleetBoard implements FleetBoardStore {
  constructor(
    private readonly records: () => Iterable<Authorization>,
    private readonly tenantCount: () => number = () => 0,
  ) {}

  async totals() {
    const counts = new Map<string, number>();
    for (const record of this.records()) {
      const bucket = boardBucketOf(record);
      counts.set(bucket, (counts.get(bucket) ?? 0) + 1);
    }
    return totalsOf(counts, this.tenantCount());
  }

  async listKeys(query: FleetRowQuery): Promise<Page<{ tenantId: string; integration: string }>> {
    const position = new Map(query.buckets.map((bucket, index) => [bucket, index]));
    const matching = [...this.records()].filter(
      (record) =>
        position.has(boardBucketOf(record)) &&
        (query.integration === undefined || record.integration === query.integration) &&
        (query.tenantPrefix === undefined || record.tenantId.startsWith(query.tenantPrefix)),
    );
    const page = pageBy(
      matching,
      (record) =>
        `${String(position.get(boardBucketOf(record))).padStart(4, '0')}|${record.tenantId}#${record.integration}`,
      { limit: query.limit, ...(query.cursor ? { cursor: query.cursor } : {}) },
    );
    return {
      items: page.items.map(({ tenantId, integration }) => ({ tenantId, integration })),
      ...(page.cursor ? { cursor: page.cursor } : {}),
    };
  }

  /** Nothing to backfill: every record in memory is counted as it stands. */
  async countUncounted() {
    return { scanned: 0, counted: 0 };
  }
}
