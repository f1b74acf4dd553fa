import * as z from 'zod';
import { tokenMaterialSchema } from '../functions/domain/model.js';

/** What the bench sends the sweep process: where everything is, and the vault's content. */
export const sweepRequestSchema = z.strictObject({
  endpoint: z.url(),
  tableName: z.string().min(3),
  /** A table of due authorizations swept first, untimed, so the timed sweep runs warm. */
  warmupTableName: z.string().min(3),
  simulatorUrl: z.url(),
  concurrency: z.number().int().positive(),
  /** Secret id and material of every seeded authorization (the bench's in-memory vault). */
  secrets: z.array(z.tuple([z.string(), tokenMaterialSchema])),
});
export type SweepRequest = z.infer<typeof sweepRequestSchema>;

const capacitySchema = z.object({ read: z.number(), write: z.number() });
const dynamoDbTallySchema = z.object({
  commands: z.record(z.string(), z.number()),
  totalCalls: z.number(),
  totalMs: z.number(),
});

/** What the sweep process measured, sent back once the queue is drained. */
export const sweepResultSchema = z.strictObject({
  dispatched: z.number(),
  /** Dispatch start to the dispatcher's return (every due key read from the index and queued). */
  dispatchMs: z.number(),
  /** Dispatch start to the last validation's end. */
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
  /** How late the sweep process's event loop ran its callbacks: a busy thread makes every wait longer. */
  eventLoopDelayMs: z.object({ mean: z.number(), p99: z.number() }),
  /** Durations of single validations: the sum (all steps of one run in sequence), p50 and p99. */
  validationMs: z.object({ sum: z.number(), p50: z.number(), p99: z.number() }),
  cpu: z.object({
    /** CPU (user and system) this process used from the dispatch to the drained queue. */
    sweepMs: z.number(),
  }),
  memory: z.object({
    /** `process.resourceUsage().maxRSS` of the sweep process, in bytes. */
    maxRssBytes: z.number(),
    /** V8 heap in use just before the dispatch (after a forced GC). */
    heapAtStartBytes: z.number(),
    /** Highest V8 heap in use sampled every 20 ms during the sweep. */
    heapPeakBytes: z.number(),
    /** Bytes of token material held by the in-memory vault (would be in Secrets Manager). */
    vaultBytes: z.number(),
  }),
});
export type SweepResult = z.infer<typeof sweepResultSchema>;

/** A message from the sweep process: marks at the timed sweep's start and end, then its answer. */
export const sweepReplySchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('mark'), phase: z.enum(['start', 'end']) }),
  z.strictObject({ type: z.literal('result'), result: sweepResultSchema }),
  z.strictObject({ type: z.literal('failed'), message: z.string() }),
]);
export type SweepReply = z.infer<typeof sweepReplySchema>;
