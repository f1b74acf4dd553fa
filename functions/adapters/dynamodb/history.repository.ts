import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { authorizationEventSchema, type AuthorizationEvent } from '#domain/model.js';
import type { HistoryRepository, Page } from '#domain/ports.js';
import { EVENT_PREFIX, keys, meter, queryPage, toEpochSeconds, type CapacityMeter } from './keys.js';

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
    return queryPage(
      this.documentClient,
      {
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': keys.tenant(tenantId).pk, ':prefix': EVENT_PREFIX },
        ScanIndexForward: false,
        Limit: options.limit,
      },
      { cursor: options.cursor, capacityMeter: this.capacityMeter, schema: authorizationEventSchema },
    );
  }
}
