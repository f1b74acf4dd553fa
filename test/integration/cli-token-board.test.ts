import { beforeAll, describe, expect, it } from 'vitest';
import { seedAuthorization } from '#test-support/admin-harness.js';
import { useServedAdminApi } from '#test-support/admin-server.js';
import { runCliHere } from '#test-support/cli-process.js';

/** The board's table rows in the CLI's output: the lines that start with a tenant id. */
const tableRows = (stdout: string) => stdout.split('\n').filter((line) => /^(acme|beta)\s/.test(line));

/*
 * The CLI's `token` and filtered `status-board` against the admin API's own routes, served on
 * loopback over DynamoDB Local: what the CLI prints is what the deployed routes answer.
 */
describe('webex-auth-keeper CLI: token and the filtered status board against the admin API', () => {
  const served = useServedAdminApi();

  beforeAll(async () => {
    const { h } = served;
    for (const tenantId of ['acme', 'beta']) {
      const created = await h.call('POST', '/admin/tenants', { body: { tenantId, name: tenantId } });
      expect(created.status).toBe(201);
    }
    await seedAuthorization(h, 'acme', 'presence');
    await seedAuthorization(h, 'acme', 'cdr', { status: 'degraded', consecutiveFailures: 2 });
    const dead = { status: 'invalid', cause: 'user_deactivated', confidence: 'confirmed' } as const;
    await seedAuthorization(h, 'acme', 'sso', dead);
    await seedAuthorization(h, 'beta', 'cdr', dead);
    await seedAuthorization(h, 'beta', 'presence', {
      status: 'invalid',
      cause: 'password_changed_or_revoked',
    });
  });

  const expiry = () => new Date(served.h.clock.now().getTime() + 14 * 86_400_000).toISOString();
  const shortExpiry = () => `${expiry().slice(0, 10)} ${expiry().slice(11, 16)}Z`;

  it('prints the expiry and status of a token, and never the token without --reveal', async () => {
    const run = await runCliHere([...served.api, 'token', 'acme', 'presence']);
    expect(run).toEqual({
      code: 0,
      stderr: '',
      stdout: `acme/presence is active; its access token is valid until ${shortExpiry()} (not printed: add --reveal).\n`,
    });
    const json = await runCliHere([...served.api, '--json', 'token', 'acme', 'presence']);
    expect(JSON.parse(json.stdout)).toEqual({
      tenantId: 'acme',
      integration: 'presence',
      status: 'active',
      expiresAt: expiry(),
    });
    expect(json.stdout + json.stderr).not.toContain('ACCESS-SECRET');
  });

  it('prints the token alone on stdout with --reveal, and in the JSON with --json --reveal', async () => {
    const run = await runCliHere([...served.api, 'token', 'acme', 'presence', '--reveal']);
    expect(run).toEqual({
      code: 0,
      stdout: 'ACCESS-SECRET-acme-presence\n',
      stderr: `acme/presence is active; its access token is valid until ${shortExpiry()}.\n`,
    });
    const json = await runCliHere([...served.api, '--json', 'token', 'acme', 'presence', '--reveal']);
    expect(JSON.parse(json.stdout)).toMatchObject({
      accessToken: 'ACCESS-SECRET-acme-presence',
      status: 'active',
    });
  });

  it('says on one line (or as JSON) why a token was refused, and exits 1; --accept-degraded takes a degraded one', async () => {
    const degraded = await runCliHere([...served.api, 'token', 'acme', 'cdr']);
    expect(degraded.code).toBe(1);
    expect(degraded.stdout).toBe('');
    expect(degraded.stderr).toMatch(
      /^webex-auth-keeper: 503 No token right now: The authorization "acme"\/"cdr" is degraded: .*acceptDegraded=true.*\n$/,
    );
    const accepted = await runCliHere([...served.api, 'token', 'acme', 'cdr', '--accept-degraded']);
    expect(accepted).toMatchObject({ code: 0, stderr: '' });
    expect(accepted.stdout).toMatch(/^acme\/cdr is degraded; its access token is valid until /);

    const invalid = await runCliHere([...served.api, '--json', 'token', 'beta', 'cdr']);
    expect(invalid.code).toBe(1);
    expect(JSON.parse(invalid.stderr)).toMatchObject({
      error: { type: 'urn:webex-auth-keeper:problem:authorization-invalid', status: 409 },
    });
    expect(invalid.stderr).not.toContain('ACCESS-SECRET');
    const extra = await runCliHere([...served.api, 'token', 'acme', 'cdr', 'presence']);
    expect(extra.code).toBe(2);
    expect(extra.stderr).toMatch(/token acme cdr: unexpected argument presence/);
  });

  it('passes the filters to the board and prints its exact totals, rows and the next cursor', async () => {
    const run = await runCliHere([
      ...served.api,
      'status-board',
      '--status',
      'invalid',
      '--cause',
      'user_deactivated',
      '--limit',
      '1',
    ]);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const lines = run.stdout.split('\n');
    expect(lines[0]).toBe('Tenants: 2, authorizations: 5.');
    expect(lines[1]).toBe('By status: invalid 3, active 1, degraded 1.');
    expect(lines[2]).toBe('By cause: user_deactivated 2, password_changed_or_revoked 1.');
    const rows = tableRows(run.stdout);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatch(/^(acme\s+sso|beta\s+cdr)\s+invalid\s+user_deactivated \(confirmed\)$/);
    const cursor = /add --cursor (\S+), or --all/.exec(run.stdout)?.[1];
    expect(cursor).toBeDefined();

    const next = await runCliHere([
      ...served.api,
      'status-board',
      '--status',
      'invalid',
      '--cause',
      'user_deactivated',
      '--cursor',
      cursor ?? '',
    ]);
    expect(next.code).toBe(0);
    const nextRows = tableRows(next.stdout);
    expect(nextRows).toHaveLength(1);
    expect(nextRows[0]).not.toBe(rows[0]);
    expect(next.stdout).not.toContain('more rows');

    const tenant = await runCliHere([
      ...served.api,
      'status-board',
      '--tenant',
      'beta',
      '--integration',
      'presence',
    ]);
    expect(tableRows(tenant.stdout)).toEqual([
      expect.stringMatching(/^beta\s+presence\s+invalid\s+password_changed_or_revoked/),
    ]);
  });

  it('follows every page with --all as JSON, and refuses a bad filter value before calling', async () => {
    const run = await runCliHere([
      ...served.api,
      '--json',
      'status-board',
      '--status',
      'invalid',
      '--limit',
      '1',
      '--all',
    ]);
    expect(run.code).toBe(0);
    const board = JSON.parse(run.stdout) as {
      rows: { tenantId: string; integration: string }[];
      nextCursor?: string;
    };
    expect(board.rows.map((row) => `${row.tenantId}/${row.integration}`).sort()).toEqual([
      'acme/sso',
      'beta/cdr',
      'beta/presence',
    ]);
    expect(board.nextCursor).toBeUndefined();
    const refused = await runCliHere([...served.api, 'status-board', '--limit', '0']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--limit must be a positive whole number (given: 0)');
    const badStatus = await runCliHere([...served.api, 'status-board', '--status', 'broken']);
    expect(badStatus.code).toBe(1);
    expect(badStatus.stderr).toMatch(/^webex-auth-keeper: 400 .*status/);
  });
});
