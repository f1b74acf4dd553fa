import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { DeleteTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createRepositories, documentClientFor } from '#adapters/dynamodb/index.js';
import { HttpWebexClient } from '#adapters/webex-client.js';
import { ensureTable } from '#local/dynamodb-local.js';
import type { WebexSimulator } from '#local/webex-simulator/index.js';
import { runBaseline, type BaselineReport } from './baseline.js';
import { machineBusyMs, processCpuMs } from './cpu.js';
import { MemoryTokenVault } from '#test-support/fakes/index.js';
import { DEFAULT_SWEEP_PROCESSES } from './options.js';
import { seedAuthorizations, type BenchOrgs, type SeedReport } from './seed.js';
import { runSweepProcesses } from './sweep.js';
import type { SweepResult } from './sweep-protocol.js';

/** One table size and due share. */
export interface Scenario {
  authorizations: number;
  dueFraction: number;
  /** The run the sweep-time target is judged on (`--authorizations`, `--due`). */
  headline: boolean;
}

/**
 * CPU used outside the sweep processes during the timed sweep (from their common release to the
 * last one's end), in ms, by whom; undefined where /proc is missing. (The sweep processes measure
 * their own.)
 */
export interface SweepCpu {
  /** This process: the Webex simulator serving the sweep. */
  simulator: number;
  dynamoDbLocal: number | undefined;
  /** Every other process on the machine (busy time of all cores minus the sweep's and the two above). */
  others: number | undefined;
  /** Load average (1 min) when the sweep started: other work on the machine shows here. */
  loadAverage: number;
}

export interface ScenarioResult extends Scenario {
  seed: SeedReport;
  baseline: BaselineReport;
  sweep: SweepResult;
  cpu: SweepCpu;
}

export interface ScenarioContext {
  client: DynamoDBClient;
  endpoint: string;
  sim: WebexSimulator;
  orgs: BenchOrgs;
  redirectUri: string;
  /** Validations in flight, over all sweep processes. */
  concurrency: number;
  /** Authorizations in each scenario's warm-up table (`warmupChecks`). */
  warmupChecks: number;
  /** Sweep processes (`--sweep-processes`); DEFAULT_SWEEP_PROCESSES when not given. */
  sweepProcesses?: number;
  baselineSample: number;
  /** The DynamoDB Local JVM, for its CPU time. */
  dynamoDbPid: number | undefined;
  progress: (line: string) => void;
}

/**
 * The scenarios: 10 % and 100 % due in a table of N and of N/10 authorizations (the reads per
 * due authorization must not move between them), plus the headline share when it is another.
 */
export function scenariosFor(authorizations: number, due: number): Scenario[] {
  const sizes = [...new Set([Math.max(10, Math.round(authorizations / 10)), authorizations])];
  const shares = [...new Set([0.1, 1, due])].sort((a, b) => a - b);
  return sizes.flatMap((size) =>
    shares
      .filter((share) => share === 0.1 || share === 1 || size === authorizations)
      .map((share) => ({
        authorizations: size,
        dueFraction: share,
        headline: size === authorizations && share === due,
      })),
  );
}

/**
 * Authorizations in the untimed warm-up sweep: at least one per worker slot, and 1,000 unless
 * `--quick` (the smoke test only needs the path to run).
 */
export function warmupChecks(options: { concurrency: number; quick: boolean }): number {
  return options.quick ? options.concurrency : Math.max(options.concurrency, 1000);
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/**
 * One scenario on a table of its own: seed, run the naive baseline (first, since it only stamps
 * `validatedAt` and leaves the same authorizations due), run the sweep in its processes (after
 * a warm-up sweep of another table), drop the tables.
 */
export async function runScenario(context: ScenarioContext, scenario: Scenario): Promise<ScenarioResult> {
  const { client, progress } = context;
  const label = `${scenario.authorizations} authorizations, ${Math.round(scenario.dueFraction * 100)} % due`;
  const tableName = `bench-${scenario.authorizations}-${Math.round(scenario.dueFraction * 100)}-${randomUUID().slice(0, 8)}`;
  const warmupTableName = `${tableName}-warmup`;
  await ensureTable(client, tableName);
  await ensureTable(client, warmupTableName);
  try {
    // The envelope vault over a local key in place of KMS, so seeding 10,000 authorizations takes
    // seconds; the cost it hides (one kms:Decrypt per validation) is in docs/scale.md.
    const vault = new MemoryTokenVault();
    const seedInput = {
      world: context.sim.world,
      orgs: context.orgs,
      vault,
      redirectUri: context.redirectUri,
    };
    // A worker in steady state has run thousands of checks: a few hundred per sweep process compile
    // the hot paths (V8's optimizing tiers) and open every connection; each process sweeps its part.
    await seedAuthorizations({
      ...seedInput,
      repos: createRepositories(client, warmupTableName),
      tenantPrefix: 'warmup',
      authorizations: context.warmupChecks,
      dueFraction: 1,
      now: new Date(),
    });
    const seed = await seedAuthorizations({
      ...seedInput,
      repos: createRepositories(client, tableName),
      tenantPrefix: 'tenant',
      authorizations: scenario.authorizations,
      dueFraction: scenario.dueFraction,
      now: new Date(),
    });
    progress(`${label}: seeded ${seed.tenants} tenants, ${seed.due} due, in ${seconds(seed.ms)}`);

    const baseline = await runBaseline({
      documentClient: documentClientFor(client),
      tableName,
      vault,
      webex: new HttpWebexClient({ baseUrl: context.sim.url }),
      now: new Date(),
      sample: context.baselineSample,
    });
    progress(
      `${label}: naive loop scanned ${baseline.scanned} items, checked ${baseline.checked} of ${baseline.due} due` +
        ` in ${seconds(baseline.measuredMs)} (projected ${seconds(baseline.projectedMs)} for all)`,
    );

    const dynamoDbCpu = () => (context.dynamoDbPid ? processCpuMs(context.dynamoDbPid) : undefined);
    const sample = () => ({ own: process.cpuUsage(), dynamoDb: dynamoDbCpu(), machine: machineBusyMs() });
    const marks: Partial<Record<'start' | 'end', ReturnType<typeof sample>>> = {};
    let loadAverage = 0;
    const sweep = await runSweepProcesses(
      {
        endpoint: context.endpoint,
        tableName,
        warmupTableName,
        simulatorUrl: context.sim.url,
        concurrency: context.concurrency,
        processes: context.sweepProcesses ?? DEFAULT_SWEEP_PROCESSES,
        vaultKey: vault.key.toString('base64'),
      },
      (phase) => {
        marks[phase] = sample();
        if (phase === 'start') loadAverage = os.loadavg()[0] ?? 0;
      },
    );
    const { start, end } = marks;
    if (!start || !end) throw new Error('The sweep processes did not mark their timed sweep');
    // This process serves the simulator; its CPU between the marks is the simulator's (µs in cpuUsage).
    const simulator = (end.own.user - start.own.user + end.own.system - start.own.system) / 1000;
    const dynamoDbLocal =
      end.dynamoDb !== undefined && start.dynamoDb !== undefined ? end.dynamoDb - start.dynamoDb : undefined;
    const others =
      end.machine !== undefined && start.machine !== undefined && dynamoDbLocal !== undefined
        ? Math.max(0, end.machine - start.machine - sweep.cpu.sweepMs - simulator - dynamoDbLocal)
        : undefined;
    progress(`${label}: sweep checked ${sweep.checked} in ${seconds(sweep.wallMs)}`);
    return {
      ...scenario,
      seed,
      baseline,
      sweep,
      cpu: { simulator, dynamoDbLocal, others, loadAverage },
    };
  } finally {
    await dropTables(client, [tableName, warmupTableName], progress);
  }
}

/**
 * Drops a scenario's tables to free the engine's memory for the next. Best effort: DynamoDB Local
 * can drop the connection while it deletes a large table with its indexes on a busy machine, and
 * the tables' names are the scenario's own, so one left behind costs memory, not a result.
 */
async function dropTables(client: DynamoDBClient, tableNames: string[], progress: (line: string) => void) {
  for (const TableName of tableNames) {
    try {
      await client.send(new DeleteTableCommand({ TableName }));
    } catch (error) {
      progress(
        `could not drop ${TableName} (${error instanceof Error ? error.message : String(error)}); going on`,
      );
    }
  }
}
