import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { tenantSchema, type Tenant } from '../../domain/model.js';
import { ConflictError, type Page, type TenantRepository } from '../../domain/ports.js';
import { tableDefinition } from '../table-definition.js';
import { isConditionFailure, keys, type CapacityMeter, meter, queryPage } from './keys.js';

const TENANT_LIST = 'TENANT';

/** Tenants in the single table: `TENANT#id / TENANT`, listed through the sparse `tenants` index. */
export class DynamoDbTenantRepository implements TenantRepository {
  constructor(
    private readonly documentClient: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly capacityMeter?: CapacityMeter,
  ) {}

  async create(tenant: Tenant): Promise<void> {
    try {
      const output = await this.documentClient.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keys.tenant(tenant.tenantId), tenantList: TENANT_LIST, ...tenant },
          ConditionExpression: 'attribute_not_exists(pk)',
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      meter(this.capacityMeter, output.ConsumedCapacity, 'write');
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

  async list(options: { limit: number; cursor?: string }): Promise<Page<Tenant>> {
    const { indexName, partitionKey } = tableDefinition.tenantIndex;
    return queryPage(
      this.documentClient,
      {
        TableName: this.tableName,
        IndexName: indexName,
        KeyConditionExpression: '#list = :list',
        ExpressionAttributeNames: { '#list': partitionKey.name },
        ExpressionAttributeValues: { ':list': TENANT_LIST },
        Limit: options.limit,
      },
      { cursor: options.cursor, capacityMeter: this.capacityMeter, schema: tenantSchema },
    );
  }

  /**
   * Writes the tenant's mutable fields (not `orgId` nor `createdAt`, which only `bindOrg` and
   * `create` set) when the stored `updatedAt` is still the one the caller read.
   */
  async replace(tenant: Tenant, expectedUpdatedAt: string): Promise<void> {
    try {
      const output = await this.documentClient.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.tenant(tenant.tenantId),
          UpdateExpression:
            'SET #name = :name, contacts = :contacts, sso = :sso, linkVersion = :linkVersion, #status = :status, updatedAt = :updatedAt',
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

  async bindOrg(tenantId: string, orgId: string): Promise<boolean> {
    try {
      const output = await this.documentClient.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.tenant(tenantId),
          UpdateExpression: 'SET orgId = :orgId',
          ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(orgId) OR orgId = :orgId)',
          ExpressionAttributeValues: { ':orgId': orgId },
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
}
