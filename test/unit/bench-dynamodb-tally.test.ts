import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { PathClock, tallyDynamoDb } from '#bench/fixtures.js';

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

describe("the bench's path clock", () => {
  it("splits the time into DynamoDB alone, Webex in flight and the caller's own code", () => {
    let now = 0;
    const path = new PathClock(() => now);
    now = 1;
    path.begin('dynamoDb');
    now = 5;
    path.end('dynamoDb');
    // A query sent beside a Webex call, and outliving it by 2 ms.
    path.begin('webex');
    path.begin('dynamoDb');
    now = 105;
    path.end('webex');
    now = 107;
    path.end('dynamoDb');
    now = 108;
    // Two calls sent together count once.
    path.begin('dynamoDb');
    path.begin('dynamoDb');
    now = 110;
    path.end('dynamoDb');
    now = 111;
    path.end('dynamoDb');
    now = 200;
    expect(path.times()).toEqual({ dynamoDbAloneMs: 4 + 2 + 3, webexMs: 100, ownMs: 1 + 1 + 89 });
  });

  it('hears the calls of a tallied client', async () => {
    const client = clientAnsweringAfter(20);
    const path = new PathClock();
    tallyDynamoDb(client, path);

    await client.send(get());

    expect(path.times().dynamoDbAloneMs).toBeGreaterThanOrEqual(19);
  });
});
