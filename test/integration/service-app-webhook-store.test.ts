import { randomUUID } from 'node:crypto';
import { CreateTableCommand, DeleteTableCommand, DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createRepositories } from '#adapters/dynamodb/index.js';
import { DynamoDbTenantOrgIndex } from '#adapters/dynamodb/tenant-org.index.js';
import { DynamoDbWebhookDeliveryLedger } from '#adapters/dynamodb/webhook-delivery.ledger.js';
import { createTableInput, tableDefinition } from '#adapters/table-definition.js';
import { ensureTable, localClient } from '#local/dynamodb-local.js';
import { createTestTable, type TestTable } from '#test-support/dynamodb.js';
import { testEvent, testTenant } from '#test-support/fixtures.js';

/*
 * The serviceApp webhook's table parts on DynamoDB Local: the replay ledger's conditional put with
 * its TTL, the `orgs` index that finds the tenants bound to an org, and the local run adding that
 * index to a table an older version created.
 */

describe('the serviceApp webhook on DynamoDB Local', () => {
  let table: TestTable;
  let now = new Date('2026-03-01T10:00:00.000Z');

  beforeAll(async () => {
    table = await createTestTable('webhook');
  });

  afterAll(async () => {
    await table?.drop();
  });

  it('claims a delivery key once; a key kept past its time counts as free', async () => {
    const ledger = new DynamoDbWebhookDeliveryLedger(table.documentClient, table.tableName, () => now);
    const hourLater = new Date(now.getTime() + 3600_000);
    expect(await ledger.claim('delivery-1', hourLater)).toBe(true);
    expect(await ledger.claim('delivery-1', hourLater)).toBe(false);
    expect(await ledger.claim('delivery-2', hourLater)).toBe(true);
    now = new Date(hourLater.getTime() + 1000);
    expect(await ledger.claim('delivery-1', new Date(now.getTime() + 3600_000))).toBe(true);
  });

  it('frees a released key for the next claim, and releases a key never claimed without error', async () => {
    const ledger = new DynamoDbWebhookDeliveryLedger(table.documentClient, table.tableName, () => now);
    const hourLater = new Date(now.getTime() + 3600_000);
    expect(await ledger.claim('released-1', hourLater)).toBe(true);
    await ledger.release('released-1');
    expect(await ledger.claim('released-1', hourLater)).toBe(true);
    expect(await ledger.claim('released-1', hourLater)).toBe(false);
    await expect(ledger.release('never-claimed')).resolves.toBeUndefined();
  });

  it("finds the tenants bound to an org, never another org's, nor the history's org_bound events", async () => {
    const repositories = createRepositories(table.client, table.tableName);
    await repositories.tenants.create(testTenant({ tenantId: 'acme', orgId: 'org-a' }));
    await repositories.tenants.create(testTenant({ tenantId: 'beta', orgId: 'org-a' }));
    await repositories.tenants.create(testTenant({ tenantId: 'gamma', orgId: 'org-b' }));
    await repositories.tenants.create(testTenant({ tenantId: 'delta' }));
    const delta = testTenant({ tenantId: 'delta' });
    await repositories.tenants.setOrg(
      'delta',
      'org-c',
      { orgId: undefined, updatedAt: delta.updatedAt },
      delta.updatedAt,
    );
    await repositories.history.append({
      ...testEvent('gamma', 'presence', '2026-03-01T09:00:00.000Z'),
      type: 'org_bound',
      orgId: 'org-a',
    });
    const index = new DynamoDbTenantOrgIndex(table.documentClient, table.tableName);
    expect((await index.tenantIdsOfOrg('org-a')).sort()).toEqual(['acme', 'beta']);
    expect(await index.tenantIdsOfOrg('org-b')).toEqual(['gamma']);
    expect(await index.tenantIdsOfOrg('org-c')).toEqual(['delta']);
    expect(await index.tenantIdsOfOrg('org-nobody')).toEqual([]);
  });

  it('adds the orgs index to a table made before it existed', async () => {
    const client = localClient(inject('dynamoEndpoint'));
    const tableName = `older-${randomUUID()}`;
    const current = createTableInput(tableName);
    await client.send(
      new CreateTableCommand({
        ...current,
        AttributeDefinitions: current.AttributeDefinitions?.filter(
          (attribute) => attribute.AttributeName !== 'orgId',
        ),
        GlobalSecondaryIndexes: current.GlobalSecondaryIndexes?.filter(
          (index) => index.IndexName !== tableDefinition.orgIndex.indexName,
        ),
      }),
    );
    try {
      await ensureTable(client, tableName);
      const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
      expect(Table?.GlobalSecondaryIndexes?.map((index) => index.IndexName).sort()).toEqual([
        'board',
        'due',
        'orgs',
        'tenants',
      ]);
    } finally {
      await client.send(new DeleteTableCommand({ TableName: tableName }));
      client.destroy();
    }
  });
});
