import { createHash } from 'node:crypto';
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
 * Where in the check interval an authorization's checks fall, in [0, 1): from a hash of its key,
 * so the authorizations of one org, however many, are spread evenly over the interval and each
 * keeps its place from check to check.
 */
export function checkPhase(key: { tenantId: string; integration: string }): number {
  const digest = createHash('sha256').update(`${key.tenantId}#${key.integration}`).digest();
  return digest.readUInt32BE(0) / 2 ** 32;
}

/**
 * The first time after `after` that falls on the authorization's phase of the interval: the
 * times `phase * interval + k * interval` (k whole), counted from the epoch.
 */
export function nextPhaseSlot(after: number, intervalMs: number, phase: number): number {
  const offset = Math.floor(phase * intervalMs);
  return Math.floor((after - offset) / intervalMs) * intervalMs + offset + intervalMs;
}

/**
 * A healthy check's next time. When the sweep runs more often than the interval, on the
 * authorization's phase slot after the due time it was checked for (`previousDue`): one interval
 * later when it was on its slot already, so the sweep that follows it finds it due, whatever the
 * delay of this check; a check that was very late, or had no due time, takes the slot after now.
 * When the sweep runs once an interval, every due check is queued by every sweep whatever its
 * slot, so the interval less 5-20 % random jitter, which lands before the next sweep.
 */
function healthyNextCheck(input: {
  config: ValidatorDependencies['config'];
  random: () => number;
  now: number;
  key: { tenantId: string; integration: string };
  previousDue: Date | undefined;
}): number {
  const { config, now } = input;
  const intervalMs = config.checkIntervalSeconds * SECOND_MS;
  const sweepMs = (config.sweepRateSeconds ?? config.checkIntervalSeconds) * SECOND_MS;
  if (sweepMs >= intervalMs) return now + intervalMs * (0.95 - 0.15 * input.random());
  const phase = checkPhase(input.key);
  const slot = nextPhaseSlot(input.previousDue?.getTime() ?? now, intervalMs, phase);
  return slot > now + MIN_GAP_MS ? slot : nextPhaseSlot(now + MIN_GAP_MS, intervalMs, phase);
}

/**
 * The next check: for a healthy authorization about one check interval later (see
 * healthyNextCheck: on its phase slot, or 5-20 % early), or sooner for an upcoming refresh
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
  /** The authorization, whose phase of the interval its healthy checks keep. */
  key: { tenantId: string; integration: string };
  /** The due time this check was made for (the record's `nextCheckAt`). */
  previousDue: Date | undefined;
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
    healthyNextCheck({
      config: deps.config,
      random,
      now: now.getTime(),
      key: input.key,
      previousDue: input.previousDue,
    }),
    nextRefreshAt(input.material, input.issued).getTime(),
    ...(input.expiry?.nextThresholdAt ? [input.expiry.nextThresholdAt.getTime()] : []),
  ];
  return new Date(Math.max(now.getTime() + MIN_GAP_MS, Math.min(...candidates)));
}
