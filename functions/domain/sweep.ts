import * as z from 'zod';
import { handleCheckError } from './check-failures.js';
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
  ) {
    super(message);
  }
}

/** Keys read from the `due` index per page: one page is sent before the next is read. */
export const DEFAULT_DUE_PAGE_SIZE = 100;

/**
 * Stop reading pages once less than this is left of the invocation: one page must still be
 * read and sent. The next schedule continues where due items remain.
 */
export const DEFAULT_TIME_RESERVE_MS = 10_000;

export interface DispatchInput {
  authorizations: Pick<AuthorizationRepository, 'listDue'>;
  queue: ValidationQueue;
  clock: Clock;
  /** How many `DUE#n` partitions the index is spread over (the table definition's `dueShards`). */
  shards: number;
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
 * Sends every due authorization to the validator queue, reading only the sparse `due` index,
 * shard by shard, page by page (never a scan). Work per invocation is bounded: before each page it
 * checks the time left and stops early when the budget is spent. Nothing is lost by stopping:
 * an item stays due until a worker moves its `nextCheckAt`, so the next schedule sends it. The
 * starting shard rotates with the minute, so a sweep that always runs short does not always
 * leave the same shards for last. A page the queue refuses is counted in `failed` and the sweep
 * goes on: one bad moment of the queue must not leave every later shard unchecked.
 */
export async function dispatchDueAuthorizations(input: DispatchInput): Promise<DispatchReport> {
  const now = input.clock.now();
  const reserve = input.timeReserveMs ?? DEFAULT_TIME_RESERVE_MS;
  const limit = input.pageSize ?? DEFAULT_DUE_PAGE_SIZE;
  const start = Math.floor(now.getTime() / 60_000) % input.shards;
  let dispatched = 0;
  let failed = 0;
  for (let offset = 0; offset < input.shards; offset += 1) {
    const shard = (start + offset) % input.shards;
    let cursor: string | undefined;
    do {
      if (input.remainingTimeMs() < reserve) return { dispatched, failed, complete: false };
      const page = await input.authorizations.listDue(shard, now, {
        limit,
        ...(cursor !== undefined ? { cursor } : {}),
      });
      if (page.items.length > 0) {
        const refused = await enqueuePage(input.queue, page.items);
        dispatched += page.items.length - refused;
        failed += refused;
      }
      cursor = page.cursor;
    } while (cursor !== undefined);
  }
  return { dispatched, failed, complete: true };
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
