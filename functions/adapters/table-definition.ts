import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

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
  /** Number of `DUE#n` partitions the due index is spread over, so no single partition runs hot. */
  dueShards: 16,
} as const;

/** CreateTable input for a local engine (on-demand, same keys and index as the stack). */
export function createTableInput(tableName: string): CreateTableCommandInput {
  const { partitionKey, sortKey, dueIndex, tenantIndex } = tableDefinition;
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: partitionKey.name, AttributeType: partitionKey.type },
      { AttributeName: sortKey.name, AttributeType: sortKey.type },
      { AttributeName: dueIndex.partitionKey.name, AttributeType: dueIndex.partitionKey.type },
      { AttributeName: dueIndex.sortKey.name, AttributeType: dueIndex.sortKey.type },
      { AttributeName: tenantIndex.partitionKey.name, AttributeType: tenantIndex.partitionKey.type },
      { AttributeName: tenantIndex.sortKey.name, AttributeType: tenantIndex.sortKey.type },
    ],
    KeySchema: [
      { AttributeName: partitionKey.name, KeyType: 'HASH' },
      { AttributeName: sortKey.name, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: dueIndex.indexName,
        KeySchema: [
          { AttributeName: dueIndex.partitionKey.name, KeyType: 'HASH' },
          { AttributeName: dueIndex.sortKey.name, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: dueIndex.projection },
      },
      {
        IndexName: tenantIndex.indexName,
        KeySchema: [
          { AttributeName: tenantIndex.partitionKey.name, KeyType: 'HASH' },
          { AttributeName: tenantIndex.sortKey.name, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: tenantIndex.projection },
      },
    ],
  };
}
