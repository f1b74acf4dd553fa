import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { freePort } from '#local/dynamodb-local.js';

const ROOT = resolve(import.meta.dirname, '../..');
/** What `npm start` runs (package.json `start`), through the same tsx binary. */
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const READY = 'Press Ctrl-C to stop.';

interface Running {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
  /** Settles when the ready line is printed; rejects when the process exits first. */
  ready: Promise<void>;
}

/** The contract lines `npm start` prints, by name. */
interface Printed {
  portal: string;
  mailbox: string;
  status: string;
  simulator: string;
}

function start(env: Record<string, string>, args: string[] = []): Running {
  const child = spawn(TSX, ['local/start.ts', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const exited = new Promise<number | null>((resolveExit) => child.on('exit', (code) => resolveExit(code)));
  const ready = new Promise<void>((resolveReady, rejectReady) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.includes(READY)) resolveReady();
    });
    void exited.then(() => rejectReady(new Error(`npm start exited early: ${stderr}`)));
  });
  // A run stopped before it was ready is not an error in itself; `printed` reports it when asked.
  ready.catch(() => undefined);
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return { child, stdout: () => stdout, stderr: () => stderr, exited, ready };
}

/** Waits for the ready line (40 s at most), then reads the four contract lines. */
async function printed(run: Running): Promise<Printed> {
  let deadline: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    deadline = setTimeout(
      () => reject(new Error(`npm start not ready in 40 s: ${run.stdout()}${run.stderr()}`)),
      40_000,
    );
  });
  try {
    await Promise.race([run.ready, late]);
  } finally {
    clearTimeout(deadline);
  }
  const line = (name: string) => {
    const match = new RegExp(`^${name}: (http://\\S+)$`, 'm').exec(run.stdout());
    expect(match, `a "${name}: <url>" line in\n${run.stdout()}`).not.toBeNull();
    return match![1]!;
  };
  return {
    portal: line('Portal'),
    mailbox: line('Mailbox'),
    status: line('Status'),
    simulator: line('Webex simulator'),
  };
}

/** Sends Ctrl-C's signal and waits for the exit code. */
async function interrupt(run: Running): Promise<number | null> {
  run.child.kill('SIGINT');
  return run.exited;
}

/** Java processes whose command line names this data directory: the run's DynamoDB Local. */
function dynamoDbJavaProcesses(dataDir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue; // gone meanwhile
    }
    if (basename(argv[0] ?? '') === 'java' && argv.some((arg) => arg.startsWith(dataDir))) {
      pids.push(Number(entry));
    }
  }
  return pids;
}

const demoTenantSchema = z.object({ tenantId: z.literal('demo'), createdAt: z.string() });

describe('npm start, run as a process', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'start-run-'));
  let env: Record<string, string>;
  let apiUrl: string;
  let firstPortal: string;
  let firstDemoCreatedAt: string;
  const running: Running[] = [];

  const launch = (args: string[] = []) => {
    const run = start(env, args);
    running.push(run);
    return run;
  };
  const demoTenant = async () =>
    demoTenantSchema.parse(await (await fetch(`${apiUrl}/admin/tenants/demo`)).json());

  beforeAll(async () => {
    const port = await freePort();
    env = {
      PORT: String(port),
      WEBEX_SIM_PORT: String(await freePort()),
      LOCAL_DATA_DIR: dataDir,
      // No timer sweep during the test: only the one it asks for.
      SWEEP_INTERVAL_SECONDS: '3600',
    };
    apiUrl = `http://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    for (const run of running) {
      if (run.child.exitCode === null) {
        run.child.kill('SIGKILL');
        await run.exited;
      }
    }
  });

  it('prints the contract URLs, serves each, sweeps on demand and stops cleanly on Ctrl-C', async () => {
    const run = launch();
    const urls = await printed(run);
    expect(urls.portal).toMatch(new RegExp(`^${apiUrl}/connect/[A-Za-z0-9._-]+$`));
    expect(urls.mailbox).toBe(`${apiUrl}/_local/mailbox`);
    expect(urls.status).toBe(`${apiUrl}/_local/status`);
    expect(urls.simulator).toBe(`http://127.0.0.1:${env.WEBEX_SIM_PORT}/_sim`);
    // Not the default port: the banner's CLI line names this API, or the CLI would go to 8787.
    expect(run.stdout()).toContain(`npx webex-auth-keeper --api ${apiUrl} tenants list`);
    for (const url of Object.values(urls)) {
      const response = await fetch(url);
      expect(response.status, url).toBe(200);
      expect(response.headers.get('content-type'), url).toMatch(/^text\/html/);
    }
    const portal = await (await fetch(urls.portal)).text();
    expect(portal).toContain('data-integration="presence"');
    const sweep = await fetch(`${apiUrl}/_local/sweep`, { method: 'POST' });
    expect(sweep.status).toBe(200);
    expect(sweep.headers.get('content-type')).toMatch(/^application\/json/);
    expect(
      z.object({ dispatched: z.number(), errors: z.array(z.unknown()) }).parse(await sweep.json()),
    ).toMatchObject({ errors: [] });
    firstPortal = urls.portal;
    firstDemoCreatedAt = (await demoTenant()).createdAt;
    const created = await fetch(`${apiUrl}/admin/tenants`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ tenantId: 'kept-across-runs', name: 'Kept across runs' }),
    });
    expect(created.status).toBe(201);

    expect(dynamoDbJavaProcesses(dataDir)).toHaveLength(1);
    expect(await interrupt(run)).toBe(0);
    expect(run.stdout()).toContain('SIGINT: stopping');
    expect(run.stderr()).toBe('');
    expect(dynamoDbJavaProcesses(dataDir)).toEqual([]);
    await expect(fetch(`${apiUrl}/_local/status`)).rejects.toThrow();
  });

  it('keeps the data for the next run', async () => {
    const run = launch();
    await printed(run);
    expect((await demoTenant()).createdAt).toBe(firstDemoCreatedAt);
    expect((await fetch(`${apiUrl}/admin/tenants/kept-across-runs`)).status).toBe(200);
    // Same link signing key: the link printed by the first run still opens the demo portal.
    expect((await fetch(firstPortal)).status).toBe(200);
    expect(await interrupt(run)).toBe(0);
    expect(dynamoDbJavaProcesses(dataDir)).toEqual([]);
  });

  it('starts over with --fresh', async () => {
    const run = launch(['--fresh']);
    await printed(run);
    expect((await fetch(`${apiUrl}/admin/tenants/kept-across-runs`)).status).toBe(404);
    expect((await demoTenant()).createdAt).not.toBe(firstDemoCreatedAt);
    // A new signing key: the old link no longer opens the portal.
    expect((await fetch(firstPortal)).status).not.toBe(200);
    expect(await interrupt(run)).toBe(0);
    expect(dynamoDbJavaProcesses(dataDir)).toEqual([]);
  });
});
