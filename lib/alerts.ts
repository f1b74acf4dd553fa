import { CfnParameter, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { functionBinding } from './project-function.js';
import type { FunctionBinding } from './project-function.js';

/** Loose e-mail shape for the CloudFormation parameter (the context value is checked by zod). */
const EMAIL_PATTERN = '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$';

/** Options of the alerting construct. */
export interface AlertsProps {
  /** The stack's customer managed key; the topic is encrypted with it. */
  readonly key: kms.IKey;
  /**
   * Ops alert address from context. When absent it becomes the required `OpsAlertEmail`
   * CloudFormation parameter, so `cdk synth` needs no address and `cdk deploy` cannot skip it.
   */
  readonly opsAlertEmail?: string;
}

/**
 * How the outside world hears about authorizations: the event topic (KMS-encrypted, TLS only) and
 * a custom event bus, both receiving every authorization event for the SaaS's own services (SQS,
 * Lambda or HTTPS subscribers filtering on the message attributes as they choose; no e-mail
 * subscription: people get mail from the notifier, lib/mail.ts), and the alarm topic of its own,
 * where CloudWatch alarms notify the vendor's ops address, so a burst of events can never bury or
 * throttle an alarm.
 */
export class Alerts extends Construct {
  /** Authorization events for machines. */
  readonly topic: sns.Topic;
  /** CloudWatch alarms, for ops (e-mail, and paging or chat subscribed by the vendor). */
  readonly alarmTopic: sns.Topic;
  readonly bus: events.EventBus;
  /** The ops address as deployed: the context value, or a reference to the parameter. */
  readonly opsAlertEmail: string;

  constructor(scope: Construct, id: string, props: AlertsProps) {
    super(scope, id);

    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 'Webex authorization events',
      masterKey: props.key,
      enforceSSL: true,
    });
    this.alarmTopic = new sns.Topic(this, 'AlarmTopic', {
      displayName: 'webex-auth-keeper alarms',
      masterKey: props.key,
      enforceSSL: true,
    });
    // Alarms publish to the encrypted topic as cloudwatch.amazonaws.com, which needs the key.
    props.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublishToAlarmTopic',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );

    this.opsAlertEmail =
      props.opsAlertEmail ??
      new CfnParameter(Stack.of(this), 'OpsAlertEmail', {
        type: 'String',
        description: 'E-mail address of the vendor ops team; receives every alert and alarm.',
        allowedPattern: EMAIL_PATTERN,
        constraintDescription: 'must be an e-mail address',
      }).valueAsString;
    new sns.Subscription(this, 'OpsEmail', {
      topic: this.alarmTopic,
      protocol: sns.SubscriptionProtocol.EMAIL,
      endpoint: this.opsAlertEmail,
    });

    this.bus = new events.EventBus(this, 'Bus', {
      description: 'webex-auth-keeper authorization events (granted, expiring, invalidated, revoked, ...)',
    });
  }

  /** For every function that records a transition: publish on the event topic and put events on the bus. */
  bindPublish(): FunctionBinding {
    const region = Stack.of(this).region;
    return functionBinding({ ALERT_TOPIC_ARN: this.topic.topicArn, EVENT_BUS_NAME: this.bus.eventBusName }, [
      new iam.PolicyStatement({
        sid: 'AlertPublish',
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
      }),
      new iam.PolicyStatement({
        sid: 'EventPublish',
        actions: ['events:PutEvents'],
        resources: [this.bus.eventBusArn],
      }),
      new iam.PolicyStatement({
        sid: 'AlertKeyUse',
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: [this.topicKeyArn()],
        conditions: { StringEquals: { 'kms:ViaService': `sns.${region}.amazonaws.com` } },
      }),
    ]);
  }

  private topicKeyArn(): string {
    const key = this.topic.masterKey;
    if (key === undefined) throw new Error('The alert topic must be encrypted');
    return key.keyArn;
  }
}
