import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import * as z from 'zod';

/*
 * `npm run build`: the token client package (packages/token-client). esbuild bundles its entry and
 * the repo's own code it reaches (token access, the DynamoDB, KMS and Secrets Manager adapters,
 * the Webex client, the shipped catalog) into one ESM file; its npm dependencies stay imports.
 * tsc writes the declarations next to it.
 */

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const packageDir = join(repo, 'packages', 'token-client');

const manifest = z
  .object({ dependencies: z.record(z.string(), z.string()) })
  .parse(JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')));

/** Swaps the Lambda functions' traced clients for the package's plain ones (untraced-aws-clients.ts). */
const untracedClients: Plugin = {
  name: 'untraced-aws-clients',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^#commons\/aws-clients\.js$/ }, () => ({
      path: join(packageDir, 'src', 'untraced-aws-clients.ts'),
    }));
  },
};

/** Builds the package into packages/token-client/dist; throws when a dependency would be bundled. */
export async function buildTokenClient(): Promise<void> {
  rmSync(join(packageDir, 'dist'), { recursive: true, force: true });
  const dependencies = Object.keys(manifest.dependencies);
  const result = await build({
    entryPoints: [join(packageDir, 'src', 'index.ts')],
    outfile: join(packageDir, 'dist', 'index.js'),
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: dependencies.flatMap((name) => [name, `${name}/*`]),
    plugins: [untracedClients],
    metafile: true,
    logLevel: 'warning',
  });
  // Anything from node_modules in the bundle is a dependency package.json does not declare.
  const bundled = Object.keys(result.metafile.inputs).filter((input) => input.includes('node_modules/'));
  if (bundled.length > 0) {
    throw new Error(`The token client bundles undeclared dependencies: ${bundled.join(', ')}`);
  }
  const tsc = spawnSync(
    process.execPath,
    [join(repo, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(packageDir, 'tsconfig.build.json')],
    { cwd: repo, stdio: 'inherit' },
  );
  if (tsc.status !== 0) throw new Error('tsc could not write the token client declarations');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await buildTokenClient();
  console.log(`Built ${join('packages', 'token-client', 'dist')}`);
}
