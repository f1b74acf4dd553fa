import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { SQSRecord } from 'aws-lambda';
import { jsonBodySchema, sqsBatchHandler, type SqsConsumerTools } from './commons/sqs-batch.js';
import { CHECK_FAILING_METRIC, recordValidationOutcome } from './commons/validation-metrics.js';
import { handleCheckError } from './domain/check-failures.js';
import { validationMessageSchema } from './domain/sweep.js';
import { validateAuthorization } from './domain/validator.js';
import { type ValidatorDependencies } from './domain/validator-config.js';

const SERVICE = 'validator-worker';

/** Observability of the worker; tests pass their own. */
export type WorkerTools = SqsConsumerTools;

/** Powertools' logger and metrics named after the service (the namespace comes from POWERTOOLS_METRICS_NAMESPACE, set by the stack). */
export function workerTools(): WorkerTools {
  return { logger: new Logger({ serviceName: SERVICE }), metrics: new Metrics({ serviceName: SERVICE }) };
}

/** A record body that is a validation message (`{tenantId, integration}` as JSON). */
const validationBodySchema = jsonBodySchema(validationMessageSchema);

/** A message that is not a validation message: the sender's bug, dead-lettered after its retries. */
export class MalformedValidationMessageError extends Error {
  override readonly name = 'MalformedValidationMessageError';
  constructor(messageId: string) {
    super(`Message ${messageId} is not a validation message`);
  }
}

/**
 * The validator worker: each SQS message names one authorization, validated by
 * `validateAuthorization`. Powertools' batch processor runs the messages of a batch concurrently
 * and returns the ones that failed (malformed, or their validation threw) as `batchItemFailures`, so
 * only they are retried, and dead-lettered after the queue's max receives. A check that throws for
 * our own reasons is counted on its record (`handleCheckError`); the third in a row makes it
 * `check_failing` (out of the sweep, ops alerted) and its message is answered as done.
 */
export function createValidatorWorkerHandler(
  deps: ValidatorDependencies,
  tools: WorkerTools = workerTools(),
) {
  const { logger, metrics } = tools;

  async function validateRecord(record: SQSRecord): Promise<void> {
    const message = validationBodySchema.safeParse(record.body);
    if (!message.success) {
      logger.error('Validation message is not {tenantId, integration}', { messageId: record.messageId });
      metrics.addMetric('ValidationErrors', MetricUnit.Count, 1);
      throw new MalformedValidationMessageError(record.messageId);
    }
    const key = message.data;
    try {
      const outcome = await validateAuthorization(deps, key);
      logger.info('Authorization validated', { ...key, outcome });
      recordValidationOutcome(metrics, outcome);
    } catch (error) {
      metrics.addMetric('ValidationErrors', MetricUnit.Count, 1);
      // A check that throws is counted on its record; the one that makes it `check_failing` ends
      // the message, so it never reaches the DLQ (check-failures.ts). The others go back to SQS.
      const handling = await handleCheckError(deps, key, error);
      if (handling.kind === 'check_failing') {
        metrics.addMetric(CHECK_FAILING_METRIC, MetricUnit.Count, 1);
        return;
      }
      logger.error('Authorization validation failed; the message will be retried', {
        ...key,
        messageId: record.messageId,
        ...(handling.kind === 'counted'
          ? { errorId: handling.errorId, checkErrors: handling.checkErrors }
          : {}),
        error: error as Error,
      });
      throw error;
    }
  }

  return sqsBatchHandler(validateRecord, tools, { processInParallel: true });
}
