import * as z from 'zod';
import { DEFAULT_ALERT_POLICY, type AlertPolicySettings } from '#domain/alert-policy.js';
import { DEFAULT_CHECK_BUDGET_LIMITS } from '#domain/check-budget.js';
import { DEFAULT_PASSWORD_MAX_AGE_DAYS } from '#domain/expiry-warnings.js';
import { DEFAULT_LINK_TTL_DAYS } from '#domain/onboarding-link.js';
import { DEFAULT_VALIDATOR_CONFIG } from '#domain/validator-config.js';
import { brandingVariables } from './branding-environment.js';
import { baseUrl, parseEnvironment, positiveInt } from './config.js';

/** An integer between `min` and `max` given as an environment string. */
function integerBetween(min: number, max: number) {
  return z.coerce.number().int().min(min).max(max);
}

/** How many flaps a UTC day may hold before the status board and the digest flag the authorization. */
const flapsPerDayFlagged = integerBetween(1, 1000).default(DEFAULT_ALERT_POLICY.flapsPerDayFlagged);

/**
 * The alert policy's tunables (docs/alerts.md, "Settings"), in seconds; each unset one keeps its
 * default (DEFAULT_ALERT_POLICY). The deploy inputs set them in minutes; the local run reads them
 * as they are.
 */
export const alertPolicyEnvironmentSchema = z.object({
  ALERT_INCIDENT_WINDOW_SECONDS: integerBetween(1, 3600).default(DEFAULT_ALERT_POLICY.incidentWindowSeconds),
  ALERT_FLAP_WINDOW_SECONDS: integerBetween(1, 86_400).default(DEFAULT_ALERT_POLICY.flapWindowSeconds),
  ALERT_FLAPS_PER_DAY_FLAGGED: flapsPerDayFlagged,
  ALERT_DIGEST_PERIOD_SECONDS: integerBetween(1, 86_400).default(DEFAULT_ALERT_POLICY.digestPeriodSeconds),
});
export type AlertPolicyEnvironment = z.infer<typeof alertPolicyEnvironmentSchema>;

/** The alert policy's settings from its parsed environment. */
export function alertPolicyFrom(env: AlertPolicyEnvironment): AlertPolicySettings {
  return {
    incidentWindowSeconds: env.ALERT_INCIDENT_WINDOW_SECONDS,
    flapWindowSeconds: env.ALERT_FLAP_WINDOW_SECONDS,
    flapsPerDayFlagged: env.ALERT_FLAPS_PER_DAY_FLAGGED,
    digestPeriodSeconds: env.ALERT_DIGEST_PERIOD_SECONDS,
  };
}

/**
 * Environment of the public API, the admin API and the validator worker: they work on the same
 * table, vault, secrets, bus, topic and Webex, so they read one schema. Resource names have no
 * defaults: unset is an error.
 */
export const keeperEnvironmentSchema = z.object({
  TABLE_NAME: z.string().min(1),
  KMS_KEY_ID: z.string().min(1),
  CLIENT_SECRETS_SECRET_ID: z.string().min(1),
  LINK_SIGNING_SECRET_ID: z.string().min(1),
  EVENT_BUS_NAME: z.string().min(1),
  ALERT_TOPIC_ARN: z.string().min(1),
  WEBEX_API_BASE_URL: baseUrl,
  PUBLIC_BASE_URL: baseUrl,
  PASSWORD_MAX_AGE_DAYS: positiveInt.default(DEFAULT_PASSWORD_MAX_AGE_DAYS),
  LINK_TTL_DAYS: positiveInt.default(DEFAULT_LINK_TTL_DAYS),
  /** How often a healthy authorization is probed: set it to the sweep schedule's period. */
  CHECK_INTERVAL_SECONDS: positiveInt.default(DEFAULT_VALIDATOR_CONFIG.checkIntervalSeconds),
  /**
   * How often the sweep runs (the deploy input `sweepRateMinutes`); more often than the check
   * interval, each authorization keeps its own phase of the interval. Unset: once an interval.
   */
  SWEEP_RATE_SECONDS: positiveInt.optional(),
  /** Checks of one Webex org in flight at once, across workers (the deploy input `orgChecksInFlight`). */
  ORG_CHECKS_IN_FLIGHT: positiveInt.default(DEFAULT_CHECK_BUDGET_LIMITS.maxInFlight),
  /** Webex calls of one org's checks per minute, across workers (the deploy input `orgWebexCallsPerMinute`). */
  ORG_WEBEX_CALLS_PER_MINUTE: positiveInt.default(DEFAULT_CHECK_BUDGET_LIMITS.callsPerMinute),
  /** A whole catalog document replacing `config/catalog.json` at deploy time. */
  CATALOG_JSON: z.string().min(1).optional(),
  /** The team's copy of docs/admin-api.md: the admin API's problem `type`s link to its anchors. */
  PROBLEM_DOCS_URL: z.url().optional(),
  /** The alert policy's flap threshold, which the admin API's status board flags by. */
  ALERT_FLAPS_PER_DAY_FLAGGED: flapsPerDayFlagged,
  /** The vendor's branding on the portal and the public pages (branding-environment.ts). */
  ...brandingVariables,
  /**
   * The `serviceApp` webhook's secret (docs/service-apps.md): set on the public API, which verifies
   * the deliveries, and the admin API, which registers the webhook; the validator has none.
   */
  WEBHOOK_SECRET_ID: z.string().min(1).optional(),
  /** The vendor's own tenant, which holds the vendor token (docs/service-apps.md); optional. */
  VENDOR_TENANT_ID: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be a tenant id')
    .optional(),
});
export type KeeperEnvironment = z.infer<typeof keeperEnvironmentSchema>;

/** Parses the environment once; throws ConfigError naming every bad variable. */
export function loadKeeperEnvironment(
  env: Record<string, string | undefined> = process.env,
): KeeperEnvironment {
  return parseEnvironment(keeperEnvironmentSchema, env);
}

/** Environment of the sweep dispatcher: the table it reads and the queue it fills. */
export const dispatcherEnvironmentSchema = z.object({
  TABLE_NAME: z.string().min(1),
  VALIDATION_QUEUE_URL: z.url(),
});
export type DispatcherEnvironment = z.infer<typeof dispatcherEnvironmentSchema>;

/** Parses the dispatcher's environment once; throws ConfigError naming every bad variable. */
export function loadDispatcherEnvironment(
  env: Record<string, string | undefined> = process.env,
): DispatcherEnvironment {
  return parseEnvironment(dispatcherEnvironmentSchema, env);
}

/**
 * Environment of the notifier: the table (tenants, records, sent mails), the link-signing key for
 * the re-authorize link, the settings its alerts quote, and where and how it sends mail.
 */
export const notifierEnvironmentSchema = z.object({
  TABLE_NAME: z.string().min(1),
  LINK_SIGNING_SECRET_ID: z.string().min(1),
  /** Where ops put the client secrets: a credential incident's mail names it (the notifier never reads it). */
  CLIENT_SECRETS_SECRET_ID: z.string().min(1),
  PUBLIC_BASE_URL: baseUrl,
  PASSWORD_MAX_AGE_DAYS: positiveInt.default(DEFAULT_PASSWORD_MAX_AGE_DAYS),
  LINK_TTL_DAYS: positiveInt.default(DEFAULT_LINK_TTL_DAYS),
  CATALOG_JSON: z.string().min(1).optional(),
  /** The sender, on the SES identity's domain: `alerts@mail.example.com` or `Name <...>`. */
  MAIL_FROM_ADDRESS: z.string().min(3),
  /** The SES configuration set whose events mark bouncing and complaining contacts. */
  MAIL_CONFIGURATION_SET: z.string().min(1),
  /** The vendor's ops address. */
  OPS_EMAIL: z.email(),
  ...alertPolicyEnvironmentSchema.shape,
  /** The vendor's branding in the head of each mail (branding-environment.ts). */
  ...brandingVariables,
});
export type NotifierEnvironment = z.infer<typeof notifierEnvironmentSchema>;

/** Parses the notifier's environment once; throws ConfigError naming every bad variable. */
export function loadNotifierEnvironment(
  env: Record<string, string | undefined> = process.env,
): NotifierEnvironment {
  return parseEnvironment(notifierEnvironmentSchema, env);
}
