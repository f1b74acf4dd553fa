import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { bundledCatalog } from './commons/bundled-catalog.js';
import { parseEnvironment } from './commons/config.js';
import { recordValidationOutcome } from './commons/validation-metrics.js';
import { buildValidatorDependencies, validatorEnvironmentSchema } from './commons/validator-dependencies.js';
import { validationMessageSchema } from './domain/sweep.js';
import { validateAuthorization, type ValidatorDependencies } from './domain/validator.js';

const SERVICE = 'validator-worker';

/** Observability of the worker; tests pass their own. */
export interface WorkerTools {
  logger: Logger;
  metrics: Metrics;
}

function defaultTools(): WorkerTools {
  // The metrics namespace comes from POWERTOOLS_METRICS_NAMESPACE (set by the stack).
  return { logger: new Logger({ serviceName: SERVICE }), metrics: new Metrics({ serviceName: SERVICE }) };
}

/** Parses one SQS body; a bad one is the sender's bug and goes to the DLQ after its retries. */
function parseMessage(record: SQSRecord) {
  let body: unknown;
  try {
    body = JSON.parse(record.body);
  } catch {
    return undefined;
  }
  const parsed = validationMessageSchema.safeParse(body);
  return parsed.success ? parsed.data : undefined;
}

/**
 * The validator worker: each SQS message names one authorization, validated by
 * `validateAuthorization`. Messages of a batch run concurrently; the ones that fail are returned
 * as `batchItemFailures` so only they are retried (and dead-lettered after the queue's max
 * receives). `deps` is a factory so the deployed handler reads its environment once, on the first
 * invocation, while the local run and tests pass ready-made ports.
 */
export function createValidatorWorkerHandler(
  deps: () => ValidatorDependencies,
  tools: WorkerTools = defaultTools(),
) {
  const { logger, metrics } = tools;
  let resolved: ValidatorDependencies | undefined;
  return middy(async (event: SQSEvent, _context: Context): Promise<SQSBatchResponse> => {
    resolved ??= deps();
    const ports = resolved;
    const failures = await Promise.all(
      event.Records.map(async (record): Promise<string | undefined> => {
        const key = parseMessage(record);
        if (!key) {
          logger.error('Validation message is not {tenantId, integration}', { messageId: record.messageId });
          metrics.addMetric('ValidationErrors', MetricUnit.Count, 1);
          return record.messageId;
        }
        try {
          const outcome = await validateAuthorization(ports, key);
          logger.info('Authorization validated', { ...key, outcome });
          recordValidationOutcome(metrics, outcome);
          return undefined;
        } catch (error) {
          logger.error('Authorization validation failed; the message will be retried', {
            ...key,
            messageId: record.messageId,
            error: error as Error,
          });
          metrics.addMetric('ValidationErrors', MetricUnit.Count, 1);
          return record.messageId;
        }
      }),
    );
    return {
      batchItemFailures: failures
        .filter((id): id is string => id !== undefined)
        .map((itemIdentifier) => ({ itemIdentifier })),
    };
  })
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics));
}

const tools = defaultTools();

/** The deployed worker: ports built from the environment (failing with every bad variable named). */
export const handler = createValidatorWorkerHandler(
  () =>
    buildValidatorDependencies(parseEnvironment(validatorEnvironmentSchema), {
      logger: tools.logger,
      shippedCatalog: bundledCatalog,
    }),
  tools,
);
