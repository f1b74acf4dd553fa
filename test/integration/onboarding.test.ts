import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createRepositories } from '#adapters/dynamodb/index.js';
import { HttpWebexClient } from '#adapters/webex-client.js';
import { browserBindingCookieName, browserBindingValue } from '#commons/oauth-browser-binding.js';
import { parseCatalog, type Catalog } from '#domain/catalog.js';
import { defaultCatalog } from '#adapters/catalog-file.js';
import { issueOnboardingLink } from '#domain/onboarding-link.js';
import { createPublicApiHandler, type PublicApiDependencies } from '#functions/public-api.app.js';
import { startWebexSimulator, submitConsent, type WebexSimulator } from '#local/webex-simulator/index.js';
import { CookieJar, parseSetCookie } from '#test-support/cookie-jar.js';
import { createTestTable, type TestTable } from '#test-support/dynamodb.js';
import { asPortalFormPost } from '#test-support/portal-start.js';
import {
  ManualClock,
  MemoryTokenVault,
  RecordingPublisher,
  clientSecretsFrom,
  fixedLinkKeys,
  testClientSecrets,
} from '#test-support/fakes/index.js';
import {
  getEvent,
  lambdaContext,
  silentObservability,
  testSettings,
  testTenant,
} from '#test-support/fixtures.js';

const PUBLIC_BASE_URL = 'http://portal.test';
const catalog = defaultCatalog();
const clientSecrets = testClientSecrets(catalog);
const integrationIdOf = (key: string) => catalog.find(key)?.integrationId ?? '';

interface Answer {
  statusCode: number;
  headers: Record<string, string>;
  /** The Set-Cookie values (API Gateway's `cookies`). */
  cookies: string[];
  body: string;
}

/**
 * The cookie an attacker can make for any state they hold: name and value derive from it and a
 * tenant's id, which onboarding links carry in the clear.
 */
const craftedCookie = (state: string) =>
  `${browserBindingCookieName(state, PUBLIC_BASE_URL)}=${browserBindingValue(state, 'some-tenant')}`;

describe('onboarding against DynamoDB Local and the Webex simulator', () => {
  let table: TestTable;
  let simulator: WebexSimulator;
  let demoOrgId: string;

  beforeAll(async () => {
    table = await createTestTable('onboarding');
    simulator = await startWebexSimulator({
      port: 0,
      accessTokenLifetimeSeconds: 3600,
      refreshTokenLifetimeSeconds: 86_400,
      integrations: catalog.integrations.map((integration) => ({
        clientId: integration.integrationId,
        clientSecret: clientSecrets[integration.key] ?? '',
        name: integration.name,
        redirectUris: [`${PUBLIC_BASE_URL}/oauth/callback`],
      })),
    });
    const orgs = (await (await fetch(`${simulator.url}/_sim/orgs`)).json()) as Array<{
      id: string;
      name: string;
    }>;
    demoOrgId = orgs[0]?.id ?? '';
  });

  afterAll(async () => {
    await simulator?.close();
    await table?.drop();
  });

  beforeEach(async () => {
    await fetch(`${simulator.url}/_sim/reset`, { method: 'POST' });
  });

  /** A fresh tenant with its own ports, handler and link: tests do not share state. */
  async function setup(
    tenantOverrides: Partial<Parameters<typeof testTenant>[0]> = {},
    options: { catalog?: Catalog } = {},
  ) {
    const tenant = testTenant({
      tenantId: `t-${Math.random().toString(36).slice(2, 10)}`,
      ...tenantOverrides,
    });
    const repositories = createRepositories(table.client, table.tableName);
    await repositories.tenants.create(tenant);
    const linkKeys = fixedLinkKeys();
    const clock = new ManualClock(new Date());
    const deps = {
      ...repositories,
      vault: new MemoryTokenVault(),
      webex: new HttpWebexClient({ baseUrl: simulator.url, timeoutMs: 1000 }),
      events: new RecordingPublisher(),
      clientSecrets: clientSecretsFrom(clientSecrets),
      linkKeys,
      catalog: options.catalog ?? catalog,
      clock,
      settings: testSettings({ publicBaseUrl: PUBLIC_BASE_URL, webexApiBaseUrl: simulator.url }),
    } satisfies PublicApiDependencies;
    const handler = createPublicApiHandler(deps, silentObservability());
    const link = issueOnboardingLink({ tenant, key: linkKeys.key, clock, publicBaseUrl: PUBLIC_BASE_URL });

    /** A request with exactly these cookies (`name=value` each), as any client may send it. */
    /** A GET, or with `post` the portal's form pressed: a POST from the portal's origin. */
    const call = async (
      pathAndQuery: string,
      cookies: readonly string[] = [],
      method: 'GET' | 'POST' = 'GET',
    ): Promise<Answer> => {
      const event = getEvent(pathAndQuery, cookies);
      const sent = method === 'POST' ? asPortalFormPost(event, new URL(PUBLIC_BASE_URL).origin) : event;
      const result = await handler(sent, lambdaContext());
      return {
        statusCode: result.statusCode ?? 0,
        headers: Object.fromEntries(
          Object.entries(result.headers ?? {}).map(([name, value]) => [name, String(value)]),
        ),
        cookies: result.cookies ?? [],
        body: result.body ?? '',
      };
    };

    /** The admin's browser: it keeps what the portal sets and sends it back, as a real one does. */
    const browser = new CookieJar();

    /** A request from a browser (the admin's by default), which keeps the cookies of the answer. */
    const get = async (
      pathAndQuery: string,
      from: CookieJar = browser,
      method: 'GET' | 'POST' = 'GET',
    ): Promise<Answer> => {
      const answer = await call(pathAndQuery, from.cookiesFor(pathAndQuery.split('?')[0] ?? '/'), method);
      from.store(answer.cookies);
      return answer;
    };

    /** Presses the portal's Authorize in a browser and returns Webex's authorize URL the start redirects to. */
    const start = async (integration: string, from: CookieJar = browser) => {
      const answer = await get(`/oauth/start?link=${link.token}&integration=${integration}`, from, 'POST');
      expect(answer.statusCode).toBe(302);
      return answer.headers.Location ?? '';
    };

    /** Answers the simulator's consent page and returns the callback query Webex sends back. */
    const consent = async (authorizeUrl: string, person: string, decision: 'accept' | 'deny' = 'accept') => {
      const response = await submitConsent(authorizeUrl, { person, decision });
      expect(response.status).toBe(302);
      const location = new URL(response.headers.get('location') ?? '');
      expect(`${location.origin}${location.pathname}`).toBe(`${PUBLIC_BASE_URL}/oauth/callback`);
      return location.search.slice(1);
    };

    /** Everything a refused callback must leave untouched (OAuth states aside: they are spent). */
    const snapshot = async () => {
      const { Items = [] } = await table.documentClient.send(new ScanCommand({ TableName: table.tableName }));
      return {
        items: Items.filter((item) => String(item.pk).startsWith(`TENANT#${tenant.tenantId}`)),
        seals: deps.vault.writes,
        published: deps.events.published.length,
      };
    };

    const stateCount = async () => {
      const { Items = [] } = await table.documentClient.send(new ScanCommand({ TableName: table.tableName }));
      return Items.filter((item) => String(item.pk).startsWith('STATE#')).length;
    };

    return {
      tenant,
      deps,
      link,
      clock,
      browser,
      call,
      get,
      start,
      consent,
      snapshot,
      stateCount,
      repositories,
    };
  }

  it('onboards an integration end to end: portal, start, consent, callback, stored, published, portal active', async () => {
    const { tenant, deps, link, get, start, consent, repositories } = await setup();

    const portalBefore = await get(`/connect/${link.token}`);
    expect(portalBefore.statusCode).toBe(200);
    expect(portalBefore.body).toMatch(/data-integration="presence"\s+data-state="not_authorized"/);

    const authorizeUrl = await start('presence');
    const webexAuthorize = new URL(authorizeUrl);
    expect(webexAuthorize.searchParams.get('client_id')).toBe(integrationIdOf('presence'));
    expect(webexAuthorize.searchParams.get('code_challenge_method')).toBe('S256');
    const callback = await consent(authorizeUrl, 'admin@demo.example');
    const success = await get(`/oauth/callback?${callback}`);

    expect(success.statusCode).toBe(200);
    expect(success.body).toContain('is authorized');
    expect(success.body).toContain('admin@demo.example');
    expect(success.body).toContain('data-warning="password_expiry"');
    expect(success.body).toContain('data-warning="presence_sharing"');

    const record = await repositories.authorizations.get(tenant.tenantId, 'presence');
    expect(record).toMatchObject({
      status: 'active',
      // The save with the event, then the outbox marker cleared after publishing.
      version: 2,
      consecutiveFailures: 0,
      warningsSent: [],
      authorizer: { email: 'admin@demo.example', orgId: demoOrgId, fullAdmin: true },
    });
    // The simulator was started with 1 h / 1 day lifetimes: the record follows the answer.
    const granted = Date.parse(record?.grantedAt ?? '');
    expect(Date.parse(record?.accessTokenExpiresAt ?? '') - granted).toBe(3600 * 1000);
    expect(Date.parse(record?.refreshTokenExpiresAt ?? '') - granted).toBe(86_400 * 1000);
    expect(record?.nextCheckAt).toBeDefined();
    expect(record?.pendingEvent).toBeUndefined();

    // The tokens are on the record, sealed: they open, and the item shows neither of them.
    const material = await deps.vault.tokensOf(record);
    expect(material.accessToken).toBeTruthy();
    expect(JSON.stringify(record)).not.toContain(material.accessToken);
    expect(JSON.stringify(record)).not.toContain(material.refreshToken);

    // The tenant had no org: this first consent bound it, which ops are told of first.
    expect(deps.events.published.map(({ event }) => event.type)).toEqual(['org_bound', 'granted']);
    const history = await repositories.history.list(tenant.tenantId, { limit: 10 });
    expect(history.items.map((event) => event.type).sort()).toEqual(['granted', 'org_bound']);
    expect((await repositories.tenants.get(tenant.tenantId))?.orgId).toBe(demoOrgId);

    const portalAfter = await get(`/connect/${link.token}`);
    expect(portalAfter.body).toMatch(/data-integration="presence"\s+data-state="active"/);
    expect(portalAfter.body).toContain('Authorized by');
    expect(portalAfter.body).toContain('admin@demo.example');
  });

  it('publishes restored when an invalid authorization is authorized again', async () => {
    const { tenant, deps, start, consent, get, repositories } = await setup();
    await get(`/oauth/callback?${await consent(await start('cdr'), 'admin@demo.example')}`);
    const first = await repositories.authorizations.get(tenant.tenantId, 'cdr');
    if (!first) throw new Error('not stored');
    await repositories.authorizations.save(
      { ...first, status: 'invalid', cause: 'password_changed_or_revoked' },
      first.version,
    );
    const again = await get(`/oauth/callback?${await consent(await start('cdr'), 'sso-admin@demo.example')}`);
    expect(again.body).toContain('working again');
    expect(deps.events.published.map(({ event }) => event.type)).toEqual([
      'org_bound',
      'granted',
      'restored',
    ]);
    expect(await repositories.authorizations.get(tenant.tenantId, 'cdr')).toMatchObject({
      status: 'active',
      version: 5,
      authorizer: { email: 'sso-admin@demo.example' },
    });
  });

  it('records a denial and shows the troubleshooting page', async () => {
    const { tenant, deps, start, consent, get, repositories } = await setup();
    const page = await get(
      `/oauth/callback?${await consent(await start('sso'), 'admin@demo.example', 'deny')}`,
    );
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(`value="${integrationIdOf('sso')}"`);
    expect(page.body).toContain('access was denied');
    expect(deps.events.published.map(({ event }) => [event.type, event.severity])).toEqual([
      ['denied', 'warning'],
    ]);
    const history = await repositories.history.list(tenant.tenantId, { limit: 10 });
    expect(history.items.map((event) => event.type)).toEqual(['denied']);
    expect(await repositories.authorizations.get(tenant.tenantId, 'sso')).toBeUndefined();
    expect(deps.vault.writes).toBe(0);
  });

  it('follows a blocked integration through Webex "Access denied" and back to the troubleshooting page', async () => {
    const { start, get } = await setup();
    const clientId = integrationIdOf('call-control');
    const blocked = await fetch(`${simulator.url}/_sim/orgs/${demoOrgId}/integrations/${clientId}/block`, {
      method: 'POST',
    });
    expect(blocked.status).toBe(200);
    const answer = await submitConsent(await start('call-control'), {
      person: 'admin@demo.example',
      decision: 'accept',
    });
    const deniedPage = await answer.text();
    expect(deniedPage).toContain('Access denied');
    const back = /<a href="([^"]+)">Return to the application<\/a>/
      .exec(deniedPage)?.[1]
      ?.replaceAll('&amp;', '&');
    const page = await get(`/oauth/callback?${new URL(back ?? '').search.slice(1)}`);
    expect(page.body).toContain(`value="${clientId}"`);
    expect(page.body).toContain('admin.webex.com');
  });

  describe('binds each attempt to the browser that started it', () => {
    it("sets the binding cookie on the start (the hash of state and tenant, then the tenant's id): HttpOnly, SameSite=Lax, the callback path, ten minutes, not Secure on http", async () => {
      const { get, link, tenant } = await setup();
      const answer = await get(`/oauth/start?link=${link.token}&integration=presence`, undefined, 'POST');
      const state = new URL(answer.headers.Location ?? '').searchParams.get('state') ?? '';
      expect(answer.cookies.map(parseSetCookie)).toEqual([
        {
          name: browserBindingCookieName(state, PUBLIC_BASE_URL),
          value: browserBindingValue(state, tenant.tenantId),
          attributes: { path: '/oauth/callback', 'max-age': '600', httponly: true, samesite: 'Lax' },
        },
      ]);
      expect(browserBindingCookieName(state, PUBLIC_BASE_URL)).toMatch(/^wak_oauth_[0-9a-f]{16}$/);
    });

    it('refuses a consent given in another browser (login CSRF on an unbound tenant), keeping nothing; the state stays usable by its own browser', async () => {
      const { tenant, get, start, consent, snapshot, stateCount, repositories } = await setup();
      expect(tenant.orgId).toBeUndefined();
      // The link holder starts and hands the authorize URL to a Full Admin of an org, who consents.
      const callback = await consent(await start('presence'), 'admin@demo.example');
      const before = await snapshot();
      const states = await stateCount();
      const victim = await get(`/oauth/callback?${callback}`, new CookieJar());
      expect([victim.statusCode, victim.body]).toEqual([
        403,
        expect.stringContaining('data-reason="browser_mismatch"'),
      ]);
      expect(victim.body).toContain('Start this authorization from your own browser');
      expect(victim.body).not.toContain('id="retry"');
      expect(victim.cookies).toEqual([]);
      expect(await snapshot()).toEqual(before);
      expect(await stateCount()).toBe(states);
      expect((await repositories.tenants.get(tenant.tenantId))?.orgId).toBeUndefined();
      // The code was never exchanged.
      expect(simulator.world.listGrants()).toHaveLength(0);

      expect((await get(`/oauth/callback?${callback}`)).body).toContain('is authorized');
      expect((await repositories.tenants.get(tenant.tenantId))?.orgId).toBe(demoOrgId);
    });

    it("refuses another attempt's cookie or a tampered one, keeping nothing", async () => {
      const { browser, call, get, start, consent, snapshot, stateCount } = await setup();
      const callback = await consent(await start('presence'), 'admin@demo.example');
      const [own = ''] = browser.cookiesFor('/oauth/callback');
      await start('cdr');
      const other = browser.cookiesFor('/oauth/callback').find((cookie) => cookie !== own) ?? '';
      const [name = '', value = ''] = own.split('=');
      const before = await snapshot();
      const states = await stateCount();
      const hash = value.slice(0, value.indexOf('.'));
      for (const cookies of [
        [other],
        [`${name}=${value.startsWith('a') ? 'b' : 'a'}${value.slice(1)}`],
        // The hash kept, the tenant's id after it changed: the hash covers it.
        [`${name}=${hash}.another-tenant`],
        [`${name}=${hash}`],
        [`${other.split('=')[0] ?? ''}=${value}`],
      ]) {
        const answer = await call(`/oauth/callback?${callback}`, cookies);
        expect([answer.statusCode, answer.body], cookies.join()).toEqual([
          403,
          expect.stringContaining('data-reason="browser_mismatch"'),
        ]);
      }
      expect(await snapshot()).toEqual(before);
      expect(await stateCount()).toBe(states);
      expect((await get(`/oauth/callback?${callback}`)).statusCode).toBe(200);
    });

    it('refuses a denial from another browser: no history, no event, no alert', async () => {
      const { tenant, deps, get, start, consent, snapshot, repositories } = await setup();
      const callback = await consent(await start('sso'), 'admin@demo.example', 'deny');
      const before = await snapshot();
      const answer = await get(`/oauth/callback?${callback}`, new CookieJar());
      expect([answer.statusCode, answer.body]).toEqual([
        403,
        expect.stringContaining('data-reason="browser_mismatch"'),
      ]);
      expect(await snapshot()).toEqual(before);
      expect(deps.events.published).toEqual([]);
      expect((await repositories.history.list(tenant.tenantId, { limit: 10 })).items).toEqual([]);
    });

    it('clears the cookie with the answer to a callback, refused or not', async () => {
      const { browser, get, start, consent } = await setup();
      const granted = await get(
        `/oauth/callback?${await consent(await start('presence'), 'admin@demo.example')}`,
      );
      expect(granted.statusCode).toBe(200);
      expect(granted.cookies.map((cookie) => parseSetCookie(cookie).attributes['max-age'])).toEqual(['0']);
      expect(browser.cookiesFor('/oauth/callback')).toEqual([]);

      const query = new URLSearchParams(await consent(await start('cdr'), 'admin@demo.example'));
      query.set('code', 'not-a-code-webex-issued');
      const refused = await get(`/oauth/callback?${query}`);
      expect(refused.body).toContain('data-reason="code_refused"');
      expect(browser.cookiesFor('/oauth/callback')).toEqual([]);
    });
  });

  describe('refuses bad input, writing nothing', () => {
    it('a callback without state', async () => {
      const { get, snapshot } = await setup();
      const before = await snapshot();
      const page = await get('/oauth/callback?code=abc');
      expect([page.statusCode, page.body]).toEqual([
        400,
        expect.stringContaining('data-reason="invalid_request"'),
      ]);
      expect(await snapshot()).toEqual(before);
    });

    it('an unknown state, even with the cookie made for it', async () => {
      const { call, snapshot } = await setup();
      const before = await snapshot();
      const state = 'Q'.repeat(43);
      const page = await call(`/oauth/callback?state=${state}&code=abc`, [craftedCookie(state)]);
      expect([page.statusCode, page.body]).toEqual([
        400,
        expect.stringContaining('data-reason="state_unknown"'),
      ]);
      expect(await snapshot()).toEqual(before);
    });

    it('a forged state (one character changed), leaving the real one usable', async () => {
      const { call, get, start, consent, snapshot } = await setup();
      const query = new URLSearchParams(await consent(await start('presence'), 'admin@demo.example'));
      const state = query.get('state') ?? '';
      const forged = new URLSearchParams(query);
      forged.set('state', (state.startsWith('A') ? 'B' : 'A') + state.slice(1));
      const before = await snapshot();
      // The forger's browser holds a cookie made for the forged state: the lookup still refuses it.
      const page = await call(`/oauth/callback?${forged}`, [craftedCookie(forged.get('state') ?? '')]);
      expect(page.body).toContain('data-reason="state_unknown"');
      expect(await snapshot()).toEqual(before);
      expect((await get(`/oauth/callback?${query}`)).body).toContain('is authorized');
    });

    it('an expired state', async () => {
      const { get, start, consent, snapshot, clock } = await setup();
      const callback = await consent(await start('presence'), 'admin@demo.example');
      clock.advance(11 * 60);
      const before = await snapshot();
      const page = await get(`/oauth/callback?${callback}`);
      expect([page.statusCode, page.body]).toEqual([
        400,
        expect.stringContaining('data-reason="state_expired"'),
      ]);
      expect(page.body).toContain('id="retry"');
      expect(await snapshot()).toEqual(before);
      expect(simulator.world.listGrants()).toHaveLength(0);
    });

    it('a replayed callback, reloaded by the same browser (its cookie gone) or with the cookie captured', async () => {
      const { browser, call, get, start, consent, snapshot, deps } = await setup();
      const callback = await consent(await start('presence'), 'admin@demo.example');
      const captured = browser.cookiesFor('/oauth/callback');
      expect((await get(`/oauth/callback?${callback}`)).statusCode).toBe(200);
      const before = await snapshot();
      // The browser dropped the cookie with the first answer: its reload is told the truth, that
      // the attempt was already used, not that it came from another browser.
      const reloaded = await get(`/oauth/callback?${callback}`);
      expect([reloaded.statusCode, reloaded.body]).toEqual([
        400,
        expect.stringContaining('data-reason="state_unknown"'),
      ]);
      expect(reloaded.body).toContain('This authorization was already used');
      const replay = await call(`/oauth/callback?${callback}`, captured);
      expect([replay.statusCode, replay.body]).toEqual([
        400,
        expect.stringContaining('data-reason="state_unknown"'),
      ]);
      expect(await snapshot()).toEqual(before);
      // The first answer's org_bound and granted, nothing from the replays.
      expect(deps.events.published).toHaveLength(2);
    });

    it('a callback without code', async () => {
      const { get, start, consent, snapshot } = await setup();
      const query = new URLSearchParams(await consent(await start('presence'), 'admin@demo.example'));
      query.delete('code');
      const before = await snapshot();
      const page = await get(`/oauth/callback?${query}`);
      expect([page.statusCode, page.body]).toEqual([
        400,
        expect.stringContaining('data-reason="missing_code"'),
      ]);
      expect(await snapshot()).toEqual(before);
    });

    it('oversized or repeated parameters, without spending the state', async () => {
      const { get, start, consent, snapshot, stateCount } = await setup();
      const callback = await consent(await start('presence'), 'admin@demo.example');
      const query = new URLSearchParams(callback);
      const before = await snapshot();
      const states = await stateCount();
      for (const bad of [
        `${callback}&state=${query.get('state')}`,
        `${callback}&code=other`,
        `state=${query.get('state')}&code=${'c'.repeat(5000)}`,
        `${callback}&error_description=${'x'.repeat(501)}`,
      ]) {
        const page = await get(`/oauth/callback?${bad}`);
        expect([page.statusCode, page.body]).toEqual([
          400,
          expect.stringContaining('data-reason="invalid_request"'),
        ]);
      }
      expect(await snapshot()).toEqual(before);
      expect(await stateCount()).toBe(states);
    });

    it('a code Webex refuses', async () => {
      const { get, start, consent, snapshot } = await setup();
      const query = new URLSearchParams(await consent(await start('presence'), 'admin@demo.example'));
      query.set('code', 'not-a-code-webex-issued');
      const before = await snapshot();
      const page = await get(`/oauth/callback?${query}`);
      expect([page.statusCode, page.body]).toEqual([
        400,
        expect.stringContaining('data-reason="code_refused"'),
      ]);
      expect(await snapshot()).toEqual(before);
    });

    it('Webex answering 5xx on the exchange', async () => {
      const { get, start, consent, snapshot } = await setup();
      const callback = await consent(await start('presence'), 'admin@demo.example');
      await fetch(`${simulator.url}/_sim/faults`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ next5xx: 1 }),
      });
      const before = await snapshot();
      const page = await get(`/oauth/callback?${callback}`);
      expect([page.statusCode, page.body]).toEqual([
        503,
        expect.stringContaining('data-reason="webex_unavailable"'),
      ]);
      expect(page.body).toContain('try again');
      expect(await snapshot()).toEqual(before);
    });

    it('Webex timing out on the exchange', async () => {
      const { get, start, consent, snapshot } = await setup();
      const callback = await consent(await start('presence'), 'admin@demo.example');
      await fetch(`${simulator.url}/_sim/faults`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ latencyMs: 2500 }),
      });
      const before = await snapshot();
      const page = await get(`/oauth/callback?${callback}`);
      expect([page.statusCode, page.body]).toEqual([
        503,
        expect.stringContaining('data-reason="webex_unavailable"'),
      ]);
      expect(await snapshot()).toEqual(before);
    });

    it('a person who is not a Full Administrator', async () => {
      const { get, start, consent, snapshot } = await setup();
      const callback = await consent(await start('users-sync'), 'user@demo.example');
      const before = await snapshot();
      const page = await get(`/oauth/callback?${callback}`);
      expect([page.statusCode, page.body]).toEqual([
        403,
        expect.stringContaining('data-reason="not_full_admin"'),
      ]);
      expect(page.body).toContain('user@demo.example');
      expect(await snapshot()).toEqual(before);
    });

    it('an admin of another org than the tenant is bound to', async () => {
      const { get, start, consent, snapshot } = await setup({ orgId: 'org-of-another-customer' });
      const callback = await consent(await start('users-sync'), 'admin@demo.example');
      const before = await snapshot();
      const page = await get(`/oauth/callback?${callback}`);
      expect([page.statusCode, page.body]).toEqual([
        403,
        expect.stringContaining('data-reason="org_mismatch"'),
      ]);
      expect(await snapshot()).toEqual(before);
    });

    it("an admin of another org, bound to another tenant: only their own refused grant is revoked, the other tenant's token keeps working", async () => {
      // users-sync asks for the Authorizations API scopes here, so a refusal can revoke at all
      // (without them Webex answers 403 and the refused tokens are only discarded).
      const withTokenScopes = parseCatalog({
        version: 1,
        integrations: [
          ...catalog.integrations.map((integration) =>
            integration.key === 'users-sync'
              ? {
                  ...integration,
                  scopes: [...integration.scopes, 'identity:tokens_read', 'identity:tokens_write'],
                }
              : integration,
          ),
          // users-sync names the witness as its replacement: the catalog must still carry it.
          ...catalog.serviceApps,
        ],
      });
      const control = async (path: string, body: unknown) => {
        const response = await fetch(`${simulator.url}/_sim/${path}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify(body),
        });
        expect(response.status).toBe(201);
        return (await response.json()) as { orgId?: string; id?: string };
      };
      const { orgId: betaOrgId = '' } = await control('orgs', { name: 'Beta Org' });
      await control('people', { email: 'first@beta.example', orgId: betaOrgId, fullAdmin: true });
      await control('people', { email: 'second@beta.example', orgId: betaOrgId, fullAdmin: true });

      // Tenant X is Beta Org's: its first admin authorized users-sync.
      const x = await setup({}, { catalog: withTokenScopes });
      const granted = await x.get(
        `/oauth/callback?${await x.consent(await x.start('users-sync'), 'first@beta.example')}`,
      );
      expect(granted.statusCode).toBe(200);
      const xRecord = await x.repositories.authorizations.get(x.tenant.tenantId, 'users-sync');
      const xToken = (await x.deps.vault.tokensOf(xRecord)).accessToken;
      const xTokenWorks = async () =>
        (await fetch(`${simulator.url}/v1/people/me`, { headers: { Authorization: `Bearer ${xToken}` } }))
          .status;
      expect(await xTokenWorks()).toBe(200);

      // Tenant A is the demo org's; Beta Org's admins open A's link.
      const a = await setup({ orgId: demoOrgId }, { catalog: withTokenScopes });
      const grantsOf = async (email: string) => {
        const people = (await (await fetch(`${simulator.url}/_sim/people`)).json()) as Array<{
          id: string;
          email: string;
        }>;
        const personId = people.find((person) => person.email === email)?.id;
        const grants = (await (await fetch(`${simulator.url}/_sim/authorizations`)).json()) as Array<{
          personId: string;
          clientId: string;
          alive: boolean;
        }>;
        return grants
          .filter((grant) => grant.personId === personId && grant.clientId === integrationIdOf('users-sync'))
          .map((grant) => grant.alive);
      };

      for (const admin of ['second@beta.example', 'first@beta.example']) {
        const before = await a.snapshot();
        const refused = await a.get(`/oauth/callback?${await a.consent(await a.start('users-sync'), admin)}`);
        expect([admin, refused.statusCode, refused.body]).toEqual([
          admin,
          403,
          expect.stringContaining('data-reason="org_mismatch"'),
        ]);
        expect(await a.snapshot()).toEqual(before);
        expect(await xTokenWorks()).toBe(200);
      }
      // The second admin's only grant was the refused one: revoked by its id.
      expect(await grantsOf('second@beta.example')).toEqual([false]);
      // The first admin's refused grant cannot be told from tenant X's live one: both left alive.
      expect(await grantsOf('first@beta.example')).toEqual([true, true]);
      expect(await xTokenWorks()).toBe(200);
    });

    it('a tampered, expired or revoked link, on the portal and on the start', async () => {
      const { tenant, link, get, snapshot, clock, repositories } = await setup();
      const before = await snapshot();
      const tampered = link.token.slice(0, 5) + (link.token[5] === 'A' ? 'B' : 'A') + link.token.slice(6);
      expect((await get(`/connect/${tampered}`)).body).toContain('data-reason="link_invalid"');
      expect(
        (await get(`/oauth/start?link=${tampered}&integration=presence`, undefined, 'POST')).statusCode,
      ).toBe(400);

      clock.advance(15 * 24 * 3600);
      const expired = await get(`/connect/${link.token}`);
      expect([expired.statusCode, expired.body]).toEqual([
        410,
        expect.stringContaining('data-reason="link_expired"'),
      ]);
      clock.advance(-15 * 24 * 3600);

      expect(await snapshot()).toEqual(before);
      await repositories.tenants.replace({ ...tenant, linkVersion: 2 }, tenant.updatedAt);
      const revoked = await get(`/oauth/start?link=${link.token}&integration=presence`, undefined, 'POST');
      expect([revoked.statusCode, revoked.body]).toEqual([
        410,
        expect.stringContaining('data-reason="link_revoked"'),
      ]);
      expect((await get(`/connect/${link.token}`)).statusCode).toBe(410);
      expect((await get(`/connect/${link.token}`)).body).toContain('A newer link was issued');
    });

    it("an offboarded or purged tenant's link: its access ended, with no claim of a newer link", async () => {
      const { tenant, link, get, snapshot, repositories } = await setup();
      // What offboarding does to the tenant: offboarded, and its link version bumped.
      await repositories.tenants.replace(
        { ...tenant, status: 'offboarded', linkVersion: tenant.linkVersion + 1 },
        tenant.updatedAt,
      );
      for (const purged of [false, true]) {
        if (purged) await repositories.tenants.purge(tenant.tenantId);
        const before = await snapshot();
        for (const page of [
          await get(`/connect/${link.token}`),
          await get(`/oauth/start?link=${link.token}&integration=presence`, undefined, 'POST'),
          await get(`/troubleshoot/presence?link=${link.token}`),
        ]) {
          expect([page.statusCode, page.body], `purged: ${purged}`).toEqual([
            410,
            expect.stringContaining('data-reason="access_ended"'),
          ]);
          expect(page.body).toContain('This onboarding link no longer works');
          expect(page.body).not.toContain('newer link');
        }
        expect(await snapshot()).toEqual(before);
      }
    });
  });
});
