import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import type { AlertLedger, ClosedDigest, DigestEntry, FlapCount, Incident } from '#domain/alert-ledger.js';
import {
  authorizationEventSchema,
  EVENT_TYPES,
  INVALIDATION_CAUSES,
  type AuthorizationEvent,
} from '#domain/model.js';
import { isConditionFailure, meter, toEpochSeconds, type CapacityMeter } from './keys.js';

/*
 * The alert ledger in the table (docs/alerts.md). Items:
 * - `ALERT#OPEN / <incident key>`: `closesAt` of the incident open for that key;
 * - `ALERT#INCIDENTS / <closesAt>#<key>`: the incident, one attribute `e_<eventId>` per event, so
 *   adding the same event twice writes it once; closed ones are read with one query on `sk`;
 * - `ALERT#DIGESTS / <periodEnd>`: a period that has entries;
 *   `ALERT#DIGEST#<periodEnd> / <eventId>`: one item per entry (a storm's entries would not fit in
 *   one 400 KB item);
 * - `ALERT#DEGRADED / <tenant>#<integration>`: when it went degraded;
 * - `ALERT#FLAPS#<day> / <tenant>#<integration>`: the day's flap count.
 * Every item carries `expiresAt` (TTL), so whatever a flush leaves behind goes away on its own.
 */

const OPEN = 'ALERT#OPEN';
const INCIDENTS = 'ALERT#INCIDENTS';
const DIGESTS = 'ALERT#DIGESTS';
const DEGRADED = 'ALERT#DEGRADED';
const EVENT_ATTRIBUTE = 'e_';
/** How long the ledger's items outlive what they are about. */
const KEEP_SECONDS = 7 * 86_400;

const digestEntrySchema = z.object({
  eventId: z.string(),
  type: z.enum(EVENT_TYPES),
  cause: z.enum(INVALIDATION_CAUSES).optional(),
  tenantId: z.string(),
  integration: z.string(),
  occurredAt: z.string(),
  flap: z.boolean().optional(),
});

const flapItemSchema = z.object({ sk: z.string(), flaps: z.number().int().positive() });

function expiresAfter(iso: string): number {
  return toEpochSeconds(iso) + KEEP_SECONDS;
}

function authorizationKey(tenantId: string, integration: string): string {
  return `${tenantId}#${integration}`;
}

function incidentOf(item: Record<string, unknown>): Incident {
  const events: AuthorizationEvent[] = Object.entries(item)
    .filter(([name]) => name.startsWith(EVENT_ATTRIBUTE))
    .map(([, value]) => authorizationEventSchema.parse(value))
    .sort((a, b) => a.occurredAt.localeCompare(b.occurredAt));
  return { key: z.string().parse(item.incidentKey), closesAt: z.string().parse(item.closesAt), events };
}

export class DynamoDbAlertLedger implements AlertLedger {
  constructor(
    private readonly documentClient: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly capacityMeter?: CapacityMeter,
  ) {}

  async addToIncident(key: string, event: AuthorizationEvent, now: Date, closesAt: Date): Promise<void> {
    const open = await this.openIncident(key, now, closesAt.toISOString());
    await this.update({
      Key: { pk: INCIDENTS, sk: `${open}#${key}` },
      UpdateExpression:
        'SET incidentKey = :key, closesAt = :closesAt, expiresAt = :expiresAt, #event = :event',
      ExpressionAttributeNames: { '#event': `${EVENT_ATTRIBUTE}${event.eventId}` },
      ExpressionAttributeValues: {
        ':key': key,
        ':closesAt': open,
        ':expiresAt': expiresAfter(open),
        ':event': event,
      },
    });
  }

  /** The `closesAt` of the incident open for `key`: the one found, or `closesAt` when this call opened it. */
  private async openIncident(key: string, now: Date, closesAt: string): Promise<string> {
    try {
      await this.write(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: OPEN, sk: key, closesAt, expiresAt: expiresAfter(closesAt) },
          ConditionExpression: 'attribute_not_exists(pk) OR closesAt <= :now',
          ExpressionAttributeValues: { ':now': now.toISOString() },
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      return closesAt;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    const output = await this.documentClient.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: OPEN, sk: key },
        ConsistentRead: true,
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    meter(this.capacityMeter, output.ConsumedCapacity, 'read');
    return z.object({ closesAt: z.string() }).parse(output.Item).closesAt;
  }

  async closedIncidents(now: Date): Promise<Incident[]> {
    const items = await this.queryAll({
      KeyConditionExpression: 'pk = :pk AND sk <= :until',
      ExpressionAttributeValues: { ':pk': INCIDENTS, ':until': `${now.toISOString()}#\uffff` },
    });
    return items.map(incidentOf).filter((incident) => Date.parse(incident.closesAt) <= now.getTime());
  }

  async removeIncident(incident: Pick<Incident, 'key' | 'closesAt'>): Promise<void> {
    await this.delete({ pk: INCIDENTS, sk: `${incident.closesAt}#${incident.key}` });
  }

  async addToDigest(periodEnd: Date, entry: DigestEntry): Promise<void> {
    const end = periodEnd.toISOString();
    await this.write(
      new PutCommand({
        TableName: this.tableName,
        Item: { pk: `${DIGESTS}#${end}`, sk: entry.eventId, ...entry, expiresAt: expiresAfter(end) },
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    await this.write(
      new PutCommand({
        TableName: this.tableName,
        Item: { pk: DIGESTS, sk: end, expiresAt: expiresAfter(end) },
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
  }

  async closedDigests(now: Date): Promise<ClosedDigest[]> {
    const periods = await this.queryAll({
      KeyConditionExpression: 'pk = :pk AND sk <= :until',
      ExpressionAttributeValues: { ':pk': DIGESTS, ':until': now.toISOString() },
    });
    const digests: ClosedDigest[] = [];
    for (const period of periods) {
      const periodEnd = z.string().parse(period.sk);
      const entries = await this.queryAll({
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `${DIGESTS}#${periodEnd}` },
      });
      digests.push({ periodEnd, entries: entries.map((item) => digestEntrySchema.parse(item)) });
    }
    return digests;
  }

  async removeDigest(periodEnd: string): Promise<void> {
    // The entries go with their TTL: without the period item nothing lists them again.
    await this.delete({ pk: DIGESTS, sk: periodEnd });
  }

  async noteDegraded(tenantId: string, integration: string, at: Date): Promise<void> {
    await this.write(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          pk: DEGRADED,
          sk: authorizationKey(tenantId, integration),
          degradedAt: at.toISOString(),
          expiresAt: expiresAfter(at.toISOString()),
        },
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
  }

  async takeDegradedAt(tenantId: string, integration: string): Promise<Date | undefined> {
    const old = await this.delete({ pk: DEGRADED, sk: authorizationKey(tenantId, integration) });
    const degradedAt = z.object({ degradedAt: z.string() }).safeParse(old);
    return degradedAt.success ? new Date(degradedAt.data.degradedAt) : undefined;
  }

  async countFlap(tenantId: string, integration: string, day: string): Promise<number> {
    const output = await this.update({
      Key: { pk: `ALERT#FLAPS#${day}`, sk: authorizationKey(tenantId, integration) },
      UpdateExpression: 'ADD flaps :one SET expiresAt = :expiresAt',
      ExpressionAttributeValues: { ':one': 1, ':expiresAt': expiresAfter(`${day}T00:00:00.000Z`) },
      ReturnValues: 'UPDATED_NEW',
    });
    return z.object({ flaps: z.number() }).parse(output).flaps;
  }

  async listFlapping(day: string, moreThan: number): Promise<FlapCount[]> {
    const items = await this.queryAll({
      KeyConditionExpression: 'pk = :pk',
      FilterExpression: 'flaps > :moreThan',
      ExpressionAttributeValues: { ':pk': `ALERT#FLAPS#${day}`, ':moreThan': moreThan },
    });
    return items.map((item) => {
      const { sk, flaps } = flapItemSchema.parse(item);
      const split = sk.indexOf('#');
      return { tenantId: sk.slice(0, split), integration: sk.slice(split + 1), day, flaps };
    });
  }

  private async write(command: PutCommand): Promise<void> {
    const output = await this.documentClient.send(command);
    meter(this.capacityMeter, output.ConsumedCapacity, 'write');
  }

  private async update(
    input: Pick<
      ConstructorParameters<typeof UpdateCommand>[0],
      'Key' | 'UpdateExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues' | 'ReturnValues'
    >,
  ): Promise<Record<string, unknown> | undefined> {
    const output = await this.documentClient.send(
      new UpdateCommand({ TableName: this.tableName, ...input, ReturnConsumedCapacity: 'TOTAL' }),
    );
    meter(this.capacityMeter, output.ConsumedCapacity, 'write');
    return output.Attributes;
  }

  private async delete(key: { pk: string; sk: string }): Promise<Record<string, unknown> | undefined> {
    const output = await this.documentClient.send(
      new DeleteCommand({
        TableName: this.tableName,
        Key: key,
        ReturnValues: 'ALL_OLD',
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    meter(this.capacityMeter, output.ConsumedCapacity, 'write');
    return output.Attributes;
  }

  /** Every item of a query, page after page, with strongly consistent reads. */
  private async queryAll(
    query: Pick<
      QueryCommandInput,
      'KeyConditionExpression' | 'FilterExpression' | 'ExpressionAttributeValues'
    >,
  ): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const output = await this.documentClient.send(
        new QueryCommand({
          TableName: this.tableName,
          ...query,
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      meter(this.capacityMeter, output.ConsumedCapacity, 'read');
      items.push(...(output.Items ?? []));
      startKey = output.LastEvaluatedKey;
    } while (startKey);
    return items;
  }
}
