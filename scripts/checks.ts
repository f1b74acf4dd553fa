import { spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

/*
 * `npm test`'s checks before the tests: ESLint, Prettier, tsc and `cdk synth`, all at once. Each is
 * one process on one core and none writes what another reads (synth writes cdk.out, which the
 * others ignore), so together they take about as long as the slowest, ESLint's type-aware rules,
 * where one after the other they took the sum. Each one's output is printed whole when it ends.
 */

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const CHECKS: readonly { name: string; bin: string; args: readonly string[] }[] = [
  { name: 'eslint', bin: 'eslint', args: ['.'] },
  { name: 'prettier', bin: 'prettier', args: ['--check', '.'] },
  { name: 'typecheck', bin: 'tsc', args: ['-p', 'tsconfig.json'] },
  { name: 'cdk synth', bin: 'cdk', args: ['synth', '--quiet'] },
];

interface CheckResult {
  name: string;
  passed: boolean;
}

function run(check: (typeof CHECKS)[number]): Promise<CheckResult> {
  const started = performance.now();
  return new Promise((settle) => {
    const child = spawn(join(repo, 'node_modules', '.bin', check.bin), check.args, {
      cwd: repo,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => output.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => output.push(chunk));
    let finished = false;
    // A process that cannot start reports 'error' and may still report 'close': one line each.
    const finish = (passed: boolean, reason: string) => {
      if (finished) return;
      finished = true;
      const seconds = (performance.now() - started) / 1000;
      const text = Buffer.concat(output).toString('utf8').trimEnd();
      process.stdout.write(
        `── ${check.name}: ${passed ? 'passed' : `FAILED (${reason})`} in ${seconds.toFixed(1)} s\n` +
          (text === '' ? '' : `${text}\n`),
      );
      settle({ name: check.name, passed });
    };
    child.on('error', (error) => finish(false, error.message));
    child.on('close', (code, signal) => finish(code === 0, signal ?? `exit ${code}`));
  });
}

const results = await Promise.all(CHECKS.map(run));
const failed = results.filter((result) => !result.passed).map((result) => result.name);
if (failed.length > 0) {
  process.stderr.write(`checks failed: ${failed.join(', ')}\n`);
  process.exitCode = 1;
}
