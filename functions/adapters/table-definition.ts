import type { CreateTableCommandInput, UpdateTimeToLiveCommandInput } from '@aws-sdk/client-dynamodb';

/**
 * The one definition of the single table: the CDK stack, the local run and the tests all build
 * the table from this, so keys, the sparse `due` index and TTL cannot drift apart.
 */
export const tableDefinition = {
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
  timeToLiveAttribute: 'expiresAt',
  dueIndex: {
    indexName: 'due',
    partitionKey: { name: 'dueShard', type: 'S' },
    sortKey: { name: 'nextCheckAt', type: 'N' },
    /** The sweep only needs the keys of what is due; the worker reads the full item itself. */
    projection: 'KEYS_ONLY',
  },
  /** Sparse index carried only by tenant items, so the admin API pages tenants without a scan. */
  tenantIndex: {
    indexName: 'tenants',
    partitionKey: { name: 'tenantList', type: 'S' },
    sortKey: { name: 'tenantId', type: 'S' },
    projection: 'ALL',
  },
  /**
   * Every authorization item, by its status bucket (`invalid#user_deactivated`, see
   * domain/fleet-board.ts) then `tenantId#integration`: the status board finds the problems, and a
   * tenant by prefix, without a scan. Keys only, so a write that leaves the bucket alone (every
   * check) writes nothing to it.
   */
  boardIndex: {
    indexName: 'board',
    partitionKey: { name: 'boardBucket', type: 'S' },
    sortKey: { name: 'boardKey', type: 'S' },
    projection: 'KEYS_ONLY',
  },
  /**
   * Every item carrying a Webex `orgId` (tenant items, and the history's `org_bound` events), by
   * org: the `serviceApp` webhook finds the tenants bound to an org without a scan. Keys only.
   */
  orgIndex: {
    indexName: 'orgs',
    partitionKey: { name: 'orgId', type: 'S' },
    projection: 'KEYS_ONLY',
  },
  /** Number of `BOARD#n` counter items the fleet totals are spread over, so no counter runs hot. */
  boardCounterShards: 8,
  /** Number of `DUE#n` partitions the due index is spread over, so no single partition runs hot. */
  dueShards: 16,
} as const;

/** A key attribute as the definition spells it. */
export interface TableKey {
  readonly name: string;
  readonly type: 'S' | 'N' | 'B';
}

/** A global secondary index as the definition spells it. */
export interface TableIndex {
  readonly indexName: string;
  readonly partitionKey: TableKey;
  readonly sortKey?: TableKey;
  readonly projection: 'KEYS_ONLY' | 'ALL';
}

function isTableIndex(value: unknown): value is TableIndex {
  return typeof value === 'object' && value !== null && 'indexName' in value && 'partitionKey' in value;
}

/**
 * Every GSI of the definition, in declaration order (`due`, `tenants`, and any added later): the
 * one loop the stack and {@link createTableInput} both build their indexes from.
 */
export function tableIndexes(): TableIndex[] {
  const values: readonly unknown[] = Object.values(tableDefinition);
  return values.filter(isTableIndex);
}

function keySchema(partitionKey: TableKey, sortKey?: TableKey) {
  return [
    { AttributeName: partitionKey.name, KeyType: 'HASH' as const },
    ...(sortKey ? [{ AttributeName: sortKey.name, KeyType: 'RANGE' as const }] : []),
  ];
}

/**
 * CreateTable input for a local engine: on-demand, the keys and every index of the definition,
 * each key attribute defined once. TTL is not part of CreateTable: see {@link timeToLiveInput}.
 */
export function createTableInput(tableName: string): CreateTableCommandInput {
  const { partitionKey, sortKey } = tableDefinition;
  const indexes = tableIndexes();
  const attributes = new Map<string, TableKey['type']>();
  for (const key of [
    partitionKey,
    sortKey,
    ...indexes.flatMap((index) => [index.partitionKey, index.sortKey]),
  ]) {
    if (key) attributes.set(key.name, key.type);
  }
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [...attributes].map(([AttributeName, AttributeType]) => ({
      AttributeName,
      AttributeType,
    })),
    KeySchema: keySchema(partitionKey, sortKey),
    GlobalSecondaryIndexes: indexes.map((index) => ({
      IndexName: index.indexName,
      KeySchema: keySchema(index.partitionKey, index.sortKey),
      Projection: { ProjectionType: index.projection },
    })),
  };
}

/** UpdateTimeToLive input that turns on the definition's TTL attribute, as the stack does. */
export function timeToLiveInput(tableName: string): UpdateTimeToLiveCommandInput {
  return {
    TableName: tableName,
    TimeToLiveSpecification: { AttributeName: tableDefinition.timeToLiveAttribute, Enabled: true },
  };
}
