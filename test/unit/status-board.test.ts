import { describe, expect, it } from 'vitest';
import { defaultCatalog } from '#adapters/catalog-file.js';
import { AUTHORIZATION_STATUSES, type Authorization, type Tenant } from '#domain/model.js';
import { renderStatusBoardPage } from '#http/pages/status-board-page.js';
import { boardRow, buildStatusBoard, type BoardRow, type StatusBoard } from '#domain/status-board.js';
import { getStatusBoard, type AdminDependencies } from '#domain/admin.js';
import { MemoryAlertLedger } from '#local/adapters/memory-alert-ledger.js';
import type { AuthorizationRepository, TenantRepository } from '#domain/ports.js';

const catalog = defaultCatalog();
const tenant = (tenantId: string, sso = false): Tenant => ({
  tenantId,
  name: `<b>${tenantId}</b>`,
  contacts: [],
  sso,
  linkVersion: 1,
  status: 'active',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
});
const authorization = (integration: string, overrides: Partial<Authorization> = {}): Authorization => ({
  tenantId: 'acme',
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

/** The board page of one row with the given totals (zero for every state not given). */
function pageOf(row: BoardRow, totals: Partial<StatusBoard['totals']>): string {
  return renderStatusBoardPage({
    generatedAt: '2026-02-01T00:00:00.000Z',
    credentialIncidents: [],
    flapping: [],
    checkFailing: [],
    integrations: catalog.integrations.map(({ key, name }) => ({ key, name })),
    rows: [row],
    totals: {
      ...(Object.fromEntries(
        [...AUTHORIZATION_STATUSES, 'not_authorized'].map((state) => [state, 0]),
      ) as StatusBoard['totals']),
      ...totals,
    },
  });
}

describe('status board', () => {
  it('has a cell per catalog integration with the earliest deadline of a live authorization', () => {
    const row = boardRow(
      tenant('acme'),
      [authorization('presence'), authorization('cdr', { status: 'invalid', cause: 'user_deactivated' })],
      catalog,
      30,
    );
    expect(row.cells.map((cell) => cell.state)).toEqual([
      'not_authorized',
      'active',
      'not_authorized',
      'invalid',
      'not_authorized',
    ]);
    expect(row.cells[1]!.nextExpiry).toEqual({ at: '2026-01-31T00:00:00.000Z', what: 'password' });
    expect(row.cells[3]).toMatchObject({ cause: 'user_deactivated', authorizerEmail: 'admin@acme.example' });
    expect(row.cells[3]!.nextExpiry).toBeUndefined();
    const sso = boardRow(tenant('acme', true), [authorization('presence')], catalog, 30);
    expect(sso.cells[1]!.nextExpiry).toEqual({ at: '2026-04-01T00:00:00.000Z', what: 'refresh token' });
  });

  it("counts the password deadline with the tenant's own password age, and none for an SSO authorizer", () => {
    const ownAge = { ...tenant('acme'), passwordMaxAgeDays: 90 };
    const presence = authorization('presence', { refreshTokenExpiresAt: '2026-06-01T00:00:00.000Z' });
    expect(boardRow(ownAge, [presence], catalog, 1825).cells[1]!.nextExpiry).toEqual({
      at: '2026-04-01T00:00:00.000Z',
      what: 'password',
    });
    const ssoAuthorizer = { ...ownAge, ssoAuthorizers: ['admin@acme.example'] };
    expect(boardRow(ssoAuthorizer, [presence], catalog, 30).cells[1]!.nextExpiry).toEqual({
      at: '2026-06-01T00:00:00.000Z',
      what: 'refresh token',
    });
  });

  it('pages through every tenant, counts the fleet and escapes tenant names', async () => {
    const tenants = ['a', 'b', 'c'].map((id) => tenant(id));
    const tenantRepository: Pick<TenantRepository, 'list'> = {
      list: async ({ limit, cursor }) => {
        const start = cursor ? Number(cursor) : 0;
        const items = tenants.slice(start, start + Math.min(limit, 2));
        const next = start + items.length;
        return next < tenants.length ? { items, cursor: String(next) } : { items };
      },
    };
    const authorizationRepository: Pick<AuthorizationRepository, 'listForTenant'> = {
      listForTenant: async (tenantId) =>
        tenantId === 'b' ? [authorization('sso', { status: 'degraded' })] : [],
    };
    const board = await buildStatusBoard({
      tenants: tenantRepository as TenantRepository,
      authorizations: authorizationRepository as AuthorizationRepository,
      catalog,
      passwordMaxAgeDays: 1825,
      now: new Date('2026-02-01T00:00:00.000Z'),
    });
    expect(board.rows.map((row) => row.tenantId)).toEqual(['a', 'b', 'c']);
    expect(board.credentialIncidents).toEqual([]);
    expect(renderStatusBoardPage(board)).not.toContain('Credential incident');
    expect(board.totals).toMatchObject({ not_authorized: 14, degraded: 1 });
    const page = renderStatusBoardPage(board);
    expect(page).toContain('&lt;b&gt;b&lt;/b&gt;');
    expect(page).not.toContain('<b>b</b>');
    expect(page).toContain('data-state="degraded"');
  });

  it("shows each cell's cause, authorizer and next expiry in the page", () => {
    const row = boardRow(
      tenant('acme'),
      [
        authorization('presence', {
          authorizer: { ...authorization('presence').authorizer!, email: 'p@acme.example' },
        }),
        authorization('cdr', { status: 'invalid', cause: 'user_deactivated' }),
      ],
      catalog,
      30,
    );
    const page = pageOf(row, { not_authorized: 3, active: 1, invalid: 1 });
    const cell = (integration: string) => {
      const match = new RegExp(`<td[^>]*data-integration="${integration}"[\\s\\S]*?</td>`).exec(page);
      expect(match, integration).not.toBeNull();
      return match![0].replace(/\s+/g, ' ');
    };
    const invalid = cell('cdr');
    expect(invalid).toContain('data-state="invalid"');
    expect(invalid).toContain('>user deactivated</div>');
    expect(invalid).toContain(
      'title="The person who authorized it was deactivated or left the organization."',
    );
    expect(invalid).toContain('<div>admin@acme.example</div>');
    expect(invalid).not.toContain(' ends ');
    const active = cell('presence');
    expect(active).toContain('<div>p@acme.example</div>');
    expect(active).toContain('<div>password ends 31 Jan 2026, 00:00 UTC</div>');
    expect(cell('sso')).not.toContain('@');
  });

  it("shows a cause's confidence next to it, and none for a record invalidated before confidences", () => {
    const row = boardRow(
      tenant('acme'),
      [
        authorization('cdr', { status: 'invalid', cause: 'user_deactivated', confidence: 'confirmed' }),
        authorization('presence', {
          status: 'invalid',
          cause: 'password_change_or_deactivation_or_role_removal',
          confidence: 'likely',
        }),
        authorization('sso', { status: 'invalid', cause: 'unknown' }),
      ],
      catalog,
      30,
    );
    expect(row.cells.find((cell) => cell.integration === 'cdr')).toMatchObject({ confidence: 'confirmed' });
    const page = pageOf(row, { not_authorized: 2, invalid: 3 }).replace(/\s+/g, ' ');
    expect(page).toContain(
      'user deactivated <span class="confidence" data-confidence="confirmed">(confirmed)</span>',
    );
    expect(page).toContain(
      'password change or deactivation or role removal <span class="confidence" data-confidence="likely">(likely)</span>',
    );
    expect(page).toContain('>unknown</div>');
  });

  it('shows a banner for each open credential incident, naming the integration and its Integration ID', async () => {
    const presence = catalog.find('presence');
    const board = await buildStatusBoard({
      tenants: { list: async () => ({ items: [] }) } as Pick<TenantRepository, 'list'> as TenantRepository,
      authorizations: {} as AuthorizationRepository,
      catalog,
      passwordMaxAgeDays: 1825,
      now: new Date('2026-02-01T00:00:00.000Z'),
      credentialIncidents: {
        list: async () => [{ integration: 'presence', openedAt: '2026-02-01T00:00:00.000Z' }],
      },
    });
    expect(board.credentialIncidents).toEqual([
      {
        integration: 'presence',
        name: presence?.name,
        integrationId: presence?.integrationId,
        openedAt: '2026-02-01T00:00:00.000Z',
      },
    ]);
    const page = renderStatusBoardPage(board).replace(/\s+/g, ' ');
    expect(page).toContain('data-credential-incident="presence"');
    expect(page).toContain(`Credential incident: Webex refuses our client secret for ${presence?.name}`);
    expect(page).toContain(`(Integration ID ${presence?.integrationId})`);
  });

  it('is what the admin API serves: getStatusBoard passes the open incidents on', async () => {
    const deps: Pick<
      AdminDependencies,
      'tenants' | 'authorizations' | 'catalog' | 'clock' | 'passwordMaxAgeDays' | 'credentialIncidents'
    > = {
      tenants: { list: async () => ({ items: [] }) } as Pick<TenantRepository, 'list'> as TenantRepository,
      authorizations: {} as AuthorizationRepository,
      catalog,
      clock: { now: () => new Date('2026-02-01T00:00:00.000Z'), sleep: async () => undefined },
      passwordMaxAgeDays: 1825,
      credentialIncidents: {
        list: async () => [{ integration: 'cdr', openedAt: '2026-02-01T00:00:00.000Z' }],
      },
    };
    const board = await getStatusBoard(deps as AdminDependencies);
    expect(board.credentialIncidents.map(({ integration }) => integration)).toEqual(['cdr']);
  });

  it('counts check_failing authorizations and lists each with its tenant, integration, last error id and since', async () => {
    const board = await buildStatusBoard({
      tenants: { list: async () => ({ items: [tenant('acme')] }) } as Pick<
        TenantRepository,
        'list'
      > as TenantRepository,
      authorizations: {
        listForTenant: async () => [
          authorization('presence'),
          authorization('cdr', {
            status: 'check_failing',
            checkErrors: 3,
            lastCheckError: { errorId: 'err-1234', at: '2026-01-31T10:00:00.000Z' },
          }),
        ],
      } as Pick<AuthorizationRepository, 'listForTenant'> as AuthorizationRepository,
      catalog,
      passwordMaxAgeDays: 1825,
      now: new Date('2026-02-01T00:00:00.000Z'),
    });
    expect(board.totals).toMatchObject({ active: 1, check_failing: 1 });
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
    const page = renderStatusBoardPage(board).replace(/\s+/g, ' ');
    expect(page).toContain('data-check-failing-tenant="acme" data-integration="cdr"');
    expect(page).toContain('<code>err-1234</code>');
    expect(page).toContain('Check failing: 1');
    expect(page).not.toContain('<b>acme</b>');
  });
});

describe('status board: flapping', () => {
  it('flags the authorizations that flapped more than the policy allows today', async () => {
    const ledger = new MemoryAlertLedger();
    for (let flap = 0; flap < 4; flap += 1) await ledger.countFlap('acme', 'presence', '2026-02-01');
    await ledger.countFlap('acme', 'cdr', '2026-02-01');
    await ledger.countFlap('acme', 'sso', '2026-01-31');
    const empty = { list: async () => ({ items: [] }) } as Pick<TenantRepository, 'list'>;
    const board = await buildStatusBoard({
      tenants: empty as TenantRepository,
      authorizations: {} as AuthorizationRepository,
      catalog,
      passwordMaxAgeDays: 1825,
      now: new Date('2026-02-01T12:00:00.000Z'),
      flapping: { ledger, moreThan: 3 },
    });
    expect(board.flapping).toEqual([
      { tenantId: 'acme', integration: 'presence', day: '2026-02-01', flaps: 4 },
    ]);
    expect(renderStatusBoardPage(board)).toContain('data-flapping="acme/presence"');
  });
});
