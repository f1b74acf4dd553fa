import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { main, type CliIo } from '#cli/webex-auth-keeper.js';

const BIN = fileURLToPath(new URL('../../cli/bin.mjs', import.meta.url));

/** What one CLI run printed and how it exited. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI as a user would: a separate node process, its own environment. */
export function runCli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env }, timeout: 30_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/**
 * Runs the CLI's `main` in this process, with its output captured: the same parsing and commands
 * as the binary without a process start (seconds each on a busy machine). `io` sets the rest
 * (a terminal stderr, a stub fetch).
 */
export async function runCliHere(args: string[], io: Partial<CliIo> = {}): Promise<CliRun> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const code = await main(args, {
    stdout: (text) => stdout.push(text),
    stderr: (text) => stderr.push(text),
    env: {},
    ...io,
  });
  return { code, stdout: stdout.join(''), stderr: stderr.join('') };
}
