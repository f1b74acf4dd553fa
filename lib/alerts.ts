import { CfnParameter, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { functionBinding } from './project-function.js';
import type { FunctionBinding } from './project-function.js';

/** SNS calls of the admin API that IAM authorizes against the topic's ARN. */
export const TOPIC_SUBSCRIPTION_ACTIONS = ['sns:Subscribe', 'sns:ListSubscriptionsByTopic'] as const;

/**
 * SNS calls of the admin API that take a subscription ARN (read and change a contact's filter policy,
 * remove a contact). SNS has no subscription resource type
 * in IAM: these actions are authorized against `*` only, so a statement naming the topic would
 * never match them (Service Authorization Reference, Amazon SNS).
 */
export const SUBSCRIPTION_ACTIONS = [
  'sns:GetSubscriptionAttributes',
  'sns:SetSubscriptionAttributes',
  'sns:Unsubscribe',
] as const;

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
 * How the outside world hears about authorizations: the alert topic (KMS-encrypted, TLS only)
 * with the vendor's ops e-mail subscribed to everything, the tenants' contacts subscribed by the
 * admin API with a tenantId filter policy, and a custom event bus receiving every authorization
 * event for other systems. CloudWatch alarms notify the same topic; messages without a tenantId
 * attribute never match a tenant's filter policy, so only ops receives them.
 */
export class Alerts extends Construct {
  readonly topic: sns.Topic;
  readonly bus: events.EventBus;
  /** The ops address as deployed: the context value, or a reference to the parameter. */
  readonly opsAlertEmail: string;

  constructor(scope: Construct, id: string, props: AlertsProps) {
    super(scope, id);

    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 'Webex authorization alerts',
      masterKey: props.key,
      enforceSSL: true,
    });
    // Alarms publish to the encrypted topic as cloudwatch.amazonaws.com, which needs the key.
    props.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublishToAlertTopic',
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
      topic: this.topic,
      protocol: sns.SubscriptionProtocol.EMAIL,
      endpoint: this.opsAlertEmail,
    });

    this.bus = new events.EventBus(this, 'Bus', {
      description: 'webex-auth-keeper authorization events (granted, expiring, invalidated, revoked, ...)',
    });
  }

  /** For every function that records a transition: publish on the topic and put events on the bus. */
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

  /** For the admin API only: subscribe, unsubscribe and filter tenants' contacts on this topic. */
  bindSubscriptionManagement(): FunctionBinding {
    return functionBinding(
      { ALERT_TOPIC_ARN: this.topic.topicArn },
      [
        new iam.PolicyStatement({
          sid: 'ContactSubscriptionsOnTopic',
          actions: [...TOPIC_SUBSCRIPTION_ACTIONS],
          resources: [this.topic.topicArn],
        }),
        new iam.PolicyStatement({
          sid: 'ContactSubscriptionChanges',
          actions: [...SUBSCRIPTION_ACTIONS],
          resources: ['*'],
        }),
      ],
      [
        {
          id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
          reason:
            'sns:GetSubscriptionAttributes, SetSubscriptionAttributes and Unsubscribe take a subscription ARN and SNS has no subscription resource type in IAM, so they can only be granted on "*"; Subscribe and ListSubscriptionsByTopic stay limited to the alert topic.',
        },
      ],
    );
  }

  private topicKeyArn(): string {
    const key = this.topic.masterKey;
    if (key === undefined) throw new Error('The alert topic must be encrypted');
    return key.keyArn;
  }
}
