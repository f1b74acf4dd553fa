import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import type { HeldKey, IdempotencyStore, StoredAnswer } from '#http/idempotency.js';
import { isConditionFailure } from './keys.js';

/** One item per key, in a partition of its own: `IDEMPOTENCY#<hash> / IDEMPOTENCY`. */
function keyOf(key: string) {
  return { pk: `IDEMPOTENCY#${key}`, sk: 'IDEMPOTENCY' };
}

type ClaimInput = Parameters<IdempotencyStore['claim']>[0];

const epochSeconds = (date: Date) => Math.floor(date.getTime() / 1000);

const heldItemSchema = z.discriminatedUnion('state', [
  z.object({ state: z.literal('running'), fingerprint: z.string(), expiresAt: z.number() }),
  z.object({
    state: z.literal('done'),
    fingerprint: z.string(),
    expiresAt: z.number(),
    answer: z.object({
      statusCode: z.number().int(),
      headers: z.record(z.string(), z.string()),
      body: z.string(),
    }),
  }),
]);

/**
 * Idempotency keys of the admin API (http/idempotency.ts) in the table. `expiresAt` is the
 * table's TTL attribute, so DynamoDB removes a key 24 hours on; until it does, an expired item
 * counts as absent. A claim is a put conditional on no live holder, so of two requests with one
 * key exactly one runs.
 */
export class DynamoDbIdempotencyStore implements IdempotencyStore {
  constructor(
    private readonly documentClient: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async claim(input: ClaimInput): Promise<'claimed' | HeldKey> {
    const now = epochSeconds(input.now);
    const claimed = await this.putRunning(
      input,
      'attribute_not_exists(pk) OR expiresAt <= :now OR (#state = :running AND lockedUntil <= :now)',
    );
    if (claimed) return 'claimed';
    const existing = await this.documentClient.send(
      new GetCommand({ TableName: this.tableName, Key: keyOf(input.key), ConsistentRead: true }),
    );
    const held = heldItemSchema.safeParse(existing.Item);
    if (!held.success || held.data.expiresAt <= now) {
      // Released or expired between the put and the get: claim it once more, else it is taken.
      const again = await this.putRunning(input, 'attribute_not_exists(pk) OR expiresAt <= :now');
      return again ? 'claimed' : { state: 'running', fingerprint: input.fingerprint };
    }
    const { fingerprint } = held.data;
    return held.data.state === 'done'
      ? { state: 'done', fingerprint, answer: held.data.answer }
      : { state: 'running', fingerprint };
  }

  /** Puts the running claim when the condition holds; false when another holds the key. */
  private async putRunning(input: ClaimInput, condition: string): Promise<boolean> {
    try {
      await this.documentClient.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...keyOf(input.key),
            state: 'running',
            fingerprint: input.fingerprint,
            lockedUntil: epochSeconds(input.lockedUntil),
            expiresAt: epochSeconds(input.expiresAt),
          },
          ConditionExpression: condition,
          ...(condition.includes('#state') ? { ExpressionAttributeNames: { '#state': 'state' } } : {}),
          ExpressionAttributeValues: {
            ':now': epochSeconds(input.now),
            ...(condition.includes(':running') ? { ':running': 'running' } : {}),
          },
        }),
      );
      return true;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      return false;
    }
  }

  async complete(key: string, answer: StoredAnswer): Promise<void> {
    await this.documentClient.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keyOf(key),
        UpdateExpression: 'SET #state = :done, answer = :answer REMOVE lockedUntil',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':done': 'done', ':answer': answer },
      }),
    );
  }

  async release(key: string): Promise<void> {
    await this.documentClient.send(new DeleteCommand({ TableName: this.tableName, Key: keyOf(key) }));
  }
}
