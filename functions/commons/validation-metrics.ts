import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';

/**
 * Name of the metric the `Invalidations` alarm sums (lib/observability.ts): one per
 * authorization a check turned invalid.
 */
export const AUTHORIZATION_INVALIDATED_METRIC = 'AuthorizationInvalidated';

/**
 * Emitted by the sweep dispatcher on every run: 1 when it stopped at its time budget before
 * queueing every due authorization, else 0 (the `SweepIncomplete` alarm sums it).
 */
export const SWEEP_INCOMPLETE_METRIC = 'SweepIncomplete';

/**
 * One per KMS call that failed throttled after the SDK's retries (kms-throttles.ts): KMS publishes
 * no throttle metric of its own, so the `KmsThrottles` alarm sums this.
 */
export const KMS_THROTTLED_METRIC = 'KmsThrottled';

/** One per authorization whose thrown checks made it `check_failing` (its ops alert names the error id). */
export const CHECK_FAILING_METRIC = 'AuthorizationCheckFailing';

/**
 * Counts what one validation did that ops alarms on. Every path that runs a check (the worker on
 * the sweep, the admin API's validate-now) calls this, so an invalidation is counted wherever it
 * was found.
 */
export function recordValidationOutcome(
  metrics: Pick<Metrics, 'addMetric'>,
  // The validator's outcome, or the admin API's view of it: only whether a check recorded an event.
  outcome: { kind: 'checked'; event?: string } | { kind: 'skipped' },
): void {
  if (outcome.kind === 'checked' && outcome.event === 'invalidated') {
    metrics.addMetric(AUTHORIZATION_INVALIDATED_METRIC, MetricUnit.Count, 1);
  }
}
