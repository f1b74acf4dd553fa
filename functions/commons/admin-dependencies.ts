import type { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import type { AdminApiDependencies } from '../admin-api.app.js';
import { createRepositories } from '../adapters/dynamodb/index.js';
import { SecretsManagerLinkKeySource } from '../adapters/secrets-manager-vault.js';
import { SnsContactSubscriptions } from '../adapters/sns-contact-subscriptions.js';
import { AuthorizationNotFoundError, type AdminDependencies } from '../domain/admin.js';
import type { Catalog } from '../domain/catalog.js';
import { issueOnboardingLink } from '../domain/onboarding-link.js';
import type { Clock, LinkSigningKeySource } from '../domain/ports.js';
import { validateAuthorization, type ValidatorDependencies } from '../domain/validator.js';
import { parseEnvironment } from './config.js';
import {
  buildValidatorDependencies,
  validatorEnvironmentSchema,
  type ValidatorEnvironment,
} from './validator-dependencies.js';

/**
 * Environment of the admin API: the validator's (it runs validate-now) and the alert topic for
 * the contacts' subscriptions, which the validator's schema already requires.
 */
export const adminApiEnvironmentSchema = validatorEnvironmentSchema;
export type AdminApiEnvironment = ValidatorEnvironment;

/** Parses the admin API's environment once; throws ConfigError naming every bad variable. */
export function loadAdminApiEnvironment(
  env: Record<string, string | undefined> = process.env,
): AdminApiEnvironment {
  return parseEnvironment(adminApiEnvironmentSchema, env);
}

/** Validate-now on the validator's own path: forced (not waiting for the due time), then the record it left. */
export function validateNowWith(validator: ValidatorDependencies): AdminDependencies['validateNow'] {
  return async (tenantId, integration) => {
    const outcome = await validateAuthorization(validator, { tenantId, integration }, { force: true });
    const authorization = await validator.authorizations.get(tenantId, integration);
    if (!authorization) throw new AuthorizationNotFoundError(tenantId, integration);
    return { outcome, authorization };
  };
}

/** Signs admin-issued links with the deployment's key, for the tenant's current link version. */
export function linkIssuerWith(input: {
  linkKeys: LinkSigningKeySource;
  clock: Clock;
  publicBaseUrl: string;
}): AdminDependencies['issueLink'] {
  return async (tenant, ttlDays) => {
    const { url, expiresAt } = issueOnboardingLink({
      tenant,
      key: await input.linkKeys.get(),
      clock: input.clock,
      ttlDays,
      publicBaseUrl: input.publicBaseUrl,
    });
    return { url, expiresAt };
  };
}

/**
 * Builds the admin API's ports on AWS: the validator's (repositories, Secrets Manager vault,
 * Webex client, EventBridge/SNS publisher) plus the SNS contact subscriptions and link signing.
 */
export function buildAdminApiDependencies(
  env: AdminApiEnvironment,
  options: {
    logger?: Logger;
    dynamoDb?: DynamoDBClient;
    secretsManager?: SecretsManagerClient;
    sns?: SNSClient;
    /** The catalog used when CATALOG_JSON is unset (see `loadCatalog`). */
    shippedCatalog?: () => Catalog;
  } = {},
): AdminApiDependencies {
  const dynamoDb = options.dynamoDb ?? new DynamoDBClient({});
  const secretsManager = options.secretsManager ?? new SecretsManagerClient({});
  const validator = buildValidatorDependencies(env, {
    dynamoDb,
    secretsManager,
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.shippedCatalog ? { shippedCatalog: options.shippedCatalog } : {}),
  });
  const repositories = createRepositories(dynamoDb, env.TABLE_NAME);
  return {
    tenants: repositories.tenants,
    authorizations: repositories.authorizations,
    history: repositories.history,
    contacts: new SnsContactSubscriptions(
      options.sns ?? new SNSClient({}),
      env.ALERT_TOPIC_ARN,
      options.logger,
    ),
    catalog: validator.catalog,
    clock: validator.clock,
    vault: validator.vault,
    webex: validator.webex,
    events: validator.events,
    passwordMaxAgeDays: env.PASSWORD_MAX_AGE_DAYS,
    reauthorizeLink: validator.reauthorizeLink,
    defaultLinkTtlDays: env.LINK_TTL_DAYS,
    issueLink: linkIssuerWith({
      linkKeys: new SecretsManagerLinkKeySource({
        client: secretsManager,
        secretId: env.LINK_SIGNING_SECRET_ID,
      }),
      clock: validator.clock,
      publicBaseUrl: env.PUBLIC_BASE_URL,
    }),
    validateNow: validateNowWith(validator),
  };
}
