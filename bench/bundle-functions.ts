/**
 * Bundles each function exactly as `cdk synth` does, through the project's own `ProjectFunction`
 * construct (its esbuild settings, banner and SDK choice), in a throw-away app per function, and
 * prints `[{ name, file }]` as JSON on stdout. Run as a child of bench/bundles.ts, which keeps the
 * CDK's and esbuild's progress lines out of the report.
 *
 * Usage: tsx bench/bundle-functions.ts <out-dir> <name>=<entry> ...
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { ProjectFunction } from '#lib/project-function.js';

const [outDir, ...specs] = process.argv.slice(2);
if (!outDir || specs.length === 0) throw new Error('Usage: bundle-functions.ts <out-dir> <name>=<entry> ...');

const bundles = specs.map((spec) => {
  const [name = '', entry = ''] = spec.split('=');
  const appDir = join(outDir, name);
  const app = new App({ outdir: appDir });
  // Constructing the function stages its asset: NodejsFunction bundles with esbuild right here.
  new ProjectFunction(new Stack(app, 'BundleBench'), 'Function', {
    entry,
    description: `bench bundle of ${name}`,
    serviceName: name,
  });
  const asset = readdirSync(appDir).find((entryName) => entryName.startsWith('asset.'));
  if (!asset) throw new Error(`No bundle was staged for ${name} under ${appDir}`);
  return { name, file: join(appDir, asset, 'index.mjs') };
});
process.stdout.write(JSON.stringify(bundles));
