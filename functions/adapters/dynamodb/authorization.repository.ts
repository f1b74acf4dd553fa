import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient, TransactWriteItem } from '@aws-sdk/lib-dynamodb';
import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { authorizationSchema, dueAt, type Authorization, type AuthorizationEvent } from '#domain/model.js';
import {
  ConflictError,
  TenantOrgChangedError,
  type AuthorizationRepository,
  type CheckLease,
  type Page,
  type TenantOrgCondition,
} from '#domain/ports.js';
import { tableDefinition } from '#adapters/table-definition.js';
import { boardIndexAttributes, writeCounted, type CounterChange } from './fleet-board.store.js';
import { historyItem } from './history.repository.js';
import {
  AUTH_PREFIX,
  decodeCursor,
  dueShardOf,
  encodeCursor,
  isConditionFailure,
  isConditionFailureOfItem,
  keys,
  meter,
  type CapacityMeter,
} from './keys.js';

/** The item attribute holding the record's board bucket (the `board` index's partition key). */
const BUCKET = tableDefinition.boardIndex.partitionKey.name;

/** A put's condition, with the names and values it uses. */
interface PutCondition {
  expression: string;
  names?: Record<string, string>;
  values?: Record<string, unknown>;
}

/** `bucketCondition` and the stored version being `expectedVersion` (`#bucket` names the board bucket). */
function atVersion(expectedVersion: number, bucketCondition: Omit<PutCondition, 'names'>): PutCondition {
  return {
    expression: `#version = :expected AND ${bucketCondition.expression}`,
    names: { '#version': 'version', '#bucket': BUCKET },
    values: { ':expected': expectedVersion, ...bucketCondition.values },
  };
}

/** Converts a record to its item: times stay ISO, except the two that conditions and the index compare. */
function toItem(authorization: Authorization): Record<string, unknown> {
  // nextCheckAt is stored only as the index's sort key, and only while the record is due.
  const { leaseUntil, nextCheckAt: _nextCheckAt, ...rest } = authorization;
  const item: Record<string, unknown> = {
    ...keys.authorization(authorization.tenantId, authorization.integration),
    ...rest,
    ...boardIndexAttributes(authorization),
  };
  if (leaseUntil) item.leaseUntil = Date.parse(leaseUntil);
  // Only records with work left carry the sparse `due` index keys, so a sweep never reads the rest.
  const due = dueAt(authorization);
  if (due) {
    item[tableDefinition.dueIndex.partitionKey.name] = dueShardOf(
      authorization.tenantId,
      authorization.integration,
    );
    item[tableDefinition.dueIndex.sortKey.name] = Date.parse(due);
  }
  return item;
}

function fromItem(item: Record<string, unknown>): Authorization {
  const { leaseUntil, nextCheckAt, ...rest } = item;
  return authorizationSchema.parse({
    ...rest,
    ...(typeof leaseUntil === 'number' ? { leaseUntil: new Date(leaseUntil).toISOString() } : {}),
    ...(typeof nextCheckAt === 'number' ? { nextCheckAt: new Date(nextCheckAt).toISOString() } : {}),
  });
}

/** Authorization records `TENANT#id / AUTH#key`, with optimistic locking and a lease for the validator. */
export class DynamoDbAuthorizationRepository implements AuthorizationRepository {
  constructor(
    private readonly documentClient: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly capacityMeter?: CapacityMeter,
  ) {}

  async get(tenantId: string, integration: string): Promise<Authorization | undefined> {
    const output = await this.documentClient.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keys.authorization(tenantId, integration),
        ConsistentRead: true,
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    meter(this.capacityMeter, output.ConsumedCapacity, 'read');
    return output.Item ? fromItem(output.Item) : undefined;
  }

  async listForTenant(tenantId: string): Promise<Authorization[]> {
    const authorizations: Authorization[] = [];
    let exclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const output = await this.documentClient.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': keys.tenant(tenantId).pk, ':prefix': AUTH_PREFIX },
          ConsistentRead: true,
          ExclusiveStartKey: exclusiveStartKey,
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      meter(this.capacityMeter, output.ConsumedCapacity, 'read');
      authorizations.push(...(output.Items ?? []).map(fromItem));
      exclusiveStartKey = output.LastEvaluatedKey;
    } while (exclusiveStartKey);
    return authorizations;
  }

  /**
   * One conditional write of the record (and its history event). While the record stays in its
   * board bucket (status and cause) that is all; when it changes bucket, the fleet counters move
   * in the same transaction. The first write assumes the bucket stays (every check): its
   * condition fails on a change, and the record's stored bucket, read then, says what to count.
   */
  async save(
    authorization: Authorization,
    expectedVersion: number | undefined,
    event?: AuthorizationEvent,
    tenantOrg?: TenantOrgCondition,
  ): Promise<Authorization> {
    const saved: Authorization = { ...authorization, version: (expectedVersion ?? 0) + 1 };
    const item = toItem(saved);
    const bucket = String(item[BUCKET]);
    const conflict = () =>
      new ConflictError(
        `Authorization ${authorization.tenantId}/${authorization.integration} changed meanwhile (expected version ${expectedVersion ?? 'none'})`,
      );
    try {
      if (expectedVersion === undefined) {
        await this.write(item, { expression: 'attribute_not_exists(pk)' }, event, { to: bucket }, tenantOrg);
        return saved;
      }
      try {
        const sameBucket = { expression: '#bucket = :bucket', values: { ':bucket': bucket } };
        await this.write(item, atVersion(expectedVersion, sameBucket), event, {}, tenantOrg);
        return saved;
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
      const stored = await this.storedBucket(authorization.tenantId, authorization.integration);
      if (stored?.version !== expectedVersion) throw conflict();
      const from = stored.bucket;
      const fromBucket =
        from === undefined
          ? { expression: 'attribute_not_exists(#bucket)' }
          : { expression: '#bucket = :from', values: { ':from': from } };
      await this.write(
        item,
        atVersion(expectedVersion, fromBucket),
        event,
        { ...(from === undefined ? {} : { from }), to: bucket },
        tenantOrg,
      );
      return saved;
    } catch (error) {
      if (isConditionFailure(error)) throw conflict();
      throw error;
    }
  }

  /**
   * Puts the item on its condition, with the history event, the tenant's org condition and the
   * counter change in one transaction when there are any, else as a plain put.
   */
  private async write(
    item: Record<string, unknown>,
    condition: PutCondition,
    event: AuthorizationEvent | undefined,
    change: CounterChange,
    tenantOrg: TenantOrgCondition | undefined,
  ): Promise<void> {
    const put = {
      TableName: this.tableName,
      Item: item,
      ConditionExpression: condition.expression,
      ...(condition.names ? { ExpressionAttributeNames: condition.names } : {}),
      ...(condition.values ? { ExpressionAttributeValues: condition.values } : {}),
    };
    const counted = change.from !== change.to;
    if (!event && !counted && !tenantOrg) {
      const output = await this.documentClient.send(
        new PutCommand({ ...put, ReturnConsumedCapacity: 'TOTAL' }),
      );
      meter(this.capacityMeter, output.ConsumedCapacity, 'write');
      return;
    }
    const items: TransactWriteItem[] = [
      { Put: put },
      ...(event ? [{ Put: { TableName: this.tableName, Item: historyItem(event) } }] : []),
    ];
    const tenantItemAt = items.length;
    if (tenantOrg) items.push(...this.tenantOrgItems(tenantOrg));
    try {
      await writeCounted(
        this.documentClient,
        this.tableName,
        this.capacityMeter,
        items,
        counted ? change : {},
      );
    } catch (error) {
      if (tenantOrg && isConditionFailureOfItem(error, tenantItemAt)) {
        throw new TenantOrgChangedError(`Tenant ${tenantOrg.tenantId} is not as the grant requires`);
      }
      throw error;
    }
  }

  /**
   * The tenant item's part of a grant's transaction: the check that it is bound to the org, or
   * its binding (only while unbound) with the `org_bound` history item.
   */
  private tenantOrgItems(tenantOrg: TenantOrgCondition): TransactWriteItem[] {
    const tenant = { TableName: this.tableName, Key: keys.tenant(tenantOrg.tenantId) };
    const org = { ':orgId': tenantOrg.orgId };
    if (!tenantOrg.binding) {
      return [
        {
          ConditionCheck: {
            ...tenant,
            ConditionExpression: 'orgId = :orgId',
            ExpressionAttributeValues: org,
          },
        },
      ];
    }
    return [
      {
        Update: {
          ...tenant,
          UpdateExpression: 'SET orgId = :orgId',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(orgId)',
          ExpressionAttributeValues: org,
        },
      },
      { Put: { TableName: this.tableName, Item: historyItem(tenantOrg.binding) } },
    ];
  }

  /** The stored record's version and board bucket (absent on a record written before the board). */
  private async storedBucket(
    tenantId: string,
    integration: string,
  ): Promise<{ version: number | undefined; bucket: string | undefined } | undefined> {
    const output = await this.documentClient.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keys.authorization(tenantId, integration),
        ProjectionExpression: '#version, #bucket',
        ExpressionAttributeNames: { '#version': 'version', '#bucket': BUCKET },
        ConsistentRead: true,
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    meter(this.capacityMeter, output.ConsumedCapacity, 'read');
    if (!output.Item) return undefined;
    const { version, [BUCKET]: bucket } = output.Item;
    return {
      version: typeof version === 'number' ? version : undefined,
      bucket: typeof bucket === 'string' ? bucket : undefined,
    };
  }

  async acquireLease(
    tenantId: string,
    integration: string,
    owner: string,
    until: Date,
    now: Date,
  ): Promise<Authorization | undefined> {
    const lease = await this.takeLease(tenantId, integration, owner, until, now, false);
    return 'leased' in lease ? lease.leased : undefined;
  }

  readonly leaseForCheck: AuthorizationRepository['leaseForCheck'] = (
    tenantId,
    integration,
    owner,
    until,
    now,
    options,
  ) => this.takeLease(tenantId, integration, owner, until, now, options.dueOnly);

  /**
   * One conditional update that takes the lease and returns the record, or on refusal the record
   * as it stood (ReturnValuesOnConditionCheckFailure), so no read has to come first. `dueOnly`
   * adds the `due` index's own sort key to the condition (only checkable records carry it), or an
   * event still to publish.
   */
  private async takeLease(
    tenantId: string,
    integration: string,
    owner: string,
    until: Date,
    now: Date,
    dueOnly: boolean,
  ): Promise<CheckLease> {
    const free = '(attribute_not_exists(leaseUntil) OR leaseUntil < :now OR leaseOwner = :owner)';
    const due = '(#due <= :now OR attribute_exists(pendingEvent))';
    try {
      const output = await this.documentClient.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.authorization(tenantId, integration),
          UpdateExpression: 'SET leaseOwner = :owner, leaseUntil = :until',
          ConditionExpression: `attribute_exists(pk) AND ${free}${dueOnly ? ` AND ${due}` : ''}`,
          ...(dueOnly ? { ExpressionAttributeNames: { '#due': tableDefinition.dueIndex.sortKey.name } } : {}),
          ExpressionAttributeValues: { ':owner': owner, ':until': until.getTime(), ':now': now.getTime() },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      meter(this.capacityMeter, output.ConsumedCapacity, 'write');
      if (!output.Attributes) throw new Error('DynamoDB returned no attributes for a lease it granted');
      return { leased: fromItem(output.Attributes) };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      // The document client leaves the exception's item in the wire format.
      const item = error instanceof ConditionalCheckFailedException ? error.Item : undefined;
      return { refused: item ? fromItem(unmarshall(item)) : undefined };
    }
  }

  async releaseLease(tenantId: string, integration: string, owner: string): Promise<void> {
    try {
      const output = await this.documentClient.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.authorization(tenantId, integration),
          UpdateExpression: 'REMOVE leaseOwner, leaseUntil',
          ConditionExpression: 'leaseOwner = :owner',
          ExpressionAttributeValues: { ':owner': owner },
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      meter(this.capacityMeter, output.ConsumedCapacity, 'write');
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  async listDue(
    shard: number,
    now: Date,
    options: { limit: number; cursor?: string },
  ): Promise<Page<{ tenantId: string; integration: string }>> {
    const { indexName, partitionKey, sortKey } = tableDefinition.dueIndex;
    const output = await this.documentClient.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: indexName,
        KeyConditionExpression: '#shard = :shard AND #next <= :now',
        ExpressionAttributeNames: { '#shard': partitionKey.name, '#next': sortKey.name },
        ExpressionAttributeValues: { ':shard': `DUE#${shard}`, ':now': now.getTime() },
        Limit: options.limit,
        ExclusiveStartKey: decodeCursor(options.cursor),
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    meter(this.capacityMeter, output.ConsumedCapacity, 'read');
    const cursor = encodeCursor(output.LastEvaluatedKey);
    return {
      items: (output.Items ?? []).map((item) => ({
        tenantId: String(item.pk).slice('TENANT#'.length),
        integration: String(item.sk).slice(AUTH_PREFIX.length),
      })),
      ...(cursor ? { cursor } : {}),
    };
  }
}
