import { SendMessageBatchCommand, SQSClient, type SendMessageBatchRequestEntry } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { SqsValidationQueue } from '#adapters/validation-queue.js';
import { ConcurrencyLimit } from '#domain/concurrency.js';
import type { Page } from '#domain/ports.js';
import { dispatchDueAuthorizations, EnqueueError, shardsToRead } from '#domain/sweep.js';
import type { AuthorizationKey } from '#domain/validator-config.js';
import { createSweepDispatcherHandler } from '#functions/sweep-dispatcher.app.js';
import { ManualClock, RecordingValidationQueue } from '#test-support/fakes/index.js';
import { lambdaContext, silentObservability } from '#test-support/fixtures.js';

const sqs = mockClient(SQSClient);
afterAll(() => sqs.restore());
const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/keeper-validation';
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Counts calls in flight and keeps the highest count seen. */
function inFlightMeter() {
  const meter = {
    now: 0,
    max: 0,
    async around<T>(work: () => Promise<T>): Promise<T> {
      meter.now += 1;
      meter.max = Math.max(meter.max, meter.now);
      try {
        await tick();
        return await work();
      } finally {
        meter.now -= 1;
      }
    },
  };
  return meter;
}

/** A due index with `perShard` keys in each of `shards` shards, read through `meter`. */
function meteredDueIndex(perShard: number, meter = inFlightMeter()) {
  const shardsRead = new Set<number>();
  return {
    meter,
    shardsRead,
    listDue: (shard: number, _now: Date, options: { limit: number; cursor?: string }) =>
      meter.around(async (): Promise<Page<AuthorizationKey>> => {
        shardsRead.add(shard);
        const from = Number(options.cursor ?? 0);
        const to = Math.min(perShard, from + options.limit);
        const items = Array.from({ length: to - from }, (_, offset) => ({
          tenantId: `s${shard}`,
          integration: `k${from + offset}`,
        }));
        return { items, ...(to < perShard ? { cursor: String(to) } : {}) };
      }),
  };
}

const keyOf = (key: AuthorizationKey) => `${key.tenantId}/${key.integration}`;

describe('ConcurrencyLimit', () => {
  it('runs at most its limit at once and starts the waiting tasks in order', async () => {
    const limit = new ConcurrencyLimit(3);
    const meter = inFlightMeter();
    const started: number[] = [];
    await Promise.all(
      Array.from({ length: 10 }, (_, index) =>
        limit.run(() => {
          started.push(index);
          return meter.around(async () => index);
        }),
      ),
    );
    expect(meter.max).toBe(3);
    expect(started).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('frees the slot of a task that failed', async () => {
    const limit = new ConcurrencyLimit(1);
    await expect(limit.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(limit.run(async () => 'next')).resolves.toBe('next');
  });

  it('refuses a limit that is not a positive integer', () => {
    expect(() => new ConcurrencyLimit(0)).toThrow(RangeError);
    expect(() => new ConcurrencyLimit(1.5)).toThrow(RangeError);
  });
});

describe('SqsValidationQueue sending concurrently', () => {
  beforeEach(() => sqs.reset());

  const keys = (count: number) =>
    Array.from({ length: count }, (_, index) => ({ tenantId: `t${index}`, integration: 'presence' }));

  it('keeps at most its bound of SendMessageBatch calls in flight, over concurrent enqueues', async () => {
    const meter = inFlightMeter();
    sqs
      .on(SendMessageBatchCommand)
      .callsFake(() => meter.around(async () => ({ Successful: [], Failed: [] })));
    const queue = new SqsValidationQueue(QUEUE_URL, new SQSClient({ region: 'eu-west-1' }), () => 0, 4);
    await Promise.all([queue.enqueue(keys(100)), queue.enqueue(keys(55))]);
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(16);
    expect(meter.max).toBe(4);
  });

  it('loses and doubles no key when one batch fails partly and another call throws', async () => {
    const delivered: string[] = [];
    let calls = 0;
    sqs.on(SendMessageBatchCommand).callsFake(async (input: { Entries: SendMessageBatchRequestEntry[] }) => {
      calls += 1;
      await tick();
      const bodies = input.Entries.map((entry) => String(entry.MessageBody));
      if (bodies.includes('{"tenantId":"t30","integration":"presence"}')) throw new Error('connection reset');
      // The first batch loses two of its entries once; their retry goes through.
      const failing = calls === 1 ? new Set(['2', '7']) : new Set<string>();
      for (const entry of input.Entries)
        if (!failing.has(String(entry.Id))) delivered.push(String(entry.MessageBody));
      return {
        Successful: [],
        Failed: [...failing].map((id) => ({ Id: id, SenderFault: false, Code: 'InternalError' })),
      };
    });
    const queue = new SqsValidationQueue(QUEUE_URL, new SQSClient({ region: 'eu-west-1' }), () => 0, 3);

    const attempt = queue.enqueue(keys(50));

    await expect(attempt).rejects.toThrow(EnqueueError);
    await expect(attempt).rejects.toMatchObject({ failedCount: 10, cause: new Error('connection reset') });
    const expected = keys(50)
      .filter((_, index) => index < 30 || index >= 40)
      .map((key) => JSON.stringify(key));
    expect([...delivered].sort()).toEqual([...expected].sort());
  });
});

describe('dispatchDueAuthorizations over shards at once and in groups', () => {
  it('reads at most shardConcurrency shards at once and queues every key once', async () => {
    const index = meteredDueIndex(7);
    const queue = new RecordingValidationQueue();
    const report = await dispatchDueAuthorizations({
      authorizations: index,
      queue,
      clock: new ManualClock(),
      shards: 16,
      shardConcurrency: 5,
      pageSize: 3,
      remainingTimeMs: () => 60_000,
    });
    expect(report).toEqual({ dispatched: 112, failed: 0, complete: true });
    expect(index.meter.max).toBe(5);
    expect(new Set(queue.all.map(keyOf)).size).toBe(112);
  });

  it('splits the shards between the groups: each key is sent by exactly one invocation', async () => {
    const clock = new ManualClock(new Date('2026-03-01T10:07:00.000Z'));
    const sent: string[] = [];
    const groups = [0, 1, 2, 3].map((group) => ({ index: group, count: 4 }));
    const reports = await Promise.all(
      groups.map(async (shardGroup) => {
        const index = meteredDueIndex(5);
        const queue = new RecordingValidationQueue();
        const report = await dispatchDueAuthorizations({
          authorizations: index,
          queue,
          clock,
          shards: 16,
          shardGroup,
          shardConcurrency: 4,
          remainingTimeMs: () => 60_000,
        });
        sent.push(...queue.all.map(keyOf));
        return { report, shards: [...index.shardsRead].sort((a, b) => a - b) };
      }),
    );
    expect(reports.map(({ shards }) => shards)).toEqual([
      [0, 4, 8, 12],
      [1, 5, 9, 13],
      [2, 6, 10, 14],
      [3, 7, 11, 15],
    ]);
    expect(reports.every(({ report }) => report.dispatched === 20 && report.complete)).toBe(true);
    expect(sent).toHaveLength(80);
    expect(new Set(sent).size).toBe(80);
  });

  it("starts a group's shards from the one the minute points at", () => {
    // 09:55 is minute 29,539,315 since the epoch, 3 modulo 16: shard 3 comes first.
    const now = new Date('2026-03-01T09:55:00.000Z');
    expect(shardsToRead(16, now)).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2]);
    expect(shardsToRead(16, now, { index: 1, count: 4 })).toEqual([5, 9, 13, 1]);
    expect(() => shardsToRead(16, now, { index: 0, count: 17 })).toThrow(RangeError);
  });
});

describe('sweep dispatcher handler and its shard group', () => {
  const handlerOver = (index: ReturnType<typeof meteredDueIndex>, queue: RecordingValidationQueue) =>
    createSweepDispatcherHandler(
      { authorizations: index, queue, clock: new ManualClock(), shards: 16, shardConcurrency: 16 },
      silentObservability('sweep-dispatcher-test'),
    );

  it("reads only the shards of the group the schedule's input names", async () => {
    const index = meteredDueIndex(2);
    const queue = new RecordingValidationQueue();
    const report = await handlerOver(index, queue)(
      { shardGroup: 2, shardGroups: 4 },
      lambdaContext({ remainingTimeMs: () => 60_000 }),
    );
    expect(report).toEqual({ dispatched: 8, failed: 0, complete: true });
    expect([...index.shardsRead].sort((a, b) => a - b)).toEqual([2, 6, 10, 14]);
  });

  it("reads every shard for EventBridge's own scheduled event", async () => {
    const index = meteredDueIndex(1);
    const queue = new RecordingValidationQueue();
    const report = await handlerOver(index, queue)(
      { 'detail-type': 'Scheduled Event', source: 'aws.events', detail: {} },
      lambdaContext({ remainingTimeMs: () => 60_000 }),
    );
    expect(report.dispatched).toBe(16);
  });

  it.each([
    [{ shardGroup: 4, shardGroups: 4 }, 'shardGroup: shardGroup must be less than shardGroups'],
    [{ shardGroup: 1 }, 'shardGroups: shardGroup and shardGroups go together'],
    [{ shardGroup: -1, shardGroups: 4 }, 'shardGroup:'],
    [{ shardGroup: 0, shardGroups: 32 }, 'does not fit 16 shards'],
  ])('refuses the event %j with a clear message and sends nothing', async (event, message) => {
    const index = meteredDueIndex(1);
    const queue = new RecordingValidationQueue();
    await expect(
      handlerOver(index, queue)(event, lambdaContext({ remainingTimeMs: () => 60_000 })),
    ).rejects.toThrow(message);
    expect(queue.all).toEqual([]);
  });
});
