import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDbAuthorizationRepository } from './authorization.repository.js';
import { DynamoDbHistoryRepository } from './history.repository.js';
import { DynamoDbOAuthStateStore } from './oauth-state.store.js';
import { DynamoDbSentMailLedger } from './sent-mail.ledger.js';
import { DynamoDbTenantRepository } from './tenant.repository.js';
import type { CapacityMeter } from './keys.js';

export {
  DynamoDbAuthorizationRepository,
  DynamoDbHistoryRepository,
  DynamoDbOAuthStateStore,
  DynamoDbSentMailLedger,
  DynamoDbTenantRepository,
};
export { InvalidCursorError, type CapacityMeter } from './keys.js';

/** The document client every repository shares: drops undefined optional fields on write. */
export function documentClientFor(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

/** All repositories over one table. */
export function createRepositories(client: DynamoDBClient, tableName: string, capacityMeter?: CapacityMeter) {
  const documentClient = documentClientFor(client);
  return {
    tenants: new DynamoDbTenantRepository(documentClient, tableName, capacityMeter),
    authorizations: new DynamoDbAuthorizationRepository(documentClient, tableName, capacityMeter),
    history: new DynamoDbHistoryRepository(documentClient, tableName, capacityMeter),
    oauthStates: new DynamoDbOAuthStateStore(documentClient, tableName, capacityMeter),
    sentMail: new DynamoDbSentMailLedger(documentClient, tableName, capacityMeter),
  };
}
