import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { authorizationEventSchema, type AuthorizationEvent } from '../../domain/model.js';
import type { HistoryRepository, Page } from '../../domain/ports.js';
import {
  cursorFailure,
  decodeCursor,
  encodeCursor,
  EVENT_PREFIX,
  keys,
  meter,
  toEpochSeconds,
  type CapacityMeter,
} from './keys.js';

/** History items expire (DynamoDB TTL) this long after the event. */
export const HISTORY_RETENTION_DAYS = 400;

/** The DynamoDB item of a history event (also written inside authorization transactions). */
export function historyItem(event: AuthorizationEvent): Record<string, unknown> {
  const expiresAt = toEpochSeconds(event.occurredAt) + HISTORY_RETENTION_DAYS * 86_400;
  return { ...keys.event(event.tenantId, event.occurredAt, event.eventId), ...event, expiresAt };
}

/** A tenant's authorization history: `TENANT#id / EVENT#time#id`, kept 400 days. */
export class DynamoDbHistoryRepository implements HistoryRepository {
  constructor(
    private readonly documentClient: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly capacityMeter?: CapacityMeter,
  ) {}

  async append(event: AuthorizationEvent): Promise<void> {
    const output = await this.documentClient.send(
      new PutCommand({
        TableName: this.tableName,
        Item: historyItem(event),
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    meter(this.capacityMeter, output.ConsumedCapacity, 'write');
  }

  async list(
    tenantId: string,
    options: { limit: number; cursor?: string },
  ): Promise<Page<AuthorizationEvent>> {
    const output = await this.documentClient
      .send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': keys.tenant(tenantId).pk, ':prefix': EVENT_PREFIX },
          ScanIndexForward: false,
          Limit: options.limit,
          ExclusiveStartKey: decodeCursor(options.cursor),
          ReturnConsumedCapacity: 'TOTAL',
        }),
      )
      .catch((error: unknown) => {
        throw cursorFailure(error, options.cursor);
      });
    meter(this.capacityMeter, output.ConsumedCapacity, 'read');
    const cursor = encodeCursor(output.LastEvaluatedKey);
    return {
      items: (output.Items ?? []).map((item) => authorizationEventSchema.parse(item)),
      ...(cursor ? { cursor } : {}),
    };
  }
}
