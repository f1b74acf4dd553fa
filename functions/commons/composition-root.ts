import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { AdminApiDependencies } from '#functions/admin-api.app.js';
import { DynamoDbAlertLedger } from '#adapters/dynamodb/alert-ledger.store.js';
import { DynamoDbCheckBudgetStore } from '#adapters/dynamodb/check-budget.store.js';
import { DynamoDbCredentialIncidentStore } from '#adapters/dynamodb/credential-incident.store.js';
import { DynamoDbIdempotencyStore } from '#adapters/dynamodb/idempotency.store.js';
import { createRepositories, documentClientFor } from '#adapters/dynamodb/index.js';
import { DynamoDbFleetBoardStore } from '#adapters/dynamodb/fleet-board.store.js';
import { DynamoDbTenantOrgIndex } from '#adapters/dynamodb/tenant-org.index.js';
import { DynamoDbWebhookDeliveryLedger } from '#adapters/dynamodb/webhook-delivery.ledger.js';
import { AwsEventPublisher } from '#adapters/event-publisher.js';
import { SesMailSender } from '#adapters/ses-mail-sender.js';
import {
  SecretsManagerClientSecretSource,
  SecretsManagerLinkKeySource,
  SecretsManagerWebhookSecretSource,
} from '#adapters/secrets-manager-vault.js';
import { EnvelopeTokenVault } from '#adapters/envelope-token-vault.js';
import { KmsDataKeys } from '#adapters/kms-data-keys.js';
import { HttpWebexClient, type WebexCallTracing } from '#adapters/webex-client.js';
import { AuthorizationNotFoundError } from '#domain/admin-errors.js';
import { type AdminDependencies } from '#domain/admin.js';
import { parseCatalogJson, type Catalog } from '#domain/catalog.js';
import { CheckBudget, DEFAULT_CHECK_BUDGET_LIMITS, type CheckBudgetLimits } from '#domain/check-budget.js';
import { defaultCatalog } from '#adapters/catalog-file.js';
import { DEFAULT_ALERT_POLICY, type AlertPolicySettings } from '#domain/alert-policy.js';
import { unsubscribeUrl } from '#domain/unsubscribe-link.js';
import type { NotifierDependencies } from '#domain/notifier.js';
import type { OnboardingSettings } from '#domain/onboarding.js';
import {
  systemClock,
  type Clock,
  type LinkSigningKeySource,
  type Log,
  type MailSender,
  type TenantRepository,
  type Ports,
  type WebhookSecretSource,
} from '#domain/ports.js';
import { DEFAULT_VALIDATOR_CONFIG, type ValidatorDependencies } from '#domain/validator-config.js';
import { validateAuthorization } from '#domain/validator.js';
import type { PublicApiDependencies } from '#functions/public-api.app.js';
import { dynamoDbClient } from './aws-clients.js';
import { isTransientAwsFailure } from './transient-failures.js';
import { alertPolicyFrom, type KeeperEnvironment, type NotifierEnvironment } from './environment.js';
import { brandingOf } from './branding-environment.js';
import { vendorTokenSource } from './vendor-token.js';
import { createTokenAccess } from '#functions/token-access.js';
import { linkIssuerWith, reauthorizeLinkIssuer } from './link-issuers.js';
import type { Branding } from '#domain/branding.js';

/** The validator first checks a new authorization an hour after it was granted. */
export const FIRST_CHECK_DELAY_SECONDS = 60 * 60;

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

/** The deployment's settings of the use cases (not resource names). */
export interface KeeperSettings extends OnboardingSettings {
  /** How often a healthy authorization is probed. */
  checkIntervalSeconds: number;
  /** More flaps than this in a UTC day flag an authorization on the status board; the policy's default when absent. */
  flapsPerDayFlagged?: number;
  /** The vendor's branding of the portal and the public pages; a generic head without it. */
  branding?: Branding;
  /** How often the sweep runs; absent, once a check interval. */
  sweepRateSeconds?: number;
  /** The Webex call budget of one org's checks; absent, DEFAULT_CHECK_BUDGET_LIMITS. */
  checkBudget?: Pick<CheckBudgetLimits, 'maxInFlight' | 'callsPerMinute'>;
}

/** The settings from a function's parsed environment. */
export function settingsFrom(env: KeeperEnvironment): KeeperSettings {
  return {
    publicBaseUrl: env.PUBLIC_BASE_URL,
    webexApiBaseUrl: env.WEBEX_API_BASE_URL,
    passwordMaxAgeDays: env.PASSWORD_MAX_AGE_DAYS,
    linkTtlDays: env.LINK_TTL_DAYS,
    checkIntervalSeconds: env.CHECK_INTERVAL_SECONDS,
    ...(env.SWEEP_RATE_SECONDS !== undefined ? { sweepRateSeconds: env.SWEEP_RATE_SECONDS } : {}),
    checkBudget: { maxInFlight: env.ORG_CHECKS_IN_FLIGHT, callsPerMinute: env.ORG_WEBEX_CALLS_PER_MINUTE },
    firstCheckDelaySeconds: FIRST_CHECK_DELAY_SECONDS,
    flapsPerDayFlagged: env.ALERT_FLAPS_PER_DAY_FLAGGED,
    ...optionalBranding(brandingOf(env)),
    ...(env.VENDOR_TENANT_ID ? { vendorTenantId: env.VENDOR_TENANT_ID } : {}),
  };
}

/** `{ branding }` when there is one, nothing otherwise (optional fields stay absent, not undefined). */
function optionalBranding(branding: Branding | undefined): { branding?: Branding } {
  return branding ? { branding } : {};
}

/** The ports whose adapters differ between AWS and the local run; the rest is built the same way. */
export type PlatformPorts = Pick<Ports, 'vault' | 'clientSecrets' | 'linkKeys' | 'events'>;

/** What {@link composeKeeper} builds from. */
export interface KeeperCompositionInput {
  /** The DynamoDB client and table the repositories use (DynamoDB Local in the local run). */
  dynamoDb: DynamoDBClient;
  tableName: string;
  settings: KeeperSettings;
  platform: PlatformPorts;
  catalog: Catalog;
  clock?: Clock;
  /** Where the use cases, the Webex client and the contact sync write. */
  log: Log;
  /** Traces each Webex call; none in the local run and tests. */
  webexTracing?: WebexCallTracing;
  /**
   * The `serviceApp` webhook's secret: with it the public API takes in the webhook's deliveries and
   * the admin API registers it; without it neither does.
   */
  webhookSecret?: WebhookSecretSource;
}

/** The ports, and the dependencies of each entry point assembled from them. */
export interface KeeperComposition {
  /** Every port, built once per cold start (or once per local run). */
  ports: Ports;
  publicApi: PublicApiDependencies;
  validator: ValidatorDependencies;
  adminApi: AdminApiDependencies;
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

/**
 * The one composition root: builds the DynamoDB repositories and the Webex client, takes the
 * platform's vault, secrets and event adapters, and assembles the dependencies of the public
 * API, the validator and the admin API from them. The Lambda handlers call it through
 * {@link composeOnAws}; the local run calls it with its local adapters.
 */
export function composeKeeper(input: KeeperCompositionInput): KeeperComposition {
  const { settings, platform, catalog, log } = input;
  const clock = input.clock ?? systemClock;
  const webex = new HttpWebexClient({
    baseUrl: settings.webexApiBaseUrl,
    log,
    ...(input.webexTracing ? { tracing: input.webexTracing } : {}),
  });
  const ports: Ports = {
    ...createRepositories(input.dynamoDb, input.tableName),
    ...platform,
    webex,
    catalog,
    clock,
    log,
  };
  const reauthorizeLink = reauthorizeLinkIssuer({
    linkKeys: ports.linkKeys,
    clock,
    ttlDays: settings.linkTtlDays,
    publicBaseUrl: settings.publicBaseUrl,
  });
  const credentialIncidents = new DynamoDbCredentialIncidentStore(
    documentClientFor(input.dynamoDb),
    input.tableName,
  );
  const vendorToken = vendorTokenSource({
    tokens: createTokenAccess({ ...ports, webex }),
    tenantId: settings.vendorTenantId,
    integration: catalog.vendorToken?.key,
  });
  const { webhookSecret } = input;
  const validator: ValidatorDependencies = {
    authorizations: ports.authorizations,
    tenants: ports.tenants,
    vault: ports.vault,
    webex: ports.webex,
    adminAudit: ports.webex,
    clientSecrets: ports.clientSecrets,
    serviceAppTokens: { webex, vendorToken },
    events: ports.events,
    clock,
    catalog,
    config: {
      ...DEFAULT_VALIDATOR_CONFIG,
      passwordMaxAgeDays: settings.passwordMaxAgeDays,
      checkIntervalSeconds: settings.checkIntervalSeconds,
      ...(settings.sweepRateSeconds !== undefined ? { sweepRateSeconds: settings.sweepRateSeconds } : {}),
    },
    reauthorizeLink,
    checkBudget: new CheckBudget(
      new DynamoDbCheckBudgetStore(documentClientFor(input.dynamoDb), input.tableName),
      { ...DEFAULT_CHECK_BUDGET_LIMITS, ...settings.checkBudget },
      clock,
    ),
    credentialIncidents: { store: credentialIncidents },
    isTransientFailure: isTransientAwsFailure,
    log,
  };
  const {
    checkIntervalSeconds: _checkInterval,
    flapsPerDayFlagged: _flaps,
    branding,
    sweepRateSeconds: _sweepRate,
    checkBudget: _checkBudget,
    ...onboardingSettings
  } = settings;
  return {
    ports,
    validator,
    publicApi: {
      tenants: ports.tenants,
      authorizations: ports.authorizations,
      history: ports.history,
      oauthStates: ports.oauthStates,
      vault: ports.vault,
      webex: ports.webex,
      events: ports.events,
      clientSecrets: ports.clientSecrets,
      linkKeys: ports.linkKeys,
      catalog,
      clock,
      settings: onboardingSettings,
      serviceAppTokens: { webex, vendorToken },
      ...optionalBranding(branding),
      ...(webhookSecret
        ? {
            serviceAppWebhook: {
              webhookSecret,
              deliveries: new DynamoDbWebhookDeliveryLedger(
                documentClientFor(input.dynamoDb),
                input.tableName,
                () => clock.now(),
              ),
              tenantsByOrg: new DynamoDbTenantOrgIndex(documentClientFor(input.dynamoDb), input.tableName),
            },
          }
        : {}),
    },
    adminApi: {
      board: new DynamoDbFleetBoardStore(documentClientFor(input.dynamoDb), input.tableName),
      tenants: ports.tenants,
      authorizations: ports.authorizations,
      history: ports.history,
      catalog,
      clock,
      vault: ports.vault,
      webex: ports.webex,
      events: ports.events,
      passwordMaxAgeDays: settings.passwordMaxAgeDays,
      reauthorizeLink,
      defaultLinkTtlDays: settings.linkTtlDays,
      issueLink: linkIssuerWith({ linkKeys: ports.linkKeys, clock, publicBaseUrl: settings.publicBaseUrl }),
      validateNow: validateNowWith(validator),
      credentialIncidents,
      flapping: {
        ledger: new DynamoDbAlertLedger(documentClientFor(input.dynamoDb), input.tableName),
        moreThan: settings.flapsPerDayFlagged ?? DEFAULT_ALERT_POLICY.flapsPerDayFlagged,
      },
      validator,
      idempotency: new DynamoDbIdempotencyStore(documentClientFor(input.dynamoDb), input.tableName),
      ...(webhookSecret
        ? {
            serviceAppWebhooks: {
              serviceAppTokens: { webex, vendorToken },
              webhooks: webex,
              webhookSecret,
              publicBaseUrl: settings.publicBaseUrl,
            },
          }
        : {}),
    },
  };
}

/**
 * The composition on AWS from a function's parsed environment: the process's traced clients, the
 * token vault (envelope encryption under the KMS key), the Secrets Manager configuration secrets, and the EventBridge/SNS publisher.
 */
export function composeOnAws(
  env: KeeperEnvironment,
  options: {
    log: Log;
    webexTracing?: WebexCallTracing;
    /** The catalog used when CATALOG_JSON is unset (see {@link loadCatalog}). */
    shippedCatalog?: () => Catalog;
  },
): KeeperComposition {
  return composeKeeper({
    dynamoDb: dynamoDbClient(),
    tableName: env.TABLE_NAME,
    settings: settingsFrom(env),
    catalog: loadCatalog(env.CATALOG_JSON, options.shippedCatalog),
    platform: {
      vault: new EnvelopeTokenVault(new KmsDataKeys({ keyId: env.KMS_KEY_ID }), env.TABLE_NAME),
      clientSecrets: new SecretsManagerClientSecretSource({ secretId: env.CLIENT_SECRETS_SECRET_ID }),
      linkKeys: new SecretsManagerLinkKeySource({ secretId: env.LINK_SIGNING_SECRET_ID }),
      events: new AwsEventPublisher({ eventBusName: env.EVENT_BUS_NAME, topicArn: env.ALERT_TOPIC_ARN }),
    },
    log: options.log,
    ...(options.webexTracing ? { webexTracing: options.webexTracing } : {}),
    ...(env.WEBHOOK_SECRET_ID
      ? { webhookSecret: new SecretsManagerWebhookSecretSource({ secretId: env.WEBHOOK_SECRET_ID }) }
      : {}),
  });
}

/** Where ops put the client secrets on AWS, as a credential incident's mail names it. */
function clientSecretLocationOf(secretId: string): string {
  return `the Secrets Manager secret ${secretId}`;
}

/** The notifier's dependencies, and the tenant writes its mail feedback handling makes. */
export type NotifierComposition = NotifierDependencies & {
  tenants: Pick<TenantRepository, 'get' | 'suppressContact'>;
};

/**
 * The notifier's ports: the table's repositories and sent-mail ledger, the re-authorize link
 * issuer, and the platform's mail sender (SES on AWS, the mailbox in the local run).
 */
export function composeNotifier(input: {
  dynamoDb: DynamoDBClient;
  tableName: string;
  catalog: Catalog;
  linkKeys: LinkSigningKeySource;
  mail: MailSender;
  opsEmail: string;
  publicBaseUrl: string;
  linkTtlDays: number;
  passwordMaxAgeDays: number;
  /** The alert policy's tunables (docs/alerts.md); its defaults when absent. */
  policy?: AlertPolicySettings;
  /** Where the digest links the status board; the admin API's when absent. */
  statusBoardUrl?: string;
  /** Where ops put the integrations' client secrets, named in a credential incident's mail. */
  clientSecretLocation: string;
  /** The vendor's branding in the head of each mail; a generic head without it. */
  branding?: Branding;
  clock?: Clock;
  log: Log;
}): NotifierComposition {
  const clock = input.clock ?? systemClock;
  const repositories = createRepositories(input.dynamoDb, input.tableName);
  const publicBaseUrl = input.publicBaseUrl.replace(/\/+$/, '');
  return {
    ledger: new DynamoDbAlertLedger(documentClientFor(input.dynamoDb), input.tableName),
    policy: input.policy ?? DEFAULT_ALERT_POLICY,
    statusBoardUrl: input.statusBoardUrl ?? `${publicBaseUrl}/admin/status-board`,
    clientSecretLocation: input.clientSecretLocation,
    unsubscribeUrl: async (tenantId, email) =>
      unsubscribeUrl({ publicBaseUrl, tenantId, email, key: await input.linkKeys.get() }),
    tenants: repositories.tenants,
    authorizations: repositories.authorizations,
    sentMail: repositories.sentMail,
    mail: input.mail,
    catalog: input.catalog,
    reauthorizeLink: reauthorizeLinkIssuer({
      linkKeys: input.linkKeys,
      clock,
      ttlDays: input.linkTtlDays,
      publicBaseUrl: input.publicBaseUrl,
    }),
    passwordMaxAgeDays: input.passwordMaxAgeDays,
    opsEmail: input.opsEmail,
    ...optionalBranding(input.branding),
    clock,
    log: input.log,
  };
}

/** The notifier on AWS from its parsed environment: SES v2 through the stack's configuration set. */
export function composeNotifierOnAws(
  env: NotifierEnvironment,
  options: { log: Log; shippedCatalog?: () => Catalog },
): NotifierComposition {
  return composeNotifier({
    dynamoDb: dynamoDbClient(),
    tableName: env.TABLE_NAME,
    catalog: loadCatalog(env.CATALOG_JSON, options.shippedCatalog),
    linkKeys: new SecretsManagerLinkKeySource({ secretId: env.LINK_SIGNING_SECRET_ID }),
    mail: new SesMailSender({
      fromAddress: env.MAIL_FROM_ADDRESS,
      configurationSetName: env.MAIL_CONFIGURATION_SET,
    }),
    opsEmail: env.OPS_EMAIL,
    publicBaseUrl: env.PUBLIC_BASE_URL,
    linkTtlDays: env.LINK_TTL_DAYS,
    passwordMaxAgeDays: env.PASSWORD_MAX_AGE_DAYS,
    policy: alertPolicyFrom(env),
    clientSecretLocation: clientSecretLocationOf(env.CLIENT_SECRETS_SECRET_ID),
    ...optionalBranding(brandingOf(env)),
    log: options.log,
  });
}
