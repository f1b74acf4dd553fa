import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DeleteCommand, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { suppressesAddress } from '#domain/contact-suppression.js';
import {
  contactSuppressionSchema,
  tenantSchema,
  type ContactSuppression,
  type Tenant,
} from '#domain/model.js';
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

/** The tenant item's suppression list, as `removeContactSuppressions` reads it. */
const suppressionListSchema = z.object({ suppressedContacts: z.array(contactSuppressionSchema).optional() });

/**
 * Reads and conditional removals `removeContactSuppressions` tries before it gives up: each retry
 * follows a concurrent removal that moved the entries, which a few writers at once settle quickly.
 */
const SUPPRESSION_REMOVAL_ATTEMPTS = 5;

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

  /**
   * Reads the list, then removes the address's entries by index, on condition that each index
   * still holds the very entry read. An append (`suppressContact`) moves no index, so it neither
   * fails the condition nor is removed; a concurrent removal moves them, fails the condition, and
   * the list is read again. ConflictError when it kept moving for every attempt.
   */
  async removeContactSuppressions(tenantId: string, email: string): Promise<ContactSuppression[]> {
    for (let attempt = 1; attempt <= SUPPRESSION_REMOVAL_ATTEMPTS; attempt += 1) {
      const stored = await this.documentClient.send(
        new GetCommand({
          TableName: this.tableName,
          Key: keys.tenant(tenantId),
          ProjectionExpression: 'suppressedContacts',
          ConsistentRead: true,
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      meter(this.capacityMeter, stored.ConsumedCapacity, 'read');
      const entries = stored.Item ? (suppressionListSchema.parse(stored.Item).suppressedContacts ?? []) : [];
      const matches = [...entries.entries()].filter(([, entry]) => suppressesAddress(entry, email));
      if (matches.length === 0) return [];
      const values: Record<string, string> = {};
      const conditions = matches.map(([index, entry]) => {
        values[`:email${index}`] = entry.email;
        values[`:reason${index}`] = entry.reason;
        values[`:at${index}`] = entry.at;
        const item = `#list[${index}]`;
        return `${item}.#email = :email${index} AND ${item}.#reason = :reason${index} AND ${item}.#at = :at${index}`;
      });
      try {
        const output = await this.documentClient.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: keys.tenant(tenantId),
            // Indexes name the list as it was before this update, so removing several at once is sound.
            UpdateExpression: `REMOVE ${matches.map(([index]) => `#list[${index}]`).join(', ')}`,
            ConditionExpression: conditions.join(' AND '),
            ExpressionAttributeNames: {
              '#list': 'suppressedContacts',
              '#email': 'email',
              '#reason': 'reason',
              '#at': 'at',
            },
            ExpressionAttributeValues: values,
            ReturnConsumedCapacity: 'TOTAL',
          }),
        );
        meter(this.capacityMeter, output.ConsumedCapacity, 'write');
        return matches.map(([, entry]) => entry);
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
    }
    throw new ConflictError(`Tenant ${tenantId}'s suppressed contacts kept changing; retry`);
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
