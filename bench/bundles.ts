import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type BuildOptions, type Metafile } from 'esbuild';
import * as z from 'zod';
import { defaultEntries } from '#lib/webex-auth-keeper-stack.js';
import { median } from './stats.js';

/** The deployed functions, named as their Powertools services, and the empty handler beside them. */
const FUNCTIONS: Record<string, string> = {
  'public-api': defaultEntries.publicApi,
  'admin-api': defaultEntries.adminApi,
  'sweep-dispatcher': defaultEntries.sweepDispatcher,
  'validator-worker': defaultEntries.validatorWorker,
};
export const EMPTY_HANDLER = 'empty-handler';
const EMPTY_ENTRY = fileURLToPath(new URL('./empty.handler.ts', import.meta.url));
const BUNDLER = fileURLToPath(new URL('./bundle-functions.ts', import.meta.url));

/**
 * The environment every function would find at cold start, with dummy values: the handlers parse
 * theirs at import and would fail without it. `NODE_OPTIONS` is the stack's own.
 */
const DUMMY_ENVIRONMENT: Record<string, string> = {
  AWS_REGION: 'us-east-1',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  NODE_OPTIONS: '--enable-source-maps',
  POWERTOOLS_SERVICE_NAME: 'bench',
  POWERTOOLS_METRICS_NAMESPACE: 'Bench',
  TABLE_NAME: 'bench-table',
  KMS_KEY_ID: 'arn:aws:kms:us-east-1:000000000000:key/00000000-0000-0000-0000-000000000000',
  CLIENT_SECRETS_SECRET_ID: 'webex-auth-keeper/client-secrets',
  LINK_SIGNING_SECRET_ID: 'webex-auth-keeper/link-signing-key',
  EVENT_BUS_NAME: 'bench-bus',
  ALERT_TOPIC_ARN: 'arn:aws:sns:us-east-1:000000000000:bench-alerts',
  WEBEX_API_BASE_URL: 'https://webexapis.com',
  PUBLIC_BASE_URL: 'https://keeper.bench.invalid',
  VALIDATION_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/bench-validation',
};

/** Where a bundle's bytes come from, by package family. */
export interface BundleShares {
  zod: number;
  /** Part of `zod`: its translations of error messages, every language, reachable from `z.locales`. */
  zodLocales: number;
  awsSdk: number;
  powertools: number;
  ownCode: number;
  other: number;
}

export interface BundleReport {
  name: string;
  /** The minified `index.mjs` that `cdk deploy` uploads (source map not counted). */
  bytes: number;
  /** The same entry built with `@aws-sdk/*` left to the runtime, for comparison. */
  bytesSdkExternal: number;
  /** Shares of the bytes, from esbuild's metafile of the comparison build with the SDK bundled. */
  shares: BundleShares;
  /** Median time of `import()` of the bundle in a fresh `node` process. */
  importMs: number;
  importRuns: number[];
}

const bundledSchema = z.array(z.object({ name: z.string(), file: z.string() }));

/** Builds every function (and the empty handler) through the project's construct, in a child process. */
function bundleLikeTheStack(outDir: string, entries: Record<string, string>) {
  const specs = Object.entries(entries).map(([name, entry]) => `${name}=${entry}`);
  const run = spawnSync(process.execPath, ['--import', 'tsx', BUNDLER, outDir, ...specs], {
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  if (run.status !== 0) throw new Error(`Bundling like the stack failed:\n${run.stderr}`);
  return bundledSchema.parse(JSON.parse(run.stdout));
}

function familyOf(input: string): Exclude<keyof BundleShares, 'zodLocales'> {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
  const name = match?.[1];
  if (!name) return 'ownCode';
  if (name === 'zod') return 'zod';
  if (name.startsWith('@aws-sdk/') || name.startsWith('@smithy/') || name.startsWith('@aws-crypto/'))
    return 'awsSdk';
  if (name.startsWith('@aws-lambda-powertools/')) return 'powertools';
  return 'other';
}

/**
 * A second build of the entry with the stack's esbuild flags (lib/project-function.ts: node24,
 * ESM, minified, main fields module,main) and a metafile, to say which packages the bytes come
 * from, and once more with `@aws-sdk/*` external, to show what leaving the SDK to the runtime
 * would save.
 */
async function analyse(
  entry: string,
  outDir: string,
): Promise<{ shares: BundleShares; sdkExternal: number }> {
  const common: BuildOptions & { metafile: true } = {
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    minify: true,
    mainFields: ['module', 'main'],
    metafile: true,
    logLevel: 'silent',
  };
  const full = await build({ ...common, outfile: join(outDir, 'full.mjs') });
  const external = await build({
    ...common,
    outfile: join(outDir, 'external.mjs'),
    external: ['@aws-sdk/*'],
  });
  const shares: BundleShares = { zod: 0, zodLocales: 0, awsSdk: 0, powertools: 0, ownCode: 0, other: 0 };
  const [output] = Object.values(full.metafile.outputs);
  for (const [input, { bytesInOutput }] of Object.entries(output?.inputs ?? {})) {
    shares[familyOf(input)] += bytesInOutput;
    if (input.includes('node_modules/zod/') && input.includes('/locales/'))
      shares.zodLocales += bytesInOutput;
  }
  return { shares, sdkExternal: outputBytes(external.metafile) };
}

function outputBytes(metafile: Metafile): number {
  return Object.entries(metafile.outputs)
    .filter(([file]) => file.endsWith('.mjs'))
    .reduce((total, [, output]) => total + output.bytes, 0);
}

const IMPORT_SCRIPT =
  'const started = performance.now(); await import(process.argv[1]); ' +
  'process.stdout.write(String(performance.now() - started));';

/** Times `import()` of the bundle in a fresh node process (module load and evaluation, no handler call). */
function timeColdImport(file: string): number {
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', IMPORT_SCRIPT, file], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', ...DUMMY_ENVIRONMENT },
  });
  const ms = Number(run.stdout);
  if (run.status !== 0 || !Number.isFinite(ms)) throw new Error(`Importing ${file} failed:\n${run.stderr}`);
  return ms;
}

/** Bundle size and cold import time of each function and of the empty handler. */
export async function benchBundles(importRuns: number): Promise<BundleReport[]> {
  // Under node_modules, so a bundle's `@aws-sdk/*` imports resolve to the installed SDK the way
  // the Lambda runtime resolves them to its own (the stack leaves the SDK out of the bundles).
  const cacheDir = join(process.cwd(), 'node_modules', '.cache');
  mkdirSync(cacheDir, { recursive: true });
  const outDir = mkdtempSync(join(cacheDir, 'webex-auth-keeper-bench-bundles-'));
  try {
    const entries: Record<string, string> = { ...FUNCTIONS, [EMPTY_HANDLER]: EMPTY_ENTRY };
    const reports: BundleReport[] = [];
    for (const { name, file } of bundleLikeTheStack(outDir, entries)) {
      const entry = entries[name] ?? '';
      const { shares, sdkExternal } = await analyse(entry, join(outDir, `${name}-analysis`));
      // One unmeasured run first, so that every bundle is timed with its file in the page cache.
      timeColdImport(file);
      const runs = Array.from({ length: importRuns }, () => timeColdImport(file));
      reports.push({
        name,
        bytes: statSync(file).size,
        bytesSdkExternal: sdkExternal,
        shares,
        importMs: median(runs),
        importRuns: runs,
      });
    }
    return reports;
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}
