import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a TypeScript entry point of the copied tree as a process and collects what it says. */
function run(cwd: string, entry: string, env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolveRun) => {
    const child = spawn(process.execPath, ['--import', 'tsx', entry], {
      cwd,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolveRun({ code, stdout, stderr });
    });
  });
}

function oneLine(text: string): string {
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  expect(lines).toHaveLength(1);
  return lines[0]!;
}

/**
 * A broken `config/catalog.json` must not crash the entry points with a stack trace. The tree is
 * copied (the shared checkout's own file is never touched) and its catalog broken in the copy.
 */
describe('a shipped catalog that is not JSON', () => {
  let tree: string;

  beforeAll(() => {
    tree = mkdtempSync(join(tmpdir(), 'broken-catalog-'));
    for (const part of ['bin', 'config', 'functions', 'lib', 'local', 'package.json', 'tsconfig.json']) {
      cpSync(join(ROOT, part), join(tree, part), { recursive: true });
    }
    symlinkSync(join(ROOT, 'node_modules'), join(tree, 'node_modules'), 'dir');
    writeFileSync(join(tree, 'config', 'catalog.json'), '{\n  "version": 1,\n  "integrations": [\n  }\n');
  });
  afterAll(() => rmSync(tree, { recursive: true, force: true }));

  it('stops npm start with one line naming the file', async () => {
    const result = await run(tree, 'local/start.ts', {
      LOCAL_DATA_DIR: mkdtempSync(join(tmpdir(), 'start-')),
    });
    expect(result.code).toBe(1);
    expect(oneLine(result.stderr)).toMatch(
      /^Invalid integration catalog \(config\/catalog\.json\): not JSON \(.+\)$/,
    );
    expect(result.stdout).toBe('');
  });

  it('stops the synth with one line naming the file, before bundling', async () => {
    const result = await run(tree, 'bin/app.ts', { CDK_OUTDIR: mkdtempSync(join(tmpdir(), 'synth-')) });
    expect(result.code).toBe(1);
    expect(oneLine(result.stderr)).toMatch(
      /^Invalid integration catalog \(config\/catalog\.json\): not JSON \(.+\)$/,
    );
  });
});
