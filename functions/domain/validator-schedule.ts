import type { Verdict } from './classification.js';
import type { ExpiryAssessment } from './expiry-warnings.js';
import type { TokenMaterial } from './model.js';
import { nextRefreshAt, type IssueTimes } from './refresh-policy.js';
import type { ValidatorDependencies } from './validator-config.js';

/** One second in milliseconds. */
export const SECOND_MS = 1000;

/** First back-off after a transient failure; it doubles per failure up to the check interval. */
const FIRST_BACKOFF_MS = 60 * SECOND_MS;

/** Never schedule the next check closer than this: the sweep cadence bounds it anyway. */
const MIN_GAP_MS = SECOND_MS;

/**
 * The next check: for a healthy authorization a little before one check interval (jitter 5-20 %
 * earlier, spreading load and landing before the next sweep), or sooner for an upcoming refresh
 * or warning threshold; after a transient failure an exponential back-off from one minute up to
 * the interval, never sooner than Webex's Retry-After; while our client credentials are refused,
 * a pause as long as the incident is old, from one minute up to the interval. Undefined for an
 * invalid authorization.
 */
export function scheduleNextCheck(input: {
  deps: Pick<ValidatorDependencies, 'config' | 'random'>;
  now: Date;
  verdict: Verdict;
  consecutiveFailures: number;
  material: TokenMaterial;
  issued: IssueTimes;
  expiry: ExpiryAssessment | undefined;
  /** When the integration's open credential incident began, for a `client_refused` verdict. */
  credentialIncidentSince?: Date;
}): Date | undefined {
  const { deps, now, verdict } = input;
  const random = deps.random ?? Math.random;
  const intervalMs = deps.config.checkIntervalSeconds * SECOND_MS;
  if (verdict.kind === 'invalid' || verdict.kind === 'dead') return undefined;
  if (verdict.kind === 'client_refused') {
    // Growing with the incident's age (one minute, then about doubling per check), so a fixed
    // secret is noticed soon after a short incident and a long one costs one refusal per interval.
    const age = now.getTime() - (input.credentialIncidentSince ?? now).getTime();
    const pause = Math.min(Math.max(FIRST_BACKOFF_MS, age), intervalMs);
    return new Date(now.getTime() + pause * (1 + 0.1 * random()));
  }
  if (verdict.kind === 'transient') {
    const backoff = Math.min(FIRST_BACKOFF_MS * 2 ** Math.max(0, input.consecutiveFailures - 1), intervalMs);
    const retryAfter = (verdict.retryAfterSeconds ?? 0) * SECOND_MS;
    return new Date(now.getTime() + Math.max(backoff * (1 + 0.1 * random()), retryAfter));
  }
  const candidates = [
    now.getTime() + intervalMs * (0.95 - 0.15 * random()),
    nextRefreshAt(input.material, input.issued).getTime(),
    ...(input.expiry?.nextThresholdAt ? [input.expiry.nextThresholdAt.getTime()] : []),
  ];
  return new Date(Math.max(now.getTime() + MIN_GAP_MS, Math.min(...candidates)));
}
