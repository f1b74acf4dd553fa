import * as z from 'zod';
import { handleCheckError } from './check-failures.js';
import { ConcurrencyLimit } from './concurrency.js';
import type { AuthorizationRepository, Clock } from './ports.js';
import { validateAuthorization } from './validator.js';
import {
  type AuthorizationKey,
  type ValidationOutcome,
  type ValidatorDependencies,
} from './validator-config.js';

/** The body of one validation message: which authorization to check. */
export const validationMessageSchema = z.strictObject({
  tenantId: z.string().min(1),
  integration: z.string().min(1),
});

/** Where the sweep hands due authorizations to the validator workers (SQS when deployed). */
export interface ValidationQueue {
  /** Sends every key; resolves once all are accepted, throws EnqueueError when some could not be sent. */
  enqueue(keys: readonly AuthorizationKey[]): Promise<void>;
}

/** Some keys could not be queued even after the retries; they stay due and the next sweep sends them. */
export class EnqueueError extends Error {
  override readonly name = 'EnqueueError';
  constructor(
    message: string,
    readonly failedCount: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Keys read from the `due` index per page: one page is sent before the next is read. */
export const DEFAULT_DUE_PAGE_SIZE = 100;

/**
 * Stop reading pages once less than this is left of the invocation: one page must still be
 * read and sent. The next schedule continues where due items remain.
 */
export const DEFAULT_TIME_RESERVE_MS = 10_000;

/**
 * The part of the `due` index one dispatcher invocation reads: the shards whose number modulo
 * `count` is `index`. The schedule starts one invocation per group, so a fleet's sweep is split.
 */
export interface ShardGroup {
  index: number;
  count: number;
}

/**
 * The dispatcher's event: a shard group given by the schedule's input (`shardGroup` of
 * `shardGroups`), or neither, meaning every shard (EventBridge's own scheduled event, a manual run).
 * Other fields (a scheduled event's) are ignored.
 */
export const dispatchEventSchema = z
  .looseObject({
    shardGroup: z.number().int().min(0).optional(),
    shardGroups: z.number().int().min(1).optional(),
  })
  .refine((event) => (event.shardGroup === undefined) === (event.shardGroups === undefined), {
    message: 'shardGroup and shardGroups go together',
    path: ['shardGroups'],
  })
  .refine((event) => (event.shardGroup ?? 0) < (event.shardGroups ?? 1), {
    message: 'shardGroup must be less than shardGroups',
    path: ['shardGroup'],
  })
  .transform((event): ShardGroup | undefined =>
    event.shardGroup !== undefined && event.shardGroups !== undefined
      ? { index: event.shardGroup, count: event.shardGroups }
      : undefined,
  );

export interface DispatchInput {
  authorizations: Pick<AuthorizationRepository, 'listDue'>;
  queue: ValidationQueue;
  clock: Clock;
  /** How many `DUE#n` partitions the index is spread over (the table definition's `dueShards`). */
  shards: number;
  /** The shards this invocation reads; every shard when absent. */
  shardGroup?: ShardGroup;
  /** Shards read at once, each page by page; one at a time when absent. */
  shardConcurrency?: number;
  /** Milliseconds left in this invocation (Lambda's `context.getRemainingTimeInMillis`). */
  remainingTimeMs: () => number;
  timeReserveMs?: number;
  pageSize?: number;
}

export interface DispatchReport {
  /** Keys sent to the queue. */
  dispatched: number;
  /** Keys the queue did not take (they stay due); the sweep went on with the next page. */
  failed: number;
  /** False when the time budget ran out before every shard was read to its end. */
  complete: boolean;
}

/**
 * The shards one invocation reads, in the order it starts them: its group's (all when no group),
 * starting from the one the minute points at, so a sweep that always runs short does not always
 * leave the same shards for last.
 */
export function shardsToRead(shards: number, now: Date, group?: ShardGroup): number[] {
  if (group && (group.count > shards || group.index >= group.count || group.index < 0))
    throw new RangeError(`Shard group ${group.index} of ${group.count} does not fit ${shards} shards`);
  const start = Math.floor(now.getTime() / 60_000) % shards;
  return Array.from({ length: shards }, (_, offset) => (start + offset) % shards).filter(
    (shard) => !group || shard % group.count === group.index,
  );
}

/**
 * Sends every due authorization to the validator queue, reading only the sparse `due` index,
 * shard by shard, page by page (never a scan); `shardConcurrency` shards at once, the queue
 * bounding its own sends. Work per invocation is bounded: before each page it checks the time
 * left and stops early when the budget is spent. Nothing is lost by stopping: an item stays due
 * until a worker moves its `nextCheckAt`, so the next schedule sends it. A page the queue refuses
 * is counted in `failed` and the sweep goes on: one bad moment of the queue must not leave every
 * later shard unchecked. A shard whose read fails fails the invocation, once the others are done.
 */
export async function dispatchDueAuthorizations(input: DispatchInput): Promise<DispatchReport> {
  const now = input.clock.now();
  const report: DispatchReport = { dispatched: 0, failed: 0, complete: true };
  const lanes = new ConcurrencyLimit(input.shardConcurrency ?? 1);
  const settled = await Promise.allSettled(
    shardsToRead(input.shards, now, input.shardGroup).map((shard) =>
      lanes.run(() => dispatchShard(input, shard, now, report)),
    ),
  );
  const failure = settled.find((outcome) => outcome.status === 'rejected');
  if (failure) throw failure.reason;
  return report;
}

/** Reads one shard to its end (or to the time budget), queuing each page; adds to `report`. */
async function dispatchShard(
  input: DispatchInput,
  shard: number,
  now: Date,
  report: DispatchReport,
): Promise<void> {
  const reserve = input.timeReserveMs ?? DEFAULT_TIME_RESERVE_MS;
  const limit = input.pageSize ?? DEFAULT_DUE_PAGE_SIZE;
  let cursor: string | undefined;
  do {
    if (input.remainingTimeMs() < reserve) {
      report.complete = false;
      return;
    }
    const page = await input.authorizations.listDue(shard, now, {
      limit,
      ...(cursor !== undefined ? { cursor } : {}),
    });
    if (page.items.length > 0) {
      const refused = await enqueuePage(input.queue, page.items);
      report.dispatched += page.items.length - refused;
      report.failed += refused;
    }
    cursor = page.cursor;
  } while (cursor !== undefined);
}

/** Queues one page; answers how many of its keys the queue did not take. */
async function enqueuePage(queue: ValidationQueue, keys: readonly AuthorizationKey[]): Promise<number> {
  try {
    await queue.enqueue(keys);
    return 0;
  } catch (error) {
    // Anything but a counted refusal (say the queue could not be reached) loses the whole page.
    return error instanceof EnqueueError ? Math.min(error.failedCount, keys.length) : keys.length;
  }
}

/** The result of one in-process sweep. */
export interface SweepReport {
  dispatched: number;
  outcomes: ValidationOutcome[];
  /**
   * Authorizations whose check threw (their message would be retried by SQS), with the error id
   * when the error was counted on the record (check-failures.ts).
   */
  errors: { key: AuthorizationKey; error: unknown; errorId?: string }[];
  /** Authorizations this sweep made `check_failing` (their message would be answered as done). */
  checkFailing: { key: AuthorizationKey; errorId: string }[];
}

/**
 * One full sweep in-process, for the local run and the integration tests: the same dispatch over
 * the `due` index, with every page validated on the spot (up to `concurrency` at a time) instead
 * of sent to SQS. A check that throws is handled as the worker handles it (counted on the record,
 * `check_failing` at the third), reported, never rethrown: the others go on. `horizonSeconds` also takes what falls due within that many
 * seconds (checked at once, forced): the local run's "sweep now" does the work of the next
 * scheduled sweep, without waiting for it.
 */
export async function runSweep(
  deps: ValidatorDependencies,
  options: { shards: number; concurrency?: number; pageSize?: number; horizonSeconds?: number },
): Promise<SweepReport> {
  const horizonMs = (options.horizonSeconds ?? 0) * 1000;
  const concurrency = options.concurrency ?? 4;
  const outcomes: ValidationOutcome[] = [];
  const errors: SweepReport['errors'] = [];
  const checkFailing: SweepReport['checkFailing'] = [];
  const queue: ValidationQueue = {
    async enqueue(keys) {
      const pending = [...keys];
      const worker = async () => {
        for (let key = pending.shift(); key !== undefined; key = pending.shift()) {
          try {
            outcomes.push(await validateAuthorization(deps, key, { force: horizonMs > 0 }));
          } catch (error) {
            const handling = await handleCheckError(deps, key, error);
            if (handling.kind === 'check_failing') checkFailing.push({ key, errorId: handling.errorId });
            else
              errors.push({
                key,
                error,
                ...(handling.kind === 'counted' ? { errorId: handling.errorId } : {}),
              });
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, pending.length) }, worker));
    },
  };
  const { dispatched } = await dispatchDueAuthorizations({
    authorizations: deps.authorizations,
    queue,
    clock:
      horizonMs > 0
        ? {
            now: () => new Date(deps.clock.now().getTime() + horizonMs),
            sleep: (ms) => deps.clock.sleep(ms),
          }
        : deps.clock,
    shards: options.shards,
    remainingTimeMs: () => Number.POSITIVE_INFINITY,
    ...(options.pageSize !== undefined ? { pageSize: options.pageSize } : {}),
  });
  return { dispatched, outcomes, errors, checkFailing };
}
