import { Duration } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { metricsNamespace, resourceNamePrefix } from './names.js';

/** Names of the metrics the functions emit in the stack's namespace (lib/names.ts `metricsNamespace`). */
export const FUNCTION_METRICS = {
  invalidated: 'AuthorizationInvalidated',
  validationErrors: 'ValidationErrors',
  sweepDispatched: 'SweepDispatched',
} as const;

/**
 * Invalidations per hour that mean something larger than one customer changing a password (a
 * Webex incident, a revoked integration, a classification bug). Each single invalidation already
 * e-mails ops through the alert topic; the alarm is for the wave.
 */
export const INVALIDATIONS_PER_HOUR_THRESHOLD = 5;

/**
 * A function metric summed over every dimension combination, with a Metrics Insights query: the
 * alarm keeps working whatever dimensions (service, integration, ...) the code adds.
 */
export function functionMetricSum(
  scope: Construct,
  metricName: string,
  period: Duration,
  label: string,
): cloudwatch.IMetric {
  return new cloudwatch.MathExpression({
    expression: `SELECT SUM(${metricName}) FROM "${metricsNamespace(scope)}"`,
    period,
    label,
  });
}

/** Options of the observability construct. */
export interface ObservabilityProps {
  /** Functions by the name shown on the dashboard. */
  readonly functions: Readonly<Record<string, lambda.IFunction>>;
  readonly dispatcher: lambda.IFunction;
  readonly worker: lambda.IFunction;
  readonly queue: sqs.IQueue;
  readonly deadLetterQueue: sqs.IQueue;
  /** The notifier's DLQ: an alert that could not be mailed five times. */
  readonly notifierDeadLetterQueue: sqs.IQueue;
  readonly stage: apigw.IHttpStage;
  /** Where alarms notify: the alarm topic of their own, with the ops e-mail subscription. */
  readonly alarmTopic: sns.ITopic;
}

/**
 * The alarms ops needs (a message dead-lettered by the validator or the notifier, the sweep or the
 * worker failing, a wave of invalidations) notifying the alarm topic, and one dashboard of the
 * whole flow.
 */
export class Observability extends Construct {
  readonly deadLetterAlarm: cloudwatch.Alarm;
  readonly notifierDeadLetterAlarm: cloudwatch.Alarm;
  readonly validatorErrorsAlarm: cloudwatch.Alarm;
  readonly invalidationsAlarm: cloudwatch.Alarm;
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    const fiveMinutes = Duration.minutes(5);

    // Named after the stack, so the alarm e-mails of staging and prod say which one rang.
    const prefix = resourceNamePrefix(this);
    this.deadLetterAlarm = this.queueNotEmptyAlarm(
      'DeadLetterQueueNotEmpty',
      `${prefix}-dead-letter-queue-not-empty`,
      'An authorization failed validation five times and was dead-lettered; it is no longer checked until redriven.',
      props.deadLetterQueue,
    );
    this.notifierDeadLetterAlarm = this.queueNotEmptyAlarm(
      'NotifierDeadLetterQueueNotEmpty',
      `${prefix}-notifier-dead-letter-queue-not-empty`,
      'An authorization event or SES feedback failed five times in the notifier and was dead-lettered: its mail was not sent (or its contact not marked) until redriven.',
      props.notifierDeadLetterQueue,
    );

    this.validatorErrorsAlarm = new cloudwatch.Alarm(this, 'ValidatorErrors', {
      alarmName: `${prefix}-validator-errors`,
      alarmDescription:
        'The sweep dispatcher or the validator worker failed (an invocation error, not a per-message failure).',
      metric: new cloudwatch.MathExpression({
        expression: 'FILL(dispatcher, 0) + FILL(worker, 0)',
        usingMetrics: {
          dispatcher: props.dispatcher.metricErrors({ period: fiveMinutes }),
          worker: props.worker.metricErrors({ period: fiveMinutes }),
        },
        period: fiveMinutes,
        label: 'Sweep and validator errors',
      }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    this.invalidationsAlarm = new cloudwatch.Alarm(this, 'Invalidations', {
      alarmName: `${prefix}-invalidations`,
      alarmDescription: `At least ${INVALIDATIONS_PER_HOUR_THRESHOLD} authorizations became invalid within an hour.`,
      metric: functionMetricSum(this, FUNCTION_METRICS.invalidated, Duration.hours(1), 'Invalidations'),
      threshold: INVALIDATIONS_PER_HOUR_THRESHOLD,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    const notify = new SnsAction(props.alarmTopic);
    for (const alarm of [
      this.deadLetterAlarm,
      this.notifierDeadLetterAlarm,
      this.validatorErrorsAlarm,
      this.invalidationsAlarm,
    ]) {
      alarm.addAlarmAction(notify);
    }

    this.dashboard = this.buildDashboard(props);
  }

  /** Fires as soon as a dead-letter queue holds a message. */
  private queueNotEmptyAlarm(
    id: string,
    alarmName: string,
    description: string,
    queue: sqs.IQueue,
  ): cloudwatch.Alarm {
    return new cloudwatch.Alarm(this, id, {
      alarmName,
      alarmDescription: description,
      metric: queue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: cloudwatch.Stats.MAXIMUM,
      }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }

  private buildDashboard(props: ObservabilityProps): cloudwatch.Dashboard {
    const period = Duration.minutes(5);
    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: resourceNamePrefix(this),
      defaultInterval: Duration.days(1),
    });
    const functions = Object.entries(props.functions);

    dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({
        title: 'Alarms',
        alarms: [this.deadLetterAlarm, this.validatorErrorsAlarm, this.invalidationsAlarm],
        width: 24,
        height: 3,
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Authorizations invalidated',
        left: [functionMetricSum(this, FUNCTION_METRICS.invalidated, period, 'Invalidated')],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Sweep: dispatched for validation',
        left: [functionMetricSum(this, FUNCTION_METRICS.sweepDispatched, period, 'Dispatched')],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Validation errors (transient and classified)',
        left: [functionMetricSum(this, FUNCTION_METRICS.validationErrors, period, 'Validation errors')],
        width: 8,
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Validation queue',
        left: [
          props.queue.metricApproximateNumberOfMessagesVisible({ period, label: 'Waiting' }),
          props.queue.metricApproximateNumberOfMessagesNotVisible({ period, label: 'In flight' }),
        ],
        right: [props.queue.metricApproximateAgeOfOldestMessage({ period, label: 'Oldest (s)' })],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Dead-letter queue',
        left: [
          props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
            period,
            statistic: cloudwatch.Stats.MAXIMUM,
            label: 'Dead-lettered',
          }),
        ],
        width: 12,
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Function errors',
        left: functions.map(([name, fn]) => fn.metricErrors({ period, label: name })),
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Function duration p90 (ms)',
        left: functions.map(([name, fn]) => fn.metricDuration({ period, statistic: 'p90', label: name })),
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Function throttles',
        left: functions.map(([name, fn]) => fn.metricThrottles({ period, label: name })),
        width: 8,
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'API requests',
        left: [
          props.stage.metricCount({ period, statistic: cloudwatch.Stats.SUM, label: 'Requests' }),
          props.stage.metricClientError({ period, statistic: cloudwatch.Stats.SUM, label: '4xx' }),
          props.stage.metricServerError({ period, statistic: cloudwatch.Stats.SUM, label: '5xx' }),
        ],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'API latency p90 (ms)',
        left: [props.stage.metricLatency({ period, statistic: 'p90', label: 'Latency' })],
        width: 12,
      }),
    );
    return dashboard;
  }
}
