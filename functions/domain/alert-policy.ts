import type { AuthorizationEvent } from './model.js';

/*
 * Who gets which mail, and when (docs/alerts.md). Pure rules: the use cases that follow them, with
 * the ledger that remembers between events, are in alert-delivery.ts.
 */

/** The alert policy's tunables; every one is configuration (docs/alerts.md). */
export interface AlertPolicySettings {
  /**
   * How long an incident waits for its siblings after its first death before its one mail goes:
   * the authorizations of a person that die together die within one sweep.
   */
  incidentWindowSeconds: number;
  /** A `degraded` followed by `restored` within this is a flap: counted in the digest, mailed to nobody. */
  flapWindowSeconds: number;
  /** An authorization that flaps more than this many times a day is flagged on the status board and in the digest. */
  flapsPerDayFlagged: number;
  /** The ops digest's period; periods are aligned on the epoch, so every notifier agrees on them. */
  digestPeriodSeconds: number;
}

/** The defaults: an incident within one default sweep period (900 s), a half-hour flap window, an hourly digest. */
export const DEFAULT_ALERT_POLICY: AlertPolicySettings = {
  incidentWindowSeconds: 300,
  flapWindowSeconds: 1800,
  flapsPerDayFlagged: 3,
  digestPeriodSeconds: 3600,
};

/** What the customer's contacts get for an event: nothing, a mail now, or one mail per incident. */
export type CustomerRoute = 'none' | 'now' | 'incident';

/** What the vendor's ops get for an event: nothing, a mail now (vendor-side incidents), or a line in the digest. */
export type OpsRoute = 'none' | 'now' | 'digest';

/** Vendor-side or our own incidents: ops must act at once, and the customer can do nothing about them. */
const OPS_AT_ONCE: readonly AuthorizationEvent['type'][] = [
  'credential_incident',
  'credential_resolved',
  'check_failing',
  'org_bound',
];

/** Routine, or history only: in nobody's mail and not counted. */
const UNCOUNTED: readonly AuthorizationEvent['type'][] = ['refreshed', 'recheck_failed'];

/**
 * Whether a `denied` event is the first of its tenant and integration in the denial alert window
 * (onboarding-denials.ts sets `alertedAt` to its own time then); one from before `alertedAt`
 * existed was alerted.
 */
function isFirstDenialOfTheDay(event: AuthorizationEvent): boolean {
  return event.alertedAt === undefined || Date.parse(event.alertedAt) === Date.parse(event.occurredAt);
}

/** The customer's route of an event (docs/alerts.md, "Customer contacts"). */
export function customerRoute(event: AuthorizationEvent): CustomerRoute {
  switch (event.type) {
    case 'invalidated':
      return 'incident';
    case 'expiring':
    case 'revoked':
      return 'now';
    case 'restored':
      // Only the end of an outage the customer was told about: never after `degraded` or `expiring`.
      return event.previousStatus === 'invalid' ? 'now' : 'none';
    case 'denied':
      return isFirstDenialOfTheDay(event) ? 'now' : 'none';
    default:
      return 'none';
  }
}

/**
 * The ops route of an event (docs/alerts.md, "Ops"). The vendor token's transitions that put
 * Service App tokens at risk (`vendorTokenAtRisk`) are vendor-side incidents: at once.
 */
export function opsRoute(event: AuthorizationEvent, options: { vendorTokenAtRisk?: boolean } = {}): OpsRoute {
  if (OPS_AT_ONCE.includes(event.type) || options.vendorTokenAtRisk === true) return 'now';
  return UNCOUNTED.includes(event.type) ? 'none' : 'digest';
}

/**
 * The incident an invalidation belongs to: its tenant, its cause and the person who had granted it
 * (the authorizations a password change or a deactivation kills are one person's; another person's
 * with the same cause is another incident, whose mail names another person).
 */
export function incidentKey(event: AuthorizationEvent, authorizerEmail: string | undefined): string {
  return [event.tenantId, event.cause ?? 'unknown', (authorizerEmail ?? '').toLowerCase()].join('#');
}

/** When the incident an event opens closes: its first death plus the window. */
export function incidentClosesAt(event: AuthorizationEvent, settings: AlertPolicySettings): Date {
  return new Date(Date.parse(event.occurredAt) + settings.incidentWindowSeconds * 1000);
}

/** The end (exclusive) of the digest period `at` falls in. */
export function digestPeriodEnd(at: Date, settings: AlertPolicySettings): Date {
  const period = settings.digestPeriodSeconds * 1000;
  return new Date((Math.floor(at.getTime() / period) + 1) * period);
}

/** Whether a `restored` that ends a `degraded` noted at `degradedAt` is a flap. */
export function isFlap(
  degradedAt: Date | undefined,
  restoredAt: Date,
  settings: AlertPolicySettings,
): boolean {
  if (degradedAt === undefined) return false;
  const elapsed = restoredAt.getTime() - degradedAt.getTime();
  return elapsed >= 0 && elapsed <= settings.flapWindowSeconds * 1000;
}

/** The UTC day of a time, `YYYY-MM-DD`, as flaps are counted per day. */
export function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}
