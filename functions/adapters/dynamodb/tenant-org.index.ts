import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import type { TenantOrgIndex } from '#domain/ports.js';
import { tableDefinition } from '#adapters/table-definition.js';
import { TENANT_PREFIX } from './keys.js';

/** The keys the `orgs` index gives back: the item's own and its org. */
const orgIndexItemSchema = z.object({ pk: z.string(), sk: z.string(), orgId: z.string() });

/** More tenants of one org than this is a data error, not a deployment: read no further. */
const MAX_TENANTS_PER_ORG = 50;

/**
 * The tenants bound to a Webex org, through the sparse `orgs` index of the items that carry an
 * `orgId` (tenant items, and the history's `org_bound` events, which the query filters out). An
 * index read is eventually consistent: the caller rereads each tenant before acting on it.
 */
export class DynamoDbTenantOrgIndex implements TenantOrgIndex {
  constructor(
    private readonly documentClient: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async tenantIdsOfOrg(orgId: string): Promise<string[]> {
    const { indexName, partitionKey } = tableDefinition.orgIndex;
    const tenantIds: string[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const output = await this.documentClient.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: indexName,
          KeyConditionExpression: '#org = :org',
          FilterExpression: 'sk = :tenant',
          ExpressionAttributeNames: { '#org': partitionKey.name },
          ExpressionAttributeValues: { ':org': orgId, ':tenant': 'TENANT' },
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      for (const item of output.Items ?? []) {
        const keys = orgIndexItemSchema.parse(item);
        if (keys.pk.startsWith(TENANT_PREFIX)) tenantIds.push(keys.pk.slice(TENANT_PREFIX.length));
      }
      startKey = output.LastEvaluatedKey;
    } while (startKey && tenantIds.length < MAX_TENANTS_PER_ORG);
    return tenantIds;
  }
}
