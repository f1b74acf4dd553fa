import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliHere } from '#test-support/cli-process.js';

/*
 * The CLI's `token` and filtered `status-board` against a loopback HTTP stub of their routes'
 * contracts (docs/admin-api.md): `GET .../authorizations/{integration}/token` answers
 * `{accessToken, expiresAt, status}` or a problem; the filtered board answers
 * `{totals: {byStatus, byCause, authorizations, tenants}, rows, nextCursor?, deadlines}`.
 */

const ACCESS_TOKEN = 'STUB-ACCESS-TOKEN-0123456789';

interface Seen {
  method: string;
  path: string;
  query: Record<string, string>;
}

/** One page of the filtered board: the second page follows `cursor=page-2`. */
function boardPage(cursor: string | null) {
  const totals = {
    byStatus: { active: 1, invalid: 2, degraded: 0 },
    byCause: { user_deactivated: 2 },
    authorizations: 3,
    tenants: 2,
  };
  if (cursor === 'page-2') {
    return {
      totals,
      rows: [{ tenantId: 'beta', integration: 'cdr', status: 'invalid', cause: 'user_deactivated' }],
      deadlines: [],
    };
  }
  return {
    totals,
    rows: [
      {
        tenantId: 'acme',
        integration: 'presence',
        status: 'invalid',
        cause: 'user_deactivated',
        confidence: 'confirmed',
      },
    ],
    nextCursor: 'page-2',
    deadlines: [],
  };
}

describe('webex-auth-keeper CLI against stubs of the token and filtered status-board routes', () => {
  const seen: Seen[] = [];
  let server: Server;
  let api: string[];

  beforeAll(async () => {
    server = createServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://127.0.0.1');
      seen.push({
        method: request.method ?? '',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
      });
      const send = (status: number, body: unknown, type = 'application/json') =>
        response.writeHead(status, { 'content-type': type }).end(JSON.stringify(body));
      if (url.pathname === '/admin/tenants/acme/authorizations/presence/token') {
        send(200, { accessToken: ACCESS_TOKEN, expiresAt: '2026-12-04T13:00:00.000Z', status: 'active' });
      } else if (url.pathname === '/admin/tenants/acme/authorizations/cdr/token') {
        send(
          409,
          {
            type: 'urn:webex-auth-keeper:problem:authorization-status',
            title: 'Authorization not usable',
            status: 409,
            detail: 'acme/cdr is degraded',
          },
          'application/problem+json',
        );
      } else if (url.pathname === '/admin/status-board') {
        send(200, boardPage(url.searchParams.get('cursor')));
      } else send(404, { type: 'urn:webex-auth-keeper:problem:not-found', title: 'Not found', status: 404 });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    api = ['--api', `http://127.0.0.1:${(server.address() as AddressInfo).port}`];
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('prints the expiry and status of a token, and never the token without --reveal', async () => {
    const run = await runCliHere([...api, 'token', 'acme', 'presence']);
    expect(run).toMatchObject({
      code: 0,
      stderr: '',
      stdout:
        'acme/presence is active; its access token is valid until 2026-12-04 13:00Z (not printed: add --reveal).\n',
    });
    expect(seen.at(-1)).toEqual({
      method: 'GET',
      path: '/admin/tenants/acme/authorizations/presence/token',
      query: {},
    });
    const json = await runCliHere([...api, '--json', 'token', 'acme', 'presence']);
    expect(JSON.parse(json.stdout)).toEqual({
      tenantId: 'acme',
      integration: 'presence',
      status: 'active',
      expiresAt: '2026-12-04T13:00:00.000Z',
    });
    expect(json.stdout + json.stderr).not.toContain(ACCESS_TOKEN);
  });

  it('prints the token alone on stdout with --reveal, and in the JSON with --json --reveal', async () => {
    const run = await runCliHere([...api, 'token', 'acme', 'presence', '--reveal']);
    expect(run).toEqual({
      code: 0,
      stdout: `${ACCESS_TOKEN}\n`,
      stderr: 'acme/presence is active; its access token is valid until 2026-12-04 13:00Z.\n',
    });
    const json = await runCliHere([...api, '--json', 'token', 'acme', 'presence', '--reveal']);
    expect(JSON.parse(json.stdout)).toMatchObject({ accessToken: ACCESS_TOKEN, status: 'active' });
  });

  it('says on one line (or as JSON) why a token was refused, and exits 1', async () => {
    const run = await runCliHere([...api, 'token', 'acme', 'cdr']);
    expect(run).toEqual({
      code: 1,
      stdout: '',
      stderr: 'webex-auth-keeper: 409 Authorization not usable: acme/cdr is degraded\n',
    });
    const json = await runCliHere([...api, '--json', 'token', 'acme', 'cdr']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stderr)).toEqual({
      error: {
        type: 'urn:webex-auth-keeper:problem:authorization-status',
        title: 'Authorization not usable',
        detail: 'acme/cdr is degraded',
        status: 409,
      },
    });
    const extra = await runCliHere([...api, 'token', 'acme', 'cdr', 'presence']);
    expect(extra.code).toBe(2);
    expect(extra.stderr).toMatch(/token acme cdr: unexpected argument presence/);
  });

  it('passes the filters as query values and prints totals, rows and the next cursor', async () => {
    const run = await runCliHere([
      ...api,
      'status-board',
      '--status',
      'invalid',
      '--cause',
      'user_deactivated',
      '--integration',
      'presence',
      '--tenant',
      'acme',
      '--limit',
      '1',
    ]);
    expect(run.code).toBe(0);
    expect(seen.at(-1)).toEqual({
      method: 'GET',
      path: '/admin/status-board',
      query: {
        status: 'invalid',
        cause: 'user_deactivated',
        integration: 'presence',
        tenant: 'acme',
        limit: '1',
      },
    });
    expect(run.stdout).toBe(
      [
        'Tenants: 2, authorizations: 3.',
        'By status: active 1, invalid 2.',
        'By cause: user_deactivated 2.',
        'TENANT  INTEGRATION  STATUS   CAUSE',
        'acme    presence     invalid  user_deactivated (confirmed)',
        '(more rows: add --cursor page-2, or --all)',
        '',
      ].join('\n'),
    );
    const next = await runCliHere([...api, 'status-board', '--cursor', 'page-2']);
    expect(seen.at(-1)?.query).toEqual({ cursor: 'page-2' });
    expect(next.stdout).toMatch(/^beta\s+cdr\s+invalid/m);
    expect(next.stdout).not.toContain('more rows');
  });

  it('follows every page with --all, and prints the rows of all of them as JSON', async () => {
    const run = await runCliHere([...api, '--json', 'status-board', '--all']);
    expect(run.code).toBe(0);
    const board = JSON.parse(run.stdout) as { rows: { tenantId: string }[]; nextCursor?: string };
    expect(board.rows.map((row) => row.tenantId)).toEqual(['acme', 'beta']);
    expect(board.nextCursor).toBeUndefined();
    const refused = await runCliHere([...api, 'status-board', '--limit', '0']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--limit must be a positive whole number (given: 0)');
  });
});
