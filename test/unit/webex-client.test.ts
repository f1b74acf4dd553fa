import { describe, expect, it } from 'vitest';
import { HttpWebexClient, parseRetryAfter, type WebexCallTracing } from '#adapters/webex-client.js';
import { WebexError } from '#domain/ports.js';

interface SeenRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string;
}

/** A fetch that answers from a script and records what it was asked. */
function scriptedFetch(answer: (request: SeenRequest) => Response | Promise<Response>) {
  const seen: SeenRequest[] = [];
  const fetchImpl: typeof fetch = async (input, init) => {
    const headers = Object.fromEntries(new Headers(init?.headers).entries());
    const body = init?.body instanceof URLSearchParams ? init.body.toString() : String(init?.body ?? '');
    const request = { url: String(input), method: init?.method ?? 'GET', headers, body };
    seen.push(request);
    return answer(request);
  };
  return { seen, fetchImpl };
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', ...headers },
  });
}

const tokenAnswer = {
  access_token: 'AT-secret',
  expires_in: 1209599,
  refresh_token: 'RT-secret',
  refresh_token_expires_in: 7775999,
  token_type: 'Bearer',
  scope: 'spark:people_read spark-admin:roles_read',
};

const exchange = {
  clientId: 'Cclient',
  clientSecret: 'client-secret',
  code: 'CODE-secret',
  codeVerifier: 'V'.repeat(43),
  redirectUri: 'https://portal.test/oauth/callback',
};

async function failureOf(promise: Promise<unknown>): Promise<WebexError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof WebexError)) throw new Error(`expected a WebexError, got ${String(error)}`);
  return error;
}

describe('HttpWebexClient token calls', () => {
  it('exchanges a code at /v1/access_token with client_secret_post and PKCE, and reads the grant', async () => {
    const { seen, fetchImpl } = scriptedFetch(() => json(200, tokenAnswer));
    const client = new HttpWebexClient({ baseUrl: 'https://webexapis.test', fetch: fetchImpl });

    const grant = await client.exchangeCode(exchange);

    expect(grant).toEqual({
      accessToken: 'AT-secret',
      refreshToken: 'RT-secret',
      expiresIn: 1209599,
      refreshTokenExpiresIn: 7775999,
      scope: 'spark:people_read spark-admin:roles_read',
    });
    expect(seen).toHaveLength(1);
    expect(seen[0]?.url).toBe('https://webexapis.test/v1/access_token');
    expect(seen[0]?.method).toBe('POST');
    expect(seen[0]?.headers['content-type']).toMatch(/application\/x-www-form-urlencoded/);
    expect(Object.fromEntries(new URLSearchParams(seen[0]?.body))).toEqual({
      grant_type: 'authorization_code',
      code: 'CODE-secret',
      redirect_uri: 'https://portal.test/oauth/callback',
      code_verifier: exchange.codeVerifier,
      client_id: 'Cclient',
      client_secret: 'client-secret',
    });
  });

  it('refreshes with the refresh token grant', async () => {
    const { seen, fetchImpl } = scriptedFetch(() => json(200, { ...tokenAnswer, scope: undefined }));
    const client = new HttpWebexClient({ baseUrl: 'https://webexapis.test', fetch: fetchImpl });
    const grant = await client.refresh({ clientId: 'Cclient', clientSecret: 's', refreshToken: 'RT-secret' });
    expect(grant.scope).toBeUndefined();
    expect(Object.fromEntries(new URLSearchParams(seen[0]?.body))).toMatchObject({
      grant_type: 'refresh_token',
      refresh_token: 'RT-secret',
      client_id: 'Cclient',
      client_secret: 's',
    });
  });

  it('calls a refused code or refresh token "rejected" (400 and 401), and keeps the tracking id', async () => {
    for (const status of [400, 401]) {
      const { fetchImpl } = scriptedFetch(() =>
        json(
          status,
          {
            error: 'invalid_grant',
            message: 'The refresh token provided is expired, revoked, malformed, or invalid',
          },
          { TrackingId: 'ROUTER_abc' },
        ),
      );
      const client = new HttpWebexClient({ baseUrl: 'https://webexapis.test', fetch: fetchImpl });
      const error = await failureOf(
        client.refresh({ clientId: 'C', clientSecret: 's', refreshToken: 'RT-secret' }),
      );
      expect(error.kind).toBe('rejected');
      expect(error.details).toMatchObject({ status, trackingId: 'ROUTER_abc', error: 'invalid_grant' });
      expect(error.message).toContain('invalid_grant');
      expect(error.message).not.toContain('RT-secret');
    }
  });

  it("fetches an org's Service App token pair with the vendor token, as JSON", async () => {
    const { seen, fetchImpl } = scriptedFetch(() => json(200, { ...tokenAnswer, scope: undefined }));
    const client = new HttpWebexClient({ baseUrl: 'https://webex.test', fetch: fetchImpl });
    const grant = await client.fetchServiceAppToken('VENDOR-secret', {
      applicationId: 'APP/ID=',
      clientId: 'Capp',
      clientSecret: 'app-secret',
      targetOrgId: 'ORG-1',
    });
    expect(grant).toEqual({
      accessToken: 'AT-secret',
      refreshToken: 'RT-secret',
      expiresIn: 1209599,
      refreshTokenExpiresIn: 7775999,
    });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      url: 'https://webex.test/v1/applications/APP%2FID%3D/token',
      method: 'POST',
      headers: { authorization: 'Bearer VENDOR-secret', 'content-type': 'application/json' },
    });
    expect(JSON.parse(seen[0]?.body ?? '')).toEqual({
      clientId: 'Capp',
      clientSecret: 'app-secret',
      targetOrgId: 'ORG-1',
    });
  });

  it("reads the Service App token endpoint's 403 as forbidden (not authorized in the org) and 401 as unauthorized", async () => {
    const request = { applicationId: 'A', clientId: 'C', clientSecret: 'S', targetOrgId: 'O' };
    for (const [status, kind] of [
      [403, 'forbidden'],
      [401, 'unauthorized'],
      [404, 'not_found'],
      [503, 'transient'],
    ] as const) {
      const { fetchImpl } = scriptedFetch(() =>
        json(status, { message: 'no', trackingId: 'ROUTER_1' }, { trackingid: 'ROUTER_1' }),
      );
      const client = new HttpWebexClient({ baseUrl: 'https://webex.test', fetch: fetchImpl });
      const error = await failureOf(client.fetchServiceAppToken('VENDOR-secret', request));
      expect(error.kind).toBe(kind);
      expect(error.details.trackingId).toBe('ROUTER_1');
      expect(error.message).not.toContain('secret');
    }
  });

  it('reads a token answer that misses a field as transient, not as a grant', async () => {
    const { fetchImpl } = scriptedFetch(() => json(200, { access_token: 'AT-secret' }));
    const client = new HttpWebexClient({ baseUrl: 'https://webexapis.test', fetch: fetchImpl });
    const error = await failureOf(client.exchangeCode(exchange));
    expect(error.kind).toBe('transient');
    expect(error.message).not.toContain('AT-secret');
  });
});

describe('HttpWebexClient webhook registrations', () => {
  it('lists, creates (the secret in the body only) and deletes webhooks with the bearer token', async () => {
    const webhook = {
      id: 'WH/1',
      name: 'keeper',
      targetUrl: 'https://portal.test/webhooks/service-app',
      resource: 'serviceApp',
      event: 'authorized',
      secret: 'whsec-secret',
      status: 'active',
    };
    const { seen, fetchImpl } = scriptedFetch((request) =>
      request.method === 'DELETE'
        ? new Response(null, { status: 204 })
        : json(200, request.method === 'GET' ? { items: [webhook] } : webhook),
    );
    const client = new HttpWebexClient({ baseUrl: 'https://webex.test', fetch: fetchImpl });
    const { secret: _secret, status: _status, ...listed } = webhook;
    expect(await client.listWebhooks('VENDOR-secret')).toEqual([listed]);
    const created = await client.createWebhook('VENDOR-secret', {
      name: 'keeper',
      targetUrl: webhook.targetUrl,
      resource: 'serviceApp',
      event: 'authorized',
      secret: 'whsec-secret',
    });
    expect(created).toEqual(listed);
    await client.deleteWebhook('VENDOR-secret', 'WH/1');
    expect(seen.map((request) => `${request.method} ${request.url}`)).toEqual([
      'GET https://webex.test/v1/webhooks?max=100',
      'POST https://webex.test/v1/webhooks',
      'DELETE https://webex.test/v1/webhooks/WH%2F1',
    ]);
    for (const request of seen) expect(request.headers.authorization).toBe('Bearer VENDOR-secret');
    expect(JSON.parse(seen[1]?.body ?? '')).toMatchObject({ secret: 'whsec-secret', event: 'authorized' });
  });

  it("reads a webhook call's refusal as a WebexError that names neither token nor secret", async () => {
    const { fetchImpl } = scriptedFetch(() => json(400, { message: 'bad targetUrl' }));
    const client = new HttpWebexClient({ baseUrl: 'https://webex.test', fetch: fetchImpl });
    const error = await failureOf(
      client.createWebhook('VENDOR-secret', {
        name: 'n',
        targetUrl: 'https://x.test',
        resource: 'serviceApp',
        event: 'deauthorized',
        secret: 'whsec-secret',
      }),
    );
    expect(error.details.status).toBe(400);
    expect(error.message).not.toContain('secret');
  });
});

describe('HttpWebexClient REST calls', () => {
  it('reads people/me with the bearer token and turns loginEnabled into a boolean', async () => {
    const { seen, fetchImpl } = scriptedFetch(() =>
      json(200, {
        id: 'P1',
        emails: ['admin@demo.example'],
        displayName: 'Admin',
        orgId: 'O1',
        roles: ['R1'],
        type: 'person',
        loginEnabled: 'false',
        status: 'active',
      }),
    );
    const client = new HttpWebexClient({ baseUrl: 'https://webexapis.test/', fetch: fetchImpl });
    const person = await client.getMe('AT-secret');
    expect(person).toEqual({
      id: 'P1',
      emails: ['admin@demo.example'],
      displayName: 'Admin',
      orgId: 'O1',
      roles: ['R1'],
      type: 'person',
      loginEnabled: false,
    });
    expect(seen[0]?.url).toBe('https://webexapis.test/v1/people/me');
    expect(seen[0]?.headers.authorization).toBe('Bearer AT-secret');
  });

  it("keeps the trackingId of a person's answer, the evidence of a cause", async () => {
    const person = { id: 'P1', emails: [], displayName: 'X', orgId: 'O1', type: 'person' };
    const { fetchImpl } = scriptedFetch(() => json(200, person, { TrackingId: 'ROUTER_person' }));
    const client = new HttpWebexClient({ baseUrl: 'https://webexapis.test', fetch: fetchImpl });
    expect((await client.getMe('AT')).trackingId).toBe('ROUTER_person');
    expect((await client.getPerson('AT', 'P1')).trackingId).toBe('ROUTER_person');
  });

  it('lists roles and reads another person by id', async () => {
    const { seen, fetchImpl } = scriptedFetch((request) =>
      request.url.endsWith('/v1/roles')
        ? json(200, { items: [{ id: 'R1', name: 'Full Administrator' }] })
        : json(200, { id: 'P/2', emails: [], displayName: 'X', orgId: 'O1', type: 'person' }),
    );
    const client = new HttpWebexClient({ baseUrl: 'https://webexapis.test', fetch: fetchImpl });
    expect(await client.listRoles('AT')).toEqual([{ id: 'R1', name: 'Full Administrator' }]);
    expect((await client.getPerson('AT', 'P/2')).roles).toEqual([]);
    expect(seen[1]?.url).toBe('https://webexapis.test/v1/people/P%2F2');
  });

  it('reads a page of admin audit events with the query Webex takes, keeping the fields a cause reads', async () => {
    const item = {
      id: 'E1',
      created: '2026-03-01T10:00:00.000Z',
      actorId: 'A1',
      actorOrgId: 'O1',
      data: {
        actorEmail: 'other@acme.example',
        actorName: 'Other Admin',
        eventCategory: 'ROLES',
        eventDescription: 'Full Administrator role removed',
        targetId: 'P1',
        actionText: 'Other Admin removed the Full Administrator role from Admin',
      },
    };
    const { seen, fetchImpl } = scriptedFetch(() =>
      json(
        200,
        { items: [item, { id: 'E2', created: item.created, actorId: 'A1' }] },
        { TrackingId: 'ROUTER_audit' },
      ),
    );
    const client = new HttpWebexClient({ baseUrl: 'https://webexapis.test', fetch: fetchImpl });
    const page = await client.listAdminAuditEvents('AT-secret', {
      orgId: 'O1',
      from: new Date('2026-03-01T09:00:00.000Z'),
      to: new Date('2026-03-01T11:00:00.000Z'),
      max: 200,
      offset: 200,
    });
    expect(page).toEqual({
      items: [
        {
          id: 'E1',
          created: item.created,
          actorId: 'A1',
          actorEmail: 'other@acme.example',
          actorName: 'Other Admin',
          eventCategory: 'ROLES',
          eventDescription: 'Full Administrator role removed',
          targetId: 'P1',
        },
        { id: 'E2', created: item.created, actorId: 'A1' },
      ],
      trackingId: 'ROUTER_audit',
    });
    const url = new URL(seen[0]?.url ?? '');
    expect(url.pathname).toBe('/v1/adminAudit/events');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      orgId: 'O1',
      from: '2026-03-01T09:00:00.000Z',
      to: '2026-03-01T11:00:00.000Z',
      max: '200',
      offset: '200',
    });
    expect(seen[0]?.headers['authorization']).toBe('Bearer AT-secret');
  });

  it('reads an audit answer whose event lacks its time or actor as transient, never as evidence', async () => {
    const { fetchImpl } = scriptedFetch(() => json(200, { items: [{ id: 'E1', created: 'yesterday' }] }));
    const client = new HttpWebexClient({ baseUrl: 'https://webexapis.test', fetch: fetchImpl });
    const query = { orgId: 'O1', from: new Date(0), to: new Date(1000), max: 200, offset: 0 };
    expect((await failureOf(client.listAdminAuditEvents('AT', query))).kind).toBe('transient');
  });

  it('revokes the integration for an org with DELETE /v1/authorizations?clientId&orgId', async () => {
    const { seen, fetchImpl } = scriptedFetch(() => new Response(null, { status: 204 }));
    const client = new HttpWebexClient({ baseUrl: 'https://webexapis.test', fetch: fetchImpl });
    await client.revokeAuthorizations('AT', { clientId: 'Cclient', orgId: 'O1' });
    expect(seen[0]).toMatchObject({
      method: 'DELETE',
      url: 'https://webexapis.test/v1/authorizations?clientId=Cclient&orgId=O1',
    });
  });

  it("lists one person's authorizations and deletes one by id", async () => {
    const item = {
      id: 'AUTH/1',
      applicationId: 'APP1',
      applicationName: 'Users sync',
      personId: 'P/1',
      clientId: 'Cclient',
      created: '2025-01-02T03:04:05+00:00',
      type: 'refresh',
    };
    const { seen, fetchImpl } = scriptedFetch((request) =>
      request.method === 'GET' ? json(200, { items: [item] }) : new Response(null, { status: 204 }),
    );
    const client = new HttpWebexClient({ baseUrl: 'https://webexapis.test', fetch: fetchImpl });
    expect(await client.listAuthorizations('AT', 'P/1')).toEqual([
      {
        id: 'AUTH/1',
        personId: 'P/1',
        clientId: 'Cclient',
        created: '2025-01-02T03:04:05+00:00',
        type: 'refresh',
      },
    ]);
    await client.deleteAuthorization('AT', 'AUTH/1');
    expect(seen.map(({ method, url, headers }) => [method, url, headers.authorization])).toEqual([
      ['GET', 'https://webexapis.test/v1/authorizations?personId=P%2F1', 'Bearer AT'],
      ['DELETE', 'https://webexapis.test/v1/authorizations/AUTH%2F1', 'Bearer AT'],
    ]);
  });

  it("fails the deletion of an authorization with the kind of Webex's answer", async () => {
    const { fetchImpl } = scriptedFetch(() => json(403, { message: 'x', trackingId: 'ROUTER_del' }));
    const client = new HttpWebexClient({ baseUrl: 'https://webexapis.test', fetch: fetchImpl });
    const error = await failureOf(client.deleteAuthorization('AT-secret', 'AUTH1'));
    expect([error.kind, error.details.trackingId]).toEqual(['forbidden', 'ROUTER_del']);
    expect(error.message).not.toContain('AT-secret');
  });

  it.each([
    [401, 'unauthorized'],
    [403, 'forbidden'],
    [404, 'not_found'],
    [500, 'transient'],
    [502, 'transient'],
    [503, 'transient'],
    [409, 'transient'],
  ] as const)('maps HTTP %i to %s', async (status, kind) => {
    const { fetchImpl } = scriptedFetch(() =>
      json(status, { message: 'x', errors: [{ description: 'x' }], trackingId: 'ROUTER_body' }),
    );
    const client = new HttpWebexClient({ baseUrl: 'https://webexapis.test', fetch: fetchImpl });
    const error = await failureOf(client.getMe('AT-secret'));
    expect(error.kind).toBe(kind);
    expect(error.details).toMatchObject({ status, trackingId: 'ROUTER_body' });
    expect(error.message).not.toContain('AT-secret');
  });

  it('maps 429 to transient with the Retry-After seconds', async () => {
    const { fetchImpl } = scriptedFetch(() =>
      json(429, { message: 'Too Many Requests' }, { 'Retry-After': '42' }),
    );
    const client = new HttpWebexClient({ baseUrl: 'https://webexapis.test', fetch: fetchImpl });
    const error = await failureOf(client.listRoles('AT'));
    expect(error.kind).toBe('transient');
    expect(error.details.retryAfterSeconds).toBe(42);
  });

  it('maps a timeout and a network failure to transient', async () => {
    // What fetch rejects with when its AbortSignal.timeout fires (the next test lets a real one fire).
    const slow = scriptedFetch(() =>
      Promise.reject(new DOMException('The operation was aborted due to timeout', 'TimeoutError')),
    );
    const client = new HttpWebexClient({ baseUrl: 'https://webexapis.test', fetch: slow.fetchImpl });
    expect((await failureOf(client.getMe('AT'))).message).toContain('timed out');
    expect((await failureOf(client.exchangeCode(exchange))).kind).toBe('transient');

    const down = scriptedFetch(() => Promise.reject(new TypeError('fetch failed')));
    const offline = new HttpWebexClient({ baseUrl: 'https://webexapis.test', fetch: down.fetchImpl });
    expect((await failureOf(offline.getMe('AT'))).kind).toBe('transient');
  });

  it('times a real request out with AbortSignal.timeout', async () => {
    const hanging: typeof fetch = (_input, init) =>
      new Promise((_resolve, reject) => {
        init?.signal?.addEventListener('abort', () => reject(init.signal?.reason));
      });
    const client = new HttpWebexClient({ baseUrl: 'https://webexapis.test', fetch: hanging, timeoutMs: 20 });
    const error = await failureOf(client.getMe('AT'));
    expect(error.kind).toBe('transient');
  });
});

describe('HttpWebexClient base URL', () => {
  it('allows plain http only on loopback (the simulator)', async () => {
    expect(() => new HttpWebexClient({ baseUrl: 'http://webexapis.com' })).toThrow(/https/);
    const { fetchImpl } = scriptedFetch(() => json(200, tokenAnswer));
    const simulator = new HttpWebexClient({ baseUrl: 'http://127.0.0.1:8788', fetch: fetchImpl });
    await expect(simulator.exchangeCode(exchange)).resolves.toMatchObject({ accessToken: 'AT-secret' });
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    const now = Date.parse('2026-03-01T10:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120);
    expect(parseRetryAfter('Sun, 01 Mar 2026 10:01:00 GMT', now)).toBe(60);
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });
});

describe('HttpWebexClient tracing', () => {
  /** A tracing hook that records each span's name, status and outcome. */
  function recordingTracing() {
    const spans: Array<{ name: string; statuses: number[]; failed?: unknown }> = [];
    const tracing: WebexCallTracing = async (name, call) => {
      const span: (typeof spans)[number] = { name, statuses: [] };
      spans.push(span);
      try {
        return await call({ recordStatus: (status) => span.statuses.push(status) });
      } catch (error) {
        span.failed = error;
        throw error;
      }
    };
    return { spans, tracing };
  }

  it('runs each call in a span named by the call, with the HTTP status', async () => {
    const { spans, tracing } = recordingTracing();
    const { fetchImpl } = scriptedFetch((request) => {
      if (request.url.endsWith('/v1/access_token')) return json(200, tokenAnswer);
      if (request.url.endsWith('/v1/roles')) return json(200, { items: [] });
      return json(401, { message: 'expired' });
    });
    const client = new HttpWebexClient({ baseUrl: 'https://webexapis.com', fetch: fetchImpl, tracing });
    await client.refresh({ clientId: 'Cclient', clientSecret: 'client-secret', refreshToken: 'RT-secret' });
    await client.listRoles('AT-secret');
    await failureOf(client.getMe('AT-secret'));
    await client
      .revokeAuthorizations('AT-secret', { clientId: 'Cclient', orgId: 'org' })
      .catch(() => undefined);

    expect(spans.map(({ name, statuses }) => ({ name, statuses }))).toEqual([
      { name: 'webex.refresh', statuses: [200] },
      { name: 'webex.roles', statuses: [200] },
      { name: 'webex.people-me', statuses: [401] },
      { name: 'webex.revoke-authorizations', statuses: [401] },
    ]);
    // A span is told a name and a status only: never a token, a secret or the URL's query.
    expect(JSON.stringify(spans)).not.toMatch(/secret|clientId|orgId/);
  });

  it('ends the span of a call that got no answer with the transient error', async () => {
    const { spans, tracing } = recordingTracing();
    const { fetchImpl } = scriptedFetch(() => {
      throw new TypeError('fetch failed');
    });
    const client = new HttpWebexClient({ baseUrl: 'https://webexapis.com', fetch: fetchImpl, tracing });
    const failure = await failureOf(client.getPerson('AT-secret', 'person-1'));
    expect(spans).toEqual([{ name: 'webex.person', statuses: [], failed: failure }]);
    expect(failure.kind).toBe('transient');
  });
});
