import { randomUUID } from 'node:crypto';
import { DeleteTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { inject } from 'vitest';
import { ensureTable, localClient } from '#local/dynamodb-local.js';

export interface TestTable {
  tableName: string;
  client: DynamoDBClient;
  documentClient: DynamoDBDocumentClient;
  drop(): Promise<void>;
}

/** Creates a fresh table with a unique name in the run's local engine. */
export async function createTestTable(prefix = 'test'): Promise<TestTable> {
  const client = localClient(inject('dynamoEndpoint'));
  const tableName = `${prefix}-${randomUUID()}`;
  await ensureTable(client, tableName);
  const documentClient = DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true },
  });
  return {
    tableName,
    client,
    documentClient,
    async drop() {
      await client.send(new DeleteTableCommand({ TableName: tableName }));
      client.destroy();
    },
  };
}
