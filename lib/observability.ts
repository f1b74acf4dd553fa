import { Duration } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { tableIndexes } from '#adapters/table-definition.js';
import { KMS_THROTTLED_METRIC, SWEEP_INCOMPLETE_METRIC } from '#commons/validation-metrics.js';
import { metricsNamespace, resourceNamePrefix } from './names.js';

/** Names of the metrics the functions emit in the stack's namespace (lib/names.ts `metricsNamespace`). */
export const FUNCTION_METRICS = {
  invalidated: 'AuthorizationInvalidated',
  validationErrors: 'ValidationErrors',
  sweepDispatched: 'SweepDispatched',
  sweepIncomplete: SWEEP_INCOMPLETE_METRIC,
  kmsThrottled: KMS_THROTTLED_METRIC,
} as const;

/**
 * Share of the validation messages the worker received that failed (went back to the queue), in
 * percent, over three five-minute periods in a row: a few failures are retried Webex hiccups, a
 * tenth of the sweep failing for a quarter of an hour is a fault of ours or of AWS long before
 * the DLQ fills.
 */
export const WORKER_FAILURE_PERCENT_THRESHOLD = 10;

/** Throttled requests in five minutes, summed over the table and its indexes, that page ops. */
export const DYNAMODB_THROTTLES_THRESHOLD = 1;

/**
 * Invalidations per hour that mean something larger than one customer changing a password (a
 * Webex incident, a revoked integration, a classification bug). Each single invalidation already
 * e-mails ops through the alert topic; the alarm is for the wave.
 */
export const INVALIDATIONS_PER_HOUR_THRESHOLD = 5;

/**
 * A function metric over every dimension combination, with a Metrics Insights query: the alarm
 * keeps working whatever dimensions (service, integration, ...) the code adds. `SUM` adds the
 * values; `COUNT` counts the data points (one per invocation that emitted it, zeros included, so
 * only a function that stopped emitting it reads as missing).
 */
export function functionMetric(
  scope: Construct,
  aggregate: 'SUM' | 'COUNT',
  metricName: string,
  period: Duration,
  label: string,
): cloudwatch.IMetric {
  return new cloudwatch.MathExpression({
    expression: `SELECT ${aggregate}(${metricName}) FROM "${metricsNamespace(scope)}"`,
    period,
    label,
  });
}

/** A function metric summed over every dimension combination ({@link functionMetric}). */
export function functionMetricSum(
  scope: Construct,
  metricName: string,
  period: Duration,
  label: string,
): cloudwatch.IMetric {
  return functionMetric(scope, 'SUM', metricName, period, label);
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
  /** The single table: its throttled requests, and its indexes', are alarmed. */
  readonly table: dynamodb.ITable;
  /** Time between two sweeps: the dead-man's and the queue age's yardstick. */
  readonly sweepRate: Duration;
  /** Where alarms notify: the alarm topic of their own, with the ops e-mail subscription. */
  readonly alarmTopic: sns.ITopic;
}

/**
 * The alarms ops needs, notifying the alarm topic (docs/deploy.md, "Operations", says what to do
 * for each): a message dead-lettered by the validator or the notifier, the sweep or the worker
 * failing, a wave of invalidations, and the quiet failures: worker messages failing one by one,
 * the queue falling behind the sweep, the sweep not running at all or not finishing, API 5xx, and
 * throttling by DynamoDB, KMS or Lambda. And one dashboard of the whole flow.
 */
export class Observability extends Construct {
  readonly deadLetterAlarm: cloudwatch.Alarm;
  readonly notifierDeadLetterAlarm: cloudwatch.Alarm;
  readonly validatorErrorsAlarm: cloudwatch.Alarm;
  readonly invalidationsAlarm: cloudwatch.Alarm;
  readonly workerFailureRateAlarm: cloudwatch.Alarm;
  readonly queueAgeAlarm: cloudwatch.Alarm;
  readonly sweepMissingAlarm: cloudwatch.Alarm;
  readonly sweepIncompleteAlarm: cloudwatch.Alarm;
  readonly apiServerErrorsAlarm: cloudwatch.Alarm;
  readonly dynamoDbThrottlesAlarm: cloudwatch.Alarm;
  readonly kmsThrottlesAlarm: cloudwatch.Alarm;
  readonly lambdaThrottlesAlarm: cloudwatch.Alarm;
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

    this.workerFailureRateAlarm = this.workerFailureRate(prefix, props);
    this.queueAgeAlarm = new cloudwatch.Alarm(this, 'ValidationQueueBehind', {
      alarmName: `${prefix}-validation-queue-behind`,
      alarmDescription: `A validation message waited longer than one sweep period (${props.sweepRate.toMinutes()} min): the workers do not keep up, or do not run, and checks slip.`,
      metric: props.queue.metricApproximateAgeOfOldestMessage({
        period: fiveMinutes,
        statistic: cloudwatch.Stats.MAXIMUM,
      }),
      threshold: props.sweepRate.toSeconds(),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.sweepMissingAlarm = this.sweepMissing(prefix, props.sweepRate);
    this.sweepIncompleteAlarm = new cloudwatch.Alarm(this, 'SweepIncomplete', {
      alarmName: `${prefix}-sweep-incomplete`,
      alarmDescription:
        'Two sweeps in a row stopped at their time budget before queueing every due authorization: checks slip further behind at each sweep.',
      metric: functionMetricSum(this, FUNCTION_METRICS.sweepIncomplete, props.sweepRate, 'Incomplete sweeps'),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.apiServerErrorsAlarm = new cloudwatch.Alarm(this, 'ApiServerErrors', {
      alarmName: `${prefix}-api-5xx`,
      alarmDescription:
        'The API answered 5xx: the public pages answer every customer mistake with a 4xx page, so a 5xx is a failure of ours (or of AWS) that a customer or the admin tooling saw.',
      metric: props.stage.metricServerError({ period: fiveMinutes, statistic: cloudwatch.Stats.SUM }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.dynamoDbThrottlesAlarm = this.sumAlarm('DynamoDbThrottles', {
      alarmName: `${prefix}-dynamodb-throttles`,
      description:
        'DynamoDB throttled reads or writes of the table or one of its indexes (a hot partition, or the on-demand table doubling past its previous peak).',
      metrics: this.tableThrottleMetrics(props.table, fiveMinutes),
      threshold: DYNAMODB_THROTTLES_THRESHOLD,
      label: 'DynamoDB throttled events',
    });
    this.kmsThrottlesAlarm = new cloudwatch.Alarm(this, 'KmsThrottles', {
      alarmName: `${prefix}-kms-throttles`,
      alarmDescription:
        "KMS refused calls for the account's request quota even after the SDK's retries: tokens could not be sealed or opened.",
      metric: functionMetricSum(this, FUNCTION_METRICS.kmsThrottled, fiveMinutes, 'KMS calls throttled'),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.lambdaThrottlesAlarm = this.sumAlarm('LambdaThrottles', {
      alarmName: `${prefix}-lambda-throttles`,
      description:
        "Lambda throttled an invocation of one of the stack's functions (the account's concurrency is spent, or a function's reserved concurrency is).",
      metrics: Object.fromEntries(
        Object.values(props.functions).map((fn, index) => [
          `fn${index}`,
          fn.metricThrottles({ period: fiveMinutes, statistic: cloudwatch.Stats.SUM }),
        ]),
      ),
      threshold: 1,
      label: 'Lambda throttles',
    });

    const notify = new SnsAction(props.alarmTopic);
    for (const alarm of this.alarms()) alarm.addAlarmAction(notify);

    this.dashboard = this.buildDashboard(props);
  }

  /** Every alarm of the stack, for the alarm topic and the dashboard. */
  alarms(): cloudwatch.Alarm[] {
    return [
      this.deadLetterAlarm,
      this.notifierDeadLetterAlarm,
      this.validatorErrorsAlarm,
      this.invalidationsAlarm,
      this.workerFailureRateAlarm,
      this.queueAgeAlarm,
      this.sweepMissingAlarm,
      this.sweepIncompleteAlarm,
      this.apiServerErrorsAlarm,
      this.dynamoDbThrottlesAlarm,
      this.kmsThrottlesAlarm,
      this.lambdaThrottlesAlarm,
    ];
  }

  /**
   * Failed worker messages as a share of those received. The failures are the worker's own
   * `ValidationErrors` (one per message whose check threw, under the worker's `service`
   * dimension); a period without messages reads as 0 %, not as missing.
   */
  private workerFailureRate(prefix: string, props: ObservabilityProps): cloudwatch.Alarm {
    const period = Duration.minutes(5);
    return new cloudwatch.Alarm(this, 'WorkerFailureRate', {
      alarmName: `${prefix}-worker-failure-rate`,
      alarmDescription: `More than ${WORKER_FAILURE_PERCENT_THRESHOLD} % of the validation messages failed (and went back to the queue) for 15 minutes; each is retried, and dead-lettered only after five tries.`,
      metric: new cloudwatch.MathExpression({
        expression: 'IF(received > 0, 100 * FILL(failed, 0) / received, 0)',
        usingMetrics: {
          failed: new cloudwatch.Metric({
            namespace: metricsNamespace(this),
            metricName: FUNCTION_METRICS.validationErrors,
            dimensionsMap: { service: 'validator-worker' },
            statistic: cloudwatch.Stats.SUM,
            period,
          }),
          received: props.queue.metricNumberOfMessagesReceived({ period, statistic: cloudwatch.Stats.SUM }),
        },
        period,
        label: 'Worker messages failed (%)',
      }),
      threshold: WORKER_FAILURE_PERCENT_THRESHOLD,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }

  /**
   * The dead-man: the dispatcher emits `SweepDispatched` on every run (zero included), so a window
   * of two sweep periods without one means the schedule or the function stopped. Missing data
   * breaches: silence is the failure.
   */
  private sweepMissing(prefix: string, sweepRate: Duration): cloudwatch.Alarm {
    const window = Duration.minutes(Math.max(5, 2 * sweepRate.toMinutes()));
    return new cloudwatch.Alarm(this, 'SweepMissing', {
      alarmName: `${prefix}-sweep-missing`,
      alarmDescription: `The sweep dispatcher reported no run for ${window.toMinutes()} minutes (two sweep periods): nothing is being checked.`,
      metric: functionMetric(this, 'COUNT', FUNCTION_METRICS.sweepDispatched, window, 'Sweep runs'),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
  }

  /** ReadThrottleEvents and WriteThrottleEvents of the table and of each of its indexes. */
  private tableThrottleMetrics(table: dynamodb.ITable, period: Duration): Record<string, cloudwatch.IMetric> {
    const scopes: { id: string; dimensions: Record<string, string> }[] = [
      { id: 'table', dimensions: { TableName: table.tableName } },
      ...tableIndexes().map((index, position) => ({
        id: `index${position}`,
        dimensions: { TableName: table.tableName, GlobalSecondaryIndexName: index.indexName },
      })),
    ];
    return Object.fromEntries(
      scopes.flatMap(({ id, dimensions }) =>
        (['Read', 'Write'] as const).map((kind) => [
          `${kind.toLowerCase()}${id}`,
          new cloudwatch.Metric({
            namespace: 'AWS/DynamoDB',
            metricName: `${kind}ThrottleEvents`,
            dimensionsMap: dimensions,
            statistic: cloudwatch.Stats.SUM,
            period,
          }),
        ]),
      ),
    );
  }

  /** Fires when the sum of the metrics (each missing one read as 0) reaches the threshold in five minutes. */
  private sumAlarm(
    id: string,
    options: {
      alarmName: string;
      description: string;
      metrics: Record<string, cloudwatch.IMetric>;
      threshold: number;
      label: string;
    },
  ): cloudwatch.Alarm {
    return new cloudwatch.Alarm(this, id, {
      alarmName: options.alarmName,
      alarmDescription: options.description,
      metric: new cloudwatch.MathExpression({
        expression: Object.keys(options.metrics)
          .map((name) => `FILL(${name}, 0)`)
          .join(' + '),
        usingMetrics: options.metrics,
        period: Duration.minutes(5),
        label: options.label,
      }),
      threshold: options.threshold,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
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
        alarms: this.alarms(),
        width: 24,
        height: 4,
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
