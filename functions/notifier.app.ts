import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import * as z from 'zod';
import { EVENT_SOURCE } from './adapters/event-publisher.js';
import { SES_EVENT_SOURCE, feedbackOf, sesEventSchema } from './adapters/ses-feedback.js';
import type { NotifierComposition } from './commons/composition-root.js';
import { tracedInvocation } from './commons/tracer.js';
import { recordMailFeedback } from './domain/mail-feedback.js';
import { authorizationEventSchema } from './domain/model.js';
import { flushNotifications, notifyAuthorizationEvent } from './domain/notifier.js';

const SERVICE = 'notifier';

/** Observability of the notifier; tests pass their own. */
export interface NotifierTools {
  logger: Logger;
  metrics: Metrics;
  /** X-Ray tracing of each invocation; tests pass none. */
  tracer?: Tracer;
}

/** Powertools' logger and metrics named after the service. */
export function notifierTools(): NotifierTools {
  return { logger: new Logger({ serviceName: SERVICE }), metrics: new Metrics({ serviceName: SERVICE }) };
}

/** An authorization event as the rule on the keeper's bus delivers it. */
const busEventSchema = z.object({
  source: z.literal(EVENT_SOURCE),
  detail: authorizationEventSchema,
});

/**
 * The stack's schedule (every minute, onto the same queue): time to mail the incidents that have
 * closed and the digests whose period has ended (docs/alerts.md).
 */
const flushScheduleSchema = z.object({
  source: z.literal('aws.events'),
  'detail-type': z.literal('Scheduled Event'),
});

const notifierBodySchema = z
  .string()
  .transform((body, context) => {
    try {
      return JSON.parse(body) as unknown;
    } catch {
      context.addIssue({ code: 'custom', message: 'not JSON' });
      return z.NEVER;
    }
  })
  .pipe(z.discriminatedUnion('source', [busEventSchema, sesEventSchema, flushScheduleSchema]));

/** A message that is neither an authorization event nor SES feedback: dead-lettered after its retries. */
export class MalformedNotifierMessageError extends Error {
  override readonly name = 'MalformedNotifierMessageError';
  constructor(messageId: string) {
    super(`Message ${messageId} is neither an authorization event nor SES feedback`);
  }
}

/**
 * The notifier: its queue gets every authorization event of the keeper's bus, the SES
 * configuration set's bounces, complaints and rejects, and the flush schedule. An event goes
 * through the alert policy (`notifyAuthorizationEvent`: one send per mail and address, so a
 * redelivery sends nothing twice); the schedule mails closed incidents and ended digests
 * (`flushNotifications`); feedback marks the contact on its tenant (`recordMailFeedback`). Powertools' batch
 * processor returns the failed messages as `batchItemFailures`, so only they are retried, and
 * dead-lettered after the queue's max receives.
 */
export function createNotifierHandler(deps: NotifierComposition, tools: NotifierTools = notifierTools()) {
  const { logger, metrics } = tools;

  async function handleRecord(record: SQSRecord): Promise<void> {
    const message = notifierBodySchema.safeParse(record.body);
    if (!message.success) {
      logger.error('Notifier message is neither an authorization event nor SES feedback', {
        messageId: record.messageId,
      });
      metrics.addMetric('NotifierErrors', MetricUnit.Count, 1);
      throw new MalformedNotifierMessageError(record.messageId);
    }
    if (message.data.source === SES_EVENT_SOURCE) {
      const outcome = await recordMailFeedback(deps, feedbackOf(message.data));
      metrics.addMetric('ContactsSuppressed', MetricUnit.Count, outcome.suppressed.length);
      return;
    }
    if (message.data.source === 'aws.events') {
      const flushed = await flushNotifications(deps);
      metrics.addMetric('MailsSent', MetricUnit.Count, flushed.sent.length);
      metrics.addMetric('IncidentMails', MetricUnit.Count, flushed.incidents);
      metrics.addMetric('OpsDigests', MetricUnit.Count, flushed.digests);
      return;
    }
    const report = await notifyAuthorizationEvent(deps, message.data.detail);
    metrics.addMetric('MailsSent', MetricUnit.Count, report.sent.length);
  }

  return middy(async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> =>
    processPartialResponse(event, handleRecord, new BatchProcessor(EventType.SQS), {
      context,
      // One at a time: the queue's batch paces the sends within SES's rate.
      processInParallel: false,
      throwOnFullBatchFailure: false,
    }),
  )
    .use(tracedInvocation(tools.tracer))
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics));
}
