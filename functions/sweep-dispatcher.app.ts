import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { DispatcherDependencies } from './commons/dispatcher-composition.js';
import { SWEEP_INCOMPLETE_METRIC } from './commons/validation-metrics.js';
import {
  dispatchDueAuthorizations,
  dispatchEventSchema,
  EnqueueError,
  type DispatchReport,
} from './domain/sweep.js';

const SERVICE = 'sweep-dispatcher';

/** Observability of the dispatcher, logs and metrics (no tracer: commons/dispatcher-composition.ts says why); tests pass their own. */
export interface DispatcherTools {
  logger: Logger;
  metrics: Metrics;
}

/** Powertools' logger and metrics named after the service (the namespace comes from POWERTOOLS_METRICS_NAMESPACE, set by the stack). */
export function dispatcherTools(): DispatcherTools {
  return { logger: new Logger({ serviceName: SERVICE }), metrics: new Metrics({ serviceName: SERVICE }) };
}

/** The dispatcher's event is not one it can run: the schedule's input names a shard group that does not exist. */
export class DispatchEventError extends Error {
  override readonly name = 'DispatchEventError';
}

/**
 * The sweep dispatcher, run by the EventBridge schedule, once per shard group (the schedule's
 * input names it; an event without one covers every shard): sends every due authorization of its
 * shards to the validation queue within this invocation's time, keeping a reserve before the
 * Lambda timeout; what is left stays due for the next schedule.
 */
export function createSweepDispatcherHandler(
  deps: DispatcherDependencies,
  tools: DispatcherTools = dispatcherTools(),
  options: { timeReserveMs?: number } = {},
) {
  const { logger, metrics } = tools;
  return middy(async (event: unknown, context: Context): Promise<DispatchReport> => {
    const parsed = dispatchEventSchema.safeParse(event);
    if (!parsed.success) {
      throw new DispatchEventError(
        `Dispatcher event refused: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`,
      );
    }
    const report = await dispatchDueAuthorizations({
      ...deps,
      ...(parsed.data ? { shardGroup: parsed.data } : {}),
      remainingTimeMs: () => context.getRemainingTimeInMillis(),
      ...(options.timeReserveMs !== undefined ? { timeReserveMs: options.timeReserveMs } : {}),
    });
    metrics.addMetric('SweepDispatched', MetricUnit.Count, report.dispatched);
    metrics.addMetric('SweepEnqueueFailed', MetricUnit.Count, report.failed);
    metrics.addMetric(SWEEP_INCOMPLETE_METRIC, MetricUnit.Count, report.complete ? 0 : 1);
    if (report.failed > 0) {
      // A failed invocation is what the ValidatorErrors alarm counts, and it is retried.
      logger.error('The queue refused part of the sweep; those authorizations stay due', { ...report });
      throw new EnqueueError(
        `${report.failed} due authorizations could not be queued (${report.dispatched} were)`,
        report.failed,
      );
    }
    if (report.complete) logger.info('Sweep dispatched every due authorization', { ...report });
    else logger.warn('Sweep stopped at its time budget; the next schedule continues', { ...report });
    return report;
  })
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics));
}
