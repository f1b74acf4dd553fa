import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  authorizeUrl,
  DEAD_REFRESH_TOKEN_TEXT,
  newPkcePair,
  obtainTokens,
  readConsentForm,
  startWebexSimulator,
  submitConsent,
  type TokenResponse,
  type WebexSimulator,
} from '#local/webex-simulator/index.js';

const integration = {
  clientId: 'C0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9',
  clientSecret: 'secret-of-the-test-integration',
  name: 'Users sync <test>',
  redirectUris: ['http://127.0.0.1:9/oauth/callback'],
};
const redirectUri = 'http://127.0.0.1:9/oauth/callback';
const scopes = ['spark:people_read', 'spark-admin:people_read'];

let sim: WebexSimulator;

beforeAll(async () => {
  sim = await startWebexSimulator({ port: 0, integrations: [integration] });
});
afterAll(async () => {
  await sim.close();
});
beforeEach(async () => {
  await fetch(`${sim.url}/_sim/reset`, { method: 'POST' });
});

function consentUrl(overrides: Record<string, string> = {}): { url: string; verifier: string } {
  const pkce = newPkcePair();
  const url = new URL(
    authorizeUrl(sim.url, {
      clientId: integration.clientId,
      redirectUri,
      scopes,
      state: 'state-123',
      codeChallenge: pkce.challenge,
    }),
  );
  for (const [key, value] of Object.entries(overrides)) url.searchParams.set(key, value);
  return { url: url.toString(), verifier: pkce.verifier };
}

async function acceptAs(person: string, url: string): Promise<string> {
  const answer = await submitConsent(url, { person, decision: 'accept' });
  expect(answer.status).toBe(302);
  const location = new URL(answer.headers.get('location') ?? '');
  expect(`${location.origin}${location.pathname}`).toBe(redirectUri);
  expect(location.searchParams.get('state')).toBe('state-123');
  return location.searchParams.get('code') ?? '';
}

async function tokenCall(fields: Record<string, string>, headers: Record<string, string> = {}) {
  const response = await fetch(`${sim.url}/v1/access_token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields),
  });
  return { response, body: (await response.json()) as Record<string, unknown> };
}

function codeGrant(code: string, verifier: string, extra: Record<string, string> = {}) {
  return tokenCall({
    grant_type: 'authorization_code',
    client_id: integration.clientId,
    client_secret: integration.clientSecret,
    code,
    redirect_uri: redirectUri,
    code_verifier: verifier,
    ...extra,
  });
}

function refreshGrant(refreshToken: string) {
  return tokenCall({
    grant_type: 'refresh_token',
    client_id: integration.clientId,
    client_secret: integration.clientSecret,
    refresh_token: refreshToken,
  });
}

function expectOAuthError(body: Record<string, unknown>, error: string): void {
  expect(body).toMatchObject({ error, error_description: expect.any(String), message: expect.any(String) });
  expect(body.errors).toEqual([{ description: body.error_description }]);
  expect(body.trackingId).toMatch(/^ROUTER_[0-9a-f-]{36}$/);
}

describe('consent page', () => {
  it('keeps its contract: one form, a person field, accept and deny, everything else hidden', async () => {
    const { url } = consentUrl();
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await response.text();

    expect(html.match(/<form\b/g)).toHaveLength(1);
    expect(html).toContain('<form method="post" action="/v1/authorize">');
    expect(html).toMatch(/<select[^>]*name="person"/);
    expect(html).toContain('<button type="submit" name="decision" value="accept">Accept</button>');
    expect(html).toContain('<button type="submit" name="decision" value="deny">Deny</button>');
    const form = readConsentForm(html);
    expect(Object.keys(form.hidden).sort()).toEqual(
      ['client_id', 'code_challenge', 'code_challenge_method', 'redirect_uri', 'scope', 'state'].sort(),
    );
    expect(form.people).toEqual(['admin@demo.example', 'sso-admin@demo.example', 'user@demo.example']);
    // The integration's name and scopes are shown, escaped.
    expect(html).toContain('Users sync &lt;test&gt;');
    expect(html).not.toContain('<test>');
    for (const scope of scopes) expect(html).toContain(scope);
  });

  it('escapes what it echoes, so a hostile state cannot inject markup', async () => {
    const { url } = consentUrl({ state: '"><script>alert(1)</script>' });
    const html = await (await fetch(url)).text();
    expect(html).not.toContain('<script>');
    expect(readConsentForm(html).hidden.state).toBe('"><script>alert(1)</script>');
  });

  it('lists people added through the control API', async () => {
    const { orgId } = (await (
      await fetch(`${sim.url}/_sim/orgs`, { method: 'POST', body: JSON.stringify({ name: 'Acme' }) })
    ).json()) as { orgId: string };
    await fetch(`${sim.url}/_sim/people`, {
      method: 'POST',
      body: JSON.stringify({ email: 'boss@acme.example', orgId, fullAdmin: true }),
    });
    const html = await (await fetch(consentUrl().url)).text();
    expect(readConsentForm(html).people).toContain('boss@acme.example');
  });

  it.each([
    ['an unknown client_id', { client_id: 'Cunknown' }],
    ['an unregistered redirect_uri', { redirect_uri: 'http://127.0.0.1:9/elsewhere' }],
    ['a redirect_uri that only starts like a registered one', { redirect_uri: `${redirectUri}/x` }],
  ])('answers %s with a 400 page, never a redirect', async (_case, overrides) => {
    const response = await fetch(consentUrl(overrides).url, { redirect: 'manual' });
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
    expect(await response.text()).not.toContain('<form');
  });

  it.each([
    ['no PKCE challenge', { code_challenge: '' }],
    ['an unknown challenge method', { code_challenge_method: 'S512' }],
    ['a response_type other than code', { response_type: 'token' }],
  ])('refuses %s', async (_case, overrides) => {
    const response = await fetch(consentUrl(overrides).url, { redirect: 'manual' });
    expect(response.status).toBe(400);
  });

  it('redirects a denial back with error=access_denied and the state', async () => {
    const answer = await submitConsent(consentUrl().url, { person: 'admin@demo.example', decision: 'deny' });
    expect(answer.status).toBe(302);
    const location = new URL(answer.headers.get('location') ?? '');
    expect(location.searchParams.get('error')).toBe('access_denied');
    expect(location.searchParams.get('error_description')).toBeTruthy();
    expect(location.searchParams.get('state')).toBe('state-123');
    expect(location.searchParams.get('code')).toBeNull();
  });

  it('shows the page again with an error for an unknown person', async () => {
    const answer = await submitConsent(consentUrl().url, {
      person: 'nobody@demo.example',
      decision: 'accept',
    });
    expect(answer.status).toBe(400);
    const html = await answer.text();
    expect(html).toContain('nobody@demo.example');
    expect(html).toMatch(/role="alert"/);
    expect(readConsentForm(html).hidden.client_id).toBe(integration.clientId);
  });

  it('re-checks the hidden fields on the POST', async () => {
    const page = readConsentForm(await (await fetch(consentUrl().url)).text());
    const answer = await fetch(`${sim.url}/v1/authorize`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        ...page.hidden,
        redirect_uri: 'http://evil.example/cb',
        person: 'admin@demo.example',
        decision: 'accept',
      }),
      redirect: 'manual',
    });
    expect(answer.status).toBe(400);
    expect(answer.headers.get('location')).toBeNull();
  });
});

describe('authorization code grant with PKCE', () => {
  it('issues Webex-shaped tokens for a good code, verifier and redirect_uri', async () => {
    const { url, verifier } = consentUrl();
    const code = await acceptAs('admin@demo.example', url);
    const { response, body } = await codeGrant(code, verifier);
    expect(response.status).toBe(200);
    expect(response.headers.get('trackingid')).toMatch(/^ROUTER_/);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(body).toEqual({
      access_token: expect.stringMatching(/^[\w-]{64}_P0A1_[0-9a-f-]{36}$/),
      expires_in: 1209599,
      refresh_token: expect.stringMatching(/^[\w-]{64}_P0A1_[0-9a-f-]{36}$/),
      refresh_token_expires_in: 7775999,
      token_type: 'Bearer',
      scope: scopes.join(' '),
    });
    const me = await fetch(`${sim.url}/v1/people/me`, {
      headers: { Authorization: `Bearer ${String(body.access_token)}` },
    });
    expect(me.status).toBe(200);
    expect(((await me.json()) as { emails: string[] }).emails).toEqual(['admin@demo.example']);
  });

  it('accepts client credentials through HTTP Basic', async () => {
    const { url, verifier } = consentUrl();
    const code = await acceptAs('admin@demo.example', url);
    const basic = Buffer.from(`${integration.clientId}:${integration.clientSecret}`).toString('base64');
    const { response } = await tokenCall(
      { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier },
      { Authorization: `Basic ${basic}` },
    );
    expect(response.status).toBe(200);
  });

  it('supports the plain challenge method', async () => {
    const verifier = newPkcePair().verifier;
    const { url } = consentUrl({ code_challenge: verifier, code_challenge_method: 'plain' });
    const code = await acceptAs('admin@demo.example', url);
    expect((await codeGrant(code, verifier)).response.status).toBe(200);
  });

  it('refuses a wrong code_verifier', async () => {
    const { url } = consentUrl();
    const code = await acceptAs('admin@demo.example', url);
    const { response, body } = await codeGrant(code, newPkcePair().verifier);
    expect(response.status).toBe(400);
    expectOAuthError(body, 'invalid_grant');
  });

  it('refuses a redirect_uri other than the one of the authorization request', async () => {
    const { url, verifier } = consentUrl();
    const code = await acceptAs('admin@demo.example', url);
    const { response, body } = await codeGrant(code, verifier, { redirect_uri: `${redirectUri}?x=1` });
    expect(response.status).toBe(400);
    expectOAuthError(body, 'invalid_grant');
  });

  it('refuses a code used twice', async () => {
    const { url, verifier } = consentUrl();
    const code = await acceptAs('admin@demo.example', url);
    expect((await codeGrant(code, verifier)).response.status).toBe(200);
    const { response, body } = await codeGrant(code, verifier);
    expect(response.status).toBe(400);
    expectOAuthError(body, 'invalid_grant');
  });

  it('refuses a code older than 60 seconds', async () => {
    const { url, verifier } = consentUrl();
    const code = await acceptAs('admin@demo.example', url);
    await fetch(`${sim.url}/_sim/clock/advance`, { method: 'POST', body: JSON.stringify({ seconds: 61 }) });
    const { response, body } = await codeGrant(code, verifier);
    expect(response.status).toBe(400);
    expectOAuthError(body, 'invalid_grant');
  });

  it('answers 401 invalid_client to a wrong client secret', async () => {
    const { url, verifier } = consentUrl();
    const code = await acceptAs('admin@demo.example', url);
    const { response, body } = await codeGrant(code, verifier, { client_secret: 'wrong' });
    expect(response.status).toBe(401);
    expectOAuthError(body, 'invalid_client');
  });

  it('answers 400 to a missing parameter and to an unknown grant type', async () => {
    const missing = await codeGrant('some-code', newPkcePair().verifier, { redirect_uri: '' });
    expect(missing.response.status).toBe(400);
    expectOAuthError(missing.body, 'invalid_request');
    const unknown = await tokenCall({
      grant_type: 'password',
      client_id: integration.clientId,
      client_secret: integration.clientSecret,
    });
    expect(unknown.response.status).toBe(400);
    expectOAuthError(unknown.body, 'unsupported_grant_type');
  });
});

describe('refresh token grant', () => {
  const flow = () =>
    obtainTokens(sim.url, {
      integration: { ...integration, redirectUri },
      person: 'admin@demo.example',
      scopes,
    });

  it('issues a new access token and keeps the same refresh token, with its expiry pushed out', async () => {
    const first: TokenResponse = await flow();
    await fetch(`${sim.url}/_sim/clock/advance`, {
      method: 'POST',
      body: JSON.stringify({ seconds: 86_400 }),
    });
    const { response, body } = await refreshGrant(first.refresh_token);
    expect(response.status).toBe(200);
    expect(body.refresh_token).toBe(first.refresh_token);
    expect(body.access_token).not.toBe(first.access_token);
    expect(body.refresh_token_expires_in).toBe(7775999);
    const me = await fetch(`${sim.url}/v1/people/me`, {
      headers: { Authorization: `Bearer ${String(body.access_token)}` },
    });
    expect(me.status).toBe(200);
  });

  it('takes lifetimes from the settings', async () => {
    await fetch(`${sim.url}/_sim/settings`, {
      method: 'POST',
      body: JSON.stringify({ accessTokenLifetimeSeconds: 3600, refreshTokenLifetimeSeconds: 7200 }),
    });
    const tokens = await flow();
    expect(tokens.expires_in).toBe(3600);
    expect(tokens.refresh_token_expires_in).toBe(7200);
  });

  it("refuses a refresh token past its expiry with 400 and Webex's text", async () => {
    const tokens = await flow();
    await fetch(`${sim.url}/_sim/clock/advance`, {
      method: 'POST',
      body: JSON.stringify({ seconds: 7_776_000 }),
    });
    const { response, body } = await refreshGrant(tokens.refresh_token);
    expect(response.status).toBe(400);
    expectOAuthError(body, 'invalid_request');
    expect(body.error_description).toBe(DEAD_REFRESH_TOKEN_TEXT);
    expect(body.message).toBe(DEAD_REFRESH_TOKEN_TEXT);
  });

  it('refuses a refresh token presented by another client', async () => {
    const tokens = await flow();
    await fetch(`${sim.url}/_sim/integrations`, {
      method: 'POST',
      body: JSON.stringify({
        clientId: 'Cother',
        clientSecret: 'other-secret',
        name: 'Other',
        redirectUris: [redirectUri],
      }),
    });
    const { response, body } = await tokenCall({
      grant_type: 'refresh_token',
      client_id: 'Cother',
      client_secret: 'other-secret',
      refresh_token: tokens.refresh_token,
    });
    expect(response.status).toBe(400);
    expect(body.error_description).toBe(DEAD_REFRESH_TOKEN_TEXT);
  });

  it('refuses an unknown refresh token', async () => {
    const { response, body } = await refreshGrant('not-a-token');
    expect(response.status).toBe(400);
    expect(body.error).toBe('invalid_request');
  });
});
