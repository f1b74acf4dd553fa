/**
 * One of the sweep processes under test, each like one worker instance of the fleet, in a process
 * of its own so that its memory is measured alone and its CPU is not shared with the simulator:
 * the real `dispatchDueAuthorizations` reads its share of the `due` index's shards and feeds an
 * in-process queue, whose consumers call the real `validateAuthorization` once per key, as the SQS
 * worker does per message. Started by bench/sweep.ts with one request on IPC; sweeps its part of
 * the warm-up table, says `ready` and waits for `go`, says `ended` as the timed sweep ends, then
 * sends the result and exits.
 */
import { randomBytes } from 'node:crypto';
import { getHeapStatistics } from 'node:v8';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { createRepositories } from '#adapters/dynamodb/index.js';
import { tableDefinition } from '#adapters/table-definition.js';
import { HttpWebexClient } from '#adapters/webex-client.js';
import { reauthorizeLinkIssuer } from '#commons/link-issuers.js';
import { silentLog, systemClock } from '#domain/ports.js';
import type { AuthorizationRepository } from '#domain/ports.js';
import { dispatchDueAuthorizations } from '#domain/sweep.js';
import { DEFAULT_VALIDATOR_CONFIG, type ValidatorDependencies } from '#domain/validator-config.js';
import { validateAuthorization } from '#domain/validator.js';
import {
  BENCH_PUBLIC_BASE_URL,
  benchClientSecrets,
  benchDynamoDbClient,
  capacityCounter,
  catalog,
  CountingWebexClient,
  tallyDynamoDb,
} from './fixtures.js';
import { MemoryTokenVault, RecordingPublisher } from '#test-support/fakes/index.js';
import { sendToParent } from './child-processes.js';
import { bump, percentile, sum } from './stats.js';
import {
  monotonicMs,
  sweepGoSchema,
  sweepRequestSchema,
  type SweepReply,
  type SweepRequest,
} from './sweep-protocol.js';
import { InProcessValidationQueue } from './work-queue.js';

type SweepAnswer = Extract<SweepReply, { type: 'result' }>;

/**
 * The V8 heap in use. Not process.memoryUsage(): it also reads the resident set from the kernel,
 * which every 20 ms cost the measured sweep about 2 % of its CPU (CPU profile of the bench).
 */
function heapUsedBytes(): number {
  return getHeapStatistics().used_heap_size;
}

/**
 * The repository's `listDue` for this process's shards only: an empty page for the others, which
 * the other processes read. So each process runs the real dispatcher over 1/P of the index.
 */
function ownShards(
  repo: Pick<AuthorizationRepository, 'listDue'>,
  request: SweepRequest,
): Pick<AuthorizationRepository, 'listDue'> {
  return {
    listDue: (shard, now, options) =>
      shard % request.processCount === request.processIndex
        ? repo.listDue(shard, now, options)
        : Promise.resolve({ items: [] }),
  };
}

/**
 * One sweep of this process's part of `tableName` with fresh clients and counters, measured from
 * the dispatch on; `start` is awaited just before (the bench's release), `ended` told as the
 * measured part ends.
 */
async function sweep(
  request: SweepRequest,
  tableName: string,
  vault: MemoryTokenVault,
  start: () => Promise<void>,
  ended: () => Promise<void>,
): Promise<SweepAnswer> {
  // Two clients, so the dispatcher's reads and the workers' are counted and timed apart.
  const dispatchClient = benchDynamoDbClient(request.endpoint, 8);
  const workerClient = benchDynamoDbClient(request.endpoint, request.concurrency * 2);
  const dispatchTally = tallyDynamoDb(dispatchClient);
  const workerTally = tallyDynamoDb(workerClient);
  const dispatchCapacity = capacityCounter();
  const workerCapacity = capacityCounter();
  const dispatchRepos = createRepositories(dispatchClient, tableName, dispatchCapacity.meter);
  const workerRepos = createRepositories(workerClient, tableName, workerCapacity.meter);
  const webex = new CountingWebexClient(new HttpWebexClient({ baseUrl: request.simulatorUrl }));
  const events = new RecordingPublisher();
  const linkKey = randomBytes(32);
  const deps: ValidatorDependencies = {
    authorizations: workerRepos.authorizations,
    tenants: workerRepos.tenants,
    vault,
    webex,
    clientSecrets: benchClientSecrets,
    events,
    clock: systemClock,
    catalog,
    config: { ...DEFAULT_VALIDATOR_CONFIG },
    log: silentLog,
    reauthorizeLink: reauthorizeLinkIssuer({
      linkKeys: { get: async () => linkKey },
      clock: systemClock,
      ttlDays: 14,
      publicBaseUrl: BENCH_PUBLIC_BASE_URL,
    }),
  };

  let checked = 0;
  let errors = 0;
  let firstError: string | undefined;
  const skipped: Record<string, number> = {};
  const statuses: Record<string, number> = {};
  const durations: number[] = [];
  const queue = new InProcessValidationQueue(request.concurrency, async (key) => {
    const started = performance.now();
    try {
      const outcome = await validateAuthorization(deps, key);
      if (outcome.kind === 'checked') {
        checked += 1;
        bump(statuses, outcome.status);
      } else {
        bump(skipped, outcome.reason);
      }
    } catch (error) {
      // A throw is a failed SQS message (retried, then dead-lettered): counted, not fatal.
      errors += 1;
      firstError ??= error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    } finally {
      durations.push(performance.now() - started);
    }
  });

  // Measured from a collected heap, so the peak says what the sweep itself added.
  global.gc?.();
  const heapAtStartBytes = heapUsedBytes();
  let heapPeakBytes = heapAtStartBytes;
  // The wait for the release is idle time: the loop's delay is measured from the release on.
  await start();
  const sampler = setInterval(() => {
    heapPeakBytes = Math.max(heapPeakBytes, heapUsedBytes());
  }, 20);
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  const cpuAtStart = process.cpuUsage();
  const started = performance.now();
  const report = await dispatchDueAuthorizations({
    authorizations: ownShards(dispatchRepos.authorizations, request),
    queue,
    clock: systemClock,
    shards: tableDefinition.dueShards,
    remainingTimeMs: () => Number.POSITIVE_INFINITY,
  });
  const dispatchMs = performance.now() - started;
  const dispatchedAt = monotonicMs();
  await queue.drain();
  const wallMs = performance.now() - started;
  const endedAt = monotonicMs();
  const cpu = process.cpuUsage(cpuAtStart);
  await ended();
  loopDelay.disable();
  clearInterval(sampler);
  heapPeakBytes = Math.max(heapPeakBytes, heapUsedBytes());

  dispatchClient.destroy();
  workerClient.destroy();
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const result = {
    processes: 1,
    dispatched: report.dispatched,
    dispatchMs,
    wallMs,
    checked,
    skipped,
    statuses,
    events: events.countsByType(),
    errors,
    ...(firstError !== undefined ? { firstError } : {}),
    webex: webex.tally(),
    dynamoDb: { dispatcher: dispatchTally(), workers: workerTally() },
    capacity: { dispatcher: dispatchCapacity.total, workers: workerCapacity.total },
    // The histogram counts nanoseconds.
    eventLoopDelayMs: { mean: loopDelay.mean / 1e6, p99: loopDelay.percentile(99) / 1e6 },
    validationMs: { sum: sum(durations), p50: percentile(durations, 50), p99: percentile(durations, 99) },
    // cpuUsage counts microseconds.
    cpu: { sweepMs: cpuMs, busiestProcessMs: cpuMs },
    memory: {
      // resourceUsage reports maxRSS in kilobytes.
      maxRssBytes: process.resourceUsage().maxRSS * 1024,
      heapAtStartBytes,
      heapPeakBytes,
    },
  };
  return { type: 'result', result, dispatchedAt, endedAt, durations };
}

/** Resolves on the bench's `go`. */
function released(): Promise<void> {
  return new Promise((resolve) => {
    const listener = (message: unknown) => {
      if (!sweepGoSchema.safeParse(message).success) return;
      process.off('message', listener);
      resolve();
    };
    process.on('message', listener);
  });
}

/**
 * Sweeps this process's part of the warm-up table first and throws its figures away (a fleet in
 * steady state has its code compiled and its connections open), says it is ready, and sweeps
 * the table under test once the bench releases every process at once.
 */
async function sweepWarm(request: SweepRequest): Promise<SweepAnswer> {
  const vault = new MemoryTokenVault([], Buffer.from(request.vaultKey, 'base64'));
  const none = async () => undefined;
  await sweep(request, request.warmupTableName, vault, none, none);
  // Listening before saying ready, so a `go` sent at once is not missed.
  const go = released();
  return sweep(
    request,
    request.tableName,
    vault,
    async () => {
      await reply({ type: 'ready' });
      await go;
    },
    () => reply({ type: 'ended' }),
  );
}

const reply = (message: SweepReply) => sendToParent(message);

process.once('message', (message: unknown) => {
  const parsed = sweepRequestSchema.safeParse(message);
  const work: Promise<SweepReply> = parsed.success
    ? sweepWarm(parsed.data)
    : Promise.resolve<SweepReply>({ type: 'failed', message: `Bad sweep request: ${parsed.error.message}` });
  work
    .catch((error: unknown): SweepReply => ({
      type: 'failed',
      message: error instanceof Error ? (error.stack ?? error.message) : String(error),
    }))
    .then(reply)
    .catch((error: unknown) => {
      // The parent reports a process that exits without an answer; stderr says why it had none.
      console.error(
        `Sweep process could not send its answer: ${error instanceof Error ? error.message : String(error)}`,
      );
      process.exitCode = 1;
    })
    .finally(() => process.disconnect());
});
