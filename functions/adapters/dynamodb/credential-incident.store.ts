import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import type { CredentialIncident, CredentialIncidentStore } from '#domain/validator-incident.js';
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
  tenantId: z.string().optional(),
  reloadRequestedAt: z.iso.datetime().optional(),
});

function incidentOf(item: Record<string, unknown>): CredentialIncident {
  const { integration, openedAt, trackingId, tenantId, reloadRequestedAt } = incidentItemSchema.parse(item);
  return {
    integration,
    openedAt,
    ...(trackingId !== undefined ? { trackingId } : {}),
    ...(tenantId !== undefined ? { tenantId } : {}),
    ...(reloadRequestedAt !== undefined ? { reloadRequestedAt } : {}),
  };
}

/**
 * Credential incidents (validator-incident.ts): `INCIDENT#CREDENTIALS / INTEGRATION#key`, open
 * until `closedAt` is set. Opening is a put conditional on no open item, closing an update
 * conditional on an open one, so of many workers exactly one opens (and alerts) and exactly one
 * closes.
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
          // A closed incident's item is reopened in place.
          ConditionExpression: 'attribute_not_exists(pk) OR attribute_exists(closedAt)',
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
    return existing.Item && existing.Item.closedAt === undefined ? incidentOf(existing.Item) : incident;
  }

  close(integration: string): Promise<CredentialIncident | undefined> {
    // Closed by marking, not deleting: the validator's role may update items but not delete them.
    return this.updateOpen(integration, 'SET closedAt = :at', new Date().toISOString(), 'ALL_OLD');
  }

  requestReload(integration: string, requestedAt: string): Promise<CredentialIncident | undefined> {
    return this.updateOpen(integration, 'SET reloadRequestedAt = :at', requestedAt, 'ALL_NEW');
  }

  /**
   * Sets one time (`:at`) on the integration's open incident: the incident (before or after the
   * write, as `returnValues` says), or undefined when none is open.
   */
  private async updateOpen(
    integration: string,
    updateExpression: string,
    at: string,
    returnValues: 'ALL_OLD' | 'ALL_NEW',
  ): Promise<CredentialIncident | undefined> {
    try {
      const output = await this.documentClient.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keyOf(integration),
          UpdateExpression: updateExpression,
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(closedAt)',
          ExpressionAttributeValues: { ':at': at },
          ReturnValues: returnValues,
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

  async reloadRequestedAt(integration: string): Promise<Date | undefined> {
    const output = await this.documentClient.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keyOf(integration),
        ProjectionExpression: 'reloadRequestedAt',
        ConsistentRead: true,
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    meter(this.capacityMeter, output.ConsumedCapacity, 'read');
    const requestedAt = z.iso.datetime().optional().parse(output.Item?.reloadRequestedAt);
    return requestedAt === undefined ? undefined : new Date(requestedAt);
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
    return (output.Items ?? []).filter((item) => item.closedAt === undefined).map(incidentOf);
  }
}
