import { randomUUID } from 'node:crypto';
import type { Integration } from './catalog.js';
import { publishQuietly } from './event-publishing.js';
import { mailValue } from './mail-text.js';
import { AUTHORIZATION_EVENT_VERSION, type AuthorizationEvent, type Tenant } from './model.js';
import { troubleshootingModel, type PortalUrls } from './onboarding-portal.js';
import type { CallbackOutcome, OnboardingDependencies } from './onboarding.js';

/*
 * Webex's refusals at the callback (the admin pressed Deny, or the integration is blocked): each is
 * recorded and published; the email goes out once per window, however often someone denies.
 */

/**
 * A denial alert (email) goes out at most once per tenant and integration in this window; further
 * denials in it are recorded in the history and published on the bus, but not emailed. Anyone
 * holding a link can deny as often as they like, so without this every loop is one more email.
 */
export const DENIAL_ALERT_WINDOW_HOURS = 24;

/**
 * The error codes RFC 6749 (section 4.1.2.1) lets an authorization server send to the redirect URI.
 * The callback's `error` is anyone's text (a link holder can call the callback by hand), so only
 * these are ever repeated; anything else is `unknown_error`.
 */
export const OAUTH_ERROR_CODES = [
  'invalid_request',
  'unauthorized_client',
  'access_denied',
  'unsupported_response_type',
  'invalid_scope',
  'server_error',
  'temporarily_unavailable',
] as const;

/** A refusal as the product repeats it: one of RFC 6749's codes, or `unknown_error`. */
export type OAuthErrorCode = (typeof OAUTH_ERROR_CODES)[number] | 'unknown_error';

/** The RFC 6749 code the callback's `error` names, or `unknown_error` for any other text. */
export function oauthErrorCodeOf(error: string): OAuthErrorCode {
  return OAUTH_ERROR_CODES.find((code) => code === error) ?? 'unknown_error';
}

/** How many of the tenant's newest history items are searched for the last denial alert. */
const DENIAL_HISTORY_LOOKBACK = 50;

/**
 * Records Webex's refusal as a `denied` history event, publishes it (with an alert email unless one
 * went out for the tenant and integration within DENIAL_ALERT_WINDOW_HOURS) and answers the
 * troubleshooting page.
 */
export async function recordDenial(
  deps: OnboardingDependencies,
  input: {
    tenant: Tenant;
    integration: Integration;
    urls: PortalUrls;
    error: OAuthErrorCode;
    description?: string;
  },
): Promise<CallbackOutcome> {
  const { tenant, integration } = input;
  const previous = await deps.authorizations.get(tenant.tenantId, integration.key);
  const now = deps.clock.now();
  const lastAlertAt = await lastDenialAlertWithinWindow(deps, tenant.tenantId, integration.key, now);
  const event: AuthorizationEvent = {
    version: AUTHORIZATION_EVENT_VERSION,
    eventId: randomUUID(),
    type: 'denied',
    severity: 'warning',
    tenantId: tenant.tenantId,
    integration: integration.key,
    occurredAt: now.toISOString(),
    ...(previous ? { status: previous.status } : {}),
    summary: `Webex did not grant ${integration.name} for ${mailValue(tenant.name)} (${input.error}).`,
    alertedAt: lastAlertAt ?? now.toISOString(),
    webexError: input.error,
  };
  await deps.history.append(event);
  await publishQuietly(deps, event);
  deps.log.info('Authorization denied by Webex', {
    tenantId: tenant.tenantId,
    integration: integration.key,
    webexError: input.error,
    alerted: lastAlertAt === undefined,
  });
  return {
    kind: 'denied',
    event,
    page: troubleshootingModel(tenant, integration, input.urls, {
      error: input.error,
      ...(input.description ? { description: input.description } : {}),
    }),
  };
}

/**
 * When the last denial alert of this tenant and integration went out, if that was less than
 * DENIAL_ALERT_WINDOW_HOURS ago: read from the newest denial of the integration among the tenant's
 * newest history items (each denial carries the time of the last alert forward). Two denials at the
 * same instant may both alert: this reads, it does not lock.
 */
async function lastDenialAlertWithinWindow(
  deps: Pick<OnboardingDependencies, 'history'>,
  tenantId: string,
  integration: string,
  now: Date,
): Promise<string | undefined> {
  const { items } = await deps.history.list(tenantId, { limit: DENIAL_HISTORY_LOOKBACK });
  const last = items.find((event) => event.type === 'denied' && event.integration === integration);
  if (!last) return undefined;
  // Denials recorded before events carried `alertedAt` were all alerted.
  const alertedAt = last.alertedAt ?? last.occurredAt;
  const age = now.getTime() - Date.parse(alertedAt);
  return age >= 0 && age < DENIAL_ALERT_WINDOW_HOURS * 3_600_000 ? alertedAt : undefined;
}
