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
import { HttpWebexClient } from '../adapters/webex-client.js';
import { defaultCatalog, parseCatalogJson, type Catalog } from '../domain/catalog.js';
import { DEFAULT_PASSWORD_MAX_AGE_DAYS } from '../domain/expiry-warnings.js';
import { DEFAULT_LINK_TTL_DAYS } from '../domain/onboarding-link.js';
import type { OnboardingSettings } from '../domain/onboarding.js';
import { systemClock, type EventPublisher, type Log } from '../domain/ports.js';
import type { PublicApiDependencies } from '../public-api.app.js';
import { baseUrl, parseEnvironment, positiveInt } from './config.js';

/** The validator first checks a new authorization an hour after it was granted. */
export const FIRST_CHECK_DELAY_SECONDS = 60 * 60;

/** Environment of the public API function. Resource names have no defaults: unset is an error. */
export const publicApiEnvironmentSchema = z.object({
  TABLE_NAME: z.string().min(1),
  TOKEN_SECRET_PREFIX: z.string().min(1),
  KMS_KEY_ID: z.string().min(1),
  CLIENT_SECRETS_SECRET_ID: z.string().min(1),
  LINK_SIGNING_SECRET_ID: z.string().min(1),
  EVENT_BUS_NAME: z.string().min(1),
  ALERT_TOPIC_ARN: z.string().min(1),
  WEBEX_API_BASE_URL: baseUrl,
  PUBLIC_BASE_URL: baseUrl,
  PASSWORD_MAX_AGE_DAYS: positiveInt.default(DEFAULT_PASSWORD_MAX_AGE_DAYS),
  LINK_TTL_DAYS: positiveInt.default(DEFAULT_LINK_TTL_DAYS),
  /** A whole catalog document replacing `config/catalog.json` at deploy time. */
  CATALOG_JSON: z.string().min(1).optional(),
});
export type PublicApiConfig = z.infer<typeof publicApiEnvironmentSchema>;

/** Parses the public API's environment once; throws ConfigError naming every bad variable. */
export function loadPublicApiConfig(env: Record<string, string | undefined> = process.env): PublicApiConfig {
  return parseEnvironment(publicApiEnvironmentSchema, env);
}

/**
 * The catalog: the deploy-time override when given, the shipped one otherwise. `shipped` is
 * `bundledCatalog` in a Lambda bundle (its handler passes it) and the file on disk elsewhere.
 */
export function loadCatalog(
  catalogJson: string | undefined,
  shipped: () => Catalog = defaultCatalog,
): Catalog {
  return catalogJson ? parseCatalogJson(catalogJson, 'CATALOG_JSON') : shipped();
}

/** The onboarding settings from the parsed environment (the local run builds the same way). */
export function onboardingSettingsFrom(
  config: Pick<
    PublicApiConfig,
    'PUBLIC_BASE_URL' | 'WEBEX_API_BASE_URL' | 'PASSWORD_MAX_AGE_DAYS' | 'LINK_TTL_DAYS'
  >,
): OnboardingSettings {
  return {
    publicBaseUrl: config.PUBLIC_BASE_URL,
    webexApiBaseUrl: config.WEBEX_API_BASE_URL,
    passwordMaxAgeDays: config.PASSWORD_MAX_AGE_DAYS,
    linkTtlDays: config.LINK_TTL_DAYS,
    firstCheckDelaySeconds: FIRST_CHECK_DELAY_SECONDS,
  };
}

/** The AWS clients the adapters share; created once per cold start. */
export interface AwsClients {
  dynamoDb: DynamoDBClient;
  secretsManager: SecretsManagerClient;
}

/** Default clients for a Lambda: region and credentials from the runtime. */
export function createAwsClients(): AwsClients {
  return { dynamoDb: new DynamoDBClient({}), secretsManager: new SecretsManagerClient({}) };
}

/**
 * Builds the public API's ports on AWS: DynamoDB repositories, the Secrets Manager vault and
 * configuration secrets, the Webex HTTP client, and the EventBridge/SNS publisher (or the one given).
 */
export function buildPublicApiDependencies(
  config: PublicApiConfig,
  options: {
    events?: EventPublisher;
    clients?: AwsClients;
    webexLog?: Log;
    /** The catalog used when CATALOG_JSON is unset (see {@link loadCatalog}). */
    shippedCatalog?: () => Catalog;
  } = {},
): PublicApiDependencies {
  const clients = options.clients ?? createAwsClients();
  const repositories = createRepositories(clients.dynamoDb, config.TABLE_NAME);
  return {
    tenants: repositories.tenants,
    authorizations: repositories.authorizations,
    history: repositories.history,
    oauthStates: repositories.oauthStates,
    vault: new SecretsManagerTokenVault({
      client: clients.secretsManager,
      secretPrefix: config.TOKEN_SECRET_PREFIX,
      kmsKeyId: config.KMS_KEY_ID,
    }),
    clientSecrets: new SecretsManagerClientSecretSource({
      client: clients.secretsManager,
      secretId: config.CLIENT_SECRETS_SECRET_ID,
    }),
    linkKeys: new SecretsManagerLinkKeySource({
      client: clients.secretsManager,
      secretId: config.LINK_SIGNING_SECRET_ID,
    }),
    webex: new HttpWebexClient({
      baseUrl: config.WEBEX_API_BASE_URL,
      ...(options.webexLog ? { log: options.webexLog } : {}),
    }),
    events:
      options.events ??
      new AwsEventPublisher({ eventBusName: config.EVENT_BUS_NAME, topicArn: config.ALERT_TOPIC_ARN }),
    catalog: loadCatalog(config.CATALOG_JSON, options.shippedCatalog),
    clock: systemClock,
    settings: onboardingSettingsFrom(config),
  };
}
