import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { WebhookDeliveryLedger } from '#domain/ports.js';
import { isConditionFailure } from './keys.js';

const epochSeconds = (date: Date) => Math.floor(date.getTime() / 1000);

/**
 * The webhook deliveries taken in, one item each (`WEBHOOK#<key> / DELIVERY`) until its
 * `expiresAt`, the table's TTL attribute. A claim is a put conditional on no live item, so of two
 * copies of one delivery exactly one is acted on; an expired item DynamoDB has not removed yet
 * counts as absent.
 */
export class DynamoDbWebhookDeliveryLedger implements WebhookDeliveryLedger {
  constructor(
    private readonly documentClient: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async claim(deliveryKey: string, keepUntil: Date): Promise<boolean> {
    try {
      await this.documentClient.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: `WEBHOOK#${deliveryKey}`, sk: 'DELIVERY', expiresAt: epochSeconds(keepUntil) },
          ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :now',
          ExpressionAttributeValues: { ':now': epochSeconds(this.now()) },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async release(deliveryKey: string): Promise<void> {
    await this.documentClient.send(
      new DeleteCommand({ TableName: this.tableName, Key: { pk: `WEBHOOK#${deliveryKey}`, sk: 'DELIVERY' } }),
    );
  }
}
