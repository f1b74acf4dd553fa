import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LinkRevokedError, verifyOnboardingLink } from '#domain/onboarding-link.js';
import {
  createAdminHarness,
  LINK_KEY,
  PUBLIC_BASE_URL,
  seedAuthorization,
  type AdminHarness,
} from '#test-support/admin-harness.js';

type Json = Record<string, unknown>;

describe('admin API on DynamoDB Local', () => {
  let h: AdminHarness;

  beforeAll(async () => {
    h = await createAdminHarness();
  });
  afterAll(async () => h.close());
  beforeEach(() => h.aws.resetHistory());
  const daysFromNow = (days: number) => new Date(h.clock.now().getTime() + days * 86_400_000).toISOString();

  async function createTenant(tenantId: string, extra: Json = {}) {
    const response = await h.call('POST', '/admin/tenants', {
      body: { tenantId, name: `Tenant ${tenantId}`, ...extra },
    });
    expect(response.status).toBe(201);
    return response.body as Json;
  }

  /** Runs the request and proves it wrote nothing to the table and called neither SNS nor SES. */
  async function expectRefused(
    status: number,
    method: string,
    path: string,
    options: Parameters<AdminHarness['call']>[2] = {},
    detail?: RegExp,
  ) {
    const before = await h.snapshot();
    h.aws.resetHistory();
    const response = await h.call(method, path, options);
    expect(response.status).toBe(status);
    expect(response.headers['content-type']).toBe('application/problem+json');
    const body = response.body as Json;
    expect(body).toMatchObject({ status, type: expect.stringMatching(/^urn:webex-auth-keeper:problem:/) });
    expect(typeof body.title).toBe('string');
    expect(typeof body.detail).toBe('string');
    if (detail) expect(body.detail).toMatch(detail);
    expect(await h.snapshot()).toEqual(before);
    expect(h.aws.calls()).toBe(0);
    return body;
  }

  describe('POST /admin/tenants', () => {
    it('creates a tenant with its contacts on the item only, calling neither SNS nor SES', async () => {
      const response = await h.call('POST', '/admin/tenants', {
        body: {
          tenantId: 'acme',
          name: ' Acme Corp ',
          contacts: ['Ops@Acme.example', 'ops@acme.example', 'it@acme.example'],
          sso: true,
        },
      });
      expect(response.status).toBe(201);
      expect(response.headers.location).toBe('/admin/tenants/acme');
      expect(response.body).toEqual({
        tenantId: 'acme',
        name: 'Acme Corp',
        contacts: ['ops@acme.example', 'it@acme.example'],
        sso: true,
        linkVersion: 1,
        status: 'active',
        createdAt: '2026-11-25T10:00:00.000Z',
        updatedAt: '2026-11-25T10:00:00.000Z',
      });
      expect(await h.repos.tenants.get('acme')).toEqual(response.body);
      expect(h.aws.calls()).toBe(0);
    });

    it('defaults contacts to none and SSO to false', async () => {
      const tenant = await createTenant('bare');
      expect(tenant).toMatchObject({ contacts: [], sso: false });
    });

    it('refuses a taken id with 409 and changes nothing', async () => {
      await createTenant('taken', { contacts: ['a@taken.example'] });
      await expectRefused(
        409,
        'POST',
        '/admin/tenants',
        { body: { tenantId: 'taken', name: 'Other', contacts: ['b@other.example'] } },
        /already exists/,
      );
    });

    const invalidBodies: [string, unknown, RegExp][] = [
      ['a missing tenantId', { name: 'X' }, /tenantId/],
      [
        'an id with capitals and spaces',
        { tenantId: 'Acme Corp', name: 'X' },
        /tenantId: must be a lowercase slug/,
      ],
      ['an id ending with a dash', { tenantId: 'acme-', name: 'X' }, /tenantId/],
      ['an id of 64 characters', { tenantId: 'a'.repeat(64), name: 'X' }, /tenantId/],
      ['an id that is a number', { tenantId: 42, name: 'X' }, /tenantId/],
      ['a missing name', { tenantId: 'x1' }, /name/],
      ['an empty name', { tenantId: 'x1', name: '   ' }, /name: must not be empty/],
      ['a name of 201 characters', { tenantId: 'x1', name: 'n'.repeat(201) }, /name/],
      ['contacts that are not a list', { tenantId: 'x1', name: 'X', contacts: 'a@b.example' }, /contacts/],
      [
        'a contact that is not an email',
        { tenantId: 'x1', name: 'X', contacts: ['not-an-email'] },
        /contacts\.0/,
      ],
      [
        '21 contacts',
        { tenantId: 'x1', name: 'X', contacts: Array.from({ length: 21 }, (_, i) => `c${i}@x.example`) },
        /contacts: at most 20/,
      ],
      ['an SSO flag that is a string', { tenantId: 'x1', name: 'X', sso: 'yes' }, /sso/],
      ['an unknown field', { tenantId: 'x1', name: 'X', orgId: 'org-1' }, /orgId/],
      ['a list instead of an object', [{ tenantId: 'x1', name: 'X' }], /Invalid body/],
      ['null', null, /Invalid body/],
    ];
    it.each(invalidBodies)('refuses %s with 400 naming the field', async (_case, body, detail) => {
      await expectRefused(400, 'POST', '/admin/tenants', { body }, detail);
    });

    it('refuses a body that is not JSON, and one that is too large', async () => {
      await expectRefused(400, 'POST', '/admin/tenants', { rawBody: '{"tenantId": "x1",' }, /not valid JSON/);
      await expectRefused(413, 'POST', '/admin/tenants', {
        body: { tenantId: 'x1', name: 'n'.repeat(20_000) },
      });
    });

    it('reads a base64-encoded body as API Gateway may send it', async () => {
      const response = await h.call('POST', '/admin/tenants', {
        body: { tenantId: 'b64', name: 'Base 64' },
        base64: true,
      });
      expect(response.status).toBe(201);
      expect(await h.repos.tenants.get('b64')).toMatchObject({ name: 'Base 64' });
    });
  });

  describe('GET /admin/tenants', () => {
    it('pages through tenants with limit and cursor', async () => {
      for (const id of ['page-a', 'page-b', 'page-c']) await createTenant(id);
      const all: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const response = await h.call('GET', '/admin/tenants', {
          query: `limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        });
        expect(response.status).toBe(200);
        const body = response.body as { items: { tenantId: string }[]; cursor?: string };
        expect(body.items.length).toBeLessThanOrEqual(2);
        all.push(...body.items.map((tenant) => tenant.tenantId));
        cursor = body.cursor;
        pages += 1;
      } while (cursor && pages < 20);
      expect(all).toEqual([...all].sort());
      expect(all).toEqual(expect.arrayContaining(['page-a', 'page-b', 'page-c']));
    });

    it.each([
      ['limit=0', /^Invalid query: limit: must be a whole number from 1 to 100$/],
      ['limit=101', /^Invalid query: limit: must be a whole number from 1 to 100$/],
      ['limit=abc', /^Invalid query: limit: must be a whole number from 1 to 100$/],
      ['limit=%20', /^Invalid query: limit: must be a whole number from 1 to 100$/],
      ['limit=2.5', /^Invalid query: limit: must be a whole number from 1 to 100$/],
      ['cursor=garbage', /cursor/],
      ['sort=name', /sort/],
      ['limit=1&limit=2', /repeated/],
    ])('refuses the query %s with 400', async (query, detail) => {
      await expectRefused(400, 'GET', '/admin/tenants', { query }, detail);
    });
  });

  describe('GET /admin/tenants/{tenantId}', () => {
    it('reads a tenant', async () => {
      await createTenant('readme', { contacts: ['x@readme.example'] });
      const response = await h.call('GET', '/admin/tenants/readme');
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ tenantId: 'readme', contacts: ['x@readme.example'] });
    });

    it('answers 404 for an unknown tenant and 400 for a malformed id', async () => {
      await expectRefused(404, 'GET', '/admin/tenants/nobody', {}, /No tenant "nobody"/);
      await expectRefused(400, 'GET', '/admin/tenants/Not_A_Slug', {}, /tenantId/);
      await expectRefused(400, 'GET', '/admin/tenants/%E0%A4%A', {}, /path/);
    });
  });

  describe('PATCH /admin/tenants/{tenantId}', () => {
    beforeAll(async () => {
      await createTenant('patch-target');
    });

    it('changes name and SSO flag', async () => {
      await createTenant('patchy');
      h.clock.advance(1);
      const response = await h.call('PATCH', '/admin/tenants/patchy', {
        body: { name: 'Patchy Ltd', sso: true },
      });
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({
        name: 'Patchy Ltd',
        sso: true,
        updatedAt: '2026-11-25T10:00:01.000Z',
      });
      expect(await h.repos.tenants.get('patchy')).toMatchObject({ name: 'Patchy Ltd', sso: true });
    });

    it('changes contacts on the item only, calling neither SNS nor SES', async () => {
      await createTenant('contacts', { contacts: ['keep@c.example', 'drop@c.example'] });
      h.aws.resetHistory();
      const response = await h.call('PATCH', '/admin/tenants/contacts', {
        body: { contacts: ['keep@c.example', 'new@c.example'] },
      });
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ contacts: ['keep@c.example', 'new@c.example'] });
      expect(await h.repos.tenants.get('contacts')).toMatchObject({
        contacts: ['keep@c.example', 'new@c.example'],
      });
      expect(h.aws.calls()).toBe(0);
    });

    it.each([
      ['an empty patch', {}, /at least one of name, contacts, sso/],
      ['an unknown field', { status: 'offboarded' }, /status/],
      ['a bad contact', { contacts: ['nope'] }, /contacts\.0/],
      ['an empty name', { name: '' }, /name/],
      ['an SSO flag that is a number', { sso: 1 }, /sso/],
      ['a tenantId (ids never change)', { tenantId: 'other' }, /tenantId/],
    ])('refuses %s with 400', async (_case, body, detail) => {
      await expectRefused(400, 'PATCH', '/admin/tenants/patch-target', { body }, detail);
    });

    it('answers 404 for an unknown tenant and 409 for an offboarded one', async () => {
      await expectRefused(404, 'PATCH', '/admin/tenants/ghost', { body: { name: 'Ghost' } });
      await createTenant('gone');
      expect((await h.call('DELETE', '/admin/tenants/gone')).status).toBe(200);
      await expectRefused(409, 'PATCH', '/admin/tenants/gone', { body: { name: 'Back' } }, /offboarded/);
    });
  });

  describe('onboarding links', () => {
    beforeAll(async () => {
      await createTenant('link-target');
    });

    it('issues a signed link valid 14 days by default, or as asked', async () => {
      await createTenant('linked');
      const response = await h.call('POST', '/admin/tenants/linked/links');
      expect(response.status).toBe(201);
      const link = response.body as { url: string; expiresAt: string; linkVersion: number; tenantId: string };
      expect(link).toMatchObject({
        tenantId: 'linked',
        linkVersion: 1,
        expiresAt: daysFromNow(14),
      });
      expect(link.url.startsWith(`${PUBLIC_BASE_URL}/connect/`)).toBe(true);
      const token = link.url.slice(`${PUBLIC_BASE_URL}/connect/`.length);
      await expect(
        verifyOnboardingLink({ token, key: LINK_KEY, clock: h.clock, tenants: h.repos.tenants }),
      ).resolves.toMatchObject({ tenant: { tenantId: 'linked' }, payload: { linkVersion: 1 } });

      const short = await h.call('POST', '/admin/tenants/linked/links', { body: { expiresInDays: 3 } });
      expect(short.body).toMatchObject({ expiresAt: daysFromNow(3) });
    });

    it('revokes every link issued so far by bumping the link version', async () => {
      await createTenant('revoking');
      const issued = (await h.call('POST', '/admin/tenants/revoking/links')).body as { url: string };
      const response = await h.call('DELETE', '/admin/tenants/revoking/links');
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ tenantId: 'revoking', linkVersion: 2, revoked: true });
      const token = issued.url.split('/connect/')[1] as string;
      await expect(
        verifyOnboardingLink({ token, key: LINK_KEY, clock: h.clock, tenants: h.repos.tenants }),
      ).rejects.toBeInstanceOf(LinkRevokedError);
    });

    it.each([
      [{ expiresInDays: 0 }, /expiresInDays: at least 1 day/],
      [{ expiresInDays: 91 }, /expiresInDays: at most 90 days/],
      [{ expiresInDays: 1.5 }, /expiresInDays: must be a whole number/],
      [{ expiresInDays: '3' }, /expiresInDays/],
      [{ days: 3 }, /days/],
    ])('refuses the link request %j with 400', async (body, detail) => {
      await expectRefused(400, 'POST', '/admin/tenants/link-target/links', { body }, detail);
    });

    it('answers 404 for links of an unknown tenant and 409 for an offboarded one', async () => {
      await expectRefused(404, 'POST', '/admin/tenants/ghost/links');
      await expectRefused(404, 'DELETE', '/admin/tenants/ghost/links');
      await createTenant('left');
      await h.call('DELETE', '/admin/tenants/left');
      await expectRefused(409, 'POST', '/admin/tenants/left/links');
      await expectRefused(409, 'DELETE', '/admin/tenants/left/links');
    });
  });

  describe('authorizations, history and validation', () => {
    let presence: Awaited<ReturnType<typeof seedAuthorization>>;
    beforeAll(async () => {
      const response = await h.call('POST', '/admin/tenants', { body: { tenantId: 'authz', name: 'Authz' } });
      expect(response.status).toBe(201);
      presence = await seedAuthorization(h, 'authz', 'presence');
      await seedAuthorization(h, 'authz', 'cdr', {
        status: 'invalid',
        cause: 'password_changed_or_revoked',
        causeDetail: 'Every authorization of the person died at once',
        nextCheckAt: undefined,
      });
      for (let i = 0; i < 3; i += 1) {
        await h.repos.history.append({
          version: 1,
          eventId: `e${i}`,
          type: 'granted',
          severity: 'info',
          tenantId: 'authz',
          integration: 'presence',
          occurredAt: new Date(Date.parse('2026-11-25T10:00:00.000Z') + i * 1000).toISOString(),
          summary: `event ${i}`,
        });
      }
    });

    it('lists the authorizations with status, cause, authorizer and expiries, never a token', async () => {
      const response = await h.call('GET', '/admin/tenants/authz/authorizations');
      expect(response.status).toBe(200);
      const body = response.body as { items: Json[]; missing: string[] };
      expect(body.items.map((item) => item.integration)).toEqual(['presence', 'cdr']);
      expect(body.items[0]).toMatchObject({
        name: 'Attendant Console Webex presence retrieval',
        status: 'active',
        authorizer: { email: 'admin@customer.example', fullAdmin: true },
        accessTokenExpiresAt: presence.accessTokenExpiresAt,
        refreshTokenExpiresAt: presence.refreshTokenExpiresAt,
        tokensHeld: true,
      });
      expect(body.items[1]).toMatchObject({ status: 'invalid', cause: 'password_changed_or_revoked' });
      expect(body.missing).toEqual(['users-sync', 'call-control', 'sso']);
      expect(response.text).not.toMatch(/SECRET/);
      // Neither the tokens nor their ciphertext: only whether the record holds them.
      expect(response.text).not.toContain(presence.sealedTokens?.ciphertext ?? 'missing');
      expect(response.text).not.toMatch(/sealedTokens|wrappedKey/);
      expect(response.text).not.toMatch(/lease/);
    });

    it('pages the history newest first', async () => {
      const first = await h.call('GET', '/admin/tenants/authz/history', { query: 'limit=2' });
      const firstBody = first.body as { items: { eventId: string }[]; cursor?: string };
      expect(firstBody.items.map((event) => event.eventId)).toEqual(['e2', 'e1']);
      const second = await h.call('GET', '/admin/tenants/authz/history', {
        query: `limit=2&cursor=${encodeURIComponent(firstBody.cursor as string)}`,
      });
      expect((second.body as { items: { eventId: string }[] }).items.map((event) => event.eventId)).toEqual([
        'e0',
      ]);
    });

    it('runs the validator on demand and returns its result', async () => {
      const response = await h.call('POST', '/admin/tenants/authz/authorizations/presence/validate');
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({
        outcome: { kind: 'checked' },
        authorization: {
          integration: 'presence',
          status: 'active',
          validatedAt: h.clock.now().toISOString(),
        },
      });
      expect(h.validateCalls).toContainEqual({ tenantId: 'authz', integration: 'presence' });
    });

    it('answers 404 for unknown tenants, integrations and authorizations, 400 for malformed ones', async () => {
      const calls = h.validateCalls.length;
      await expectRefused(404, 'GET', '/admin/tenants/ghost/authorizations');
      await expectRefused(404, 'GET', '/admin/tenants/ghost/history');
      await expectRefused(404, 'POST', '/admin/tenants/ghost/authorizations/presence/validate');
      await expectRefused(
        404,
        'POST',
        '/admin/tenants/authz/authorizations/teams-chat/validate',
        {},
        /No integration "teams-chat"/,
      );
      await expectRefused(
        404,
        'POST',
        '/admin/tenants/authz/authorizations/sso/validate',
        {},
        /has not authorized "sso"/,
      );
      await expectRefused(
        400,
        'POST',
        '/admin/tenants/authz/authorizations/Bad_Key/validate',
        {},
        /integration/,
      );
      await expectRefused(400, 'GET', '/admin/tenants/authz/history', { query: 'limit=1000' }, /limit/);
      expect(h.validateCalls).toHaveLength(calls);
    });
  });

  describe('Service App authorizations', () => {
    beforeAll(async () => {
      const response = await h.call('POST', '/admin/tenants', { body: { tenantId: 'sapp', name: 'Sapp' } });
      expect(response.status).toBe(201);
      await seedAuthorization(h, 'sapp', 'witness');
    });

    it('shows one like an integration, under its Service App name', async () => {
      const response = await h.call('GET', '/admin/tenants/sapp/authorizations/witness');
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({
        integration: 'witness',
        name: 'Vendor witness (people, roles and admin audit log, read only)',
        status: 'active',
        tokensHeld: true,
      });
    });

    it.each(['recheck', 'refresh'])('refuses a %s with what brings a Service App back', async (action) => {
      const before = await h.repos.authorizations.get('sapp', 'witness');
      const response = await h.call('POST', `/admin/tenants/sapp/authorizations/witness/${action}`);
      expect(response.status).toBe(409);
      expect(response.body).toMatchObject({ type: expect.stringContaining('service-app-recovery') });
      expect(String((response.body as { detail: string }).detail)).toContain('I have authorized it');
      expect(await h.repos.authorizations.get('sapp', 'witness')).toEqual(before);
    });
  });

  describe('status board', () => {
    it('answers JSON, or the HTML page to a browser', async () => {
      const response = await h.call('GET', '/admin/status-board');
      expect(response.status).toBe(200);
      const board = response.body as {
        totals: { byStatus: Record<string, number>; authorizations: number; tenants: number };
        rows: { tenantId: string; integration: string; status: string }[];
        deadlines: unknown[];
        integrations: { key: string; kind: string }[];
      };
      // Every key the integration filter accepts: the shipped catalog's five, its Service App and
      // the vendor-only integration.
      expect(board.integrations).toHaveLength(7);
      expect(board.integrations).toContainEqual(
        expect.objectContaining({ key: 'witness', kind: 'service-app' }),
      );
      expect(board.integrations).toContainEqual(
        expect.objectContaining({ key: 'service-app-token', kind: 'vendor-only' }),
      );
      expect(board.rows.map((row) => `${row.tenantId}/${row.integration}`)).toContain('authz/presence');
      expect(board.totals.authorizations).toBe(board.rows.length);
      expect(board.totals.tenants).toBeGreaterThanOrEqual(2);
      expect(board.deadlines).toHaveLength(13);

      const page = await h.call('GET', '/admin/status-board', { headers: { accept: 'text/html' } });
      expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(page.text).toContain('Status board');
    });

    it('filters by the query and pages with its cursor', async () => {
      const filtered = await h.call('GET', '/admin/status-board', {
        query: 'integration=presence&tenant=auth&limit=1',
      });
      expect(filtered.status).toBe(200);
      const first = filtered.body as {
        rows: { tenantId: string; integration: string }[];
        nextCursor?: string;
      };
      expect(first.rows).toEqual([expect.objectContaining({ tenantId: 'authz', integration: 'presence' })]);
      const all = (await h.call('GET', '/admin/status-board', { query: 'limit=1' })).body as {
        nextCursor?: string;
      };
      expect(all.nextCursor).toBeDefined();
      const next = await h.call('GET', '/admin/status-board', {
        query: `limit=1&cursor=${encodeURIComponent(all.nextCursor ?? '')}`,
      });
      expect(next.status).toBe(200);
    });

    it("filters by a Service App's key and by the vendor-only integration, whose authorizations it lists", async () => {
      await createTenant('board-keys');
      await seedAuthorization(h, 'board-keys', 'witness');
      await seedAuthorization(h, 'board-keys', 'service-app-token');
      for (const integration of ['witness', 'service-app-token']) {
        const response = await h.call('GET', '/admin/status-board', {
          query: `integration=${integration}&tenant=board-keys`,
        });
        expect(response.status).toBe(200);
        expect((response.body as { rows: unknown[] }).rows).toEqual([
          expect.objectContaining({ tenantId: 'board-keys', integration, status: 'active' }),
        ]);
      }
    });

    it('refuses a bad query value with a field error', async () => {
      await expectRefused(400, 'GET', '/admin/status-board', { query: 'status=dead' }, /status/);
      await expectRefused(
        400,
        'GET',
        '/admin/status-board',
        { query: 'integration=nothing-such' },
        /^Invalid query: integration "nothing-such" is not in the catalog$/,
      );
      for (const limit of ['500', 'abc', '%20']) {
        const refused = await expectRefused(
          400,
          'GET',
          '/admin/status-board',
          { query: `limit=${limit}` },
          /^Invalid query: limit: must be a whole number from 1 to 100$/,
        );
        expect(refused.errors).toEqual([
          { path: 'query.limit', message: 'must be a whole number from 1 to 100' },
        ]);
      }
      await expectRefused(
        400,
        'GET',
        '/admin/status-board',
        { query: 'cursor=garbage' },
        /^Invalid query: cursor: not a cursor this API issued$/,
      );
      const active = await h.call('GET', '/admin/status-board', { query: 'status=active&limit=1' });
      const { nextCursor } = active.body as { nextCursor?: string };
      expect(nextCursor).toBeDefined();
      await expectRefused(
        400,
        'GET',
        '/admin/status-board',
        { query: `status=invalid&cursor=${encodeURIComponent(nextCursor ?? '')}` },
        /^Invalid query: cursor: belongs to another query \(other filters, another tenant or listing\); start again without it$/,
      );
      await expectRefused(400, 'GET', '/admin/status-board', { query: 'sort=name' }, /sort/);
    });

    it('backfills the counters page by page, counting nothing twice', async () => {
      const first = await h.call('POST', '/admin/status-board/recount', { body: { limit: 1 } });
      expect(first.status).toBe(200);
      const page = first.body as { scanned: number; counted: number; cursor?: string };
      // Everything here was written by this version, so counted as it was written.
      expect(page.counted).toBe(0);
      expect(page.scanned).toBeGreaterThan(0);
      await expectRefused(400, 'POST', '/admin/status-board/recount', { body: { limit: 0 } }, /limit/);
    });
  });

  describe('strict input on every route', () => {
    beforeAll(async () => {
      await createTenant('strict');
      await seedAuthorization(h, 'strict', 'presence');
    });

    it.each([
      ['DELETE', '/admin/tenants/Not_A_Slug'],
      ['DELETE', '/admin/tenants/%E0%A4%A'],
      ['POST', '/admin/tenants/Not_A_Slug/links'],
      ['DELETE', '/admin/tenants/Not_A_Slug/links'],
      ['GET', '/admin/tenants/Not_A_Slug/authorizations'],
      ['GET', '/admin/tenants/Not_A_Slug/history'],
      ['POST', '/admin/tenants/Not_A_Slug/authorizations/presence/validate'],
      ['GET', `/admin/tenants/${'a'.repeat(64)}/history`],
    ])('refuses the malformed tenant id of %s %s with 400, writing nothing', async (method, path) => {
      await expectRefused(400, method, path, {}, /path/);
    });

    it.each([
      ['DELETE', '/admin/tenants/strict'],
      ['POST', '/admin/tenants/strict/links'],
      ['DELETE', '/admin/tenants/strict/links'],
      ['POST', '/admin/tenants/strict/authorizations/presence/validate'],
      ['GET', '/admin/tenants/strict/authorizations'],
      ['PATCH', '/admin/tenants/strict'],
      ['POST', '/admin/tenants'],
    ])('refuses an unknown query parameter on %s %s with 400, writing nothing', async (method, path) => {
      const calls = h.validateCalls.length;
      await expectRefused(400, method, path, { query: 'force=true', body: {} }, /Invalid query/);
      expect(h.validateCalls).toHaveLength(calls);
    });

    it.each([
      ['DELETE', '/admin/tenants/strict'],
      ['DELETE', '/admin/tenants/strict/links'],
      ['POST', '/admin/tenants/strict/authorizations/presence/validate'],
      ['GET', '/admin/tenants/strict/authorizations'],
      ['GET', '/admin/tenants/strict/history'],
      ['GET', '/admin/tenants/strict'],
      ['GET', '/admin/tenants'],
    ])('refuses a body on %s %s, which takes none, with 400, writing nothing', async (method, path) => {
      const calls = h.validateCalls.length;
      await expectRefused(400, method, path, { body: { confirm: true } }, /Invalid body/);
      await expectRefused(400, method, path, { rawBody: 'not json' }, /not valid JSON/);
      expect(h.validateCalls).toHaveLength(calls);
    });

    it('still accepts an empty body and no query where none is taken', async () => {
      expect((await h.call('DELETE', '/admin/tenants/strict/links', { body: {} })).status).toBe(200);
      expect((await h.call('GET', '/admin/tenants/strict/authorizations', { rawBody: '' })).status).toBe(200);
    });
  });

  describe('routing and failures', () => {
    it('answers 404 for unknown paths and 405 with Allow for a wrong method', async () => {
      await expectRefused(404, 'GET', '/admin/nothing');
      await expectRefused(404, 'GET', '/admin/tenants/acme/secrets');
      const refused = await expectRefused(405, 'PUT', '/admin/tenants/acme', { body: { name: 'X' } });
      expect(refused.detail).toBe('Use GET, PATCH, DELETE here');
    });

    it('answers 500 with only the request id when something unexpected fails', async () => {
      const failing = await createAdminHarness({
        validateNow: async () => {
          throw new Error('secret internals ACCESS-SECRET-leak');
        },
      });
      try {
        await failing.call('POST', '/admin/tenants', { body: { tenantId: 'boom', name: 'Boom' } });
        await seedAuthorization(failing, 'boom', 'presence');
        const response = await failing.call('POST', '/admin/tenants/boom/authorizations/presence/validate');
        expect(response.status).toBe(500);
        expect(response.body).toEqual({
          type: 'urn:webex-auth-keeper:problem:internal',
          title: 'Internal error',
          status: 500,
          detail: 'The request failed; quote request id req-1 to the operators',
        });
      } finally {
        await failing.close();
      }
    });
  });
});
