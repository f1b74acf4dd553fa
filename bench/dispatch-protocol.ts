import * as z from 'zod';
import { failedReplySchema, readyReplySchema } from './child-processes.js';

/** What bench/dispatch.ts sends a dispatcher process first: its shard group and the index's size. */
export const dispatchRequestSchema = z.strictObject({
  type: z.literal('run'),
  shardGroup: z.number().int().nonnegative(),
  keys: z.number().int().positive(),
});
export type DispatchRequest = z.infer<typeof dispatchRequestSchema>;

/** Sent to every process once all are ready: the common start, epoch milliseconds. */
export const dispatchGoSchema = z.strictObject({ type: z.literal('go'), startedAt: z.number() });
export type DispatchGo = z.infer<typeof dispatchGoSchema>;

/** What a dispatcher process answers. */
export const dispatchReplySchema = z.discriminatedUnion('type', [
  readyReplySchema,
  z.strictObject({
    type: z.literal('result'),
    report: z.strictObject({ dispatched: z.number(), failed: z.number(), complete: z.boolean() }),
    taken: z.array(z.string()),
    calls: z.number(),
    maxInFlight: z.number(),
    cpuMs: z.number(),
    endedAt: z.number(),
  }),
  failedReplySchema,
]);
export type DispatchReply = z.infer<typeof dispatchReplySchema>;
