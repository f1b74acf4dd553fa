import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import * as z from 'zod';
import { tracedInvocation } from './traced-invocation.js';

/** Observability of an SQS consumer; tests pass their own. */
export interface SqsConsumerTools {
  logger: Logger;
  metrics: Metrics;
  /** X-Ray tracing of each invocation; tests pass none. */
  tracer?: Tracer;
}

/**
 * An SQS consumer with Powertools' batch processor: each record handled by `handleRecord`, the
 * ones that threw returned as `batchItemFailures` so only they are retried (and dead-lettered after
 * the queue's max receives), with the logger, metrics and tracer middlewares.
 */
export function sqsBatchHandler(
  handleRecord: (record: SQSRecord) => Promise<void>,
  tools: SqsConsumerTools,
  options: { processInParallel: boolean },
) {
  return middy(async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> =>
    // A processor per invocation: it keeps the batch's results, and the local run and tests may
    // invoke one handler concurrently.
    processPartialResponse(event, handleRecord, new BatchProcessor(EventType.SQS), {
      context,
      processInParallel: options.processInParallel,
      // A batch whose every message failed is answered like any other, not thrown: the invocation
      // itself did its work, and the failed messages are retried by SQS either way.
      throwOnFullBatchFailure: false,
    }),
  )
    .use(tracedInvocation(tools.tracer))
    .use(injectLambdaContext(tools.logger))
    .use(logMetrics(tools.metrics));
}

/**
 * A record body that is JSON of `schema`. Parsed with the project's zod rather than Powertools
 * Parser: its schemas import zod's whole `z` object, which put every zod locale into the bundle
 * (the worker went from 195 KB to 682 KB).
 */
export function jsonBodySchema<Schema extends z.ZodType>(schema: Schema) {
  return z
    .string()
    .transform((body, context) => {
      try {
        return JSON.parse(body) as unknown;
      } catch {
        context.addIssue({ code: 'custom', message: 'not JSON' });
        return z.NEVER;
      }
    })
    .pipe(schema);
}
