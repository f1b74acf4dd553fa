import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../local/dynamodb-local.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `npm start`'s entry point as a process, as a new user would, and collects what it says. */
function start(env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'local/start.ts'], {
      env: { PATH: process.env.PATH ?? '', LOCAL_DATA_DIR: mkdtempSync(join(tmpdir(), 'start-')), ...env },
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

function oneLine(text: string): string {
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  expect(lines).toHaveLength(1);
  return lines[0]!;
}

describe('npm start refuses a bad setup with one clear line', () => {
  let busy: Server;
  let busyPort: number;

  beforeAll(async () => {
    busyPort = await freePort();
    busy = createServer();
    await new Promise<void>((resolve) => busy.listen(busyPort, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise<void>((resolve) => busy.close(() => resolve())));

  it('names a bad environment variable', async () => {
    const run = await start({ PORT: 'eighty', SWEEP_INTERVAL_SECONDS: '0' });
    expect(run.code).toBe(1);
    const line = oneLine(run.stderr);
    expect(line).toContain('PORT is invalid');
    expect(line).toContain('SWEEP_INTERVAL_SECONDS is invalid');
  });

  it('names the bad field of a catalog file', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'catalog-')), 'catalog.json');
    writeFileSync(
      file,
      JSON.stringify({
        version: 1,
        integrations: [
          { key: 'cdr', name: 'CDR', integrationId: 'not-an-id', scopes: ['spark:people_read'] },
        ],
      }),
    );
    const run = await start({ CATALOG_FILE: file });
    expect(run.code).toBe(1);
    expect(oneLine(run.stderr)).toMatch(/integrations\.0\.integrationId: must be a Webex Integration ID/);
  });

  it('names the catalog file and the JSON syntax error', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'catalog-')), 'catalog.json');
    writeFileSync(file, '{\n  "version": 1,\n  "integrations": [\n  }\n');
    const run = await start({ CATALOG_FILE: file });
    expect(run.code).toBe(1);
    const line = oneLine(run.stderr);
    expect(line).toContain(`Invalid integration catalog (CATALOG_FILE=${file}): not JSON (`);
    expect(line).not.toMatch(/\bat \S+:\d+/);
  });

  it('says which port is busy and how to pick another', async () => {
    const run = await start({ PORT: String(busyPort), WEBEX_SIM_PORT: String(await freePort()) });
    expect(run.code).toBe(1);
    expect(oneLine(run.stderr)).toBe(
      `Port ${busyPort} (API) is busy. Fix: stop what listens there, or start with PORT=<another port>`,
    );
  });

  it('says how to install Java when it is missing', async () => {
    // An empty PATH: node runs by its absolute path, but no java is found.
    const run = await start({
      PATH: mkdtempSync(join(tmpdir(), 'no-java-')),
      PORT: String(await freePort()),
      WEBEX_SIM_PORT: String(await freePort()),
    });
    expect(run.code).toBe(1);
    expect(oneLine(run.stderr)).toContain('Java is not installed');
    expect(run.stderr).toContain('apt-get install -y default-jre-headless');
  });
});
