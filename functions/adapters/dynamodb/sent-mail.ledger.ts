import { createHash } from 'node:crypto';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { SentMailLedger } from '#domain/ports.js';
import { isConditionFailure, meter, toEpochSeconds, type CapacityMeter } from './keys.js';

/** The item of one key; hashed, so no address is part of a table key. */
function keyOf(idempotencyKey: string) {
  return { pk: `MAIL#${createHash('sha256').update(idempotencyKey).digest('base64url')}`, sk: 'MAIL' };
}

/**
 * Sent mails in the single table: `MAIL#sha256(key) / MAIL`, put only when absent, gone by TTL
 * after `expiresAt`. Of two notifiers handling the same event at once, exactly one sends.
 */
export class DynamoDbSentMailLedger implements SentMailLedger {
  constructor(
    private readonly documentClient: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly capacityMeter?: CapacityMeter,
  ) {}

  async claim(idempotencyKey: string, expiresAt: string): Promise<boolean> {
    try {
      const output = await this.documentClient.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keyOf(idempotencyKey), expiresAt: toEpochSeconds(expiresAt) },
          ConditionExpression: 'attribute_not_exists(pk)',
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      meter(this.capacityMeter, output.ConsumedCapacity, 'write');
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async release(idempotencyKey: string): Promise<void> {
    const output = await this.documentClient.send(
      new DeleteCommand({
        TableName: this.tableName,
        Key: keyOf(idempotencyKey),
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    meter(this.capacityMeter, output.ConsumedCapacity, 'write');
  }
}
