import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '#local/dynamodb-local.js';
import { oneLine, runEntry, type EntryRun } from '#test-support/entry-process.js';

/** Runs `npm start`'s entry point as a process, as a new user would. */
function start(env: Record<string, string>): Promise<EntryRun> {
  return runEntry('local/start.ts', { LOCAL_DATA_DIR: mkdtempSync(join(tmpdir(), 'start-')), ...env });
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
