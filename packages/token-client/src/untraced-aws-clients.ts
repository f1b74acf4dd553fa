import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type * as lambdaClients from '../../../functions/commons/aws-clients.js';

/*
 * What the package's bundle has in place of functions/commons/aws-clients.ts (the build swaps the
 * module): the same per-process default clients, without the X-Ray tracer, which a service outside
 * Lambda has no daemon for and would otherwise pull Powertools Tracer and every SDK client the
 * Lambda functions use into the package. Only the services token access calls are here;
 * createTokenAccess passes its own clients to every adapter anyway.
 */

function once<Client>(create: () => Client): () => Client {
  let client: Client | undefined;
  return () => (client ??= create());
}

/** The process's DynamoDB client. */
export const dynamoDbClient: typeof lambdaClients.dynamoDbClient = once(() => new DynamoDBClient({}));
/** The process's KMS client. */
export const kmsClient: typeof lambdaClients.kmsClient = once(() => new KMSClient({}));
/** The process's Secrets Manager client. */
export const secretsManagerClient: typeof lambdaClients.secretsManagerClient = once(
  () => new SecretsManagerClient({}),
);
