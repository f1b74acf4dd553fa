import { spawn } from 'node:child_process';
import { expect } from 'vitest';

/** What a finished entry-point process said. */
export interface EntryRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a TypeScript entry point (`local/start.ts`, `bin/app.ts`) as its own process, the way a
 * user's command would, with only PATH and `env` in its environment; killed after 30 s.
 */
export function runEntry(entry: string, env: Record<string, string>, cwd?: string): Promise<EntryRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', entry], {
      ...(cwd !== undefined ? { cwd } : {}),
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
      resolve({ code, stdout, stderr });
    });
  });
}

/** The one non-blank line of `text`; fails the test when there are more or none. */
export function oneLine(text: string): string {
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  expect(lines).toHaveLength(1);
  return lines[0]!;
}
