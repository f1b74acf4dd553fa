import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECURITY_HEADERS } from '#functions/public-api.app.js';
import { bucketsFor } from '#domain/fleet-board.js';
import { escapeHtml } from '#http/pages/html.js';
import { STATUS_BOARD_CONTENT_SECURITY_POLICY } from '#http/pages/layout.js';
import { MAX_LOCAL_BODY_BYTES } from '#local/http-adapter.js';
import {
  OutputCapture,
  linkTokenOf,
  onboardOverHttp,
  simControl,
  startTestLocalSystem,
  type TestLocalSystem,
} from '#test-support/security-local.js';

interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * One request to the local API with exactly these headers (Host included: fetch would set its
 * own) and the target as written, unnormalized; a body is sent chunked unless a content-length is given.
 */
function send(
  port: number,
  input: { method?: string; target: string; headers?: Record<string, string>; body?: string | Buffer },
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method: input.method ?? 'GET',
        path: input.target,
        headers: { host: `127.0.0.1:${port}`, ...input.headers },
        setHost: false,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    // The server may answer and close before it has read a large body.
    outgoing.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE' && error.code !== 'ECONNRESET') reject(error);
    });
    outgoing.end(input.body);
  });
}

describe('the local API (npm start) refuses what a web page or a stray client could send it', () => {
  let local: TestLocalSystem;
  let port: number;
  const capture = new OutputCapture();

  beforeAll(async () => {
    capture.start();
    local = await startTestLocalSystem({ logLevel: 'INFO' });
    port = Number(new URL(local.system.api.url).port);
  }, 120_000);

  afterAll(async () => {
    capture.stop();
    await local?.stop();
  });

  it('answers only Host 127.0.0.1 or localhost with its port: any other (DNS rebinding) is 421 with a one-line reason', async () => {
    for (const host of ['127.0.0.1', 'localhost', 'LOCALHOST']) {
      expect(
        (await send(port, { target: '/_local/mailbox.json', headers: { host: `${host}:${port}` } })).status,
      ).toBe(200);
    }
    for (const host of [
      'evil.example',
      `evil.example:${port}`,
      '127.0.0.1',
      `127.0.0.1:${port + 1}`,
      `localhost.evil.example:${port}`,
    ]) {
      const answer = await send(port, { target: '/_local/mailbox.json', headers: { host } });
      expect(answer.status, host).toBe(421);
      expect(answer.body).toBe(
        `Misdirected request: this local API answers only Host 127.0.0.1:${port} or localhost:${port}.\n`,
      );
    }
    const write = await send(port, {
      method: 'POST',
      target: '/admin/tenants',
      headers: { host: `rebound.evil.example:${port}`, 'content-type': 'application/json' },
      body: JSON.stringify({ tenantId: 'rebound', name: 'Rebound' }),
    });
    expect(write.status).toBe(421);
    expect((await send(port, { target: '/admin/tenants/rebound' })).status).toBe(404);
  });

  it('takes an admin body only as application/json (415 otherwise), and no admin write from another site (403)', async () => {
    const create = (headers: Record<string, string>, tenantId: string) =>
      send(port, {
        method: 'POST',
        target: '/admin/tenants',
        headers,
        body: JSON.stringify({ tenantId, name: 'Simple POST' }),
      });
    for (const contentType of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
    ]) {
      const answer = await create({ 'content-type': contentType }, 'simple-post');
      expect(answer.status, contentType).toBe(415);
      expect(answer.body).toBe('Unsupported media type: an admin request body must be application/json.\n');
    }
    expect((await create({}, 'simple-post')).status).toBe(415);
    const crossSite = await create(
      { 'content-type': 'application/json', origin: 'https://evil.example' },
      'simple-post',
    );
    expect(crossSite.status).toBe(403);
    const bodiless = await send(port, {
      method: 'POST',
      target: '/admin/tenants/demo/links',
      headers: { origin: 'null' },
    });
    expect(bodiless.status).toBe(403);
    expect((await send(port, { target: '/admin/tenants/simple-post' })).status).toBe(404);

    expect((await create({ 'content-type': 'application/json; charset=utf-8' }, 'json-post')).status).toBe(
      201,
    );
    expect(
      (await create({ 'content-type': 'application/json', origin: `http://127.0.0.1:${port}` }, 'own-page'))
        .status,
    ).toBe(201);
  });

  it('answers 413 to a body over 1 MiB, declared or chunked', async () => {
    const tooLarge = Buffer.alloc(MAX_LOCAL_BODY_BYTES + 1, 'a');
    const declared = await send(port, {
      method: 'POST',
      target: '/admin/tenants',
      headers: { 'content-type': 'application/json', 'content-length': String(tooLarge.length) },
      body: tooLarge,
    });
    expect(declared.status).toBe(413);
    const chunked = await send(port, {
      method: 'POST',
      target: '/admin/tenants',
      headers: { 'content-type': 'application/json' },
      body: tooLarge,
    });
    expect(chunked.status).toBe(413);
    expect(chunked.body).toBe(`Request body too large: at most ${MAX_LOCAL_BODY_BYTES} bytes.\n`);
  });

  it('answers odd paths below 500: a backslash or a double slash is a path, not a host', async () => {
    for (const target of ['/\\', '/\\\\evil.example/x', '//evil.example/x', '/oauth/start\\..', '/%5C']) {
      const answer = await send(port, { target });
      expect(answer.status, target).toBe(404);
    }
    expect((await send(port, { target: '//evil.example/_local/mailbox.json' })).status).toBe(404);
  });

  it('serves the /_local pages and answers with the security headers of the public pages', async () => {
    for (const target of ['/_local/mailbox', '/_local/status', '/_local/mailbox.json']) {
      const answer = await send(port, { target });
      expect(answer.status, target).toBe(200);
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
        // The mailbox adds only the mails' inline style attributes to the public pages' policy; the
        // status board lets its filter form submit to itself.
        const policies: Record<string, string> = {
          '/_local/mailbox': `${value}; style-src-attr 'unsafe-inline'`,
          '/_local/status': STATUS_BOARD_CONTENT_SECURITY_POLICY,
        };
        const expected = name === 'Content-Security-Policy' ? (policies[target] ?? value) : value;
        expect(answer.headers[name.toLowerCase()], `${target} ${name}`).toBe(expected);
      }
    }
    expect((await send(port, { target: '/_local/mailbox' })).headers['x-frame-options']).toBe('DENY');
  });

  it('refuses a bad /_local/status query as GET /admin/status-board does: 400, its detail on a page', async () => {
    // A well-formed board cursor of the status=active listing, sent with status=invalid.
    const activeCursor = Buffer.from(
      JSON.stringify({ bucket: bucketsFor({ status: 'active' })[0] }),
    ).toString('base64url');
    const refusals: Record<string, string> = {
      'integration=nothing-such': 'Invalid query: integration "nothing-such" is not in the catalog',
      'cursor=garbage': 'Invalid query: cursor: not a cursor this API issued',
      [`status=invalid&cursor=${activeCursor}`]:
        'Invalid query: cursor: belongs to another query (other filters, another tenant or listing); start again without it',
      'limit=abc': 'Invalid query: limit: must be a whole number from 1 to 100',
      'status=active&status=invalid': 'Invalid query: parameter "status" is repeated',
    };
    for (const [query, detail] of Object.entries(refusals)) {
      const page = await send(port, { target: `/_local/status?${query}` });
      expect(page.status, query).toBe(400);
      expect(page.headers['content-type'], query).toBe('text/html; charset=utf-8');
      expect(page.body, query).toContain(
        `<p class="card notice" role="alert" data-refusal>${escapeHtml(detail)}</p>`,
      );
      const admin = await send(port, { target: `/admin/status-board?${query}` });
      expect(admin.status, query).toBe(400);
      expect((JSON.parse(admin.body) as { detail: string }).detail, query).toBe(detail);
    }
    // Every key the admin filter accepts, a Service App's and the vendor-only one included.
    for (const integration of ['cdr', 'witness', 'service-app-token']) {
      expect(
        (await send(port, { target: `/_local/status?integration=${integration}` })).status,
        integration,
      ).toBe(200);
    }
  });

  it('logs each handler under its own function name: the sweep is not the public API', async () => {
    const demoLink = linkTokenOf(await local.system.demoPortalUrl());
    await onboardOverHttp(local.system, demoLink, 'cdr', 'admin@demo.example');
    await simControl(local.system, 'people/admin@demo.example/password-change');
    await local.system.api.sweep(60);
    const lines = capture.text
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { message?: string; function_name?: string; service?: string });
    const granted = lines.filter((line) => line.message === 'Authorization granted');
    const problem = lines.filter((line) => line.message === 'Authorization check found a problem');
    expect(granted.length).toBeGreaterThan(0);
    expect(problem.length).toBeGreaterThan(0);
    expect(new Set(granted.map((line) => line.function_name))).toEqual(new Set(['public-api']));
    expect(new Set(problem.map((line) => line.function_name))).toEqual(new Set(['sweep']));
  });
});
