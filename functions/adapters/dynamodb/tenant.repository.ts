import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DeleteCommand, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { tenantSchema, type ContactSuppression, type Tenant } from '#domain/model.js';
import { ConflictError, type Page, type TenantRepository } from '#domain/ports.js';
import { tableDefinition } from '#adapters/table-definition.js';
import { TENANT_COUNTED_ATTRIBUTE, writeCounted, type CounterChange } from './fleet-board.store.js';
import {
  isConditionFailure,
  keys,
  TENANT_LIST,
  type CapacityMeter,
  meter,
  queryPage,
  tenantListQuery,
} from './keys.js';

/** The board bucket attribute of an authorization item (adapters/dynamodb/fleet-board.store.ts). */
const BUCKET = tableDefinition.boardIndex.partitionKey.name;

/** The key of any item of the table, as a purge lists them, with an authorization's board bucket. */
const itemKeySchema = z.object({ pk: z.string(), sk: z.string(), [BUCKET]: z.string().optional() });

/** Tenants in the single table: `TENANT#id / TENANT`, listed through the sparse `tenants` index. */
export class DynamoDbTenantRepository implements TenantRepository {
  constructor(
    private readonly documentClient: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly capacityMeter?: CapacityMeter,
  ) {}

  /** Writes the tenant and counts it in the fleet's tenant total, in one transaction. */
  async create(tenant: Tenant): Promise<void> {
    try {
      await writeCounted(
        this.documentClient,
        this.tableName,
        this.capacityMeter,
        [
          {
            Put: {
              TableName: this.tableName,
              Item: {
                ...keys.tenant(tenant.tenantId),
                tenantList: TENANT_LIST,
                [TENANT_COUNTED_ATTRIBUTE]: true,
                ...tenant,
              },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
        ],
        { tenants: 1 },
      );
    } catch (error) {
      if (isConditionFailure(error)) throw new ConflictError(`Tenant ${tenant.tenantId} already exists`);
      throw error;
    }
  }

  async get(tenantId: string): Promise<Tenant | undefined> {
    const output = await this.documentClient.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keys.tenant(tenantId),
        ConsistentRead: true,
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    meter(this.capacityMeter, output.ConsumedCapacity, 'read');
    return output.Item ? tenantSchema.parse(output.Item) : undefined;
  }

  async suppressContact(tenantId: string, suppression: ContactSuppression): Promise<boolean> {
    try {
      const output = await this.documentClient.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.tenant(tenantId),
          // Appended, not rewritten: a bounce and a complaint landing together both stay.
          UpdateExpression:
            'SET suppressedContacts = list_append(if_not_exists(suppressedContacts, :none), :one)',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':none': [], ':one': [suppression] },
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

  async list(options: { limit: number; cursor?: string }): Promise<Page<Tenant>> {
    return queryPage(this.documentClient, tenantListQuery(this.tableName, options.limit), {
      cursor: options.cursor,
      capacityMeter: this.capacityMeter,
      schema: tenantSchema,
    });
  }

  /**
   * Writes the tenant's mutable fields (not `orgId`, which `setOrg` and a grant's binding save set,
   * nor `createdAt`) when the stored `updatedAt` is still the one the caller read.
   */
  async replace(tenant: Tenant, expectedUpdatedAt: string): Promise<void> {
    // The optional fields are set when present and removed when absent, so a replace can clear them.
    const optional = { passwordMaxAgeDays: tenant.passwordMaxAgeDays, ssoAuthorizers: tenant.ssoAuthorizers };
    const present = Object.entries(optional).filter(([, value]) => value !== undefined);
    const absent = Object.keys(optional).filter((name) => !present.some(([set]) => set === name));
    try {
      const output = await this.documentClient.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.tenant(tenant.tenantId),
          UpdateExpression: [
            `SET ${[
              '#name = :name, contacts = :contacts, sso = :sso, linkVersion = :linkVersion, #status = :status, updatedAt = :updatedAt',
              ...present.map(([name]) => `${name} = :${name}`),
            ].join(', ')}`,
            ...(absent.length > 0 ? [`REMOVE ${absent.join(', ')}`] : []),
          ].join(' '),
          ConditionExpression: 'attribute_exists(pk) AND updatedAt = :expected',
          ExpressionAttributeNames: { '#name': 'name', '#status': 'status' },
          ExpressionAttributeValues: {
            ':name': tenant.name,
            ':contacts': tenant.contacts,
            ':sso': tenant.sso,
            ':linkVersion': tenant.linkVersion,
            ':status': tenant.status,
            ':updatedAt': tenant.updatedAt,
            ':expected': expectedUpdatedAt,
            ...Object.fromEntries(present.map(([name, value]) => [`:${name}`, value])),
          },
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      meter(this.capacityMeter, output.ConsumedCapacity, 'write');
    } catch (error) {
      if (isConditionFailure(error))
        throw new ConflictError(`Tenant ${tenant.tenantId} changed meanwhile or is gone`);
      throw error;
    }
  }

  async setOrg(
    tenantId: string,
    orgId: string | undefined,
    expected: { orgId: string | undefined; updatedAt: string },
    updatedAt: string,
  ): Promise<void> {
    const orgCondition =
      expected.orgId === undefined ? 'attribute_not_exists(orgId)' : 'orgId = :expectedOrg';
    try {
      const output = await this.documentClient.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.tenant(tenantId),
          UpdateExpression:
            orgId === undefined
              ? 'SET updatedAt = :updatedAt REMOVE orgId'
              : 'SET orgId = :orgId, updatedAt = :updatedAt',
          ConditionExpression: `attribute_exists(pk) AND updatedAt = :expected AND ${orgCondition}`,
          ExpressionAttributeValues: {
            ':updatedAt': updatedAt,
            ':expected': expected.updatedAt,
            ...(orgId === undefined ? {} : { ':orgId': orgId }),
            ...(expected.orgId === undefined ? {} : { ':expectedOrg': expected.orgId }),
          },
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      meter(this.capacityMeter, output.ConsumedCapacity, 'write');
    } catch (error) {
      if (isConditionFailure(error))
        throw new ConflictError(`Tenant ${tenantId}'s org or tenant changed meanwhile, or it is gone`);
      throw error;
    }
  }

  /** Deletes one item, in a transaction with the counter change when it was counted. */
  private async deleteItem(
    key: { pk: string; sk: string },
    condition: {
      ConditionExpression?: string;
      ExpressionAttributeNames?: Record<string, string>;
      ExpressionAttributeValues?: Record<string, unknown>;
    },
    change: CounterChange,
  ): Promise<void> {
    if (change.from === undefined && change.tenants === undefined) {
      const output = await this.documentClient.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: key,
          ...condition,
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      meter(this.capacityMeter, output.ConsumedCapacity, 'write');
      return;
    }
    await writeCounted(
      this.documentClient,
      this.tableName,
      this.capacityMeter,
      [{ Delete: { TableName: this.tableName, Key: key, ...condition } }],
      change,
    );
  }

  /**
   * Deletes item by item (DeleteItem; no batch call, which the functions' IAM does not grant):
   * the partition's authorizations and history, then the tenant item on condition it is still
   * offboarded. A reactivation racing a purge can lose the revoked records and the history, never
   * the tenant.
   */
  async purge(tenantId: string): Promise<number> {
    const tenantKey = keys.tenant(tenantId);
    // Checked before anything is deleted: an active tenant must never lose its records.
    const stored = await this.documentClient.send(
      new GetCommand({
        TableName: this.tableName,
        Key: tenantKey,
        ConsistentRead: true,
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    meter(this.capacityMeter, stored.ConsumedCapacity, 'read');
    const tenant = stored.Item ? tenantSchema.parse(stored.Item) : undefined;
    if (tenant?.status !== 'offboarded') {
      throw new ConflictError(`Tenant ${tenantId} is not offboarded, or is gone`);
    }
    let deleted = 0;
    let cursor: string | undefined;
    do {
      const page = await queryPage(
        this.documentClient,
        {
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': tenantKey.pk },
          ProjectionExpression: 'pk, sk, #bucket',
          ExpressionAttributeNames: { '#bucket': BUCKET },
          ConsistentRead: true,
        },
        { cursor, capacityMeter: this.capacityMeter, schema: itemKeySchema },
      );
      for (const { [BUCKET]: bucket, ...key } of page.items) {
        if (key.sk === tenantKey.sk) continue;
        await this.deleteItem(
          key,
          bucket === undefined
            ? {}
            : {
                ConditionExpression: '#bucket = :bucket',
                ExpressionAttributeNames: { '#bucket': BUCKET },
                ExpressionAttributeValues: { ':bucket': bucket },
              },
          bucket === undefined ? {} : { from: bucket },
        );
        deleted += 1;
      }
      cursor = page.cursor;
    } while (cursor);
    try {
      await this.deleteItem(
        tenantKey,
        {
          ConditionExpression: '#status = :offboarded',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':offboarded': 'offboarded' },
        },
        // Tenants created before the counters are counted only once the backfill has run.
        stored.Item && TENANT_COUNTED_ATTRIBUTE in stored.Item ? { tenants: -1 } : {},
      );
    } catch (error) {
      if (isConditionFailure(error))
        throw new ConflictError(`Tenant ${tenantId} is not offboarded, or is gone`);
      throw error;
    }
    return deleted + 1;
  }
}
