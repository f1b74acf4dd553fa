import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { SQSRecord } from 'aws-lambda';
import * as z from 'zod';
import { EVENT_SOURCE } from './adapters/event-publisher.js';
import { SES_EVENT_SOURCE, feedbackOf, sesEventSchema } from './adapters/ses-feedback.js';
import type { NotifierComposition } from './commons/composition-root.js';
import { jsonBodySchema, sqsBatchHandler, type SqsConsumerTools } from './commons/sqs-batch.js';
import { recordMailFeedback } from './domain/mail-feedback.js';
import { authorizationEventSchema } from './domain/model.js';
import { flushNotifications, notifyAuthorizationEvent } from './domain/notifier.js';

const SERVICE = 'notifier';

/** Observability of the notifier; tests pass their own. */
export type NotifierTools = SqsConsumerTools;

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

const notifierBodySchema = jsonBodySchema(
  z.discriminatedUnion('source', [busEventSchema, sesEventSchema, flushScheduleSchema]),
);

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

  // One at a time: the queue's batch paces the sends within SES's rate.
  return sqsBatchHandler(handleRecord, tools, { processInParallel: false });
}
