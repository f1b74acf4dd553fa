import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as z from 'zod';
// Relative paths, not the repo's `#` aliases: the nearest package.json here is this package's own,
// whose `imports` point the aliases at the published declarations (dist/types).
import { createRepositories } from '../../../functions/adapters/dynamodb/index.js';
import {
  EnvelopeTokenVault,
  type DataKeyProvider,
} from '../../../functions/adapters/envelope-token-vault.js';
import { KmsDataKeys } from '../../../functions/adapters/kms-data-keys.js';
import { SecretsManagerClientSecretSource } from '../../../functions/adapters/secrets-manager-vault.js';
import { HttpWebexClient } from '../../../functions/adapters/webex-client.js';
import { bundledCatalog } from '../../../functions/commons/bundled-catalog.js';
import {
  CLIENT_SECRETS_NAME,
  TOKEN_KEY_NAME,
  resourceNamePrefixOf,
} from '../../../functions/commons/resource-names.js';
import { describeIssues, parseCatalog } from '../../../functions/domain/catalog.js';
import {
  silentLog,
  systemClock,
  type ClientSecretSource,
  type Log,
} from '../../../functions/domain/ports.js';
import {
  createTokenAccess as createTokenAccessOverPorts,
  type TokenAccess,
} from '../../../functions/token-access.js';

export {
  AuthorizationDegradedError,
  AuthorizationInvalidError,
  NotAuthorizedError,
  type AccessToken,
  type DegradedReason,
  type GetAccessTokenOptions,
  type NotAuthorizedReason,
  type TokenAccess,
} from '../../../functions/token-access.js';
export {
  LocalKeyDataKeys,
  TokenVaultError,
  type DataKeyProvider,
} from '../../../functions/adapters/envelope-token-vault.js';
export type { ClientSecretSource, Log } from '../../../functions/domain/ports.js';

/** The stack name `cdk deploy` uses when none is given (lib/deploy-inputs.ts). */
const DEFAULT_STACK_NAME = 'WebexAuthKeeper';

/** Where the token client finds the deployment: the stack's outputs and names. */
export interface TokenClientOptions {
  /** The stack's `TableName` output (export `<stack>-TableName`). */
  tableName: string;
  /** The stack's region; the SDK's own (AWS_REGION, the profile) when absent. */
  region?: string;
  /**
   * The stack's name, which names the token key's alias (`alias/<prefix>/token-key`) and the
   * client-secrets secret (`<prefix>/client-secrets`). @default 'WebexAuthKeeper'
   */
  stackName?: string;
  /** The key that seals the tokens (the `KmsKeyArn` output); the stack's alias by default. */
  kmsKeyId?: string;
  /** The client-secrets secret (the `ClientSecretsSecretArn` output); the stack's name by default. */
  clientSecretsSecretId?: string;
  /** Credentials for every AWS call; the SDK's default chain when absent. */
  credentials?: DynamoDBClientConfig['credentials'];
  /** Other endpoints than AWS's (a VPC endpoint, DynamoDB Local). */
  endpoints?: { dynamoDb?: string; kms?: string; secretsManager?: string };
  /** What unwraps and makes the tokens' data keys; KMS under `kmsKeyId` by default. */
  dataKeys?: DataKeyProvider;
  /** Where the integrations' client secrets come from (for a refresh); Secrets Manager by default. */
  clientSecrets?: ClientSecretSource;
  /** The deployment's integration catalog document, when it overrides the shipped one (`catalogFile`). */
  catalog?: unknown;
  /** @default 'https://webexapis.com' */
  webexApiBaseUrl?: string;
  /** Where refreshes and refusals are logged (never a token); nowhere by default. */
  log?: Log;
  /** How long opened tokens stay cached for the same record version. @default 60 s */
  cacheTtlMs?: number;
  /** Refresh when less than this is left of the access token. @default 60 s */
  refreshMarginMs?: number;
  /** How long a caller that lost the refresh lease waits for the holder's refresh. @default 5 s */
  leaseWaitMs?: number;
}

const optionsSchema = z.looseObject({
  tableName: z.string().regex(/^[A-Za-z0-9_.-]{3,255}$/, 'must be a DynamoDB table name'),
  region: z
    .string()
    .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as eu-west-1')
    .optional(),
  stackName: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/, 'must be a CloudFormation stack name')
    .optional(),
  kmsKeyId: z.string().min(1).optional(),
  clientSecretsSecretId: z.string().min(1).optional(),
  endpoints: z
    .strictObject({
      dynamoDb: z.url().optional(),
      kms: z.url().optional(),
      secretsManager: z.url().optional(),
    })
    .optional(),
  webexApiBaseUrl: z.url().optional(),
  cacheTtlMs: z.number().int().min(0).optional(),
  refreshMarginMs: z.number().int().min(0).optional(),
  leaseWaitMs: z.number().int().min(0).optional(),
});

/** The options are not usable; the message names each bad one. */
export class TokenClientOptionsError extends Error {
  override readonly name = 'TokenClientOptionsError';
}

/**
 * Token access for a service of the SaaS, every adapter wired from the stack's outputs: the
 * table (DynamoDB), the token key (KMS), the client secrets (Secrets Manager) and Webex. One call
 * per process; then `getAccessToken(tenantId, integration)` per use (docs/token-access.md).
 */
export function createTokenAccess(options: TokenClientOptions): TokenAccess {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new TokenClientOptionsError(`Invalid token client options: ${describeIssues(parsed.error)}`);
  }
  const prefix = resourceNamePrefixOf(options.stackName ?? DEFAULT_STACK_NAME);
  const aws = {
    ...(options.region ? { region: options.region } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
  };
  const dynamoDb = new DynamoDBClient({
    ...aws,
    ...(options.endpoints?.dynamoDb ? { endpoint: options.endpoints.dynamoDb } : {}),
  });
  const dataKeys =
    options.dataKeys ??
    new KmsDataKeys({
      keyId: options.kmsKeyId ?? `alias/${prefix}/${TOKEN_KEY_NAME}`,
      client: new KMSClient({
        ...aws,
        ...(options.endpoints?.kms ? { endpoint: options.endpoints.kms } : {}),
      }),
    });
  const clientSecrets =
    options.clientSecrets ??
    new SecretsManagerClientSecretSource({
      secretId: options.clientSecretsSecretId ?? `${prefix}/${CLIENT_SECRETS_NAME}`,
      client: new SecretsManagerClient({
        ...aws,
        ...(options.endpoints?.secretsManager ? { endpoint: options.endpoints.secretsManager } : {}),
      }),
    });
  const log = options.log ?? silentLog;
  const repositories = createRepositories(dynamoDb, options.tableName);
  return createTokenAccessOverPorts({
    authorizations: repositories.authorizations,
    tenants: repositories.tenants,
    vault: new EnvelopeTokenVault(dataKeys, options.tableName),
    webex: new HttpWebexClient({ baseUrl: options.webexApiBaseUrl ?? 'https://webexapis.com', log }),
    clientSecrets,
    catalog:
      options.catalog === undefined ? bundledCatalog() : parseCatalog(options.catalog, 'the catalog option'),
    clock: systemClock,
    log,
    ...(options.cacheTtlMs !== undefined ? { cacheTtlMs: options.cacheTtlMs } : {}),
    ...(options.refreshMarginMs !== undefined ? { refreshMarginMs: options.refreshMarginMs } : {}),
    ...(options.leaseWaitMs !== undefined ? { leaseWaitMs: options.leaseWaitMs } : {}),
  });
}
