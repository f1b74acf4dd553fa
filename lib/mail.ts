import { CfnParameter, Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as ses from 'aws-cdk-lib/aws-ses';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { EVENT_SOURCE } from '#adapters/event-publisher.js';
import { SES_EVENT_SOURCE, SES_FEEDBACK_DETAIL_TYPES } from '#adapters/ses-feedback.js';
import { ProjectFunction, functionBinding, queueWithDeadLetter } from './project-function.js';
import type { FunctionBinding } from './project-function.js';

/** How long one notifier invocation may take (a batch of mails, each sent once). */
export const NOTIFIER_TIMEOUT = Duration.seconds(60);

/** Receives before a notifier message goes to its DLQ. */
export const NOTIFIER_MAX_RECEIVE_COUNT = 5;

/** Messages per notifier invocation. */
export const NOTIFIER_BATCH_SIZE = 10;

/**
 * Notifiers at once: with a batch handled one mail at a time, this keeps the sends well inside
 * the SES production rate (14 a second at the start) while a burst waits in the queue.
 */
export const NOTIFIER_MAX_CONCURRENCY = 2;

/** The label of the custom MAIL FROM domain under the mail domain. */
export const MAIL_FROM_LABEL = 'bounce';

/** The local part of the sender address on the mail domain. */
export const SENDER_LOCAL_PART = 'alerts';

/** Loose DNS-name shape for the CloudFormation parameter (the context value is checked by zod). */
const DOMAIN_PATTERN = '^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$';

/** Options of the mail construct. */
export interface MailProps {
  /**
   * The domain mail is sent from, from context. When absent it becomes the required `MailDomain`
   * CloudFormation parameter, so `cdk synth` needs none and `cdk deploy` cannot skip it.
   */
  readonly mailDomain?: string;
  /** The ops address: ops alerts, and every customer alert too. */
  readonly opsEmail: string;
  /** The keeper's event bus: every authorization event feeds the notifier. */
  readonly bus: events.IEventBus;
  readonly notifierEntry: string;
  /** What the notifier may use besides sending: the table, the link key, settings. */
  readonly notifierBindings: readonly FunctionBinding[];
  readonly logRetention: logs.RetentionDays;
}

/**
 * E-mail to people through Amazon SES v2: the domain identity (Easy DKIM, custom MAIL FROM), a
 * configuration set that suppresses hard bounces and complaints and sends bounce, complaint and
 * reject events to the default bus (the only bus SES publishes to), and the notifier: one queue
 * (with a DLQ) fed by a rule on the keeper's bus and a rule on the default bus for this set's
 * events, consumed by the notifier function with partial batch failures.
 */
export class Mail extends Construct {
  readonly identity: ses.EmailIdentity;
  readonly configurationSet: ses.ConfigurationSet;
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  readonly notifier: ProjectFunction;
  /** The mail domain as deployed: the context value, or a reference to the parameter. */
  readonly mailDomain: string;

  constructor(scope: Construct, id: string, props: MailProps) {
    super(scope, id);
    this.mailDomain =
      props.mailDomain ??
      new CfnParameter(Stack.of(this), 'MailDomain', {
        type: 'String',
        description: 'Domain alert e-mail is sent from (SES identity with DKIM and a MAIL FROM subdomain).',
        allowedPattern: DOMAIN_PATTERN,
        constraintDescription: 'must be a lower-case DNS name such as mail.example.com',
      }).valueAsString;

    this.configurationSet = new ses.ConfigurationSet(this, 'ConfigurationSet', {
      suppressionReasons: ses.SuppressionReasons.BOUNCES_AND_COMPLAINTS,
      reputationMetrics: true,
      sendingEnabled: true,
    });
    this.configurationSet.addEventDestination('FeedbackToEventBridge', {
      destination: ses.EventDestination.eventBus(
        events.EventBus.fromEventBusName(this, 'DefaultBus', 'default'),
      ),
      events: [ses.EmailSendingEvent.BOUNCE, ses.EmailSendingEvent.COMPLAINT, ses.EmailSendingEvent.REJECT],
    });
    this.identity = new ses.EmailIdentity(this, 'Identity', {
      identity: ses.Identity.domain(this.mailDomain),
      dkimIdentity: ses.DkimIdentity.easyDkim(),
      dkimSigning: true,
      mailFromDomain: `${MAIL_FROM_LABEL}.${this.mailDomain}`,
      // A MAIL FROM record missing falls back to amazonses.com rather than refusing to send.
      mailFromBehaviorOnMxFailure: ses.MailFromBehaviorOnMxFailure.USE_DEFAULT_VALUE,
      configurationSet: this.configurationSet,
    });

    ({ queue: this.queue, deadLetterQueue: this.deadLetterQueue } = queueWithDeadLetter(this, {
      consumerTimeout: NOTIFIER_TIMEOUT,
      maxReceiveCount: NOTIFIER_MAX_RECEIVE_COUNT,
      // As long as its DLQ: an alert waiting out an SES outage is not dropped before.
      retentionPeriod: Duration.days(14),
    }));

    new events.Rule(this, 'AuthorizationEventsToNotifier', {
      description: 'Every authorization event of the keeper bus, for the notifier to mail',
      eventBus: props.bus,
      eventPattern: { source: [EVENT_SOURCE] },
      targets: [new targets.SqsQueue(this.queue)],
    });
    new events.Rule(this, 'MailFeedbackToNotifier', {
      description: "Bounces, complaints and rejects of the keeper's configuration set",
      eventPattern: {
        source: [SES_EVENT_SOURCE],
        detailType: [...SES_FEEDBACK_DETAIL_TYPES],
        detail: { mail: { tags: { 'ses:configuration-set': [this.configurationSet.configurationSetName] } } },
      },
      targets: [new targets.SqsQueue(this.queue)],
    });

    new events.Rule(this, 'AlertFlushToNotifier', {
      description:
        'Every minute: the notifier mails the incidents that closed and the ops digests that ended',
      schedule: events.Schedule.rate(Duration.minutes(1)),
      targets: [new targets.SqsQueue(this.queue)],
    });

    this.notifier = new ProjectFunction(this, 'Notifier', {
      entry: props.notifierEntry,
      serviceName: 'notifier',
      description: 'Mails authorization events through SES; marks bounced and complaining contacts',
      timeout: NOTIFIER_TIMEOUT,
      logRetention: props.logRetention,
    }).bind(...props.notifierBindings, this.bindSend(props.opsEmail));
    this.notifier.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: NOTIFIER_BATCH_SIZE,
        reportBatchItemFailures: true,
        maxConcurrency: NOTIFIER_MAX_CONCURRENCY,
      }),
    );
  }

  /** The configuration set's ARN, for the send permission. */
  configurationSetArn(): string {
    const stack = Stack.of(this);
    return stack.formatArn({
      service: 'ses',
      resource: 'configuration-set',
      resourceName: this.configurationSet.configurationSetName,
    });
  }

  /** `ses:SendEmail` on this identity and configuration set only, from the sender address. */
  private bindSend(opsEmail: string): FunctionBinding {
    const fromAddress = `${SENDER_LOCAL_PART}@${this.mailDomain}`;
    return functionBinding(
      {
        MAIL_FROM_ADDRESS: fromAddress,
        MAIL_CONFIGURATION_SET: this.configurationSet.configurationSetName,
        OPS_EMAIL: opsEmail,
      },
      [
        new iam.PolicyStatement({
          sid: 'MailSend',
          actions: ['ses:SendEmail'],
          resources: [this.identity.emailIdentityArn, this.configurationSetArn()],
          conditions: { StringEquals: { 'ses:FromAddress': fromAddress } },
        }),
      ],
    );
  }
}
