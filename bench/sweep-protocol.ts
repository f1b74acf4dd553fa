import * as z from 'zod';
import { failedReplySchema, readyReplySchema } from './child-processes.js';

/**
 * What the bench sends each sweep process: where everything is, which part of the sweep is its
 * own, and the vault's key.
 */
export const sweepRequestSchema = z.strictObject({
  endpoint: z.url(),
  tableName: z.string().min(3),
  /** A table of due authorizations swept first, untimed, so the timed sweep runs warm. */
  warmupTableName: z.string().min(3),
  simulatorUrl: z.url(),
  /** Consumers in this process (its share of `--concurrency`). */
  concurrency: z.number().int().positive(),
  /** This process answers the `due` index's shards with `shard % processCount === processIndex`. */
  processIndex: z.number().int().nonnegative(),
  processCount: z.number().int().positive(),
  /** The wrapping key (base64) of the vault that sealed the seeded tokens, so this process opens them. */
  vaultKey: z.base64(),
});
export type SweepRequest = z.infer<typeof sweepRequestSchema>;

const capacitySchema = z.object({ read: z.number(), write: z.number() });
const dynamoDbTallySchema = z.object({
  commands: z.record(z.string(), z.number()),
  totalCalls: z.number(),
  totalMs: z.number(),
});

/**
 * What the sweep measured: one process's figures, or (bench/sweep.ts) those of all the sweep
 * processes together.
 */
export const sweepResultSchema = z.strictObject({
  /** Sweep processes this result covers. */
  processes: z.number().int().positive(),
  dispatched: z.number(),
  /** Dispatch start to the (last) dispatcher's return (every due key read from the index and queued). */
  dispatchMs: z.number(),
  /** Dispatch start (the common release of all processes) to the last validation's end. */
  wallMs: z.number(),
  checked: z.number(),
  skipped: z.record(z.string(), z.number()),
  statuses: z.record(z.string(), z.number()),
  events: z.record(z.string(), z.number()),
  errors: z.number(),
  firstError: z.string().optional(),
  webex: z.object({
    calls: z.record(z.string(), z.number()),
    totalCalls: z.number(),
    totalMs: z.number(),
  }),
  dynamoDb: z.object({ dispatcher: dynamoDbTallySchema, workers: dynamoDbTallySchema }),
  capacity: z.object({ dispatcher: capacitySchema, workers: capacitySchema }),
  /**
   * How late a sweep process's event loop ran its callbacks: a busy thread makes every wait
   * longer. Across processes, the worst: the highest mean and the highest p99.
   */
  eventLoopDelayMs: z.object({ mean: z.number(), p99: z.number() }),
  /** Durations of single validations: the sum (all steps of one run in sequence), p50 and p99. */
  validationMs: z.object({ sum: z.number(), p50: z.number(), p99: z.number() }),
  cpu: z.object({
    /** CPU (user and system) used from the dispatch to the drained queue, summed over the processes. */
    sweepMs: z.number(),
    /** The same of the process that used the most (its JavaScript runs on one thread). */
    busiestProcessMs: z.number(),
  }),
  /** Peak memory of a worker: of the process with the highest figure (heap figures of one process). */
  memory: z.object({
    /** `process.resourceUsage().maxRSS` of the sweep process, in bytes. */
    maxRssBytes: z.number(),
    /** V8 heap in use just before the dispatch (after a forced GC). */
    heapAtStartBytes: z.number(),
    /** Highest V8 heap in use sampled every 20 ms during the sweep. */
    heapPeakBytes: z.number(),
  }),
});
export type SweepResult = z.infer<typeof sweepResultSchema>;

/**
 * A message from a sweep process: `ready` once warmed up (it then waits for `go`), `ended` as its
 * timed sweep ends, then its answer. Times are `process.hrtime` in ms (the machine's monotonic
 * clock, the same in every process), so the bench can line the processes up.
 */
export const sweepReplySchema = z.discriminatedUnion('type', [
  readyReplySchema,
  z.strictObject({ type: z.literal('ended') }),
  z.strictObject({
    type: z.literal('result'),
    result: sweepResultSchema,
    /** When the dispatcher returned and when the queue was drained. */
    dispatchedAt: z.number(),
    endedAt: z.number(),
    /** Every validation's duration, in ms, for percentiles over all processes. */
    durations: z.array(z.number()),
  }),
  failedReplySchema,
]);
export type SweepReply = z.infer<typeof sweepReplySchema>;

/** What the bench sends a sweep process after its request: start the timed sweep now. */
export const sweepGoSchema = z.strictObject({ type: z.literal('go') });
export type SweepGo = z.infer<typeof sweepGoSchema>;

/** The machine's monotonic clock in ms, comparable between processes. */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
