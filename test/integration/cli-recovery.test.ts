import { INVALIDATION_CAUSES } from '#domain/model.js';
import { describe, expect, it, beforeAll } from 'vitest';
import { cliAgainstSimulatedWebex } from '#test-support/cli-sim-setup.js';
import { runCliHere } from '#test-support/cli-process.js';
import { authorizeInto } from '#test-support/sim-authorization.js';

describe('webex-auth-keeper CLI: recheck, refresh, reload and history', () => {
  const setup = cliAgainstSimulatedWebex();

  beforeAll(async () => {
    const { h, sim } = setup;
    expect(
      (await h.call('POST', '/admin/tenants', { body: { tenantId: 'acme', name: 'Acme' } })).status,
    ).toBe(201);
    const record = await authorizeInto(h, sim, { tenantId: 'acme', integration: 'presence' });
    const invalid = {
      ...record,
      status: 'invalid' as const,
      cause: 'unknown' as const,
      validatedAt: h.clock.now().toISOString(),
    };
    delete invalid.nextCheckAt;
    await h.repos.authorizations.save(invalid, record.version);
  });

  it('prints the help of one command', async () => {
    const help = await runCliHere(['recheck', '--help']);
    expect(help).toMatchObject({ code: 0, stderr: '' });
    expect(help.stdout).toMatch(/^Usage: webex-auth-keeper recheck <id> <integration>/);
    expect(help.stdout).not.toMatch(/tenants create/);
    // The CLI imports nothing of the domain: its list of causes is checked against the model's.
    for (const cause of INVALIDATION_CAUSES) expect(help.stdout).toContain(cause);
  });

  it('lists a window with --dry-run, rechecks, refreshes, and shows the history', async () => {
    const dryRun = await runCliHere([
      ...setup.api,
      'recheck',
      '--since',
      '2h',
      '--cause',
      'unknown',
      '--dry-run',
    ]);
    expect(dryRun).toMatchObject({ code: 0, stderr: '' });
    expect(dryRun.stdout).toMatch(/^1 would be rechecked/);
    expect(dryRun.stdout).toMatch(/^acme\s+presence\s+unknown\s+\S+ \S+\s+selected\s+-$/m);

    const recheck = await runCliHere([...setup.api, 'recheck', 'acme', 'presence']);
    expect(recheck).toMatchObject({ code: 0, stderr: '' });
    expect(recheck.stdout).toMatch(/^Restored: acme\/presence is active\./);

    const refresh = await runCliHere([...setup.api, '--json', 'refresh', 'acme', 'presence']);
    expect(refresh).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(refresh.stdout)).toMatchObject({
      tenantId: 'acme',
      integration: 'presence',
      status: 'active',
    });

    const history = await runCliHere([...setup.api, 'history', 'acme']);
    expect(history.code).toBe(0);
    expect(history.stdout.split('\n')[0]).toMatch(/^WHEN\s+INTEGRATION\s+EVENT\s+STATUS\s+SUMMARY$/);
    expect(history.stdout).toMatch(/presence\s+restored\s+active/);
  });

  it('says on one line why a recheck, a reload or a window was refused', async () => {
    const live = await runCliHere([...setup.api, 'recheck', 'acme', 'presence']);
    expect(live.code).toBe(1);
    expect(live.stderr).toMatch(/refresh/);
    expect(live.stderr.trim().split('\n')).toHaveLength(1);

    const reload = await runCliHere([...setup.api, 'reload', 'presence']);
    expect(reload.code).toBe(1);
    expect(reload.stderr).toMatch(/No open credential incident for presence/);

    const badWindow = await runCliHere([...setup.api, 'recheck', '--since', 'yesterday']);
    expect(badWindow.code).toBe(2);
    expect(badWindow.stderr).toMatch(/--since must be a duration/);
  });
});
