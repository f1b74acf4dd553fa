import * as z from 'zod';
import { brandingVariables } from '#commons/branding-environment.js';
import { parseEnvironment, positiveInt } from '#commons/config.js';
import { alertPolicyEnvironmentSchema } from '#commons/environment.js';

const port = z.coerce.number().int().min(1).max(65535);

/** The local contract's environment (README): ports, sweep timer, data directory, alert policy. */
export const localEnvironmentSchema = z.object({
  PORT: port.default(8787),
  WEBEX_SIM_PORT: port.default(8788),
  SWEEP_INTERVAL_SECONDS: positiveInt.default(30),
  /**
   * Seconds between two checks of a healthy authorization, as the deploy input
   * `checkIntervalMinutes`; unset, the sweep interval (so every sweep probes every authorization).
   */
  CHECK_INTERVAL_SECONDS: positiveInt.optional(),
  /** Checks of one Webex org in flight at once, as the deploy input `orgChecksInFlight`. */
  ORG_CHECKS_IN_FLIGHT: positiveInt.optional(),
  /** Webex calls of one org's checks per minute, as the deploy input `orgWebexCallsPerMinute`. */
  ORG_WEBEX_CALLS_PER_MINUTE: positiveInt.optional(),
  LOCAL_DATA_DIR: z.string().min(1).default('.local'),
  /** The vendor's ops address; every alert email goes there too. */
  OPS_EMAIL: z.email().default('ops@vendor.example'),
  /** Log level of the handlers' structured logs. */
  LOG_LEVEL: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR']).default('WARN'),
  /** A catalog file replacing `config/catalog.json`, as a deploy's `catalogFile` does. */
  CATALOG_FILE: z.string().min(1).optional(),
  /** Port of DynamoDB Local; a free one is picked when unset. */
  DYNAMODB_PORT: port.optional(),
  /** The alert policy's tunables in seconds, as the deployed notifier reads them (docs/alerts.md). */
  ...alertPolicyEnvironmentSchema.shape,
  /** The vendor's branding of the portal and the public pages, as the deploy inputs give it. */
  ...brandingVariables,
});
export type LocalEnvironment = z.infer<typeof localEnvironmentSchema>;

export function parseLocalEnvironment(
  env: Record<string, string | undefined> = process.env,
): LocalEnvironment {
  return parseEnvironment(localEnvironmentSchema, env);
}
