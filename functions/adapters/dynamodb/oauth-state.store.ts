import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { oauthStateSchema, type OAuthState } from '#domain/model.js';
import type { OAuthStateStore } from '#domain/ports.js';
import { isConditionFailure, keys, meter, toEpochSeconds, type CapacityMeter } from './keys.js';

/**
 * OAuth states: `STATE#hash / STATE`, keyed by the state's hash so the table never holds a usable
 * state. DynamoDB's TTL removes abandoned ones, but TTL deletion can lag by hours, so `consume`
 * returns an expired state too and the caller judges `expiresAt` (and can say "expired").
 */
export class DynamoDbOAuthStateStore implements OAuthStateStore {
  constructor(
    private readonly documentClient: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly capacityMeter?: CapacityMeter,
  ) {}

  async put(state: OAuthState): Promise<void> {
    const { expiresAt, ...rest } = state;
    const output = await this.documentClient.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...keys.state(state.stateHash),
          ...rest,
          expiresAtIso: expiresAt,
          expiresAt: toEpochSeconds(expiresAt),
        },
        ConditionExpression: 'attribute_not_exists(pk)',
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    meter(this.capacityMeter, output.ConsumedCapacity, 'write');
  }

  async consume(stateHash: string): Promise<OAuthState | undefined> {
    try {
      const output = await this.documentClient.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: keys.state(stateHash),
          ConditionExpression: 'attribute_exists(pk)',
          ReturnValues: 'ALL_OLD',
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      meter(this.capacityMeter, output.ConsumedCapacity, 'write');
      if (!output.Attributes) return undefined;
      const { expiresAtIso, ...rest } = output.Attributes;
      return oauthStateSchema.parse({ ...rest, expiresAt: expiresAtIso });
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }

  async has(stateHash: string): Promise<boolean> {
    const output = await this.documentClient.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keys.state(stateHash),
        ProjectionExpression: 'pk',
        // A state consumed a moment ago must not read as still pending.
        ConsistentRead: true,
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    meter(this.capacityMeter, output.ConsumedCapacity, 'read');
    return output.Item !== undefined;
  }
}
