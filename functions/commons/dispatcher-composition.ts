import { createRepositories } from '#adapters/dynamodb/index.js';
import { tableDefinition } from '#adapters/table-definition.js';
import { SqsValidationQueue } from '#adapters/validation-queue.js';
import { systemClock, type AuthorizationRepository, type Clock } from '#domain/ports.js';
import type { ValidationQueue } from '#domain/sweep.js';
import type { DispatcherEnvironment } from './environment.js';
import { untracedDynamoDbClient, untracedSqsClient } from './untraced-aws-clients.js';

/*
 * Apart from the composition root on purpose: it imports the traced clients, and with them the
 * X-Ray SDK. The dispatcher sends up to 50,000 SendMessageBatch calls a sweep; a subsegment each
 * is no trace a person reads, and the SDK's async hooks, which follow every promise of the
 * process, cost it about 15 % of its CPU per key (docs/scale.md). Its clients are those of
 * untraced-aws-clients.ts, and its bundle loads no tracer; Lambda's active tracing still records
 * each invocation.
 */

/** What the sweep dispatcher works with. */
export interface DispatcherDependencies {
  authorizations: Pick<AuthorizationRepository, 'listDue'>;
  queue: ValidationQueue;
  clock: Clock;
  shards: number;
  /** Shards read at once in one invocation (one at a time when absent). */
  shardConcurrency?: number;
}

/** The dispatcher's ports on AWS from its parsed environment, over untraced SDK clients. */
export function composeDispatcher(env: DispatcherEnvironment): DispatcherDependencies {
  return {
    authorizations: createRepositories(untracedDynamoDbClient(), env.TABLE_NAME).authorizations,
    queue: new SqsValidationQueue(env.VALIDATION_QUEUE_URL, untracedSqsClient()),
    clock: systemClock,
    shards: tableDefinition.dueShards,
    // Every shard of the invocation's group at once: the queue's own bound limits the sends.
    shardConcurrency: tableDefinition.dueShards,
  };
}
