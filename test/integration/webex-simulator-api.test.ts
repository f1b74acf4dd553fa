import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  authorizeUrl,
  FORBIDDEN_MESSAGE,
  INVALID_TOKEN_MESSAGE,
  newPkcePair,
  obtainTokens,
  startWebexSimulator,
  submitConsent,
  type TokenResponse,
  type WebexSimulator,
} from '#local/webex-simulator/index.js';

const redirectUri = 'http://127.0.0.1:9/oauth/callback';
const integration = {
  clientId: 'Capi00000000000000000000000000000000000000000000000000000000000000',
  clientSecret: 'api-test-secret',
  name: 'API test',
  redirectUris: [redirectUri],
};
const trackingIdPattern = /^ROUTER_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let sim: WebexSimulator;

beforeAll(async () => {
  sim = await startWebexSimulator({ integrations: [integration] });
});
afterAll(async () => {
  await sim.close();
});
beforeEach(async () => {
  await fetch(`${sim.url}/_sim/reset`, { method: 'POST' });
});

function authorize(person: string, scopes: string[]): Promise<TokenResponse> {
  return obtainTokens(sim.url, { integration: { ...integration, redirectUri }, person, scopes });
}

function get(path: string, accessToken?: string): Promise<Response> {
  return fetch(
    `${sim.url}${path}`,
    accessToken ? { headers: { Authorization: `Bearer ${accessToken}` } } : {},
  );
}

function post(path: string, body?: unknown): Promise<Response> {
  return fetch(`${sim.url}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body ?? {}),
  });
}

async function expectWebexError(response: Response, status: number, message?: string): Promise<void> {
  expect(response.status).toBe(status);
  const trackingId = response.headers.get('trackingid');
  expect(trackingId).toMatch(trackingIdPattern);
  const body = (await response.json()) as { message: string; errors: unknown; trackingId: string };
  expect(body).toEqual({
    message: message ?? expect.any(String),
    errors: [{ description: body.message }],
    trackingId,
  });
}

describe('bearer token checks', () => {
  it("answers 401 with Webex's body to a missing, unknown or expired token", async () => {
    await expectWebexError(await get('/v1/people/me'), 401, INVALID_TOKEN_MESSAGE);
    await expectWebexError(await get('/v1/people/me', 'not-a-token'), 401, INVALID_TOKEN_MESSAGE);
    const tokens = await authorize('admin@demo.example', ['spark:people_read']);
    expect((await get('/v1/people/me', tokens.access_token)).status).toBe(200);
    await post('/_sim/clock/advance', { seconds: tokens.expires_in });
    await expectWebexError(await get('/v1/people/me', tokens.access_token), 401, INVALID_TOKEN_MESSAGE);
  });

  it('puts a TrackingId header on successes too', async () => {
    const tokens = await authorize('admin@demo.example', ['spark:people_read']);
    const response = await get('/v1/people/me', tokens.access_token);
    expect(response.headers.get('trackingid')).toMatch(trackingIdPattern);
  });

  it('answers 403 when the token lacks the scope', async () => {
    const tokens = await authorize('admin@demo.example', ['spark:people_read']);
    await expectWebexError(await get('/v1/roles', tokens.access_token), 403, FORBIDDEN_MESSAGE);
    await expectWebexError(
      await get('/v1/authorizations?personEmail=admin@demo.example', tokens.access_token),
      403,
      FORBIDDEN_MESSAGE,
    );
    const noPeople = await authorize('admin@demo.example', ['spark-admin:roles_read']);
    await expectWebexError(await get('/v1/people/me', noPeople.access_token), 403, FORBIDDEN_MESSAGE);
  });

  it('answers 403 to a non-admin even with the admin scopes', async () => {
    const tokens = await authorize('user@demo.example', ['spark:people_read', 'spark-admin:roles_read']);
    await expectWebexError(await get('/v1/roles', tokens.access_token), 403, FORBIDDEN_MESSAGE);
  });

  it('answers 404 to an unknown person and to an unknown path', async () => {
    const tokens = await authorize('admin@demo.example', ['spark-admin:people_read']);
    await expectWebexError(
      await get('/v1/people/Y2lzY29zcGFyazovL3VzL1BFT1BMRS9ub3Bl', tokens.access_token),
      404,
    );
    await expectWebexError(await get('/v1/meetings', tokens.access_token), 404);
  });

  it('tells the calling token its expiry in epoch ms', async () => {
    const before = Date.now();
    const tokens = await authorize('user@demo.example', ['spark:people_read']);
    const body = (await (await get('/v1/authorizations/tokenExpiry', tokens.access_token)).json()) as {
      exp: number;
    };
    expect(body.exp).toBeGreaterThanOrEqual(before + tokens.expires_in * 1000);
    expect(body.exp).toBeLessThanOrEqual(Date.now() + tokens.expires_in * 1000);
  });
});

describe('people and roles', () => {
  it('serves ids shaped like Webex ids, stable across restarts', async () => {
    const tokens = await authorize('admin@demo.example', ['spark:people_read', 'spark-admin:roles_read']);
    const me = (await (await get('/v1/people/me', tokens.access_token)).json()) as {
      id: string;
      orgId: string;
      roles: string[];
    };
    expect(Buffer.from(me.id, 'base64').toString()).toMatch(/^ciscospark:\/\/us\/PEOPLE\/[0-9a-f-]{36}$/);
    expect(Buffer.from(me.orgId, 'base64').toString()).toMatch(
      /^ciscospark:\/\/us\/ORGANIZATION\/[0-9a-f-]{36}$/,
    );
    const roles = (await (await get('/v1/roles', tokens.access_token)).json()) as {
      items: Array<{ id: string; name: string }>;
    };
    const names = roles.items.map((role) => role.name);
    expect(names).toEqual(
      expect.arrayContaining(['Full Administrator', 'User Administrator', 'Read-only Administrator']),
    );
    const fullAdmin = roles.items.find((role) => role.name === 'Full Administrator');
    expect(me.roles).toEqual([fullAdmin?.id]);
    expect(Buffer.from(fullAdmin?.id ?? '', 'base64').toString()).toMatch(/^ciscospark:\/\/us\/ROLE\//);

    const again = await startWebexSimulator();
    try {
      const people = (await (await fetch(`${again.url}/_sim/people`)).json()) as Array<{
        id: string;
        email: string;
      }>;
      expect(people.find((person) => person.email === 'admin@demo.example')?.id).toBe(me.id);
    } finally {
      await again.close();
    }
  });

  it("does not show another org's person", async () => {
    const org = (await (await post('/_sim/orgs', { name: 'Elsewhere' })).json()) as { orgId: string };
    const stranger = (await (
      await post('/_sim/people', { email: 'stranger@elsewhere.example', orgId: org.orgId })
    ).json()) as { id: string };
    const tokens = await authorize('admin@demo.example', ['spark-admin:people_read']);
    expect((await get(`/v1/people/${stranger.id}`, tokens.access_token)).status).toBe(404);
  });
});

describe('faults', () => {
  it('answers the next N calls 429 with Retry-After, then recovers', async () => {
    const tokens = await authorize('admin@demo.example', ['spark:people_read']);
    expect((await post('/_sim/faults', { next429: 2, retryAfterSeconds: 7 })).status).toBe(200);
    for (let call = 0; call < 2; call += 1) {
      const response = await get('/v1/people/me', tokens.access_token);
      expect(response.headers.get('retry-after')).toBe('7');
      await expectWebexError(response, 429);
    }
    expect((await get('/v1/people/me', tokens.access_token)).status).toBe(200);
  });

  it('answers the next N calls 503 then 502, on the token endpoint too, without using up the code', async () => {
    const pkce = newPkcePair();
    const consent = await submitConsent(
      authorizeUrl(sim.url, {
        clientId: integration.clientId,
        redirectUri,
        scopes: ['spark:people_read'],
        codeChallenge: pkce.challenge,
      }),
      { person: 'admin@demo.example', decision: 'accept' },
    );
    expect(consent.status).toBe(302);
    const code = new URL(consent.headers.get('location') ?? '').searchParams.get('code');
    expect(code).toBeTruthy();
    const exchangeCode = () =>
      fetch(`${sim.url}/v1/access_token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          client_id: integration.clientId,
          client_secret: integration.clientSecret,
          code: code ?? '',
          redirect_uri: redirectUri,
          code_verifier: pkce.verifier,
        }),
      });

    await post('/_sim/faults', { next5xx: 2 });
    await expectWebexError(await exchangeCode(), 503);
    await expectWebexError(await exchangeCode(), 502);
    // The same code still works once the faults are spent: a 5xx did not consume it.
    const granted = await exchangeCode();
    expect(granted.status).toBe(200);
    const tokens = (await granted.json()) as TokenResponse;
    expect((await get('/v1/people/me', tokens.access_token)).status).toBe(200);
    // And it is still single use.
    expect((await exchangeCode()).status).toBe(400);
  });

  it('applies the rates: 1 means every call fails', async () => {
    const tokens = await authorize('admin@demo.example', ['spark:people_read']);
    await post('/_sim/faults', { rate429: 1 });
    await expectWebexError(await get('/v1/people/me', tokens.access_token), 429);
    await post('/_sim/faults', { rate429: 0, rate5xx: 1 });
    const response = await get('/v1/people/me', tokens.access_token);
    expect([502, 503]).toContain(response.status);
    await post('/_sim/faults', { rate5xx: 0 });
    expect((await get('/v1/people/me', tokens.access_token)).status).toBe(200);
  });

  it('adds latency to API calls', async () => {
    const tokens = await authorize('admin@demo.example', ['spark:people_read']);
    await post('/_sim/faults', { latencyMs: 250 });
    const started = performance.now();
    expect((await get('/v1/people/me', tokens.access_token)).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(240);
  });

  it('spares the consent page and the control API', async () => {
    await post('/_sim/faults', { rate429: 1, rate5xx: 1 });
    expect((await fetch(`${sim.url}/_sim/people`)).status).toBe(200);
    const consent = await fetch(
      `${sim.url}/v1/authorize?${new URLSearchParams({
        response_type: 'code',
        client_id: integration.clientId,
        redirect_uri: redirectUri,
        scope: 'spark:people_read',
        code_challenge: 'x'.repeat(43),
        code_challenge_method: 'plain',
      }).toString()}`,
    );
    expect(consent.status).toBe(200);
  });
});

describe('control API', () => {
  it('resets to the seeded state: people, tokens, faults and clock', async () => {
    const tokens = await authorize('admin@demo.example', ['spark:people_read']);
    const org = (await (await post('/_sim/orgs', { name: 'Temp' })).json()) as { orgId: string };
    await post('/_sim/people', { email: 'temp@temp.example', orgId: org.orgId });
    await post('/_sim/people/admin@demo.example/deactivate');
    await post('/_sim/faults', { latencyMs: 5, next429: 3 });
    await post('/_sim/clock/advance', { seconds: 3600 });

    expect((await post('/_sim/reset')).status).toBe(200);
    const people = (await (await fetch(`${sim.url}/_sim/people`)).json()) as Array<Record<string, unknown>>;
    expect(people).toHaveLength(3);
    expect(people.every((person) => person.active === true)).toBe(true);
    expect(people.map((person) => person.email)).toEqual([
      'admin@demo.example',
      'sso-admin@demo.example',
      'user@demo.example',
    ]);
    expect(people[0]).toEqual({
      id: expect.any(String),
      email: 'admin@demo.example',
      displayName: expect.any(String),
      orgId: expect.any(String),
      fullAdmin: true,
      sso: false,
      active: true,
    });
    expect(people[1]).toMatchObject({ fullAdmin: true, sso: true });
    expect(people[2]).toMatchObject({ fullAdmin: false, sso: false });
    expect(await (await fetch(`${sim.url}/_sim/faults`)).json()).toMatchObject({ latencyMs: 0, next429: 0 });
    expect(await (await fetch(`${sim.url}/_sim/authorizations`)).json()).toEqual([]);
    expect((await get('/v1/people/me', tokens.access_token)).status).toBe(401);
    // Registered integrations survive a reset.
    await expect(authorize('admin@demo.example', ['spark:people_read'])).resolves.toBeDefined();
  });

  it.each([
    ['bad JSON', '/_sim/orgs', '{not json', /body/],
    ['a missing field', '/_sim/orgs', {}, /name/],
    ['a bad email', '/_sim/people', { email: 'not-an-email', orgId: 'x' }, /email/],
    ['a wrong type', '/_sim/faults', { rate429: 'often' }, /rate429/],
    ['a rate above 1', '/_sim/faults', { rate5xx: 2 }, /rate5xx/],
    ['an unknown field', '/_sim/faults', { latency: 5 }, /latency/],
    ['a negative clock move', '/_sim/clock/advance', { seconds: -5 }, /seconds/],
    [
      'a bad redirect URI',
      '/_sim/integrations',
      { clientId: 'C', clientSecret: 's', name: 'n', redirectUris: ['nope'] },
      /redirectUris/,
    ],
    [
      'a non-boolean revokeTokens',
      '/_sim/people/admin@demo.example/remove-full-admin',
      { revokeTokens: 'no' },
      /revokeTokens/,
    ],
  ])('answers 400 naming the field to %s', async (_case, path, body, field) => {
    const response = await post(path, body);
    expect(response.status).toBe(400);
    const { error } = (await response.json()) as { error: string };
    expect(error).toMatch(field);
  });

  it('answers 404 to an unknown email or org', async () => {
    expect((await post('/_sim/people/ghost@demo.example/deactivate')).status).toBe(404);
    expect((await post('/_sim/people/%E0%A4%A/deactivate')).status).toBe(404);
    expect((await post('/_sim/people', { email: 'new@demo.example', orgId: 'no-such-org' })).status).toBe(
      404,
    );
  });

  it('lists every issued secret, and grants without their token values', async () => {
    const readSecrets = async () =>
      (await (await fetch(`${sim.url}/_sim/secrets`)).json()) as Record<string, string[]>;
    const before = await readSecrets();
    const tokens = await authorize('admin@demo.example', ['spark:people_read']);
    // The log survives resets, so that a leak check covers a whole run: compare with before.
    const secrets = await readSecrets();
    expect(secrets.accessTokens).toContain(tokens.access_token);
    expect(secrets.refreshTokens).toContain(tokens.refresh_token);
    expect(secrets.clientSecrets).toContain(integration.clientSecret);
    expect(secrets.codes).toHaveLength((before.codes?.length ?? 0) + 1);
    expect(secrets.codeVerifiers).toHaveLength((before.codeVerifiers?.length ?? 0) + 1);
    expect(secrets.all).toEqual(
      expect.arrayContaining([tokens.access_token, ...(secrets.codeVerifiers ?? [])]),
    );

    const grantsText = await (await fetch(`${sim.url}/_sim/authorizations`)).text();
    for (const secret of secrets.all ?? []) expect(grantsText).not.toContain(secret);
    const grants = JSON.parse(grantsText) as Array<Record<string, unknown>>;
    expect(grants).toEqual([
      expect.objectContaining({
        clientId: integration.clientId,
        alive: true,
        refreshTokenExpiresAt: expect.any(String),
      }),
    ]);
  });

  it('registers an integration that can then be consented to', async () => {
    const other = { clientId: 'Cnew', clientSecret: 'new-secret', name: 'New', redirectUris: [redirectUri] };
    const response = await post('/_sim/integrations', other);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ clientId: 'Cnew', name: 'New', redirectUris: [redirectUri] });
    const tokens = await obtainTokens(sim.url, {
      integration: { ...other, redirectUri },
      person: 'user@demo.example',
      scopes: ['spark:people_read'],
    });
    expect(tokens.token_type).toBe('Bearer');
  });
});
