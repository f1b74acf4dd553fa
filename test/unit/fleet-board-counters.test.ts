import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, TransactWriteCommand, type TransactWriteItem } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { COUNTER_TRIES, writeCounted } from '#adapters/dynamodb/fleet-board.store.js';

/** The error DynamoDB gives a transaction that another one cancelled, with a reason per item. */
function cancelled(...codes: string[]): Error {
  return Object.assign(new Error('Transaction cancelled'), {
    name: 'TransactionCanceledException',
    CancellationReasons: codes.map((Code) => ({ Code })),
  });
}

const RECORD: TransactWriteItem = {
  Update: {
    TableName: 'tokens',
    Key: { pk: 'TENANT#acme', sk: 'AUTH#presence' },
    UpdateExpression: 'SET #s = :s',
    ExpressionAttributeNames: { '#s': 'status' },
    ExpressionAttributeValues: { ':s': 'invalid' },
  },
};

describe('writeCounted on a hot counter shard', () => {
  const documentClient = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
  const dynamo = mockClient(documentClient);
  beforeEach(() => dynamo.reset());

  const write = () =>
    writeCounted(documentClient, 'tokens', undefined, [RECORD], {
      from: 'active',
      to: 'invalid#user_deactivated',
    });

  it('tries again after each collision on the counter, on a counter shard each time, until the write goes through', async () => {
    const conflict = cancelled('None', 'TransactionConflict');
    dynamo
      .on(TransactWriteCommand)
      .rejectsOnce(conflict)
      .rejectsOnce(conflict)
      .rejectsOnce(conflict)
      .rejectsOnce(conflict)
      .resolves({});
    await write();
    const calls = dynamo.commandCalls(TransactWriteCommand);
    expect(calls).toHaveLength(5);
    for (const call of calls) {
      const [record, counter] = call.args[0].input.TransactItems ?? [];
      expect(record).toEqual(RECORD);
      expect(counter?.Update?.Key?.pk).toMatch(/^BOARD#\d+$/);
    }
  });

  it(`gives up after ${COUNTER_TRIES} collisions, with DynamoDB's error`, async () => {
    dynamo.on(TransactWriteCommand).rejects(cancelled('None', 'TransactionConflict'));
    await expect(write()).rejects.toThrow('Transaction cancelled');
    expect(dynamo.commandCalls(TransactWriteCommand)).toHaveLength(COUNTER_TRIES);
  });

  it("never tries again when the record's own condition failed: that is the caller's to handle", async () => {
    dynamo.on(TransactWriteCommand).rejects(cancelled('ConditionalCheckFailed', 'None'));
    await expect(write()).rejects.toMatchObject({ name: 'TransactionCanceledException' });
    expect(dynamo.commandCalls(TransactWriteCommand)).toHaveLength(1);
  });
});
