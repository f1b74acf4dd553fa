import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as z from 'zod';
import { createRepositories } from '../adapters/dynamodb/index.js';
import { AwsEventPublisher } from '../adapters/event-publisher.js';
import {
  SecretsManagerClientSecretSource,
  SecretsManagerLinkKeySource,
  SecretsManagerTokenVault,
} from '../adapters/secrets-manager-vault.js';
import { tableDefinition } from '../adapters/table-definition.js';
import { SqsValidationQueue } from '../adapters/validation-queue.js';
import { HttpWebexClient } from '../adapters/webex-client.js';
import type { Catalog } from '../domain/catalog.js';
import { issueOnboardingLink } from '../domain/onboarding-link.js';
import {
  systemClock,
  type AuthorizationRepository,
  type Clock,
  type LinkSigningKeySource,
  type Log,
} from '../domain/ports.js';
import type { ValidationQueue } from '../domain/sweep.js';
import { DEFAULT_VALIDATOR_CONFIG, type ValidatorDependencies } from '../domain/validator.js';
import { positiveInt } from './config.js';
import { loadCatalog, publicApiEnvironmentSchema } from './dependencies.js';

/**
 * Environment of the validator worker: the public API's (same table, vault, secrets, bus, topic,
 * Webex and portal URLs) plus the probe interval. Resource names have no defaults.
 */
export const validatorEnvironmentSchema = publicApiEnvironmentSchema.extend({
  /** How often a healthy authorization is probed: set it to the sweep schedule's period. */
  CHECK_INTERVAL_SECONDS: positiveInt.default(DEFAULT_VALIDATOR_CONFIG.checkIntervalSeconds),
});
export type ValidatorEnvironment = z.infer<typeof validatorEnvironmentSchema>;

/** Environment of the sweep dispatcher. */
export const dispatcherEnvironmentSchema = z.object({
  TABLE_NAME: z.string().min(1),
  VALIDATION_QUEUE_URL: z.url(),
});
export type DispatcherEnvironment = z.infer<typeof dispatcherEnvironmentSchema>;

/**
 * The re-authorize link of alerts: a fresh onboarding link of the tenant (its current link
 * version, so a revoked link is never mailed), signed with the deployment's key.
 */
export function reauthorizeLinkIssuer(input: {
  linkKeys: LinkSigningKeySource;
  clock: Clock;
  ttlDays: number;
  publicBaseUrl: string;
}): ValidatorDependencies['reauthorizeLink'] {
  return async (tenant) =>
    issueOnboardingLink({
      tenant,
      key: await input.linkKeys.get(),
      clock: input.clock,
      ttlDays: input.ttlDays,
      publicBaseUrl: input.publicBaseUrl,
    }).url;
}

/** Builds the validator's ports on AWS from its parsed environment. */
export function buildValidatorDependencies(
  env: ValidatorEnvironment,
  options: {
    logger?: Log;
    dynamoDb?: DynamoDBClient;
    secretsManager?: SecretsManagerClient;
    /** The catalog used when CATALOG_JSON is unset (see `loadCatalog`). */
    shippedCatalog?: () => Catalog;
  } = {},
): ValidatorDependencies {
  const secretsManager = options.secretsManager ?? new SecretsManagerClient({});
  const repositories = createRepositories(options.dynamoDb ?? new DynamoDBClient({}), env.TABLE_NAME);
  return {
    authorizations: repositories.authorizations,
    tenants: repositories.tenants,
    vault: new SecretsManagerTokenVault({
      client: secretsManager,
      secretPrefix: env.TOKEN_SECRET_PREFIX,
      kmsKeyId: env.KMS_KEY_ID,
    }),
    webex: new HttpWebexClient({
      baseUrl: env.WEBEX_API_BASE_URL,
      ...(options.logger ? { log: options.logger } : {}),
    }),
    clientSecrets: new SecretsManagerClientSecretSource({
      client: secretsManager,
      secretId: env.CLIENT_SECRETS_SECRET_ID,
    }),
    events: new AwsEventPublisher({ eventBusName: env.EVENT_BUS_NAME, topicArn: env.ALERT_TOPIC_ARN }),
    clock: systemClock,
    catalog: loadCatalog(env.CATALOG_JSON, options.shippedCatalog),
    config: {
      ...DEFAULT_VALIDATOR_CONFIG,
      passwordMaxAgeDays: env.PASSWORD_MAX_AGE_DAYS,
      checkIntervalSeconds: env.CHECK_INTERVAL_SECONDS,
    },
    reauthorizeLink: reauthorizeLinkIssuer({
      linkKeys: new SecretsManagerLinkKeySource({
        client: secretsManager,
        secretId: env.LINK_SIGNING_SECRET_ID,
      }),
      clock: systemClock,
      ttlDays: env.LINK_TTL_DAYS,
      publicBaseUrl: env.PUBLIC_BASE_URL,
    }),
    ...(options.logger ? { log: options.logger } : {}),
  };
}

/** What the sweep dispatcher works with. */
export interface DispatcherDependencies {
  authorizations: Pick<AuthorizationRepository, 'listDue'>;
  queue: ValidationQueue;
  clock: Clock;
  shards: number;
}

/** Builds the dispatcher's ports on AWS from its parsed environment. */
export function buildDispatcherDependencies(
  env: DispatcherEnvironment,
  options: { dynamoDb?: DynamoDBClient } = {},
): DispatcherDependencies {
  return {
    authorizations: createRepositories(options.dynamoDb ?? new DynamoDBClient({}), env.TABLE_NAME)
      .authorizations,
    queue: new SqsValidationQueue(env.VALIDATION_QUEUE_URL),
    clock: systemClock,
    shards: tableDefinition.dueShards,
  };
}
