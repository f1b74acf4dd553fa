import { CHECKABLE_STATUSES, type AuthorizationStatus, type EventType, type Severity } from './model.js';

/** Transient failures (429, 5xx, timeouts) in a row that make an authorization `degraded`. */
export const DEGRADED_AFTER_FAILURES = 3;

/**
 * Checks in a row that threw (not a Webex answer: our bug or bad data) that make an authorization
 * `check_failing`. One throw can be a race or a deploy; three, one sweep apart, are a fault that
 * retrying will not fix, and each further try would only fill the logs (or, through SQS, the DLQ)
 * with the same error. The same count as DEGRADED_AFTER_FAILURES, so ops learn of both alike.
 */
export const CHECK_FAILING_AFTER_ERRORS = 3;

/** The statuses the validator checks (and so the only ones it moves from). */
export type CheckedStatus = 'active' | 'expiring' | 'degraded';

/** Whether the validator checks a record of this status. */
export function isCheckable(status: AuthorizationStatus): status is CheckedStatus {
  return CHECKABLE_STATUSES.includes(status);
}

/**
 * Statuses a recheck may take up again: `invalid` (the stored refresh token is tried once more) and
 * `check_failing` (our checks threw; the sweep no longer takes it, so only a recheck brings it back).
 */
export const RECHECKABLE_STATUSES = [
  'invalid',
  'check_failing',
] as const satisfies readonly AuthorizationStatus[];

/** Whether an admin recheck may take up a record of this status (it is out of the sweep). */
export function canRecheck(status: AuthorizationStatus): status is (typeof RECHECKABLE_STATUSES)[number] {
  return (RECHECKABLE_STATUSES as readonly AuthorizationStatus[]).includes(status);
}

/** The validator's events; `granted`, `denied` and `revoked` come from onboarding and offboarding. */
export type ValidatorEventType = Extract<EventType, 'expiring' | 'degraded' | 'restored' | 'invalidated'>;

export interface StatusChange {
  status: AuthorizationStatus;
  consecutiveFailures: number;
  /** The event this check produces: one per transition and one per new expiry warning. */
  event?: { type: ValidatorEventType; severity: Severity };
}

/**
 * The status machine of a checked authorization:
 *
 * - `invalid` evidence: any -> `invalid` (`invalidated`, critical).
 * - transient failure: the count grows; the third in a row -> `degraded` (`degraded`, warning);
 *   never `invalid`. Already degraded: stays so, silently.
 * - healthy: the count resets; the target is `expiring` inside a warning window, else `active`.
 *   From `degraded` -> target (`restored`); `active` -> `expiring` (`expiring`); `expiring` ->
 *   `active` once the window is gone, e.g. after a re-authorization or an extended refresh token
 *   (`restored`, info); `expiring` stays `expiring` but a new threshold warns (`expiring`).
 *
 * A status that stays the same produces no event, except a new expiry threshold.
 */
export function nextStatus(input: {
  previous: { status: CheckedStatus; consecutiveFailures: number };
  outcome: 'healthy' | 'transient' | 'invalid';
  /** Healthy only: inside a warning window. */
  expiring?: boolean;
  /** Healthy only: a warning threshold not warned before was crossed. */
  newWarning?: boolean;
}): StatusChange {
  const { previous } = input;
  if (input.outcome === 'invalid') {
    return {
      status: 'invalid',
      consecutiveFailures: previous.consecutiveFailures,
      event: { type: 'invalidated', severity: 'critical' },
    };
  }
  if (input.outcome === 'transient') {
    const consecutiveFailures = previous.consecutiveFailures + 1;
    if (previous.status === 'degraded') return { status: 'degraded', consecutiveFailures };
    if (consecutiveFailures >= DEGRADED_AFTER_FAILURES) {
      return { status: 'degraded', consecutiveFailures, event: { type: 'degraded', severity: 'warning' } };
    }
    return { status: previous.status, consecutiveFailures };
  }
  const status = input.expiring ? 'expiring' : 'active';
  if (previous.status === 'degraded') {
    return { status, consecutiveFailures: 0, event: { type: 'restored', severity: 'info' } };
  }
  if (status === 'expiring' && (previous.status === 'active' || input.newWarning)) {
    return { status, consecutiveFailures: 0, event: { type: 'expiring', severity: 'warning' } };
  }
  if (previous.status === 'expiring' && status === 'active') {
    return { status, consecutiveFailures: 0, event: { type: 'restored', severity: 'info' } };
  }
  return { status, consecutiveFailures: 0 };
}
