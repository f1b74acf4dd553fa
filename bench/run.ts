/**
 * `npm run bench`: product issue 8's benchmark. Seeds authorizations in DynamoDB Local with tokens
 * minted in the Webex simulator, runs the real sweep beside a naive Scan-and-check loop, measures
 * read capacity per due authorization at two table sizes and two due shares, the functions'
 * bundles and cold imports, the OAuth callback's latency and a worker's memory; prints the report,
 * writes it to BENCHMARKS.md (or `--output`) and exits 1 when a target fails (2 when the bench
 * itself could not run). `--help` lists the flags.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { callbackUrl } from '#domain/onboarding-portal.js';
import { ensureTable, startLocalDynamoDb } from '#local/dynamodb-local.js';
import { startWebexSimulator } from '#local/webex-simulator/index.js';
import { benchBundles } from './bundles.js';
import { benchCallback } from './callback.js';
import { benchDispatch } from './dispatch.js';
import { findDynamoDbLocalPid } from './cpu.js';
import { simulateCheckInterval } from './check-interval.js';
import { measureCosts } from './cost-measure.js';
import { CHECK_INTERVALS } from './cost-report.js';
import { BENCH_PUBLIC_BASE_URL, benchDynamoDbClient, simIntegrations } from './fixtures.js';
import { BenchUsageError, parseBenchOptions, USAGE, type BenchOptions } from './options.js';
import { simulateOrgBudget } from './org-budget.js';
import { evaluateTargets, renderReport, type BenchResults } from './report.js';
import { runScenario, scenariosFor, warmupChecks, type ScenarioResult } from './scenarios.js';
import { DEFAULT_CHECK_INTERVAL_MINUTES, defaultDeployInputs } from '#lib/deploy-inputs.js';
import { BenchOrgs } from './seed.js';

const FUNCTIONS_DIR = fileURLToPath(new URL('../functions/', import.meta.url));

function progress(line: string): void {
  process.stderr.write(`[bench] ${line}\n`);
}

/** Source files under functions/ that send a DynamoDB Scan: none may, since any may run on a schedule. */
function findScanSources(): string[] {
  return readdirSync(FUNCTIONS_DIR, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .filter((file) => /\bScanCommand\b/.test(readFileSync(join(FUNCTIONS_DIR, file), 'utf8')))
    .map((file) => `functions/${file}`);
}

async function bench(options: BenchOptions): Promise<BenchResults> {
  const startedAt = new Date();
  const started = performance.now();
  progress('bundling the functions as the stack does, timing cold imports');
  const bundles = await benchBundles(options.importRuns);

  progress('starting DynamoDB Local and the Webex simulator');
  const redirectUri = callbackUrl(BENCH_PUBLIC_BASE_URL);
  const db = await startLocalDynamoDb();
  const sim = await startWebexSimulator({
    port: 0,
    seedDemoOrg: false,
    integrations: simIntegrations(redirectUri),
  });
  sim.world.faults.update({ latencyMs: options.latencyMs });
  const client = benchDynamoDbClient(db.endpoint, 64);
  try {
    const context = {
      client,
      endpoint: db.endpoint,
      sim,
      orgs: new BenchOrgs(sim.world),
      redirectUri,
      concurrency: options.concurrency,
      warmupChecks: warmupChecks(options),
      sweepProcesses: options.sweepProcesses,
      baselineSample: options.baselineSample,
      dynamoDbPid: findDynamoDbLocalPid(),
      progress,
    };
    const scenarios: ScenarioResult[] = [];
    for (const scenario of scenariosFor(options.authorizations, options.due)) {
      scenarios.push(await runScenario(context, scenario));
    }

    progress("cost: simulating check intervals with the validator's scheduling");
    const sweepRateMinutes = defaultDeployInputs().sweepRateMinutes;
    const intervals = CHECK_INTERVALS.map((checkIntervalMinutes) =>
      simulateCheckInterval({
        checkIntervalMinutes,
        sweepRateMinutes,
        authorizations: options.quick ? 100 : 1000,
        days: 20,
        seed: 15,
      }),
    );
    const measurement = await measureCosts({
      client,
      endpoint: db.endpoint,
      sim,
      orgs: context.orgs,
      redirectUri,
      samples: options.quick ? 5 : 50,
      checkIntervalSeconds: DEFAULT_CHECK_INTERVAL_MINUTES * 60,
      progress,
    });

    progress('Webex call budget: one org of 5,000 authorizations swept through its budget');
    const orgBudget = await simulateOrgBudget({ authorizations: 5_000, sweepRateMinutes, seed: 18 });

    progress(`timing ${options.callbacks} OAuth callbacks`);
    const callbackTable = 'bench-callback';
    await ensureTable(client, callbackTable);
    const callback = await benchCallback({
      client,
      tableName: callbackTable,
      sim,
      latencyMs: options.latencyMs,
      samples: options.callbacks,
      // The first callbacks pay for JIT compilation and new connections: a warm function is measured.
      warmup: options.quick ? 2 : 10,
    });
    progress(`dispatch: ${options.dispatchKeys} due keys through the SQS stand-in`);
    const dispatch = await benchDispatch(options.dispatchKeys);
    return {
      options,
      startedAt,
      totalMs: performance.now() - started,
      scenarios,
      bundles,
      callback,
      dispatch,
      scanSources: findScanSources(),
      cost: { measurement, intervals },
      orgBudget,
    };
  } finally {
    client.destroy();
    await sim.close();
    await db.stop();
  }
}

async function main(argv: readonly string[]): Promise<number> {
  let options: BenchOptions | undefined;
  try {
    options = parseBenchOptions(argv);
  } catch (error) {
    if (!(error instanceof BenchUsageError)) throw error;
    process.stderr.write(`${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (!options) {
    process.stdout.write(USAGE);
    return 0;
  }
  const results = await bench(options);
  const targets = evaluateTargets(results);
  const report = renderReport(results, targets);
  process.stdout.write(`\n${report}`);
  writeFileSync(options.output, report);
  progress(`report written to ${options.output}`);
  return targets.every((target) => target.pass) ? 0 : 1;
}

// The SDK warns about Node 20 in every process; Lambda runs Node 24.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `[bench] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 2;
  },
);
