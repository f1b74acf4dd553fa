import { parseArgs } from 'node:util';
import * as z from 'zod';
import { tableDefinition } from '#adapters/table-definition.js';

/** A share given as `0.1` or `10%`. */
const fraction = z.preprocess(
  (value) =>
    typeof value === 'string' && value.trim().endsWith('%') ? Number(value.trim().slice(0, -1)) / 100 : value,
  z.coerce.number().gt(0).max(1),
);
const count = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/**
 * Sweep processes when `--sweep-processes` is not given: one, with one queue for all consumers.
 * On this two-core machine two processes measured slower (1.39 to 1.42 times the latency limit
 * against 1.28 to 1.30, headline runs): each pays its own overhead beside DynamoDB Local and the
 * simulator, and the shards split their work unevenly. More cores may want more.
 */
export const DEFAULT_SWEEP_PROCESSES = 1;

const flagsSchema = z.strictObject({
  authorizations: count(10, 500_000).optional(),
  due: fraction.default(0.1),
  'latency-ms': count(0, 10_000).default(100),
  concurrency: count(1, 1024).default(64),
  'sweep-processes': count(1, tableDefinition.dueShards).default(DEFAULT_SWEEP_PROCESSES),
  'baseline-sample': count(1, 100_000).optional(),
  callbacks: count(1, 10_000).optional(),
  'import-runs': count(1, 100).optional(),
  'dispatch-keys': count(1000, 2_000_000).optional(),
  output: z.string().min(1).default('BENCHMARKS.md'),
  quick: z.boolean().default(false),
  help: z.boolean().default(false),
});

/** The bench's settings, after defaults; `--quick` shrinks the defaults, never an explicit flag. */
export interface BenchOptions {
  /** Authorizations in the large table; the small one has a tenth. */
  authorizations: number;
  /** Share due in the headline scenario. */
  due: number;
  latencyMs: number;
  /** Validations in flight, over all sweep processes. */
  concurrency: number;
  /** Sweep processes, like worker instances: each its own dispatcher over 1/P of the shards, C/P consumers. */
  sweepProcesses: number;
  /** Due authorizations the naive baseline checks before extrapolating. */
  baselineSample: number;
  callbacks: number;
  importRuns: number;
  /** Due keys the dispatch bench enqueues through the SQS stand-in. */
  dispatchKeys: number;
  /** Where the Markdown report goes. */
  output: string;
  quick: boolean;
  /** The command line, for the report. */
  command: string;
}

export const USAGE = `Usage: npm run bench -- [options]

  --authorizations N   authorizations in the large table (default 100000; --quick 200); a table of N/10 runs too
  --due F              share due in the headline run, 0.1 or 10% (default 10%); 10% and 100% always run
  --latency-ms MS      simulator latency per Webex call (default 100)
  --concurrency C      validations in flight, over all sweep processes (default 64)
  --sweep-processes P  sweep processes, like P worker instances: each runs its own dispatcher over
                       1/P of the due index's ${tableDefinition.dueShards} shards with C/P consumers (default ${DEFAULT_SWEEP_PROCESSES}; 1 to ${tableDefinition.dueShards}, at most C)
  --baseline-sample K  due authorizations the naive loop checks before extrapolating (default 50; --quick 5)
  --callbacks K        OAuth callbacks timed (default 150; --quick 10)
  --import-runs K      cold imports per bundle (default 5; --quick 1)
  --dispatch-keys N    due keys the dispatchers enqueue through the SQS stand-in (default 500000; --quick 10000)
  --output FILE        Markdown report (default BENCHMARKS.md)
  --quick              a small run for the smoke test
`;

/** Thrown for flags that do not parse; the message names each bad one. */
export class BenchUsageError extends Error {
  override readonly name = 'BenchUsageError';
}

/** Parses the command line (`process.argv.slice(2)`); undefined when `--help` was asked for. */
export function parseBenchOptions(argv: readonly string[]): BenchOptions | undefined {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: [...argv],
      strict: true,
      options: {
        authorizations: { type: 'string' },
        due: { type: 'string' },
        'latency-ms': { type: 'string' },
        concurrency: { type: 'string' },
        'sweep-processes': { type: 'string' },
        'baseline-sample': { type: 'string' },
        callbacks: { type: 'string' },
        'import-runs': { type: 'string' },
        'dispatch-keys': { type: 'string' },
        output: { type: 'string' },
        quick: { type: 'boolean' },
        help: { type: 'boolean' },
      },
    }).values;
  } catch (error) {
    throw new BenchUsageError(error instanceof Error ? error.message : String(error));
  }
  const parsed = flagsSchema.safeParse(values);
  if (!parsed.success) {
    throw new BenchUsageError(
      parsed.error.issues.map((issue) => `--${issue.path.join('.')}: ${issue.message}`).join('; '),
    );
  }
  const flags = parsed.data;
  if (flags.help) return undefined;
  if (flags['sweep-processes'] > flags.concurrency) {
    throw new BenchUsageError(
      `--sweep-processes: ${flags['sweep-processes']} processes need at least one consumer each (--concurrency ${flags.concurrency})`,
    );
  }
  const quick = flags.quick;
  return {
    authorizations: flags.authorizations ?? (quick ? 200 : 100_000),
    due: flags.due,
    latencyMs: flags['latency-ms'],
    concurrency: flags.concurrency,
    sweepProcesses: flags['sweep-processes'],
    baselineSample: flags['baseline-sample'] ?? (quick ? 5 : 50),
    callbacks: flags.callbacks ?? (quick ? 10 : 150),
    importRuns: flags['import-runs'] ?? (quick ? 1 : 5),
    dispatchKeys: flags['dispatch-keys'] ?? (quick ? 10_000 : 500_000),
    output: flags.output,
    quick,
    command: ['npm run bench', ...(argv.length > 0 ? ['--', ...argv] : [])].join(' '),
  };
}
