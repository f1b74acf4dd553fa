import { describe, expect, it } from 'vitest';
import { defaultCatalog } from '#adapters/catalog-file.js';
import { Catalog } from '#domain/catalog.js';
import { getStatusBoard, type AdminDependencies } from '#domain/admin.js';
import { deadlineWeeks } from '#domain/deadline-weeks.js';
import type { Authorization, Tenant } from '#domain/model.js';
import {
  boardRow,
  buildStatusBoard,
  DEADLINE_SAMPLE,
  statusBoardQuerySchema,
  type StatusBoardInput,
} from '#domain/status-board.js';
import { renderStatusBoardPage } from '#http/pages/status-board-page.js';
import { MemoryAlertLedger } from '#local/adapters/memory-alert-ledger.js';
import { InMemoryFleetBoard } from '#test-support/fakes/index.js';

const catalog = defaultCatalog();
const NOW = new Date('2026-02-01T00:00:00.000Z');
const tenant = (tenantId: string, overrides: Partial<Tenant> = {}): Tenant => ({
  tenantId,
  name: `<b>${tenantId}</b>`,
  contacts: [],
  sso: false,
  linkVersion: 1,
  status: 'active',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  ...overrides,
});
const authorization = (
  integration: string,
  overrides: Partial<Authorization> = {},
  tenantId = 'acme',
): Authorization => ({
  tenantId,
  integration,
  status: 'active',
  scopes: [],
  consecutiveFailures: 0,
  version: 1,
  warningsSent: [],
  updatedAt: '2026-01-01T00:00:00.000Z',
  grantedAt: '2026-01-01T00:00:00.000Z',
  refreshTokenExpiresAt: '2026-04-01T00:00:00.000Z',
  authorizer: { personId: 'p', email: 'admin@acme.example', displayName: 'A', orgId: 'o', fullAdmin: true },
  ...overrides,
});

/** The board's ports over these records and tenants, in memory. */
function boardInput(
  records: Authorization[],
  tenants: Tenant[] = [tenant('acme')],
  overrides: Partial<StatusBoardInput> = {},
): StatusBoardInput {
  return {
    board: new InMemoryFleetBoard(
      () => records,
      () => tenants.length,
    ),
    tenants: { get: async (tenantId) => tenants.find((known) => known.tenantId === tenantId) },
    authorizations: {
      get: async (tenantId, integration) =>
        records.find((record) => record.tenantId === tenantId && record.integration === integration),
    },
    catalog,
    passwordMaxAgeDays: 30,
    now: NOW,
    ...overrides,
  };
}

const query = (raw: Record<string, string> = {}) => statusBoardQuerySchema.parse(raw);
/** The page with its whitespace folded, as a reader sees it (the templates break long tags). */
const flat = (page: string) => page.replace(/\s+/g, ' ').replace(/ >/g, '>');

describe('status board rows', () => {
  it('gives a live authorization its earliest deadline and an invalid one none', () => {
    const active = boardRow(authorization('presence'), tenant('acme'), 30);
    expect(active.nextExpiry).toEqual({ at: '2026-01-31T00:00:00.000Z', what: 'password' });
    const invalid = boardRow(
      authorization('cdr', { status: 'invalid', cause: 'user_deactivated' }),
      tenant('acme'),
      30,
    );
    expect(invalid).toMatchObject({ cause: 'user_deactivated', authorizerEmail: 'admin@acme.example' });
    expect(invalid.nextExpiry).toBeUndefined();
    const sso = boardRow(authorization('presence'), tenant('acme', { sso: true }), 30);
    expect(sso.nextExpiry).toEqual({ at: '2026-04-01T00:00:00.000Z', what: 'refresh token' });
  });

  it("counts the password deadline with the tenant's own password age, and none for an SSO authorizer", () => {
    const ownAge = tenant('acme', { passwordMaxAgeDays: 90 });
    const presence = authorization('presence', { refreshTokenExpiresAt: '2026-06-01T00:00:00.000Z' });
    expect(boardRow(presence, ownAge, 1825).nextExpiry).toEqual({
      at: '2026-04-01T00:00:00.000Z',
      what: 'password',
    });
    const ssoAuthorizer = { ...ownAge, ssoAuthorizers: ['admin@acme.example'] };
    expect(boardRow(presence, ssoAuthorizer, 30).nextExpiry).toEqual({
      at: '2026-06-01T00:00:00.000Z',
      what: 'refresh token',
    });
  });
});

describe('status board', () => {
  const fleet = [
    authorization('presence', {}, 'acme'),
    authorization('cdr', { status: 'invalid', cause: 'user_deactivated' }, 'acme'),
    authorization('presence', { status: 'degraded' }, 'beta'),
    authorization('cdr', { status: 'invalid', cause: 'unknown' }, 'beta'),
    authorization('sso', { status: 'revoked' }, 'gamma'),
  ];
  const tenants = [tenant('acme'), tenant('beta'), tenant('gamma')];

  it('has exact totals by status and cause, and lists problems first', async () => {
    const board = await buildStatusBoard(boardInput(fleet, tenants), query());
    expect(board.totals).toEqual({
      byStatus: { active: 1, invalid: 2, degraded: 1, revoked: 1 },
      byCause: { user_deactivated: 1, unknown: 1 },
      authorizations: 5,
      tenants: 3,
    });
    expect(board.rows.map((row) => `${row.tenantId}/${row.integration}`)).toEqual([
      'acme/cdr',
      'beta/cdr',
      'beta/presence',
      'acme/presence',
      'gamma/sso',
    ]);
    expect(board.nextCursor).toBeUndefined();
  });

  it('filters by status, cause, integration and tenant prefix, and pages with the cursor', async () => {
    const rowsOf = async (raw: Record<string, string>) =>
      (await buildStatusBoard(boardInput(fleet, tenants), query(raw))).rows.map(
        (row) => `${row.tenantId}/${row.integration}`,
      );
    expect(await rowsOf({ status: 'invalid' })).toEqual(['acme/cdr', 'beta/cdr']);
    expect(await rowsOf({ cause: 'unknown' })).toEqual(['beta/cdr']);
    expect(await rowsOf({ integration: 'presence' })).toEqual(['beta/presence', 'acme/presence']);
    expect(await rowsOf({ tenant: 'be' })).toEqual(['beta/cdr', 'beta/presence']);
    const first = await buildStatusBoard(boardInput(fleet, tenants), query({ limit: '2' }));
    expect(first.rows).toHaveLength(2);
    const second = await buildStatusBoard(
      boardInput(fleet, tenants),
      query({ limit: '2', cursor: first.nextCursor ?? '' }),
    );
    expect(second.rows.map((row) => `${row.tenantId}/${row.integration}`)).toEqual([
      'beta/presence',
      'acme/presence',
    ]);
    expect(second.query).toEqual({ limit: 2 });
  });

  it('refuses a bad query value with the field named', () => {
    for (const [field, value] of [
      ['status', 'dead'],
      ['cause', 'guess'],
      ['limit', '0'],
      ['limit', '101'],
      ['tenant', 'Acme Corp'],
      ['integration', 'Presence!'],
    ] as const) {
      const parsed = statusBoardQuerySchema.safeParse({ [field]: value });
      expect(parsed.success, `${field}=${value}`).toBe(false);
      expect(parsed.error?.issues[0]?.path).toEqual([field]);
    }
    expect(statusBoardQuerySchema.safeParse({ page: '2' }).success).toBe(false);
  });

  it('refuses a limit that is not a whole number from 1 to 100 with its bounds, and reads one that is', () => {
    for (const value of ['abc', ' ', '', '0', '101', '2.5']) {
      const parsed = statusBoardQuerySchema.safeParse({ limit: value });
      expect(parsed.error?.issues, `limit=${JSON.stringify(value)}`).toEqual([
        expect.objectContaining({ path: ['limit'], message: 'must be a whole number from 1 to 100' }),
      ]);
    }
    expect(query({ limit: '1' }).limit).toBe(1);
    expect(query({ limit: '100' }).limit).toBe(100);
    expect(query().limit).toBe(50);
  });

  it('reads a filter the page’s form left at "any" (an empty value) as no filter', () => {
    expect(
      statusBoardQuerySchema.parse({ status: 'degraded', cause: '', integration: '', tenant: '' }),
    ).toEqual({
      status: 'degraded',
      limit: 50,
    });
  });

  it('escapes tenant names and shows status, cause with its confidence, authorizer and next deadline', async () => {
    const records = [
      authorization('presence', {
        authorizer: { ...authorization('x').authorizer!, email: 'p@acme.example' },
      }),
      authorization('cdr', { status: 'invalid', cause: 'user_deactivated', confidence: 'confirmed' }),
      authorization('sso', {
        status: 'invalid',
        cause: 'password_change_or_deactivation_or_role_removal',
        confidence: 'likely',
      }),
      authorization('users-sync', { status: 'invalid', cause: 'unknown' }),
    ];
    const page = renderStatusBoardPage(await buildStatusBoard(boardInput(records), query()));
    expect(page).toContain('&lt;b&gt;acme&lt;/b&gt;');
    expect(page).not.toContain('<b>acme</b>');
    const row = (integration: string) => {
      const match = new RegExp(
        `<tr\\s+data-tenant="acme"\\s+data-integration="${integration}"[\\s\\S]*?</tr>`,
      ).exec(page);
      expect(match, integration).not.toBeNull();
      return flat(match![0]);
    };
    expect(row('cdr')).toContain('data-state="invalid"');
    expect(row('cdr')).toContain(
      'user deactivated <span class="confidence" data-confidence="confirmed">(confirmed)</span>',
    );
    expect(row('cdr')).toContain(
      'title="The person who authorized it was deactivated or left the organization."',
    );
    expect(row('cdr')).toContain('<td>admin@acme.example</td>');
    expect(row('cdr')).not.toContain(' ends ');
    expect(row('sso')).toContain(
      'password change or deactivation or role removal <span class="confidence" data-confidence="likely">(likely)</span>',
    );
    expect(row('users-sync')).toContain('unknown </div>');
    expect(row('users-sync')).not.toContain('data-confidence');
    expect(row('presence')).toContain('<td>p@acme.example</td>');
    expect(row('presence')).toContain('password ends 31 Jan 2026, 00:00 UTC');
    expect(flat(page)).toContain('Invalid: 3');
    expect(flat(page)).toContain('user deactivated: 1');
  });

  it('links the next page with the filter kept, and shows the filter it answers', async () => {
    const board = await buildStatusBoard(
      boardInput(fleet, tenants),
      query({ status: 'invalid', limit: '1' }),
    );
    const page = renderStatusBoardPage(board);
    expect(page).toContain(`href="?status=invalid&amp;limit=1&amp;cursor=${board.nextCursor}"`);
    expect(page).toContain('<option value="invalid" selected>');
  });
});

describe('status board: the integration filter', () => {
  /** The integration dropdown's options: value, whether selected, and the text shown (as sent, escaped). */
  function integrationOptions(page: string) {
    const select = /<select name="integration">([\s\S]*?)<\/select>/.exec(flat(page))?.[1] ?? '';
    return [...select.matchAll(/<option value="([^"]*)"( selected)?>\s*([^<]*?)\s*<\/option>/g)].map(
      ([, value, selected, text]) => ({ value, selected: selected !== undefined, text }),
    );
  }

  it('offers exactly the keys the filter accepts, Service Apps and the vendor-only integration labelled', async () => {
    const board = await buildStatusBoard(boardInput([]), query({ integration: 'witness' }));
    const options = integrationOptions(renderStatusBoardPage(board)).slice(1);
    expect(options.map(({ value }) => value).sort()).toEqual([...catalog.clientSecretKeys].sort());
    expect(options.every(({ value }) => value !== undefined && catalog.has(value))).toBe(true);
    expect(options.find(({ value }) => value === 'witness')).toEqual({
      value: 'witness',
      selected: true,
      text: 'witness (Service App): Vendor witness (people, roles and admin audit log, read only)',
    });
    expect(options.find(({ value }) => value === 'service-app-token')?.text).toBe(
      'service-app-token (vendor only): Service App token (the vendor&#39;s own org only)',
    );
    expect(options.find(({ value }) => value === 'presence')?.text).toBe(
      'presence: Attendant Console Webex presence retrieval',
    );
    expect(board.integrations.map(({ key, kind }) => `${key} ${kind}`)).toEqual([
      'users-sync integration',
      'presence integration',
      'call-control integration',
      'cdr integration',
      'sso integration',
      'witness service-app',
      'service-app-token vendor-only',
    ]);
  });

  it('escapes the names the catalog gives', async () => {
    const hostile = (name: string) => `<img src=x onerror="alert(1)">${name} & co`;
    const hostileCatalog = new Catalog(
      catalog.integrations.map((entry) => ({ ...entry, name: hostile(entry.name) })),
      catalog.serviceApps.map((entry) => ({ ...entry, name: hostile(entry.name) })),
      catalog.vendorIntegrations.map((entry) => ({ ...entry, name: hostile(entry.name) })),
    );
    const page = renderStatusBoardPage(
      await buildStatusBoard(boardInput([], [tenant('acme')], { catalog: hostileCatalog }), query()),
    );
    expect(page).not.toContain('<img');
    const witness = integrationOptions(page).find(({ value }) => value === 'witness');
    expect(witness?.text).toMatch(
      /^witness \(Service App\): &lt;img src=x onerror=&quot;alert\(1\)&quot;&gt;.* &amp; co$/,
    );
  });
});

describe('status board: deadlines', () => {
  it('counts password deadlines and refresh-token expiries of live authorizations per week, 13 weeks ahead', () => {
    const acme = tenant('acme', { passwordMaxAgeDays: 40 });
    const weeks = deadlineWeeks(
      [
        // Password deadline 10 Feb (week 2), refresh expiry 1 Apr (week 9).
        { authorization: authorization('presence'), tenant: acme },
        // Refresh expiry 3 Feb (week 1); SSO, so no password deadline.
        {
          authorization: authorization('cdr', { refreshTokenExpiresAt: '2026-02-03T00:00:00.000Z' }),
          tenant: tenant('acme', { sso: true }),
        },
        // Both past the 13 weeks, or already past: not coming.
        {
          authorization: authorization('sso', {
            grantedAt: '2025-01-01T00:00:00.000Z',
            refreshTokenExpiresAt: '2026-09-01T00:00:00.000Z',
          }),
          tenant: acme,
        },
      ],
      30,
      NOW,
    );
    expect(weeks).toHaveLength(13);
    expect(weeks[0]).toEqual({ weekStart: NOW.toISOString(), passwordDeadlines: 0, refreshTokenExpiries: 1 });
    expect(weeks[1]).toMatchObject({ passwordDeadlines: 1, refreshTokenExpiries: 0 });
    expect(weeks[8]).toMatchObject({ passwordDeadlines: 0, refreshTokenExpiries: 1 });
    expect(weeks.reduce((sum, week) => sum + week.passwordDeadlines + week.refreshTokenExpiries, 0)).toBe(3);
  });

  it('draws the same numbers in the inline SVG, without script, and leaves dead authorizations out', async () => {
    const records = [
      authorization('presence', { refreshTokenExpiresAt: '2026-02-03T00:00:00.000Z' }),
      authorization('cdr', { refreshTokenExpiresAt: '2026-02-04T00:00:00.000Z' }),
      authorization('sso', {
        status: 'invalid',
        cause: 'unknown',
        refreshTokenExpiresAt: '2026-02-04T00:00:00.000Z',
      }),
    ];
    const board = await buildStatusBoard(boardInput(records, [tenant('acme', { sso: true })]), query());
    expect(board.deadlines[0]).toMatchObject({ refreshTokenExpiries: 2, passwordDeadlines: 0 });
    expect(board.deadlineCoverage).toEqual({ read: 2, live: 2, complete: true });
    const page = renderStatusBoardPage(board);
    const svg = /<svg[\s\S]*?<\/svg>/.exec(page)?.[0] ?? '';
    expect(svg).toContain(`data-week="${NOW.toISOString()}"`);
    expect(flat(svg)).toMatch(/class="refresh"[^>]*data-count="2"/);
    expect(svg).not.toContain('<script');
    expect(page).not.toContain('data-deadline-coverage');
  });

  it('says so when the chart counts only the first live authorizations of a larger fleet', async () => {
    const records = Array.from({ length: DEADLINE_SAMPLE + 5 }, (_, index) =>
      authorization('presence', {}, `t-${String(index).padStart(4, '0')}`),
    );
    const board = await buildStatusBoard(boardInput(records, []), query({ limit: '1' }));
    expect(board.deadlineCoverage).toEqual({
      read: DEADLINE_SAMPLE,
      live: DEADLINE_SAMPLE + 5,
      complete: false,
    });
    expect(renderStatusBoardPage(board)).toContain(
      `From the first ${DEADLINE_SAMPLE} of ${DEADLINE_SAMPLE + 5} live authorizations only.`,
    );
  });

  it('counts in words that agree with the number: one tenant, no live authorizations', async () => {
    const lone = flat(
      renderStatusBoardPage(
        await buildStatusBoard(boardInput([authorization('presence', { status: 'invalid' })]), query()),
      ),
    );
    expect(lone).toContain('1 tenant, 1 authorization.');
    expect(lone).toContain('No live authorizations.');
    const two = flat(
      renderStatusBoardPage(
        await buildStatusBoard(
          boardInput(
            [authorization('presence'), authorization('cdr', {}, 'beta')],
            [tenant('acme'), tenant('beta')],
          ),
          query(),
        ),
      ),
    );
    expect(two).toContain('2 tenants, 2 authorizations.');
    expect(two).toContain('All 2 live authorizations.');
  });
});

describe('status board: banners', () => {
  it('shows a banner for each open credential incident, naming the integration and its Integration ID', async () => {
    const presence = catalog.find('presence');
    const board = await buildStatusBoard(
      boardInput([], [], {
        credentialIncidents: {
          list: async () => [{ integration: 'presence', openedAt: '2026-02-01T00:00:00.000Z' }],
        },
      }),
      query(),
    );
    expect(board.credentialIncidents).toEqual([
      {
        integration: 'presence',
        name: presence?.name,
        integrationId: presence?.integrationId,
        openedAt: '2026-02-01T00:00:00.000Z',
      },
    ]);
    const page = flat(renderStatusBoardPage(board));
    expect(page).toContain('data-credential-incident="presence"');
    expect(page).toContain(`Credential incident: Webex refuses our client secret for ${presence?.name}`);
    expect(page).toContain(`(Integration ID ${presence?.integrationId})`);
    expect(renderStatusBoardPage(await buildStatusBoard(boardInput([]), query()))).not.toContain(
      'Credential incident',
    );
  });

  it('is what the admin API serves: getStatusBoard passes the board, the query and the open incidents on', async () => {
    const input = boardInput([authorization('cdr', { status: 'invalid', cause: 'unknown' })]);
    const deps = {
      ...input,
      clock: { now: () => NOW, sleep: async () => undefined },
      credentialIncidents: {
        list: async () => [{ integration: 'cdr', openedAt: '2026-02-01T00:00:00.000Z' }],
      },
    };
    const board = await getStatusBoard(deps as unknown as AdminDependencies, query({ status: 'invalid' }));
    expect(board.credentialIncidents.map(({ integration }) => integration)).toEqual(['cdr']);
    expect(board.rows.map((row) => row.integration)).toEqual(['cdr']);
  });

  it('counts check_failing authorizations and lists each with its tenant, integration, last error id and since', async () => {
    const board = await buildStatusBoard(
      boardInput([
        authorization('presence'),
        authorization('cdr', {
          status: 'check_failing',
          checkErrors: 3,
          lastCheckError: { errorId: 'err-1234', at: '2026-01-31T10:00:00.000Z' },
        }),
      ]),
      query(),
    );
    expect(board.totals.byStatus).toEqual({ active: 1, check_failing: 1 });
    expect(board.checkFailing).toEqual([
      {
        tenantId: 'acme',
        tenantName: '<b>acme</b>',
        integration: 'cdr',
        lastErrorId: 'err-1234',
        since: '2026-01-31T10:00:00.000Z',
        checkErrors: 3,
      },
    ]);
    const page = flat(renderStatusBoardPage(board));
    expect(page).toContain('data-check-failing-tenant="acme" data-integration="cdr"');
    expect(page).toContain('<code>err-1234</code>');
    expect(page).toContain('Check failing: 1');
    expect(page).not.toContain('<b>acme</b>');
  });

  it('flags the authorizations that flapped more than the policy allows today', async () => {
    const ledger = new MemoryAlertLedger();
    for (let flap = 0; flap < 4; flap += 1) await ledger.countFlap('acme', 'presence', '2026-02-01');
    await ledger.countFlap('acme', 'cdr', '2026-02-01');
    await ledger.countFlap('acme', 'sso', '2026-01-31');
    const board = await buildStatusBoard(
      boardInput([], [], { now: new Date('2026-02-01T12:00:00.000Z'), flapping: { ledger, moreThan: 3 } }),
      query(),
    );
    expect(board.flapping).toEqual([
      { tenantId: 'acme', integration: 'presence', day: '2026-02-01', flaps: 4 },
    ]);
    expect(renderStatusBoardPage(board)).toContain('data-flapping="acme/presence"');
  });
});
