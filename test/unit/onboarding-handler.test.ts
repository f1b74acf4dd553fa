import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigError } from '#commons/config.js';
import { loadKeeperEnvironment } from '#commons/environment.js';
import { MAX_QUERY_STRING_LENGTH } from '#commons/query-string.js';
import { hashOAuthState } from '#domain/oauth-state.js';
import type { OnboardingSettings } from '#domain/onboarding.js';
import { issueOnboardingLink } from '#domain/onboarding-link.js';
import { SECURITY_HEADERS, createPublicApiHandler, publicApiHeaders } from '#functions/public-api.app.js';
import { inMemoryPublicApiDependencies } from '#test-support/public-api-harness.js';
import { getEvent, lambdaContext, silentObservability, testTenant } from '#test-support/fixtures.js';
import { parseSetCookie } from '#test-support/cookie-jar.js';
import { asPortalFormPost } from '#test-support/portal-start.js';

function setup(settings: Partial<OnboardingSettings> = {}) {
  const deps = inMemoryPublicApiDependencies(settings);
  const { linkKeys } = deps;
  const handler = createPublicApiHandler(deps, silentObservability());
  const link = issueOnboardingLink({
    tenant: testTenant(),
    key: linkKeys.key,
    clock: deps.clock,
    publicBaseUrl: deps.settings.publicBaseUrl,
  });
  const get = async (
    pathAndQuery: string,
    cookies: readonly string[] = [],
  ): Promise<APIGatewayProxyStructuredResultV2 & { body: string }> => {
    const result = await handler(getEvent(pathAndQuery, cookies), lambdaContext());
    return { ...result, body: result.body ?? '' };
  };
  /** The portal's Authorize form, pressed: a POST from `origin` (null: no Origin), plus any `headers`. */
  const post = async (
    pathAndQuery: string,
    headers: Record<string, string> = {},
    origin: string | null = new URL(deps.settings.publicBaseUrl).origin,
  ): Promise<APIGatewayProxyStructuredResultV2 & { body: string }> => {
    const event = asPortalFormPost(getEvent(pathAndQuery), origin ?? undefined, headers);
    const result = await handler(event, lambdaContext());
    return { ...result, body: result.body ?? '' };
  };
  /** Starts an attempt; returns its state and the `name=value` of the cookie the start set. */
  const start = async (integration = 'presence') => {
    const answer = await post(`/oauth/start?link=${link.token}&integration=${integration}`);
    expect(answer.statusCode).toBe(302);
    const state = new URL(String(answer.headers?.Location)).searchParams.get('state') ?? '';
    expect(answer.cookies).toHaveLength(1);
    const setCookie = parseSetCookie(answer.cookies?.[0] ?? '');
    return { state, setCookie, cookie: `${setCookie.name}=${setCookie.value}` };
  };
  return { deps, link, get, post, start };
}

describe('public API handler', () => {
  it('serves the portal with every security header', async () => {
    const { deps, link, get } = setup();
    const answer = await get(`/connect/${link.token}`);
    expect(answer.statusCode).toBe(200);
    expect(answer.headers).toMatchObject({
      ...SECURITY_HEADERS,
      'Content-Security-Policy': publicApiHeaders(deps.settings)['Content-Security-Policy'],
      'Content-Type': 'text/html; charset=utf-8',
    });
    expect(answer.headers?.['Referrer-Policy']).toBe('same-origin');
    expect(answer.headers?.['X-Frame-Options']).toBe('DENY');
    expect(answer.headers?.['Cache-Control']).toBe('no-store');
    expect(answer.headers?.['Strict-Transport-Security']).toMatch(/max-age=\d+/);
    expect(answer.body).toContain('Authorize Webex integrations for Acme Corp');
  });

  it('shows the portal on a GET of the start URL, whatever the headers say: no state, no cookie, no redirect', async () => {
    const { deps, link } = setup();
    const handler = createPublicApiHandler(deps, silentObservability());
    for (const headers of [
      {},
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'none' },
      { 'sec-fetch-site': 'same-origin', origin: 'https://portal.test' },
    ]) {
      const event = getEvent(`/oauth/start?link=${link.token}&integration=presence`);
      Object.assign(event.headers, headers);
      const answer = await handler(event, lambdaContext());
      expect(answer.statusCode).toBe(200);
      expect(answer.body).toContain('Authorize Webex integrations for Acme Corp');
      expect(answer.headers?.Location).toBeUndefined();
      expect(answer.cookies ?? []).toEqual([]);
    }
    expect(deps.oauthStates.states.size).toBe(0);
  });

  it.each<[string, Record<string, string>, string | null]>([
    ['no fetch metadata and no Origin', {}, null],
    ['no fetch metadata and another Origin', {}, 'https://evil.example'],
    ['no fetch metadata and Origin null (a sandboxed frame)', {}, 'null'],
    ['no fetch metadata and an Origin of another scheme', {}, 'http://portal.test'],
    ['Sec-Fetch-Site cross-site', { 'sec-fetch-site': 'cross-site' }, 'https://evil.example'],
    [
      'Sec-Fetch-Site same-site, even with our Origin',
      { 'sec-fetch-site': 'same-site' },
      'https://portal.test',
    ],
    ['Sec-Fetch-Site none (typed, or opened from another app)', { 'sec-fetch-site': 'none' }, null],
  ])('refuses a POST start with %s: 403, nothing started, no cookie', async (_, headers, origin) => {
    const { deps, link, post } = setup();
    const answer = await post(`/oauth/start?link=${link.token}&integration=presence`, headers, origin);
    expect(answer.statusCode).toBe(403);
    expect(answer.body).toContain('data-reason="start_not_from_portal"');
    expect(answer.body).toContain('press Authorize there');
    expect(answer.headers?.Location).toBeUndefined();
    expect(answer.cookies ?? []).toEqual([]);
    expect(deps.oauthStates.states.size).toBe(0);
  });

  it('starts on a POST from the portal: by Origin without fetch metadata, or by Sec-Fetch-Site same-origin', async () => {
    const { deps, link, post } = setup();
    const url = `/oauth/start?link=${link.token}&integration=presence`;
    expect((await post(url)).statusCode).toBe(302);
    expect((await post(url, { 'sec-fetch-site': 'same-origin' }, null)).statusCode).toBe(302);
    expect(deps.oauthStates.states.size).toBe(2);
  });

  it('redirects the start to Webex, with the security headers too', async () => {
    const { deps, link, post } = setup();
    const answer = await post(`/oauth/start?link=${link.token}&integration=presence`);
    expect(answer.statusCode).toBe(302);
    expect(String(answer.headers?.Location)).toMatch(
      /^https:\/\/webexapis\.test\/v1\/authorize\?response_type=code&/,
    );
    expect(answer.headers?.['Referrer-Policy']).toBe('same-origin');
    expect(deps.oauthStates.states.size).toBe(1);
  });

  it("lets the pages' forms post only to the portal and follow the start's redirect to Webex", async () => {
    const { link, get } = setup();
    const policy = String((await get(`/connect/${link.token}`)).headers?.['Content-Security-Policy']);
    expect(policy).toContain('form-action https://portal.test https://webexapis.test;');
    expect(policy).toContain("default-src 'none'");
    expect(policy).not.toContain('script-src');
  });

  it('refuses a repeated parameter before anything is read or written', async () => {
    const { deps, link, post } = setup();
    const answer = await post(`/oauth/start?link=${link.token}&integration=presence&integration=cdr`);
    expect(answer.statusCode).toBe(400);
    expect(answer.body).toContain('data-reason="invalid_request"');
    expect(deps.oauthStates.states.size).toBe(0);
  });

  it('refuses an oversized query string or parameter', async () => {
    const { link, get } = setup();
    expect(
      (await get(`/oauth/start?link=${link.token}&x=${'a'.repeat(MAX_QUERY_STRING_LENGTH)}`)).statusCode,
    ).toBe(400);
    expect((await get(`/oauth/callback?state=${'A'.repeat(43)}&code=${'c'.repeat(3000)}`)).statusCode).toBe(
      400,
    );
    expect(
      (await get(`/oauth/callback?state=${'A'.repeat(43)}&error_description=${'d'.repeat(600)}`)).statusCode,
    ).toBe(400);
  });

  it('refuses a callback without state, or with a state we could not have issued', async () => {
    const { deps, get } = setup();
    expect((await get('/oauth/callback?code=abc')).statusCode).toBe(400);
    expect((await get('/oauth/callback?state=short&code=abc')).statusCode).toBe(400);
    expect(deps.webex.calls).toEqual([]);
  });

  it('answers 404 for unknown paths and methods', async () => {
    const { get } = setup();
    expect((await get('/nothing')).statusCode).toBe(404);
    expect((await get('/connect/a/b')).statusCode).toBe(404);
    expect((await get('/troubleshoot/NOT_A_KEY?link=x')).statusCode).toBe(400);
  });

  it('shows a page that reveals nothing when something unexpected fails', async () => {
    const { deps, link, get } = setup();
    deps.tenants.get = async () => {
      throw new Error('DynamoDB exploded at arn:aws:dynamodb:secret');
    };
    const answer = await get(`/connect/${link.token}`);
    expect(answer.statusCode).toBe(500);
    expect(answer.body).toContain('Something went wrong on our side');
    expect(answer.body).not.toContain('arn:aws');
    expect(answer.headers?.['Content-Security-Policy']).toBe(
      publicApiHeaders(deps.settings)['Content-Security-Policy'],
    );
  });
});

describe('binding the OAuth attempt to the browser that started it', () => {
  it("sets a __Host- cookie on the start: the hash of state and tenant, then the tenant's id, HttpOnly, SameSite=Lax, Path=/, Secure, ten minutes", async () => {
    const { start } = setup();
    const { state, setCookie } = await start();
    const tenantId = testTenant().tenantId;
    expect(setCookie).toEqual({
      name: `__Host-wak_oauth_${hashOAuthState(state).slice(0, 16)}`,
      value: `${hashOAuthState(`${state}.${tenantId}`)}.${tenantId}`,
      attributes: { path: '/', 'max-age': '600', httponly: true, samesite: 'Lax', secure: true },
    });
  });

  it('on plain http (the local run) sets it without prefix or Secure, for the callback path only', async () => {
    const { start } = setup({ publicBaseUrl: 'http://127.0.0.1:8787' });
    const { state, setCookie } = await start();
    expect(setCookie).toEqual({
      name: `wak_oauth_${hashOAuthState(state).slice(0, 16)}`,
      value: `${hashOAuthState(`${state}.${testTenant().tenantId}`)}.${testTenant().tenantId}`,
      attributes: { path: '/oauth/callback', 'max-age': '600', httponly: true, samesite: 'Lax' },
    });
  });

  it('refuses a callback without the cookie before the state or Webex is touched; the right browser then completes it', async () => {
    const { deps, get, start } = setup();
    const { state, cookie, setCookie } = await start();
    const refused = await get(`/oauth/callback?state=${state}&code=abc`);
    expect(refused.statusCode).toBe(403);
    expect(refused.body).toContain('data-reason="browser_mismatch"');
    expect(refused.body).toContain('Start this authorization from your own browser');
    expect(refused.body).not.toContain('id="retry"');
    expect(refused.cookies).toBeUndefined();
    expect(deps.webex.calls).toEqual([]);
    expect(deps.oauthStates.states.size).toBe(1);
    expect([deps.history.events, deps.events.published, deps.vault.writes]).toEqual([[], [], 0]);

    const completed = await get(`/oauth/callback?state=${state}&code=abc`, [cookie]);
    expect(completed.statusCode).toBe(200);
    expect(completed.body).toContain('is authorized');
    // The same cookie (name and path), expired: the browser drops it.
    expect(completed.cookies?.map(parseSetCookie)).toEqual([
      { ...setCookie, value: '', attributes: { ...setCookie.attributes, 'max-age': '0' } },
    ]);
  });

  it('tells a reload of a completed callback, which has no cookie left, that it was already used, changing nothing', async () => {
    const { deps, get, start } = setup();
    const { state, cookie } = await start();
    expect((await get(`/oauth/callback?state=${state}&code=abc`, [cookie])).statusCode).toBe(200);
    const calls = deps.webex.calls.length;
    const before = [deps.history.events.length, deps.events.published.length, deps.vault.writes];
    // The answer dropped the cookie, so the reload comes without it.
    const reloaded = await get(`/oauth/callback?state=${state}&code=abc`);
    expect([reloaded.statusCode, reloaded.body]).toEqual([
      400,
      expect.stringContaining('data-reason="state_unknown"'),
    ]);
    expect(reloaded.body).toContain('This authorization was already used');
    expect(reloaded.body).toContain('Nothing new was changed');
    expect(reloaded.body).not.toContain('another browser');
    expect(reloaded.cookies).toBeUndefined();
    expect(deps.webex.calls).toHaveLength(calls);
    expect([deps.history.events.length, deps.events.published.length, deps.vault.writes]).toEqual(before);
  });

  it('refuses a callback without the cookie whose state we never issued as unknown, touching nothing', async () => {
    const { deps, get, start } = setup();
    await start();
    const refused = await get(`/oauth/callback?state=${'Q'.repeat(43)}&code=abc`);
    expect([refused.statusCode, refused.body]).toEqual([
      400,
      expect.stringContaining('data-reason="state_unknown"'),
    ]);
    expect(deps.webex.calls).toEqual([]);
    expect(deps.oauthStates.states.size).toBe(1);
  });

  it("refuses another state's cookie, a tampered value and a right value under another name", async () => {
    const { deps, get, start } = setup();
    const first = await start('presence');
    const second = await start('cdr');
    const tenantId = testTenant().tenantId;
    const [hash = ''] = first.setCookie.value.split('.');
    const tampered = `${first.setCookie.name}=${hash.startsWith('0') ? '1' : '0'}${hash.slice(1)}.${tenantId}`;
    for (const cookies of [
      [second.cookie],
      [tampered],
      [`${second.setCookie.name}=${first.setCookie.value}`],
      [`${first.setCookie.name}=${hash}x.${tenantId}`],
      [`${first.setCookie.name}=.${hash}`],
      // The tenant's id is covered by the hash: another one after it, or none, fails.
      [`${first.setCookie.name}=${hash}.another-tenant`],
      [`${first.setCookie.name}=${hash}`],
      // The bare hash of the state (the value before it named the tenant) binds nothing either.
      [`${first.setCookie.name}=${hashOAuthState(first.state)}.${tenantId}`],
      [first.setCookie.name],
    ]) {
      const answer = await get(`/oauth/callback?state=${first.state}&code=abc`, cookies);
      expect([answer.statusCode, answer.body], cookies.join()).toEqual([
        403,
        expect.stringContaining('data-reason="browser_mismatch"'),
      ]);
    }
    expect(deps.webex.calls).toEqual([]);
    expect(deps.oauthStates.states.size).toBe(2);
    // Among other cookies, and next to a stray one of the same name, the right one still counts.
    const answer = await get(`/oauth/callback?state=${first.state}&code=abc`, [
      'theme=dark',
      tampered,
      first.cookie,
    ]);
    expect(answer.statusCode).toBe(200);
  });

  it('refuses a denial without the cookie: no history, no event, no alert', async () => {
    const { deps, get, start } = setup();
    const { state, cookie } = await start('sso');
    const refused = await get(`/oauth/callback?state=${state}&error=access_denied`);
    expect([refused.statusCode, refused.body]).toEqual([
      403,
      expect.stringContaining('data-reason="browser_mismatch"'),
    ]);
    expect([deps.history.events, deps.events.published]).toEqual([[], []]);
    expect(deps.oauthStates.states.size).toBe(1);

    const denied = await get(`/oauth/callback?state=${state}&error=access_denied`, [cookie]);
    expect(denied.statusCode).toBe(200);
    expect(deps.history.events.map((event) => event.type)).toEqual(['denied']);
    expect(parseSetCookie(denied.cookies?.[0] ?? '').attributes['max-age']).toBe('0');
  });

  it('clears the cookie when a callback past the check is refused', async () => {
    const { deps, get, start } = setup();
    const { state, cookie, setCookie } = await start();
    deps.clock.advance(11 * 60);
    const expired = await get(`/oauth/callback?state=${state}&code=abc`, [cookie]);
    expect([expired.statusCode, expired.body]).toEqual([
      400,
      expect.stringContaining('data-reason="state_expired"'),
    ]);
    expect(expired.cookies?.map(parseSetCookie)).toEqual([
      { ...setCookie, value: '', attributes: { ...setCookie.attributes, 'max-age': '0' } },
    ]);
  });
});

describe('loadKeeperEnvironment', () => {
  const env = {
    TABLE_NAME: 't',
    KMS_KEY_ID: 'k',
    CLIENT_SECRETS_SECRET_ID: 'c',
    LINK_SIGNING_SECRET_ID: 'l',
    EVENT_BUS_NAME: 'b',
    ALERT_TOPIC_ARN: 'arn:aws:sns:us-east-1:1:t',
    WEBEX_API_BASE_URL: 'https://webexapis.com/',
    PUBLIC_BASE_URL: 'https://auth.example.com',
  };

  it('applies the documented defaults', () => {
    expect(loadKeeperEnvironment(env)).toMatchObject({
      WEBEX_API_BASE_URL: 'https://webexapis.com',
      PASSWORD_MAX_AGE_DAYS: 1825,
      LINK_TTL_DAYS: 14,
    });
  });

  it('names every missing variable', () => {
    expect(() => loadKeeperEnvironment({ ...env, TABLE_NAME: undefined, KMS_KEY_ID: undefined })).toThrow(
      ConfigError,
    );
    expect(() => loadKeeperEnvironment({ ...env, TABLE_NAME: undefined })).toThrow(/TABLE_NAME is not set/);
  });
});

describe('the Lambda entry point', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  it('builds its handler from the environment at load, without calling AWS', async () => {
    for (const [name, value] of Object.entries({
      TABLE_NAME: 'table',
      KMS_KEY_ID: 'arn:aws:kms:us-east-1:123456789012:key/k',
      CLIENT_SECRETS_SECRET_ID: 'client-secrets',
      LINK_SIGNING_SECRET_ID: 'link-key',
      EVENT_BUS_NAME: 'bus',
      ALERT_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:alerts',
      WEBEX_API_BASE_URL: 'https://webexapis.com',
      PUBLIC_BASE_URL: 'https://auth.example.com',
      AWS_REGION: 'us-east-1',
    })) {
      vi.stubEnv(name, value);
    }
    const entry = await import('#functions/public-api.handler.js');
    expect(typeof entry.handler).toBe('function');
  });

  it('fails at load, naming the variable, when the environment is incomplete', async () => {
    vi.stubEnv('TABLE_NAME', '');
    // A fresh module graph has its own ConfigError class: match on the name and the message.
    await expect(import('#functions/public-api.handler.js')).rejects.toMatchObject({
      name: 'ConfigError',
      message: expect.stringMatching(/TABLE_NAME is invalid.*KMS_KEY_ID is not set/),
    });
  });
});
