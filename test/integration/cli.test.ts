import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminHarness, seedAuthorization, type AdminHarness } from '../support/admin-harness.js';
import { startAdminServer, type AdminServer } from '../support/admin-server.js';

const BIN = fileURLToPath(new URL('../../cli/bin.mjs', import.meta.url));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI as a user would: a separate node process, its own environment. */
function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
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

describe('webex-auth-keeper CLI against a locally served admin API', () => {
  let h: AdminHarness;
  let server: AdminServer;
  let api: string[];

  beforeAll(async () => {
    h = await createAdminHarness();
    server = await startAdminServer(h.deps);
    api = ['--api', server.url];
  });
  afterAll(async () => {
    await server.close();
    await h.close();
  });

  it('creates, lists and shows tenants as tables', async () => {
    const created = await cli([
      ...api,
      'tenants',
      'create',
      'acme',
      '--name',
      'Acme Corp',
      '--contact',
      'ops@acme.example',
      '--sso',
    ]);
    expect(created).toMatchObject({ code: 0, stderr: '' });
    expect(created.stdout).toBe('Created tenant acme (Acme Corp).\n');
    await cli([...api, 'tenants', 'create', 'beta', '--name', 'Beta']);
    await seedAuthorization(h, 'acme', 'presence');

    const list = await cli([...api, 'tenants', 'list']);
    expect(list.code).toBe(0);
    expect(list.stdout.split('\n')[0]).toMatch(/^TENANT\s+NAME\s+STATUS\s+SSO\s+CONTACTS$/);
    expect(list.stdout).toMatch(/^acme\s+Acme Corp\s+active\s+yes\s+ops@acme\.example$/m);
    expect(list.stdout).toMatch(/^beta\s+Beta\s+active\s+no\s+-$/m);

    const show = await cli([...api, 'tenants', 'show', 'acme']);
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/^name\s+Acme Corp$/m);
    expect(show.stdout).toMatch(/^presence\s+active\s+-\s+admin@customer\.example\s+2026-12-09 10:00Z/m);
    expect(show.stdout).toMatch(/^users-sync\s+not authorized/m);
    expect(show.stdout).not.toMatch(/SECRET/);
  });

  it('pages through every tenant with --all, and prints JSON with --json', async () => {
    const all = await cli([...api, '--json', 'tenants', 'list', '--limit', '1', '--all']);
    expect(all.code).toBe(0);
    const body = JSON.parse(all.stdout) as { items: { tenantId: string }[]; cursor?: string };
    expect(body.items.map((tenant) => tenant.tenantId)).toEqual(['acme', 'beta']);
    expect(body.cursor).toBeUndefined();

    const one = await cli([...api, 'tenants', 'list', '--limit', '1']);
    expect(one.stdout).toContain('(more tenants: add --all)');
  });

  it('issues and revokes onboarding links', async () => {
    const link = await cli([...api, 'link', 'acme', '--days', '3']);
    expect(link.code).toBe(0);
    expect(link.stdout).toMatch(
      /^https:\/\/auth\.example\.test\/connect\/\S+\nValid until 2026-11-28 10:00Z\.\n$/,
    );

    const revoked = await cli([...api, 'link', 'acme', '--revoke']);
    expect(revoked).toMatchObject({
      code: 0,
      stdout: 'Revoked every onboarding link of acme (link version now 2).\n',
    });
  });

  it('validates an authorization now', async () => {
    const run = await cli([...api, 'validate', 'acme', 'presence']);
    expect(run).toMatchObject({ code: 0, stdout: 'Checked: acme/presence is active.\n' });
  });

  it('offboards only with --yes', async () => {
    const refused = await cli([...api, 'offboard', 'beta']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/add --yes to go ahead/);
    expect(await h.repos.tenants.get('beta')).toMatchObject({ status: 'active' });

    const done = await cli([...api, 'offboard', 'beta', '--yes']);
    expect(done.code).toBe(0);
    expect(done.stdout).toMatch(/^Offboarded beta\./);
    expect(await h.repos.tenants.get('beta')).toMatchObject({ status: 'offboarded' });
  });

  it('prints a refused request as one line and exits 1', async () => {
    const missing = await cli([...api, 'tenants', 'show', 'nobody']);
    expect(missing).toMatchObject({
      code: 1,
      stdout: '',
      stderr: 'webex-auth-keeper: 404 Tenant not found: No tenant "nobody"\n',
    });

    const invalid = await cli([...api, 'tenants', 'create', 'Bad Id', '--name', 'X']);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr.trim().split('\n')).toHaveLength(1);
    expect(invalid.stderr).toMatch(
      /^webex-auth-keeper: 400 Invalid request: Invalid body: tenantId: must be a lowercase slug/,
    );
  });

  it('exits 2 on bad usage and 3 when the API cannot be reached', async () => {
    expect((await cli([...api, 'tenants', 'create', 'x'])).stderr).toMatch(/Missing --name/);
    expect((await cli([...api, 'frobnicate'])).code).toBe(2);
    expect((await cli([...api, 'tenants', 'list', '--limit', 'ten'])).code).toBe(2);
    expect((await cli([...api, 'tenants', 'list', '--bogus'])).code).toBe(2);
    const insecure = await cli(['--api', 'http://admin.example.com', 'tenants', 'list']);
    expect(insecure.code).toBe(2);
    expect(insecure.stderr).toMatch(/Plain http is only for the local run/);

    const down = await cli(['tenants', 'list'], { WEBEX_AUTH_KEEPER_API: 'http://127.0.0.1:9' });
    expect(down.code).toBe(3);
    expect(down.stderr).toMatch(/^webex-auth-keeper: Cannot reach http:\/\/127\.0\.0\.1:9/);
  });
});
