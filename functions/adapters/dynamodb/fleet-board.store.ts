import { createHash, randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  type DynamoDBDocumentClient,
  type TransactWriteItem,
} from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import {
  boardBucketOf,
  totalsOf,
  type FleetBoardStore,
  type FleetRowQuery,
  type FleetTotals,
  type RecountPage,
} from '#domain/fleet-board.js';
import { authorizationSchema } from '#domain/model.js';
import type { Page } from '#domain/ports.js';
import { tableDefinition } from '#adapters/table-definition.js';
import {
  AUTH_PREFIX,
  cancellationReasons,
  cursorFailure,
  decodeCursor,
  encodeCursor,
  InvalidCursorError,
  isConditionFailure,
  meter,
  queryPage,
  tenantListQuery,
  TENANT_PREFIX,
  type CapacityMeter,
} from './keys.js';

/** Counter attribute of a bucket on the counter items; the tenant count is `tenants`. */
const bucketAttribute = (bucket: string) => `b:${bucket}`;
const TENANTS_ATTRIBUTE = 'tenants';
/** Marks a tenant item as counted in `tenants`, so a purge takes back only what was counted. */
export const TENANT_COUNTED_ATTRIBUTE = 'boardCounted';

/** Key of counter shard `n`. */
const counterKey = (shard: number) => ({ pk: `BOARD#${shard}`, sk: 'COUNTS' });

/** What one write does to the counts: the bucket a record leaves, the one it enters, tenants added. */
export interface CounterChange {
  from?: string;
  to?: string;
  tenants?: number;
}

/** The `board` index's key attributes of an authorization item. */
export function boardIndexAttributes(authorization: {
  tenantId: string;
  integration: string;
  status: string;
  cause?: string | undefined;
}): Record<string, string> {
  const { partitionKey, sortKey } = tableDefinition.boardIndex;
  return {
    [partitionKey.name]: boardBucketOf(authorization as Parameters<typeof boardBucketOf>[0]),
    [sortKey.name]: `${authorization.tenantId}#${authorization.integration}`,
  };
}

/** The ADD update of one counter shard for a change, or none when it changes nothing. */
function counterUpdate(
  tableName: string,
  change: CounterChange,
  shard: number,
): TransactWriteItem | undefined {
  const deltas = new Map<string, number>();
  const add = (attribute: string, delta: number) =>
    deltas.set(attribute, (deltas.get(attribute) ?? 0) + delta);
  if (change.from !== undefined) add(bucketAttribute(change.from), -1);
  if (change.to !== undefined) add(bucketAttribute(change.to), 1);
  if (change.tenants) add(TENANTS_ATTRIBUTE, change.tenants);
  const changed = [...deltas].filter(([, delta]) => delta !== 0);
  if (changed.length === 0) return undefined;
  return {
    Update: {
      TableName: tableName,
      Key: counterKey(shard),
      UpdateExpression: `ADD ${changed.map((_, index) => `#c${index} :d${index}`).join(', ')}`,
      ExpressionAttributeNames: Object.fromEntries(changed.map(([name], index) => [`#c${index}`, name])),
      ExpressionAttributeValues: Object.fromEntries(changed.map(([, delta], index) => [`:d${index}`, delta])),
    },
  };
}

/** True when a transaction was cancelled only because another one held an item (a hot counter). */
function isTransactionConflict(error: unknown): boolean {
  const conflict = cancellationReasons(error).some((reason) => reason.Code === 'TransactionConflict');
  return conflict && !isConditionFailure(error);
}

/** Tries of a transaction that collides with another on a counter shard, each on a fresh shard. */
export const COUNTER_TRIES = 6;

/**
 * The longest pause before the second try; it doubles before each later one, and each pause is
 * drawn at random below it (full jitter), so writers that collided spread out instead of meeting
 * again on the next shard. Six tries wait at most 310 ms in all: a mass transition (every worker
 * saving a changed bucket at once) still ends well within a check.
 */
const COUNTER_BACKOFF_MS = 10;

/**
 * Writes `items` in one transaction with the counter change on a random shard (a plain write when
 * there is one item and no change). A collision on the counter shard is tried again on another
 * shard after a jittered pause; a failed condition is the caller's to handle.
 */
export async function writeCounted(
  documentClient: DynamoDBDocumentClient,
  tableName: string,
  capacityMeter: CapacityMeter | undefined,
  items: TransactWriteItem[],
  change: CounterChange,
): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    const counter = counterUpdate(tableName, change, randomInt(tableDefinition.boardCounterShards));
    const all = counter ? [...items, counter] : items;
    try {
      const output = await documentClient.send(
        new TransactWriteCommand({ TransactItems: all, ReturnConsumedCapacity: 'TOTAL' }),
      );
      output.ConsumedCapacity?.forEach((consumed) => meter(capacityMeter, consumed, 'write'));
      return;
    } catch (error) {
      if (attempt >= COUNTER_TRIES || !isTransactionConflict(error)) throw error;
      await sleep(randomInt(COUNTER_BACKOFF_MS * 2 ** (attempt - 1) + 1));
    }
  }
}

/** The board cursor: the query it pages, the bucket reached and DynamoDB's key within it. */
const boardCursorSchema = z.object({
  query: z.string().optional(),
  bucket: z.string(),
  key: z.string().optional(),
});

/**
 * What a board cursor is bound to: its buckets and filters. Another query that reaches the same
 * bucket would go on from it and skip, unseen, the rows it lists before that bucket.
 */
function queryFingerprint(query: FleetRowQuery): string {
  const { buckets, integration, tenantPrefix } = query;
  return createHash('sha256')
    .update(JSON.stringify([buckets, integration ?? null, tenantPrefix ?? null]))
    .digest('base64url')
    .slice(0, 16);
}

/** `key` is the index's cursor within the bucket (keys.ts `encodeCursor`); absent at its start. */
function encodeBoardCursor(query: FleetRowQuery, bucket: string, key: string | undefined): string {
  return Buffer.from(
    JSON.stringify({ query: queryFingerprint(query), bucket, ...(key ? { key } : {}) }),
  ).toString('base64url');
}

function decodeBoardCursor(query: FleetRowQuery, cursor: string): z.infer<typeof boardCursorSchema> {
  let parsed: z.infer<typeof boardCursorSchema> | undefined;
  try {
    const result = boardCursorSchema.safeParse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    if (result.success) parsed = result.data;
  } catch {
    // any undecodable cursor is the caller's error
  }
  if (parsed === undefined) throw new InvalidCursorError();
  if (parsed.query !== queryFingerprint(query)) throw new InvalidCursorError('other_query');
  return parsed;
}

/** Queries one page of a bucket reads at most this many times before answering with a cursor. */
const MAX_QUERIES_PER_PAGE = 20;

const counterItemSchema = z.record(z.string(), z.unknown());
const scannedItemSchema = z
  .object({ pk: z.string(), sk: z.string(), version: z.number().optional() })
  .loose();

/** The fleet totals and the board's rows from the table: counter shards and the `board` index. */
export class DynamoDbFleetBoardStore implements FleetBoardStore {
  constructor(
    private readonly documentClient: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly capacityMeter?: CapacityMeter,
  ) {}

  async totals(): Promise<FleetTotals> {
    const { buckets, tenants } = await this.counts();
    return totalsOf(buckets, tenants);
  }

  /** Reads every counter shard (one GetItem each: the functions are granted no batch call) and sums them. */
  private async counts(): Promise<{ buckets: Map<string, number>; tenants: number }> {
    const shards = await Promise.all(
      Array.from({ length: tableDefinition.boardCounterShards }, async (_, shard) => {
        const output = await this.documentClient.send(
          new GetCommand({
            TableName: this.tableName,
            Key: counterKey(shard),
            ConsistentRead: true,
            ReturnConsumedCapacity: 'TOTAL',
          }),
        );
        meter(this.capacityMeter, output.ConsumedCapacity, 'read');
        return output.Item ? counterItemSchema.parse(output.Item) : {};
      }),
    );
    const buckets = new Map<string, number>();
    let tenants = 0;
    for (const item of shards) {
      for (const [name, value] of Object.entries(item)) {
        if (typeof value !== 'number') continue;
        if (name === TENANTS_ATTRIBUTE) tenants += value;
        else if (name.startsWith('b:')) buckets.set(name.slice(2), (buckets.get(name.slice(2)) ?? 0) + value);
      }
    }
    return { buckets, tenants };
  }

  /**
   * Queries the `board` index bucket after bucket, skipping the buckets the counters say are
   * empty (most of them), until the page is full, at most {@link MAX_QUERIES_PER_PAGE} queries.
   */
  async listKeys(query: FleetRowQuery): Promise<Page<{ tenantId: string; integration: string }>> {
    const start = query.cursor === undefined ? undefined : decodeBoardCursor(query, query.cursor);
    let bucketIndex = start === undefined ? 0 : query.buckets.indexOf(start.bucket);
    // The bucket list is what the cursor was bound to, so only a forged cursor names another bucket.
    if (bucketIndex < 0) throw new InvalidCursorError('other_query');
    let startKey = start?.key;
    const { buckets: counts } = await this.counts();
    const rows: { tenantId: string; integration: string }[] = [];
    const { indexName, partitionKey, sortKey } = tableDefinition.boardIndex;
    let queries = 0;
    while (bucketIndex < query.buckets.length) {
      const bucket = query.buckets[bucketIndex] as string;
      if ((counts.get(bucket) ?? 0) <= 0) {
        bucketIndex += 1;
        startKey = undefined;
        continue;
      }
      if (rows.length >= query.limit || queries >= MAX_QUERIES_PER_PAGE) {
        return { items: rows, cursor: encodeBoardCursor(query, bucket, startKey) };
      }
      const output = await this.documentClient
        .send(
          new QueryCommand({
            TableName: this.tableName,
            IndexName: indexName,
            KeyConditionExpression:
              query.tenantPrefix === undefined
                ? '#bucket = :bucket'
                : '#bucket = :bucket AND begins_with(#key, :prefix)',
            ...(query.integration === undefined ? {} : { FilterExpression: 'sk = :sk' }),
            ExpressionAttributeNames: {
              '#bucket': partitionKey.name,
              ...(query.tenantPrefix === undefined ? {} : { '#key': sortKey.name }),
            },
            ExpressionAttributeValues: {
              ':bucket': bucket,
              ...(query.tenantPrefix === undefined ? {} : { ':prefix': query.tenantPrefix }),
              ...(query.integration === undefined ? {} : { ':sk': `${AUTH_PREFIX}${query.integration}` }),
            },
            Limit: query.limit - rows.length,
            ExclusiveStartKey: decodeCursor(startKey),
            ReturnConsumedCapacity: 'TOTAL',
          }),
        )
        .catch((error: unknown) => {
          throw cursorFailure(error, startKey);
        });
      queries += 1;
      meter(this.capacityMeter, output.ConsumedCapacity, 'read');
      for (const item of output.Items ?? []) {
        rows.push({
          tenantId: String(item.pk).slice(TENANT_PREFIX.length),
          integration: String(item.sk).slice(AUTH_PREFIX.length),
        });
      }
      startKey = encodeCursor(output.LastEvaluatedKey);
      if (startKey === undefined) bucketIndex += 1;
    }
    return { items: rows };
  }

  /**
   * One page of tenants from the `tenants` index (every tenant item carries it), each tenant and
   * its authorization records counted when they are not yet: a full read of the tenants'
   * partitions with Query alone (the functions are granted no Scan).
   */
  async countUncounted(options: { limit: number; cursor?: string }): Promise<RecountPage> {
    const page = await queryPage(this.documentClient, tenantListQuery(this.tableName, options.limit), {
      cursor: options.cursor,
      capacityMeter: this.capacityMeter,
      schema: scannedItemSchema,
    });
    let scanned = 0;
    let counted = 0;
    for (const tenantItem of page.items) {
      scanned += 1;
      if (await this.countTenant(tenantItem.pk, tenantItem.sk, tenantItem)) counted += 1;
      let cursor: string | undefined;
      do {
        const records = await queryPage(
          this.documentClient,
          {
            TableName: this.tableName,
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
            ExpressionAttributeValues: { ':pk': tenantItem.pk, ':prefix': AUTH_PREFIX },
            ConsistentRead: true,
          },
          { cursor, capacityMeter: this.capacityMeter, schema: scannedItemSchema },
        );
        for (const record of records.items) {
          scanned += 1;
          if (await this.countAuthorization(record)) counted += 1;
        }
        cursor = records.cursor;
      } while (cursor);
    }
    return { scanned, counted, ...(page.cursor ? { cursor: page.cursor } : {}) };
  }

  /** Puts an uncounted authorization item in its bucket; false when it was counted (or changed) meanwhile. */
  private async countAuthorization(raw: Record<string, unknown>): Promise<boolean> {
    if (tableDefinition.boardIndex.partitionKey.name in raw) return false;
    const record = authorizationSchema.parse(raw);
    const attributes = boardIndexAttributes(record);
    const names = Object.keys(attributes);
    return this.countOnce(
      {
        Key: { pk: raw.pk, sk: raw.sk },
        UpdateExpression: `SET ${names.map((_, index) => `#a${index} = :a${index}`).join(', ')}`,
        // Only while nobody saved it since the scan read it: a save counts it itself.
        ConditionExpression: 'attribute_not_exists(#a0) AND #version = :version',
        ExpressionAttributeNames: {
          ...Object.fromEntries(names.map((name, index) => [`#a${index}`, name])),
          '#version': 'version',
        },
        ExpressionAttributeValues: {
          ...Object.fromEntries(names.map((name, index) => [`:a${index}`, attributes[name]])),
          ':version': record.version,
        },
      },
      { to: attributes[tableDefinition.boardIndex.partitionKey.name] as string },
    );
  }

  /** Counts an uncounted tenant item in `tenants`; false when it was counted meanwhile. */
  private async countTenant(pk: string, sk: string, raw: Record<string, unknown>): Promise<boolean> {
    if (TENANT_COUNTED_ATTRIBUTE in raw) return false;
    return this.countOnce(
      {
        Key: { pk, sk },
        UpdateExpression: 'SET #counted = :true',
        ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(#counted)',
        ExpressionAttributeNames: { '#counted': TENANT_COUNTED_ATTRIBUTE },
        ExpressionAttributeValues: { ':true': true },
      },
      { tenants: 1 },
    );
  }

  /** Marks one item counted and moves the counters with it; false when its condition failed (counted meanwhile). */
  private async countOnce(
    update: Omit<NonNullable<TransactWriteItem['Update']>, 'TableName'>,
    change: CounterChange,
  ): Promise<boolean> {
    try {
      await writeCounted(
        this.documentClient,
        this.tableName,
        this.capacityMeter,
        [{ Update: { TableName: this.tableName, ...update } }],
        change,
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }
}
