import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { HttpRequest, HttpResponse } from '@smithy/types';
import { DEFAULT_SENDS_IN_FLIGHT, SQS_BATCH_SIZE, SqsValidationQueue } from '#adapters/validation-queue.js';
import { tableDefinition } from '#adapters/table-definition.js';
import { systemClock, type Page } from '#domain/ports.js';
import type { DispatchReport } from '#domain/sweep.js';
import type { AuthorizationKey } from '#domain/validator-config.js';
import { createSweepDispatcherHandler } from '#functions/sweep-dispatcher.app.js';
import { DISPATCH_SHARD_GROUPS } from '#lib/validator.js';
import { localLambdaContext } from '#local/http-adapter.js';
import { runChildProcesses } from './child-processes.js';
import {
  dispatchReplySchema,
  type DispatchGo,
  type DispatchReply,
  type DispatchRequest,
} from './dispatch-protocol.js';
import { sum } from './stats.js';

const DISPATCH_PROCESS = fileURLToPath(new URL('./dispatch-process.ts', import.meta.url));

/** Issue 18 item 1: what one SendMessageBatch takes at the stand-in. */
export const SEND_LATENCY_MS = 20;
/** The dispatcher's Lambda timeout (lib/validator.ts): the whole sweep must fit it. */
export const DISPATCH_TIME_LIMIT_MS = 60_000;
/** Issue 18 item 1's fleet: due keys one sweep enqueues. */
export const DISPATCH_TARGET_KEYS = 500_000;
/**
 * What one page of the `due` index takes to read at DynamoDB (a keys-only Query of 100 items):
 * an assumption of the bench, about a Query's latency on AWS, not measured here.
 */
export const QUERY_LATENCY_MS = 10;

export interface DispatchBenchReport {
  keys: number;
  invocations: number;
  sendsInFlight: number;
  wallMs: number;
  /** Keys the stand-in took, and how many of them it took more than once. */
  delivered: number;
  doubled: number;
  reports: DispatchReport[];
  /** SendMessageBatch calls, and the calls in flight at most (each invocation's most, added up). */
  sendCalls: number;
  maxInFlight: number;
  keysPerSecond: number;
  /** CPU the invocations' processes used for it (user and system): each one's client work, and its stand-in's. */
  cpuMs: number;
  /** The stand-in's floor: every invocation's bound of calls in flight, each 20 ms for ten keys. */
  floorKeysPerSecond: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const utf8 = new TextDecoder();

/**
 * SQS as the SDK sees it over HTTP, for SendMessageBatch only: every request waits
 * `SEND_LATENCY_MS`, then every entry is taken. The SDK serializes, signs and checks the answer's
 * MD5s as against SQS, so the client's own CPU is in the measurement.
 */
class SqsStandIn {
  /** Message bodies taken, one entry per time taken. */
  readonly taken: string[] = [];
  calls = 0;
  inFlight = 0;
  maxInFlight = 0;

  readonly requestHandler = {
    handle: async (request: HttpRequest): Promise<{ response: HttpResponse }> => {
      this.calls += 1;
      this.inFlight += 1;
      this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
      try {
        await sleep(SEND_LATENCY_MS);
        // Decoded as bytes: Buffer.from would call the SDK body's valueOf, a string conversion it warns of.
        const body = JSON.parse(utf8.decode(request.body as Uint8Array)) as {
          Entries: { Id: string; MessageBody: string }[];
        };
        for (const entry of body.Entries) this.taken.push(entry.MessageBody);
        const answer = JSON.stringify({
          Successful: body.Entries.map((entry) => ({
            Id: entry.Id,
            MessageId: entry.Id,
            MD5OfMessageBody: createHash('md5').update(entry.MessageBody).digest('hex'),
          })),
          Failed: [],
        });
        return {
          response: {
            statusCode: 200,
            headers: { 'content-type': 'application/x-amz-json-1.0' },
            body: Readable.from([Buffer.from(answer)]),
          },
        };
      } finally {
        this.inFlight -= 1;
      }
    },
  };
}

/** A `due` index in memory: `keys` due keys spread over the table's shards, pages as DynamoDB's. */
function dueIndexInMemory(keys: number) {
  const shards = tableDefinition.dueShards;
  const perShard = (shard: number) => Math.floor(keys / shards) + (shard < keys % shards ? 1 : 0);
  return {
    async listDue(
      shard: number,
      _now: Date,
      options: { limit: number; cursor?: string },
    ): Promise<Page<AuthorizationKey>> {
      await sleep(QUERY_LATENCY_MS);
      const from = Number(options.cursor ?? 0);
      const to = Math.min(perShard(shard), from + options.limit);
      const items = Array.from({ length: to - from }, (_, offset) => ({
        tenantId: `tenant-${shard}-${Math.floor((from + offset) / 5)}`,
        integration: `integration-${(from + offset) % 5}`,
      }));
      return { items, ...(to < perShard(shard) ? { cursor: String(to) } : {}) };
    },
  };
}

/** What one invocation did, measured in its own process (the stand-in's taken bodies, in order). */
export type InvocationResult = Omit<Extract<DispatchReply, { type: 'result' }>, 'type'>;

/**
 * One invocation of the deployed dispatcher's handler for `shardGroup`, with its own SQS client
 * and queue adapter over an in-memory `due` index of `keys` keys and an SQS stand-in taking 20 ms
 * per SendMessageBatch; it has the Lambda timeout counted from `startedAt` (epoch milliseconds).
 */
export async function runDispatchInvocation(input: {
  shardGroup: number;
  keys: number;
  startedAt: number;
}): Promise<InvocationResult> {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  const standIn = new SqsStandIn();
  const client = new SQSClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
    requestHandler: standIn.requestHandler,
  });
  const handler = createSweepDispatcherHandler(
    {
      authorizations: dueIndexInMemory(input.keys),
      queue: new SqsValidationQueue('https://sqs.us-east-1.amazonaws.com/000000000000/bench', client),
      clock: systemClock,
      shards: tableDefinition.dueShards,
      shardConcurrency: tableDefinition.dueShards,
    },
    {
      logger: new Logger({ serviceName: 'sweep-dispatcher', logLevel: 'SILENT' }),
      metrics: new Metrics({ namespace: 'Bench', serviceName: 'sweep-dispatcher' }),
    },
  );
  const cpuBefore = process.cpuUsage();
  const report = await handler(
    { shardGroup: input.shardGroup, shardGroups: DISPATCH_SHARD_GROUPS },
    {
      ...localLambdaContext('sweep-dispatcher'),
      getRemainingTimeInMillis: () => DISPATCH_TIME_LIMIT_MS - (Date.now() - input.startedAt),
    },
  );
  const endedAt = Date.now();
  const cpu = process.cpuUsage(cpuBefore);
  return {
    report,
    taken: standIn.taken,
    calls: standIn.calls,
    maxInFlight: standIn.maxInFlight,
    cpuMs: (cpu.user + cpu.system) / 1000,
    endedAt,
  };
}

/**
 * The deployed dispatcher's handler, once per shard group as the schedule starts it, all at once,
 * each in a process of its own (a Lambda invocation has its own runtime; in one process the four
 * would share one JavaScript thread), over the same in-memory `due` index of `keys` keys, each
 * with its own SQS stand-in. Each invocation is given the Lambda timeout from the common start.
 */
export async function benchDispatch(keys: number): Promise<DispatchBenchReport> {
  const invocations = await runInvocationProcesses(keys, DISPATCH_SHARD_GROUPS);
  const startedAt = invocations.startedAt;
  const results = invocations.results;
  const wallMs = Math.max(...results.map((result) => result.endedAt)) - startedAt;
  const taken = new Map<string, number>();
  for (const result of results) for (const body of result.taken) taken.set(body, (taken.get(body) ?? 0) + 1);
  const sendsInFlight = DISPATCH_SHARD_GROUPS * DEFAULT_SENDS_IN_FLIGHT;
  return {
    keys,
    invocations: DISPATCH_SHARD_GROUPS,
    sendsInFlight,
    wallMs,
    delivered: taken.size,
    doubled: [...taken.values()].filter((count) => count > 1).length,
    reports: results.map((result) => result.report),
    sendCalls: sum(results.map((result) => result.calls)),
    maxInFlight: sum(results.map((result) => result.maxInFlight)),
    keysPerSecond: taken.size / (wallMs / 1000),
    cpuMs: sum(results.map((result) => result.cpuMs)),
    floorKeysPerSecond: (sendsInFlight * SQS_BATCH_SIZE * 1000) / SEND_LATENCY_MS,
  };
}

/**
 * Forks one process per invocation, lets them load their code, then starts them together and
 * collects what each measured; any failure or silent exit fails the whole run.
 */
function runInvocationProcesses(
  keys: number,
  count: number,
): Promise<{ startedAt: number; results: InvocationResult[] }> {
  let startedAt = 0;
  return runChildProcesses({
    script: DISPATCH_PROCESS,
    count,
    label: 'Dispatcher process',
    firstMessage: (shardGroup): DispatchRequest => ({ type: 'run', shardGroup, keys }),
    replySchema: dispatchReplySchema,
    go: (): DispatchGo => {
      startedAt = Date.now();
      return { type: 'go', startedAt };
    },
    onReply: (_shardGroup, { type: _type, ...result }): InvocationResult => result,
  }).then((results) => ({ startedAt, results }));
}
