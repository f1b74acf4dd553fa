import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import ajvFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_ROUTES } from '#lib/api.js';
import { ADMIN_OPERATIONS, buildAdminOpenApiDocument } from '#http/admin-openapi.js';
import { createAdminHarness, seedAuthorization, type AdminHarness } from '#test-support/admin-harness.js';

type Json = Record<string, unknown>;

const DOCS_URL = 'https://git.vendor.example/ops/webex-auth-keeper/blob/main/docs/admin-api.md';

describe('admin API conventions', () => {
  let h: AdminHarness;

  beforeAll(async () => {
    h = await createAdminHarness({ problemDocsUrl: DOCS_URL });
    expect(
      (await h.call('POST', '/admin/tenants', { body: { tenantId: 'conv', name: 'Conv' } })).status,
    ).toBe(201);
    await seedAuthorization(h, 'conv', 'presence');
  });
  afterAll(async () => h.close());

  describe('x-request-id', () => {
    it('is on every answer: success, refusal, unknown path and wrong method', async () => {
      for (const [method, path, status] of [
        ['GET', '/admin/tenants/conv', 200],
        ['GET', '/admin/tenants/nobody', 404],
        ['GET', '/admin/nothing', 404],
        ['PUT', '/admin/tenants/conv', 405],
      ] as const) {
        const response = await h.call(method, path);
        expect(response.status).toBe(status);
        expect(response.headers['x-request-id']).toBe('req-1');
      }
    });

    it('is on the 500 whose detail quotes it', async () => {
      const failing = await createAdminHarness({
        validateNow: async () => {
          throw new Error('unexpected');
        },
      });
      try {
        await failing.call('POST', '/admin/tenants', { body: { tenantId: 'boom', name: 'Boom' } });
        await seedAuthorization(failing, 'boom', 'presence');
        const response = await failing.call('POST', '/admin/tenants/boom/authorizations/presence/validate');
        expect(response.status).toBe(500);
        expect(response.headers['x-request-id']).toBe('req-1');
      } finally {
        await failing.close();
      }
    });
  });

  describe('problem documents', () => {
    it('link their type to the docs anchor and name each bad field in errors[]', async () => {
      const response = await h.call('POST', '/admin/tenants', {
        body: { tenantId: 'Bad Id', name: '', contacts: ['not-an-email'] },
      });
      expect(response.status).toBe(400);
      const body = response.body as { type: string; errors: { path: string; message: string }[] };
      expect(body.type).toBe(`${DOCS_URL}#problem-invalid-request`);
      expect(body.errors.map((error) => error.path).sort()).toEqual([
        'body.contacts.0',
        'body.name',
        'body.tenantId',
      ]);
      for (const error of body.errors) expect(error.message).not.toBe('');
    });

    it('name the query and path fields too, and the body when it is not JSON', async () => {
      const query = await h.call('GET', '/admin/tenants', { query: 'limit=0' });
      expect((query.body as Json).errors).toEqual([{ path: 'query.limit', message: expect.any(String) }]);
      const path = await h.call('GET', '/admin/tenants/NOT_A_SLUG');
      expect((path.body as Json).errors).toEqual([{ path: 'path.tenantId', message: expect.any(String) }]);
      const body = await h.call('POST', '/admin/tenants', { rawBody: '{' });
      expect((body.body as Json).errors).toEqual([{ path: 'body', message: 'not valid JSON' }]);
    });

    it('link every other problem to its anchor, which docs/admin-api.md carries', async () => {
      const response = await h.call('GET', '/admin/tenants/nobody');
      const type = (response.body as Json).type as string;
      expect(type).toBe(`${DOCS_URL}#problem-tenant-not-found`);
      const docs = readFileSync(new URL('../../docs/admin-api.md', import.meta.url), 'utf8');
      const anchors = new Set(
        [...docs.matchAll(/<a id="(problem-[a-z-]+)"><\/a>/g)].map((match) => match[1]),
      );
      // Every slug the API can answer, read from the code that answers them.
      const sources = [
        '../../functions/http/admin-answers.ts',
        '../../functions/http/idempotency.ts',
        '../../functions/admin-api.app.ts',
      ].map((file) => readFileSync(new URL(file, import.meta.url), 'utf8'));
      const slugs = sources.flatMap((source) =>
        [...source.matchAll(/ProblemError\(\s*\d+,\s*'([a-z-]+)'/g)].map((match) => match[1]),
      );
      expect(slugs.length).toBeGreaterThan(15);
      for (const slug of slugs) expect(anchors, slug).toContain(`problem-${slug}`);
    });
  });

  describe('GET one authorization', () => {
    it('answers the authorization, never a token', async () => {
      const response = await h.call('GET', '/admin/tenants/conv/authorizations/presence');
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({
        integration: 'presence',
        status: 'active',
        tokensHeld: true,
      });
      expect(response.body).not.toHaveProperty('sealedTokens');
      expect(response.text).not.toMatch(/SECRET|accessToken"/);
    });

    it('answers 404 for an integration not authorized, unknown, or an unknown tenant', async () => {
      const notYet = await h.call('GET', '/admin/tenants/conv/authorizations/cdr');
      expect(notYet.status).toBe(404);
      expect((notYet.body as Json).type).toBe(`${DOCS_URL}#problem-authorization-not-found`);
      const unknown = await h.call('GET', '/admin/tenants/conv/authorizations/nothing-such');
      expect((unknown.body as Json).type).toBe(`${DOCS_URL}#problem-integration-not-found`);
      const noTenant = await h.call('GET', '/admin/tenants/nobody/authorizations/presence');
      expect((noTenant.body as Json).type).toBe(`${DOCS_URL}#problem-tenant-not-found`);
    });
  });

  describe('Idempotency-Key', () => {
    const tenants = async () => (await h.snapshot()).filter((item) => item.sk === 'TENANT').length;

    it('answers a repeated create with the first answer, creating one tenant', async () => {
      const before = await tenants();
      const request = {
        body: { tenantId: 'once', name: 'Once' },
        headers: { 'idempotency-key': 'k-create-1' },
      };
      const first = await h.call('POST', '/admin/tenants', request);
      const repeat = await h.call('POST', '/admin/tenants', request);
      expect(first.status).toBe(201);
      expect(repeat.status).toBe(201);
      expect(repeat.body).toEqual(first.body);
      expect(repeat.headers.location).toBe('/admin/tenants/once');
      expect(repeat.headers['idempotent-replayed']).toBe('true');
      expect(first.headers['idempotent-replayed']).toBeUndefined();
      expect(await tenants()).toBe(before + 1);
      // Without the key the same request is a second create, refused.
      const unkeyed = await h.call('POST', '/admin/tenants', { body: request.body });
      expect(unkeyed.status).toBe(409);
    });

    it('refuses the key with another body (422) and writes nothing', async () => {
      await h.call('POST', '/admin/tenants', {
        body: { tenantId: 'keyed', name: 'Keyed' },
        headers: { 'idempotency-key': 'k-reused' },
      });
      const before = await h.snapshot();
      const other = await h.call('POST', '/admin/tenants', {
        body: { tenantId: 'other', name: 'Other' },
        headers: { 'idempotency-key': 'k-reused' },
      });
      expect(other.status).toBe(422);
      expect((other.body as Json).type).toBe(`${DOCS_URL}#problem-idempotency-key-reused`);
      expect(await h.snapshot()).toEqual(before);
    });

    it('keeps no refusal: after a 400 the same key runs the corrected request', async () => {
      const headers = { 'idempotency-key': 'k-after-400' };
      const refused = await h.call('POST', '/admin/tenants', { body: { tenantId: 'fixed' }, headers });
      expect(refused.status).toBe(400);
      const fixed = await h.call('POST', '/admin/tenants', {
        body: { tenantId: 'fixed', name: 'Fixed' },
        headers,
      });
      expect(fixed.status).toBe(201);
    });

    it('keeps the answer 24 hours, then the key is free again', async () => {
      const headers = { 'idempotency-key': 'k-link' };
      const first = await h.call('POST', '/admin/tenants/conv/links', { headers });
      h.clock.advance(24 * 3600 - 1);
      const repeat = await h.call('POST', '/admin/tenants/conv/links', { headers });
      expect(repeat.body).toEqual(first.body);
      h.clock.advance(2);
      const later = await h.call('POST', '/admin/tenants/conv/links', { headers });
      expect(later.status).toBe(201);
      expect(later.headers['idempotent-replayed']).toBeUndefined();
      expect(later.body).not.toEqual(first.body);
    });

    it('scopes the key to the route: the same key on another POST runs', async () => {
      const headers = { 'idempotency-key': 'k-route' };
      expect((await h.call('POST', '/admin/tenants/conv/links', { headers })).status).toBe(201);
      const validate = await h.call('POST', '/admin/tenants/conv/authorizations/presence/validate', {
        headers,
      });
      expect(validate.status).toBe(200);
      expect(validate.headers['idempotent-replayed']).toBeUndefined();
    });

    it('refuses a malformed key with a field error', async () => {
      const response = await h.call('POST', '/admin/tenants', {
        body: { tenantId: 'spaced', name: 'Spaced' },
        headers: { 'idempotency-key': 'has a space' },
      });
      expect(response.status).toBe(400);
      expect((response.body as Json).errors).toEqual([
        { path: 'header.idempotency-key', message: expect.stringMatching(/printable ASCII/) },
      ]);
    });

    it('answers 409 to a repeat while the first still runs, then the first answer', async () => {
      let finish: () => void = () => undefined;
      const held = new Promise<void>((resolve) => {
        finish = resolve;
      });
      const slow = await createAdminHarness({
        validateNow: async (tenantId, integration) => {
          await held;
          const record = await slow.repos.authorizations.get(tenantId, integration);
          return { outcome: { kind: 'checked', refreshed: false }, authorization: record! };
        },
      });
      try {
        await slow.call('POST', '/admin/tenants', { body: { tenantId: 'slow', name: 'Slow' } });
        await seedAuthorization(slow, 'slow', 'presence');
        const path = '/admin/tenants/slow/authorizations/presence/validate';
        const headers = { 'idempotency-key': 'k-running' };
        const first = slow.call('POST', path, { headers });
        // The first has claimed the key once its claim is in the table.
        await expect
          .poll(async () => (await slow.snapshot()).some((item) => item.state === 'running'))
          .toBe(true);
        const meanwhile = await slow.call('POST', path, { headers });
        expect(meanwhile.status).toBe(409);
        expect((meanwhile.body as Json).type).toBe('urn:webex-auth-keeper:problem:idempotency-key-in-use');
        finish();
        expect((await first).status).toBe(200);
        const repeat = await slow.call('POST', path, { headers });
        expect(repeat.headers['idempotent-replayed']).toBe('true');
        expect(repeat.body).toEqual((await first).body);
      } finally {
        finish();
        await slow.close();
      }
    });
  });

  describe('ETag and If-Match on tenant PATCH', () => {
    it('tags each tenant version, applies a PATCH on the version read and refuses a stale one (412)', async () => {
      const created = await h.call('POST', '/admin/tenants', {
        body: { tenantId: 'tagged', name: 'Tagged' },
      });
      const read = await h.call('GET', '/admin/tenants/tagged');
      const etag = read.headers.etag as string;
      expect(etag).toBe(`"${(read.body as Json).updatedAt as string}"`);
      expect(created.headers.etag).toBe(etag);
      h.clock.advance(1);
      const changed = await h.call('PATCH', '/admin/tenants/tagged', {
        body: { name: 'Tagged 2' },
        headers: { 'if-match': etag },
      });
      expect(changed.status).toBe(200);
      expect(changed.headers.etag).not.toBe(etag);
      const before = await h.snapshot();
      const stale = await h.call('PATCH', '/admin/tenants/tagged', {
        body: { name: 'Lost update' },
        headers: { 'if-match': etag },
      });
      expect(stale.status).toBe(412);
      expect((stale.body as Json).type).toBe(`${DOCS_URL}#problem-precondition-failed`);
      expect(await h.snapshot()).toEqual(before);
      const any = await h.call('PATCH', '/admin/tenants/tagged', {
        body: { name: 'Tagged 3' },
        headers: { 'if-match': '*' },
      });
      expect(any.status).toBe(200);
    });

    it('refuses a weak or malformed If-Match with a field error', async () => {
      const response = await h.call('PATCH', '/admin/tenants/conv', {
        body: { name: 'X' },
        headers: { 'if-match': 'W/"2026-11-25T10:00:00.000Z"' },
      });
      expect(response.status).toBe(400);
      expect((response.body as Json).errors).toEqual([
        { path: 'header.if-match', message: expect.any(String) },
      ]);
    });
  });

  describe('OpenAPI document', () => {
    const document = buildAdminOpenApiDocument() as unknown as {
      openapi: string;
      paths: Record<string, Record<string, Json>>;
      components: Json;
    };

    it('is served at GET /admin/openapi.json and checked in as docs/openapi.json', async () => {
      const response = await h.call('GET', '/admin/openapi.json');
      expect(response.status).toBe(200);
      expect(response.body).toEqual(JSON.parse(JSON.stringify(document)));
      const checkedIn = JSON.parse(
        readFileSync(new URL('../../docs/openapi.json', import.meta.url), 'utf8'),
      ) as unknown;
      // `npm run openapi` writes it again after a change.
      expect(checkedIn).toEqual(JSON.parse(JSON.stringify(document)));
    });

    it('documents exactly the routes the stack deploys', () => {
      expect(document.openapi).toBe('3.1.0');
      const documented = Object.entries(document.paths).flatMap(([path, item]) =>
        Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
      );
      expect(documented.sort()).toEqual(ADMIN_ROUTES.map((route) => `${route.method} ${route.path}`).sort());
    });

    it('documents only routes the handler serves', async () => {
      for (const operation of ADMIN_OPERATIONS) {
        const path = operation.path.replace('{tenantId}', 'nobody').replace('{integration}', 'presence');
        const response = await h.call(operation.method.toUpperCase(), path);
        const type = (response.body as Json | undefined)?.type;
        expect([type, response.status], `${operation.method} ${operation.path}`).not.toEqual([
          `${DOCS_URL}#problem-not-found`,
          404,
        ]);
        expect(response.status, `${operation.method} ${operation.path}`).not.toBe(405);
      }
    });

    it('holds valid JSON Schemas, which the real answers match', async () => {
      const ajv = new Ajv2020({ strict: false });
      ajvFormats.default(ajv);
      ajv.addSchema({ $id: 'doc', components: document.components });
      const schemaAt = (pointer: Json) => {
        const ref = JSON.stringify(pointer).replaceAll('"#/components', '"doc#/components');
        return ajv.compile(JSON.parse(ref) as Json);
      };
      const created = await h.call('POST', '/admin/tenants', { body: { tenantId: 'shape', name: 'Shape' } });
      const post = document.paths['/admin/tenants']?.post as {
        responses: Record<string, { content?: Record<string, { schema: Json }> }>;
      };
      const tenantSchema = schemaAt(post.responses['201']?.content?.['application/json']?.schema as Json);
      expect(tenantSchema(created.body), JSON.stringify(tenantSchema.errors)).toBe(true);
      const refused = await h.call('POST', '/admin/tenants', { body: { tenantId: 'shape', name: '' } });
      const problemSchema = schemaAt({ $ref: '#/components/schemas/Problem' });
      expect(problemSchema(refused.body), JSON.stringify(problemSchema.errors)).toBe(true);
      expect(problemSchema({ type: 'x', title: 'x', status: 'bad', detail: 'x' })).toBe(false);
    });
  });
});
