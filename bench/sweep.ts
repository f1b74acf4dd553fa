import { fileURLToPath } from 'node:url';
import { BenchProcessError, runChildProcesses } from './child-processes.js';
import { percentile, sum } from './stats.js';
import {
  monotonicMs,
  sweepReplySchema,
  type SweepGo,
  type SweepReply,
  type SweepRequest,
  type SweepResult,
} from './sweep-protocol.js';

const SWEEP_PROCESS = fileURLToPath(new URL('./sweep-process.ts', import.meta.url));

/** The sweep to run: the request every process gets, with the total concurrency and process count. */
export type SweepPlan = Omit<SweepRequest, 'processIndex' | 'processCount'> & {
  /** Sweep processes, each over its share of the shards with its share of `concurrency`. */
  processes: number;
};

type SweepAnswer = Extract<SweepReply, { type: 'result' }>;

/** `concurrency` consumers split over `processes`: C/P each, the first C mod P one more. */
export function consumersPerProcess(concurrency: number, processes: number): number[] {
  return Array.from(
    { length: processes },
    (_, index) => Math.floor(concurrency / processes) + (index < concurrency % processes ? 1 : 0),
  );
}

/**
 * Runs one sweep in `plan.processes` fresh Node processes (bench/sweep-process.ts), like as many
 * worker instances of the fleet: process i of P runs the real dispatcher over the `due` index's
 * shards with `shard % P === i` and its share of the consumers. Fresh, so each one's peak memory
 * is the sweep's and not what earlier scenarios left behind; `--expose-gc` lets it start the heap
 * measure from a collected heap. Each sweeps its part of the warm-up table first; once all are
 * ready they are released at once, and the sweep's time runs from that release to the last
 * one's end. `onMark` is called just before the release and once the last process has ended,
 * for measures taken outside the processes (the CPU of DynamoDB Local and of the simulator).
 */
export function runSweepProcesses(
  plan: SweepPlan,
  onMark: (phase: 'start' | 'end') => void,
): Promise<SweepResult> {
  const { processes, ...shared } = plan;
  const shares = consumersPerProcess(plan.concurrency, processes);
  if (shares.some((share) => share < 1)) {
    return Promise.reject(
      new BenchProcessError(`${processes} sweep processes need a concurrency of at least ${processes}`),
    );
  }
  let ended = 0;
  let releasedAt = 0;
  return runChildProcesses({
    script: SWEEP_PROCESS,
    count: processes,
    execArgv: ['--expose-gc'],
    label: 'Sweep process',
    firstMessage: (index): SweepRequest => ({
      ...shared,
      concurrency: shares[index] ?? 1,
      processIndex: index,
      processCount: processes,
    }),
    replySchema: sweepReplySchema,
    go: (): SweepGo => {
      onMark('start');
      releasedAt = monotonicMs();
      return { type: 'go' };
    },
    onReply: (_index, reply): SweepAnswer | undefined => {
      if (reply.type === 'result') return reply;
      ended += 1;
      if (ended === processes) onMark('end');
      return undefined;
    },
  }).then((answers) => mergeSweeps(answers, releasedAt));
}

/** Adds up records of counts by key. */
function addCounts(records: readonly Record<string, number>[]): Record<string, number> {
  const total: Record<string, number> = {};
  for (const record of records) {
    for (const [key, count] of Object.entries(record)) total[key] = (total[key] ?? 0) + count;
  }
  return total;
}

function addTallies(
  tallies: readonly SweepResult['dynamoDb']['workers'][],
): SweepResult['dynamoDb']['workers'] {
  return {
    commands: addCounts(tallies.map((tally) => tally.commands)),
    totalCalls: sum(tallies.map((tally) => tally.totalCalls)),
    totalMs: sum(tallies.map((tally) => tally.totalMs)),
  };
}

function addCapacity(
  capacities: readonly SweepResult['capacity']['workers'][],
): SweepResult['capacity']['workers'] {
  return {
    read: sum(capacities.map((capacity) => capacity.read)),
    write: sum(capacities.map((capacity) => capacity.write)),
  };
}

/**
 * The sweep processes' figures as one sweep: counts, calls, capacity and CPU summed; times from
 * the release (`releasedAt`) to the last dispatcher's return and the last process's end;
 * percentiles over every process's validations; the worst event-loop delay; the memory of the
 * process that peaked highest (a worker's peak).
 */
export function mergeSweeps(answers: readonly SweepAnswer[], releasedAt: number): SweepResult {
  const results = answers.map((answer) => answer.result);
  const durations = answers.flatMap((answer) => answer.durations);
  const cpu = results.map((result) => result.cpu.sweepMs);
  const firstError = results.find((result) => result.firstError !== undefined)?.firstError;
  const peak = results.reduce((top, result) =>
    result.memory.heapPeakBytes > top.memory.heapPeakBytes ? result : top,
  );
  return {
    processes: sum(results.map((result) => result.processes)),
    dispatched: sum(results.map((result) => result.dispatched)),
    dispatchMs: Math.max(...answers.map((answer) => answer.dispatchedAt)) - releasedAt,
    wallMs: Math.max(...answers.map((answer) => answer.endedAt)) - releasedAt,
    checked: sum(results.map((result) => result.checked)),
    skipped: addCounts(results.map((result) => result.skipped)),
    statuses: addCounts(results.map((result) => result.statuses)),
    events: addCounts(results.map((result) => result.events)),
    errors: sum(results.map((result) => result.errors)),
    ...(firstError !== undefined ? { firstError } : {}),
    webex: {
      calls: addCounts(results.map((result) => result.webex.calls)),
      totalCalls: sum(results.map((result) => result.webex.totalCalls)),
      totalMs: sum(results.map((result) => result.webex.totalMs)),
    },
    dynamoDb: {
      dispatcher: addTallies(results.map((result) => result.dynamoDb.dispatcher)),
      workers: addTallies(results.map((result) => result.dynamoDb.workers)),
    },
    capacity: {
      dispatcher: addCapacity(results.map((result) => result.capacity.dispatcher)),
      workers: addCapacity(results.map((result) => result.capacity.workers)),
    },
    eventLoopDelayMs: {
      mean: Math.max(...results.map((result) => result.eventLoopDelayMs.mean)),
      p99: Math.max(...results.map((result) => result.eventLoopDelayMs.p99)),
    },
    validationMs: { sum: sum(durations), p50: percentile(durations, 50), p99: percentile(durations, 99) },
    cpu: { sweepMs: sum(cpu), busiestProcessMs: Math.max(...cpu) },
    memory: {
      maxRssBytes: Math.max(...results.map((result) => result.memory.maxRssBytes)),
      heapAtStartBytes: peak.memory.heapAtStartBytes,
      heapPeakBytes: peak.memory.heapPeakBytes,
    },
  };
}
