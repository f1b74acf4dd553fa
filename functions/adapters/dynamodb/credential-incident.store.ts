import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import type { CredentialIncident, CredentialIncidentStore } from '../../domain/validator-incident.js';
import { isConditionFailure, meter, type CapacityMeter } from './keys.js';

/** All open credential incidents share one partition: there are a handful at most, read together. */
const PARTITION = 'INCIDENT#CREDENTIALS';

function keyOf(integration: string) {
  return { pk: PARTITION, sk: `INTEGRATION#${integration}` };
}

const incidentItemSchema = z.object({
  integration: z.string().min(1),
  openedAt: z.iso.datetime(),
  trackingId: z.string().optional(),
});

function incidentOf(item: Record<string, unknown>): CredentialIncident {
  const { integration, openedAt, trackingId } = incidentItemSchema.parse(item);
  return { integration, openedAt, ...(trackingId !== undefined ? { trackingId } : {}) };
}

/**
 * Open credential incidents (validator-incident.ts): `INCIDENT#CREDENTIALS / INTEGRATION#key`.
 * Opening is a put conditional on no item, closing a delete conditional on one, so of many workers
 * exactly one opens (and alerts) and exactly one closes.
 */
export class DynamoDbCredentialIncidentStore implements CredentialIncidentStore {
  constructor(
    private readonly documentClient: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly capacityMeter?: CapacityMeter,
  ) {}

  async open(incident: CredentialIncident): Promise<'opened' | CredentialIncident> {
    try {
      const output = await this.documentClient.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keyOf(incident.integration), ...incident },
          ConditionExpression: 'attribute_not_exists(pk)',
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      meter(this.capacityMeter, output.ConsumedCapacity, 'write');
      return 'opened';
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    const existing = await this.documentClient.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keyOf(incident.integration),
        ConsistentRead: true,
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    meter(this.capacityMeter, existing.ConsumedCapacity, 'read');
    // Closed between the put and the get: the incident it belonged to is over; count from now.
    return existing.Item ? incidentOf(existing.Item) : incident;
  }

  async close(integration: string): Promise<CredentialIncident | undefined> {
    try {
      const output = await this.documentClient.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: keyOf(integration),
          ConditionExpression: 'attribute_exists(pk)',
          ReturnValues: 'ALL_OLD',
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      meter(this.capacityMeter, output.ConsumedCapacity, 'write');
      return output.Attributes ? incidentOf(output.Attributes) : undefined;
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }

  async list(): Promise<CredentialIncident[]> {
    const output = await this.documentClient.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': PARTITION },
        ConsistentRead: true,
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    meter(this.capacityMeter, output.ConsumedCapacity, 'read');
    return (output.Items ?? []).map(incidentOf);
  }
}
