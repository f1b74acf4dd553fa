import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { tallyDynamoDb } from '#bench/fixtures.js';

/** A client whose calls each answer after `delayMs`, never leaving the process. */
function clientAnsweringAfter(delayMs: number): DynamoDBClient {
  const client = new DynamoDBClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  client.middlewareStack.add(
    () => async () => {
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      return { output: { $metadata: {} }, response: {} };
    },
    { step: 'initialize', priority: 'low', name: 'answerInProcess' },
  );
  return client;
}

const get = () => new GetItemCommand({ TableName: 't', Key: { pk: { S: 'a' } } });
const put = () => new PutItemCommand({ TableName: 't', Item: { pk: { S: 'a' } } });

describe("the bench's DynamoDB tally", () => {
  it('counts calls sent together as one round trip and calls in a row as one each', async () => {
    const client = clientAnsweringAfter(5);
    const tally = tallyDynamoDb(client);

    await Promise.all([client.send(get()), client.send(put()), client.send(get())]);
    await client.send(put());
    await client.send(get());

    expect(tally()).toMatchObject({
      commands: { GetItemCommand: 3, PutItemCommand: 2 },
      totalCalls: 5,
      roundTrips: 3,
    });
  });
});
