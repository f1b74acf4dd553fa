import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
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
  /** SendMessageBatch calls, and the calls in flight at most. */
  sendCalls: number;
  maxInFlight: number;
  keysPerSecond: number;
  /** CPU this process used for it (user and system): the four invocations' client work, and the stand-in's. */
  cpuMs: number;
  /** The stand-in's floor: every invocation's bound of calls in flight, each 20 ms for ten keys. */
  floorKeysPerSecond: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * SQS as the SDK sees it over HTTP, for SendMessageBatch only: every request waits
 * `SEND_LATENCY_MS`, then every entry is taken. The SDK serializes, signs and checks the answer's
 * MD5s as against SQS, so the client's own CPU is in the measurement.
 */
class SqsStandIn {
  readonly taken = new Map<string, number>();
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
        const body = JSON.parse(Buffer.from(request.body as Uint8Array).toString('utf8')) as {
          Entries: { Id: string; MessageBody: string }[];
        };
        for (const entry of body.Entries)
          this.taken.set(entry.MessageBody, (this.taken.get(entry.MessageBody) ?? 0) + 1);
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

/**
 * The deployed dispatcher's handler, once per shard group as the schedule starts it, all at once
 * in this process, each with its own SQS client and queue adapter (as each invocation has), over
 * an in-memory `due` index of `keys` keys and an SQS stand-in taking 20 ms per SendMessageBatch.
 * Each invocation is given the Lambda timeout, counted from the common start.
 */
export async function benchDispatch(keys: number): Promise<DispatchBenchReport> {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  const standIn = new SqsStandIn();
  const authorizations = dueIndexInMemory(keys);
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const remainingTimeMs = () => DISPATCH_TIME_LIMIT_MS - (performance.now() - started);
  const reports = await Promise.all(
    Array.from({ length: DISPATCH_SHARD_GROUPS }, (_, shardGroup) => {
      const client = new SQSClient({
        region: 'us-east-1',
        credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
        requestHandler: standIn.requestHandler,
      });
      const handler = createSweepDispatcherHandler(
        {
          authorizations,
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
      return handler(
        { shardGroup, shardGroups: DISPATCH_SHARD_GROUPS },
        { ...localLambdaContext('sweep-dispatcher'), getRemainingTimeInMillis: remainingTimeMs },
      );
    }),
  );
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const delivered = standIn.taken.size;
  const sendsInFlight = DISPATCH_SHARD_GROUPS * DEFAULT_SENDS_IN_FLIGHT;
  return {
    keys,
    invocations: DISPATCH_SHARD_GROUPS,
    sendsInFlight,
    wallMs,
    delivered,
    doubled: [...standIn.taken.values()].filter((count) => count > 1).length,
    reports,
    sendCalls: standIn.calls,
    maxInFlight: standIn.maxInFlight,
    keysPerSecond: delivered / (wallMs / 1000),
    cpuMs: (cpu.user + cpu.system) / 1000,
    floorKeysPerSecond: (sendsInFlight * SQS_BATCH_SIZE * 1000) / SEND_LATENCY_MS,
  };
}
