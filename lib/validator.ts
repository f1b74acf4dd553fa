import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ProjectFunction, functionBinding, queueWithDeadLetter } from './project-function.js';
import type { FunctionBinding } from './project-function.js';

/** How long one worker invocation may take (a batch of up to ten authorizations). */
export const WORKER_TIMEOUT = Duration.seconds(90);

/** Receives before a message goes to the DLQ: a poison message must not be retried for ever. */
export const MAX_RECEIVE_COUNT = 5;

/** Messages per worker invocation. */
export const WORKER_BATCH_SIZE = 10;

/**
 * Dispatcher invocations per sweep, each over a quarter of the `due` index's shards (the schedule's
 * input names the group): a fleet's sweep is split four ways, so 500,000 due keys fit one period's
 * invocations (docs/scale.md). An EventBridge rule takes at most five targets.
 */
export const DISPATCH_SHARD_GROUPS = 4;

/** Options of the validator construct. */
export interface ValidatorProps {
  /** Entry file of the sweep dispatcher (schedule target). */
  readonly dispatcherEntry: string;
  /** Entry file of the validator worker (SQS consumer). */
  readonly workerEntry: string;
  /** Time between two sweeps. */
  readonly sweepRate: Duration;
  /** What the dispatcher may read: the `due` index, nothing else. */
  readonly dispatcherBindings: readonly FunctionBinding[];
  /** What the worker may use: state, alerts, settings. */
  readonly workerBindings: readonly FunctionBinding[];
  readonly logRetention: logs.RetentionDays;
}

/**
 * The sweep: an EventBridge schedule runs the dispatcher once per shard group, each invocation
 * reading what is due from its shards of the sparse `due` index and fanning it out on the
 * validation queue; workers validate in batches, report
 * per-message failures, and a message that fails five times lands in the DLQ (alarmed).
 */
export class Validator extends Construct {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  readonly dispatcher: ProjectFunction;
  readonly worker: ProjectFunction;
  readonly schedule: events.Rule;

  constructor(scope: Construct, id: string, props: ValidatorProps) {
    super(scope, id);

    ({ queue: this.queue, deadLetterQueue: this.deadLetterQueue } = queueWithDeadLetter(this, {
      consumerTimeout: WORKER_TIMEOUT,
      maxReceiveCount: MAX_RECEIVE_COUNT,
    }));

    this.dispatcher = new ProjectFunction(this, 'Dispatcher', {
      entry: props.dispatcherEntry,
      serviceName: 'sweep-dispatcher',
      description: 'Sweep: reads due authorizations from the due index and queues them for validation',
      timeout: Duration.seconds(60),
      // One full vCPU (Lambda's CPU follows memory): at fleet scale the SDK's work per
      // SendMessageBatch, not SQS, bounds an invocation (docs/scale.md, the bench's Dispatch).
      memorySize: 1769,
      logRetention: props.logRetention,
    }).bind(...props.dispatcherBindings, this.bindSend());

    this.worker = new ProjectFunction(this, 'Worker', {
      entry: props.workerEntry,
      serviceName: 'validator-worker',
      description: 'Validates queued authorizations: refresh, probe, classify, alert',
      timeout: WORKER_TIMEOUT,
      logRetention: props.logRetention,
    }).bind(...props.workerBindings);
    this.worker.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: WORKER_BATCH_SIZE,
        reportBatchItemFailures: true,
        // Bounds parallel calls to Webex so a large sweep does not trip its rate limits.
        maxConcurrency: 5,
      }),
    );

    this.schedule = new events.Rule(this, 'SweepSchedule', {
      description: 'Runs the sweep of due authorizations',
      schedule: events.Schedule.rate(props.sweepRate),
      targets: Array.from(
        { length: DISPATCH_SHARD_GROUPS },
        (_, shardGroup) =>
          new targets.LambdaFunction(this.dispatcher, {
            event: events.RuleTargetInput.fromObject({ shardGroup, shardGroups: DISPATCH_SHARD_GROUPS }),
            retryAttempts: 2,
            // A sweep later than one period is superseded by the next one.
            maxEventAge: Duration.seconds(Math.max(60, props.sweepRate.toSeconds())),
          }),
      ),
    });
  }

  /** For the dispatcher: the queue's URL and SendMessage (also covers SendMessageBatch) on it. */
  private bindSend(): FunctionBinding {
    return functionBinding({ VALIDATION_QUEUE_URL: this.queue.queueUrl }, [
      new iam.PolicyStatement({
        sid: 'ValidationQueueSend',
        actions: ['sqs:SendMessage'],
        resources: [this.queue.queueArn],
      }),
    ]);
  }
}
