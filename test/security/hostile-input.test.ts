import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserBindingCookieName, browserBindingValue } from '#commons/oauth-browser-binding.js';
import { issueOnboardingLink } from '#domain/onboarding-link.js';
import { hashOAuthState } from '#domain/oauth-state.js';
import {
  CANARY_TAG,
  expectEscaped,
  expectNoLeak,
  expectNothingDurableWritten,
  forgedCursor,
  headers,
  hostileText,
  malformedEscapes,
  method,
  mutateBase64url,
  pathSegment,
  queryOf,
  wireParameter,
} from '#test-support/security-arbitraries.js';
import { CookieJar, parseSetCookie } from '#test-support/cookie-jar.js';
import { atScale } from '#test-support/test-scale.js';
import {
  catalog,
  PORTAL,
  SecurityWorld,
  type Answer,
  type SimAdmin,
} from '#test-support/security-harness.js';

/** The reason a failure page gives (`data-reason`), or undefined on any other page. */
function reasonOf(answer: Answer): string | undefined {
  return /data-reason="([a-z_]+)"/.exec(answer.body)?.[1];
}

const integrationKeys = catalog.keys;

/**
 * The binding cookie (`name=value`) anyone can make for a state they hold: it derives from the
 * state and the tenant's id, which onboarding links carry in the clear.
 */
function craftedCookie(state: string): string {
  return `${browserBindingCookieName(state, PORTAL)}=${browserBindingValue(state, 'acme')}`;
}

type LinkKind =
  'acme' | 'beta' | 'offboarded' | 'revoked' | 'expired' | 'otherKey' | 'tampered' | 'payloadSwapped';

/**
 * Hostile input against the public routes and the admin API, in-process with API Gateway v2
 * events, on DynamoDB Local and the Webex simulator. Every property snapshots the table (Scan),
 * the vault, the published events and the contact subscriptions around each request.
 */
describe('hostile input never yields a 5xx, a write or an unescaped echo', () => {
  let world: SecurityWorld;
  let demo: SimAdmin;
  let beta: SimAdmin;
  /** Signed tokens for every kind of link an attacker may hold. */
  const links: Record<LinkKind, string> = {
    acme: '',
    beta: '',
    offboarded: '',
    revoked: '',
    expired: '',
    otherKey: '',
    tampered: '',
    payloadSwapped: '',
  };
  /** A state issued for acme that no forged state may ever consume. */
  let liveState = '';
  let internals: string[] = [];

  beforeAll(async () => {
    world = await SecurityWorld.start('hostile');
    demo = world.demoAdmin();
    beta = await world.addOrgWithAdmin('Beta Org');
    internals = [world.table.tableName, 'DynamoDB', 'ValidationException', 'ConditionalCheck', 'Error:'];

    // acme is bound to the demo org and beta to Beta Org by their first authorizations.
    await world.createTenant('acme', { name: 'Acme Corp' });
    await world.createTenant('beta', { name: 'Beta Ltd' });
    for (const key of ['users-sync', 'presence'])
      expect((await world.onboard('acme', key, demo.email)).statusCode).toBe(200);
    expect((await world.onboard('beta', 'presence', beta.email)).statusCode).toBe(200);
    links.acme = await world.linkToken('acme');
    links.beta = await world.linkToken('beta');

    await world.createTenant('gone');
    links.offboarded = await world.linkToken('gone');
    expect((await world.adminCall({ method: 'DELETE', path: '/admin/tenants/gone' })).statusCode).toBe(200);

    await world.createTenant('moved');
    links.revoked = await world.linkToken('moved');
    expect((await world.adminCall({ method: 'DELETE', path: '/admin/tenants/moved/links' })).statusCode).toBe(
      200,
    );

    const acme = await world.repos.tenants.get('acme');
    if (!acme) throw new Error('no acme');
    const monthAgo = { now: () => new Date(Date.now() - 30 * 86_400_000) };
    links.expired = issueOnboardingLink({
      tenant: acme,
      key: world.linkKey,
      clock: monthAgo,
      ttlDays: 1,
      publicBaseUrl: PORTAL,
    }).token;
    links.otherKey = issueOnboardingLink({
      tenant: acme,
      key: randomBytes(32),
      clock: { now: () => new Date() },
      publicBaseUrl: PORTAL,
    }).token;
    links.tampered = mutateBase64url(links.acme, links.acme.length - 5, 7);
    links.payloadSwapped = `${links.beta.split('.')[0]}.${links.acme.split('.')[1]}`;

    liveState = (await world.start(links.acme, 'cdr')).state;
  });

  afterAll(async () => {
    await world?.stop();
  });

  const linkValue = () =>
    fc.oneof(
      {
        weight: 3,
        arbitrary: fc.constantFrom(...(Object.keys(links) as LinkKind[])).map((kind) => links[kind]),
      },
      { weight: 1, arbitrary: hostileText },
    );
  const integrationValue = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...integrationKeys, 'unknown-one', 'PRESENCE', 'presence ') },
    { weight: 1, arbitrary: hostileText },
  );
  const stateValue = () =>
    fc.oneof(
      fc
        .tuple(fc.nat(), fc.nat())
        .map(([index, replacement]) => mutateBase64url(liveState, index, replacement)),
      fc.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      hostileText,
    );

  it('answers any request to the public routes below 500, escaped, writing nothing but a started state', async () => {
    const parameterName = fc.oneof(
      {
        weight: 4,
        arbitrary: fc.constantFrom('link', 'integration', 'state', 'code', 'error', 'error_description'),
      },
      { weight: 1, arbitrary: hostileText },
    );
    const parameterValue = fc.oneof(
      linkValue(),
      integrationValue,
      stateValue(),
      hostileText,
      malformedEscapes,
    );
    const path = fc.oneof(
      fc.constantFrom('/oauth/start', '/oauth/callback', '/', '/connect/', '/troubleshoot/', '/OAUTH/START'),
      fc
        .tuple(
          fc.constantFrom('/connect/', '/troubleshoot/', '/oauth/', '/admin/'),
          pathSegment(fc.oneof(linkValue(), integrationValue)),
        )
        .map(([prefix, segment]) => `${prefix}${segment}`),
      fc
        .tuple(
          fc.constantFrom('/connect/', '/troubleshoot/'),
          pathSegment(fc.oneof(linkValue(), integrationValue)),
          fc.constantFrom('/', '/x', '//', '/..', '%2F..'),
        )
        .map(([prefix, segment, suffix]) => `${prefix}${segment}${suffix}`),
      fc.webPath(),
    );
    const request = fc.record({
      method,
      path,
      params: fc.array(fc.tuple(parameterName, parameterValue, fc.boolean()), { maxLength: 6 }),
      headers,
      body: fc.option(hostileText, { nil: undefined }),
      // Hostile cookies, and the binding cookies of every state sent (an attacker can make those),
      // so forged states get past the browser check to the lookup.
      cookies: fc.array(hostileText, { maxLength: 3 }),
      crafted: fc.boolean(),
    });

    await fc.assert(
      fc.asyncProperty(request, async (input) => {
        const before = await world.snapshot();
        const states = input.params.filter(([name]) => name === 'state').map(([, value]) => value);
        const answer = await world.publicCall({
          method: input.method,
          path: input.path,
          query: queryOf(input.params),
          headers: input.headers,
          cookies: [...input.cookies, ...(input.crafted ? states.map(craftedCookie) : [])],
          ...(input.body !== undefined ? { body: input.body } : {}),
        });
        const after = await world.snapshot();
        const where = `${input.method} ${input.path.slice(0, 80)}`;

        expect(answer.statusCode, where).toBeLessThan(500);
        expectEscaped(answer, where);
        expectNoLeak(answer, where, internals);
        expectNothingDurableWritten(before, after, where);
        if (answer.statusCode === 302) {
          // The only redirect is to Webex's authorize endpoint, with a new single-use state bound
          // to this browser by exactly one cookie.
          expect(answer.headers.location?.startsWith(`${world.sim.url}/v1/authorize?`), where).toBe(true);
          expect(after.states.length, where).toBe(before.states.length + 1);
          expect(after.states).toEqual(expect.arrayContaining(before.states));
          const state = new URL(answer.headers.location ?? '').searchParams.get('state') ?? '';
          expect(
            answer.cookies.map((cookie) => parseSetCookie(cookie).name),
            where,
          ).toEqual([browserBindingCookieName(state, PORTAL)]);
        } else {
          expect(after.states, where).toEqual(before.states);
          // Any other answer sets no cookie; a callback past the browser check only clears its own.
          for (const cookie of answer.cookies) {
            expect(parseSetCookie(cookie).attributes['max-age'], where).toBe('0');
          }
        }
      }),
      { numRuns: atScale({ full: 200, ci: 100 }) },
    );
    // No forged state ever matched, so the state the admin really holds is still usable.
    expect((await world.snapshot()).states).toContain(`STATE#${hashOAuthState(liveState)}|STATE`);
  }, 60_000);

  it('refuses forged, replayed, mixed-up, duplicated, foreign-org, other-browser and revoked-link callbacks, keeping nothing', async () => {
    const scenario = fc.record({
      kind: fc.constantFrom(
        'forged',
        'other-browser',
        'mixup',
        'replay',
        'duplicate',
        'foreign-org',
        'revoked-link',
        'offboarded',
        'oversized',
      ),
      integration: fc.constantFrom(...integrationKeys),
      other: fc.constantFrom(...integrationKeys),
      index: fc.nat(),
      replacement: fc.nat(),
      duplicate: fc.constantFrom('state', 'code', 'both'),
      decision: fc.constantFrom('accept', 'deny'),
      // Extra parameters Webex could add, encoded and short: the scenario, not the size, is under test.
      extra: fc.uniqueArray(
        fc.tuple(
          fc.constantFrom('error_description', 'foo', 'iss', 'scope'),
          hostileText.filter((text) => text.length <= 200),
          fc.constant(false),
        ),
        { maxLength: 2, selector: ([name]) => name },
      ),
    });
    let run = 0;

    await fc.assert(
      fc.asyncProperty(scenario, async (input) => {
        run += 1;
        const extra = input.extra.length > 0 ? `&${queryOf(input.extra)}` : '';
        const where = `${input.kind} ${input.integration}`;
        // A flow of acme (bound to the demo org), up to the point where Webex redirects back.
        const flowA = await world.start(links.acme, input.integration);
        const stateKey = `STATE#${hashOAuthState(flowA.state)}|STATE`;
        const tenantBefore = await world.repos.tenants.get('acme');

        if (input.kind === 'foreign-org') {
          // A Full Admin of another org consents on acme's state: acme is bound to the demo org.
          const callback = await world.consent(flowA.authorizeUrl, beta.email);
          const before = await world.snapshot();
          const answer = await world.get(`/oauth/callback?${callback}${extra}`);
          const after = await world.snapshot();
          expect(reasonOf(answer), where).toBe('org_mismatch');
          expect(answer.statusCode).toBe(403);
          expectNothingDurableWritten(before, after, where);
          expect(after.states, where).not.toContain(stateKey);
          expect((await world.repos.tenants.get('acme'))?.orgId, where).toBe(tenantBefore?.orgId);
          return;
        }
        if (input.kind === 'revoked-link' || input.kind === 'offboarded') {
          const tenantId = `${input.kind}-${run}`;
          await world.createTenant(tenantId);
          const link = await world.linkToken(tenantId);
          const flow = await world.start(link, input.integration);
          const callback = await world.consent(flow.authorizeUrl, demo.email);
          const revoke =
            input.kind === 'offboarded' ? `/admin/tenants/${tenantId}` : `/admin/tenants/${tenantId}/links`;
          expect((await world.adminCall({ method: 'DELETE', path: revoke })).statusCode).toBe(200);
          const before = await world.snapshot();
          const answers = [
            await world.get(`/oauth/callback?${callback}${extra}`),
            await world.get(`/connect/${link}`),
            await world.get(`/oauth/start?link=${link}&integration=${input.integration}`),
            await world.press(`/oauth/start?link=${link}&integration=${input.integration}`),
            await world.get(`/troubleshoot/${input.integration}?link=${link}`),
          ];
          const after = await world.snapshot();
          for (const answer of answers) {
            expect(reasonOf(answer), where).toBe(
              input.kind === 'offboarded' ? 'access_ended' : 'link_revoked',
            );
            expect(answer.statusCode).toBe(410);
          }
          expectNothingDurableWritten(before, after, where);
          expect(after.states, where).not.toContain(`STATE#${hashOAuthState(flow.state)}|STATE`);
          expect(after.states.length, where).toBe(before.states.length - 1);
          expect((await world.repos.tenants.get(tenantId))?.orgId, where).toBeUndefined();
          return;
        }

        if (input.kind === 'other-browser') {
          // Login CSRF: the holder of an unbound tenant's link starts in their browser and hands
          // the authorize URL to Beta Org's Full Admin, whose consent (or denial) comes back to
          // the callback from the admin's own browser, with whatever cookies that one holds.
          const tenantId = `unbound-${run}`;
          await world.createTenant(tenantId);
          const link = await world.linkToken(tenantId);
          const attacker = new CookieJar();
          const flow = await world.start(link, input.integration, attacker);
          const otherFlow = await world.start(link, input.other, attacker);
          const callback = await world.consent(flow.authorizeUrl, beta.email, input.decision);
          // A denial already carries error_description: an extra one would be a repeat (400).
          const sent = new URLSearchParams(callback);
          const extras = input.extra.filter(([extraName]) => !sent.has(extraName));
          const query = extras.length > 0 ? `${callback}&${queryOf(extras)}` : callback;
          const [name = '', value = ''] = flow.cookie.split('=');
          const victimCookies = [
            [],
            ['theme=dark', 'session=abc'],
            [otherFlow.cookie],
            [`${name}=${mutateBase64url(value, input.index, input.replacement)}`],
            [`${otherFlow.cookie.split('=')[0] ?? ''}=${value}`],
          ][input.index % 5];
          const before = await world.snapshot();
          const answer = await world.publicCall({
            path: '/oauth/callback',
            query,
            cookies: victimCookies ?? [],
          });
          const after = await world.snapshot();
          expect(reasonOf(answer), where).toBe('browser_mismatch');
          expect(answer.statusCode, where).toBe(403);
          expect(answer.cookies, where).toEqual([]);
          expectNothingDurableWritten(before, after, where);
          expect(after.states, where).toEqual(before.states);
          expect((await world.repos.tenants.get(tenantId))?.orgId, where).toBeUndefined();
          // Nothing was consumed: the browser that started the attempt can still complete it.
          const own = await world.get(`/oauth/callback?${callback}`, attacker);
          expect(own.statusCode, where).toBe(200);
          expect(own.body, where).toContain(
            input.decision === 'accept' ? 'id="authorized-by"' : 'id="integration-id"',
          );
          return;
        }
        const callbackA = new URLSearchParams(await world.consent(flowA.authorizeUrl, demo.email));
        const codeA = callbackA.get('code') ?? '';
        if (input.kind === 'forged') {
          const forged = mutateBase64url(flowA.state, input.index, input.replacement);
          const query = `state=${forged}&code=${codeA}${extra}`;
          const before = await world.snapshot();
          // The admin's browser has no cookie for the forged state; a forger can make one for
          // their own browser, and then the lookup refuses it.
          const unbound = await world.get(`/oauth/callback?${query}`);
          const answer = await world.publicCall({
            path: '/oauth/callback',
            query,
            cookies: [craftedCookie(forged)],
          });
          const after = await world.snapshot();
          // Never issued, the forged state is unknown with a cookie or without.
          expect(reasonOf(unbound), where).toBe('state_unknown');
          expect(reasonOf(answer), where).toBe('state_unknown');
          expectNothingDurableWritten(before, after, where);
          // The forgery spent nothing: the admin's own state still works.
          expect(after.states, where).toEqual(before.states);
          expect((await world.get(`/oauth/callback?${callbackA}`)).statusCode, where).toBe(200);
          return;
        }
        if (input.kind === 'mixup') {
          // beta's flow, consented by Beta Org's admin: its code must not complete acme's state.
          const flowB = await world.start(links.beta, input.other);
          const callbackB = new URLSearchParams(await world.consent(flowB.authorizeUrl, beta.email));
          const before = await world.snapshot();
          const crossed = [
            await world.get(
              `/oauth/callback?state=${flowA.state}&code=${encodeURIComponent(callbackB.get('code') ?? '')}${extra}`,
            ),
            await world.get(`/oauth/callback?state=${flowB.state}&code=${encodeURIComponent(codeA)}${extra}`),
          ];
          const after = await world.snapshot();
          for (const answer of crossed) expect(reasonOf(answer), where).toBe('code_refused');
          expectNothingDurableWritten(before, after, where);
          expect(after.states.length, where).toBe(before.states.length - 2);
          return;
        }
        if (input.kind === 'replay') {
          expect((await world.get(`/oauth/callback?${callbackA}`)).statusCode, where).toBe(200);
          const before = await world.snapshot();
          // The admin's browser dropped the cookie with that answer; a replay carries a captured one.
          const reloaded = await world.get(`/oauth/callback?${callbackA}${extra}`);
          const replayed = await world.publicCall({
            path: '/oauth/callback',
            query: `${callbackA}${extra}`,
            cookies: [flowA.cookie],
          });
          const after = await world.snapshot();
          // Spent, the state is unknown whichever browser sends it: the reload is told so.
          expect(reasonOf(reloaded), where).toBe('state_unknown');
          expect(reasonOf(replayed), where).toBe('state_unknown');
          expectNothingDurableWritten(before, after, where);
          expect(after.states, where).toEqual(before.states);
          return;
        }
        if (input.kind === 'duplicate') {
          const parts = [
            wireParameter('state', flowA.state, false),
            wireParameter('code', codeA, false),
            ...(input.duplicate !== 'code'
              ? [wireParameter('state', mutateBase64url(flowA.state, input.index, 1), false)]
              : []),
            ...(input.duplicate !== 'state' ? [wireParameter('code', 'attacker-code', false)] : []),
          ];
          const before = await world.snapshot();
          const answer = await world.get(`/oauth/callback?${parts.join('&')}${extra}`);
          const after = await world.snapshot();
          expect(reasonOf(answer), where).toBe('invalid_request');
          expectNothingDurableWritten(before, after, where);
          // Refused before the lookup: the state was not spent, the real callback still works.
          expect(after.states, where).toEqual(before.states);
          expect((await world.get(`/oauth/callback?${callbackA}`)).statusCode, where).toBe(200);
          return;
        }
        // oversized: the real state and code, with a parameter that pushes the query past its limit.
        const before = await world.snapshot();
        const answer = await world.get(
          `/oauth/callback?${callbackA}&error_description=${'x'.repeat(5000 + (input.index % 5000))}`,
        );
        const after = await world.snapshot();
        expect(reasonOf(answer), where).toBe('invalid_request');
        expectNothingDurableWritten(before, after, where);
        expect(after.states, where).toEqual(before.states);
      }),
      { numRuns: atScale({ full: 100, ci: 50 }) },
    );
  }, 60_000);

  it('shows a denial with any error text escaped, recording only the denial', async () => {
    const denial = fc.record({
      integration: fc.constantFrom(...integrationKeys),
      error: fc.oneof(fc.constantFrom('access_denied', 'invalid_scope', 'server_error'), hostileText),
      description: fc.option(hostileText, { nil: undefined }),
      raw: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(denial, async (input) => {
        const { state } = await world.start(links.acme, input.integration);
        const before = await world.snapshot();
        const query = [
          wireParameter('state', state, false),
          wireParameter('error', input.error, input.raw),
          ...(input.description !== undefined
            ? [wireParameter('error_description', input.description, input.raw)]
            : []),
        ].join('&');
        const answer = await world.get(`/oauth/callback?${query}`);
        const after = await world.snapshot();
        const where = `denial ${JSON.stringify(input.error).slice(0, 40)}`;

        expect(answer.statusCode, where).toBeLessThan(500);
        expectEscaped(answer, where);
        expectNoLeak(answer, where, internals);
        expect(after.vaultWrites, where).toBe(before.vaultWrites);
        const authorizations = (items: typeof before.durable) =>
          items.filter((item) => String(item.sk).startsWith('AUTH#') || item.sk === 'TENANT');
        expect(authorizations(after.durable), where).toEqual(authorizations(before.durable));
        if (answer.statusCode === 200) {
          // One history item and one event, both the denial; the alert quotes no attacker text.
          const added = after.durable.filter((item) => !before.durable.some((old) => old.sk === item.sk));
          expect(
            added.map((item) => item.type),
            where,
          ).toEqual(['denied']);
          expect(after.published, where).toBe(before.published + 1);
          const last = world.events.published.at(-1);
          const description = input.description ?? '';
          if (description.includes(CANARY_TAG)) {
            for (const text of [last?.alert?.subject ?? '', last?.alert?.text ?? '']) {
              expect(text.includes(description), where).toBe(false);
            }
          }
        } else {
          expect(reasonOf(answer), where).toBe('invalid_request');
          expectNothingDurableWritten(before, after, where);
          expect(after.states, where).toEqual(before.states);
        }
      }),
      { numRuns: atScale({ full: 100, ci: 50 }) },
    );
  }, 60_000);

  it('escapes any tenant name on the portal, the troubleshooting page and the status board', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(hostileText, fc.constantFrom(...integrationKeys), async (name, integration) => {
        run += 1;
        const tenantId = `named-${run}`;
        const created = await world.adminCall({
          method: 'POST',
          path: '/admin/tenants',
          body: JSON.stringify({ tenantId, name }),
        });
        expect(created.statusCode, name.slice(0, 40)).toBeLessThan(500);
        if (created.statusCode !== 201) return;
        expect(created.headers['content-type']).toMatch(/^application\/json/);
        const issued = await world.adminCall({
          method: 'POST',
          path: `/admin/tenants/${tenantId}/links`,
          body: '{}',
        });
        const url = (JSON.parse(issued.body) as { url: string }).url;
        const token = url.split('/connect/')[1] ?? '';
        const pages = [
          await world.get(`/connect/${token}`),
          await world.get(`/troubleshoot/${integration}?link=${token}`),
          await world.adminCall({
            method: 'GET',
            path: '/admin/status-board',
            headers: { accept: 'text/html' },
          }),
        ];
        for (const page of pages) {
          expect(page.statusCode).toBe(200);
          expectEscaped(page, `tenant name ${JSON.stringify(name).slice(0, 40)}`);
        }
      }),
      { numRuns: atScale({ full: 60, ci: 30 }) },
    );
  }, 60_000);

  it('refuses with 400 any page cursor not issued for that listing, and never reads across tenants', async () => {
    const cursorOf = async (path: string) => {
      const page = await world.adminCall({ method: 'GET', path, query: 'limit=1' });
      const cursor = (JSON.parse(page.body) as { cursor?: string }).cursor;
      if (!cursor) throw new Error(`no cursor from ${path}`);
      return cursor;
    };
    // Real cursors, each replayed on a listing it was not issued for.
    const issued = [
      await cursorOf('/admin/tenants'),
      await cursorOf('/admin/tenants/acme/history'),
      await cursorOf('/admin/tenants/beta/history'),
    ];
    const listing = fc.constantFrom(
      '/admin/tenants',
      '/admin/tenants/acme/history',
      '/admin/tenants/beta/history',
    );
    await fc.assert(
      fc.asyncProperty(listing, fc.oneof(forgedCursor, fc.constantFrom(...issued)), async (path, cursor) => {
        const before = await world.snapshot();
        const answer = await world.adminCall({ method: 'GET', path, query: `cursor=${cursor}` });
        const after = await world.snapshot();
        const where = `${path} cursor ${Buffer.from(cursor, 'base64url').toString('utf8').slice(0, 120)}`;
        expect(answer.statusCode, where).toBeLessThan(500);
        expectNoLeak(answer, where, internals);
        expectNothingDurableWritten(before, after, where);
        if (answer.statusCode === 400) {
          expect(JSON.parse(answer.body), where).toMatchObject({ detail: expect.stringMatching(/cursor/) });
        } else {
          expect(answer.statusCode, where).toBe(200);
          // Whatever the cursor says, a tenant's history lists that tenant's events only.
          const tenant = /\/admin\/tenants\/([^/]+)\/history/.exec(path)?.[1];
          const items = (JSON.parse(answer.body) as { items: { tenantId: string }[] }).items;
          if (tenant) for (const item of items) expect(item.tenantId, where).toBe(tenant);
        }
      }),
      { numRuns: atScale({ full: 150, ci: 75 }) },
    );
  });

  it('answers any admin request below 500 with a problem document, writing nothing when it refuses', async () => {
    await world.createTenant('fz-1');
    expect((await world.onboard('fz-1', 'presence', demo.email)).statusCode).toBe(200);
    const tenantId = fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom('fz-1', 'acme', 'nobody', 'gone', 'FZ-1', 'fz-1 ') },
      { weight: 1, arbitrary: hostileText },
    );
    const path = fc.oneof(
      fc.constantFrom('/admin/tenants', '/admin/status-board', '/admin', '/admin/', '/admin/tenants/'),
      fc
        .tuple(
          pathSegment(tenantId),
          fc.constantFrom(
            '',
            '/links',
            '/authorizations',
            '/history',
            '/authorizations/presence/validate',
            '/x',
            '/links/',
          ),
        )
        .map(([id, rest]) => `/admin/tenants/${id}${rest}`),
      fc
        .tuple(pathSegment(tenantId), pathSegment(integrationValue))
        .map(([id, key]) => `/admin/tenants/${id}/authorizations/${key}/validate`),
      fc.webPath().map((rest) => `/admin${rest}`),
    );
    const body = fc.oneof(
      hostileText,
      fc.jsonValue().map((value) => JSON.stringify(value)),
      fc
        .record(
          {
            tenantId: fc.oneof(tenantId, fc.stringMatching(/^[a-z0-9]{1,8}$/)),
            name: hostileText,
            contacts: fc.oneof(
              fc.array(hostileText, { maxLength: 3 }),
              fc.array(fc.emailAddress(), { maxLength: 25 }),
            ),
            sso: fc.oneof(fc.boolean(), hostileText),
            ttlDays: fc.oneof(fc.integer(), fc.double()),
          },
          { requiredKeys: [] },
        )
        .chain((value) =>
          fc.boolean().map((polluted) => {
            const text = JSON.stringify(value);
            // A prototype-pollution attempt rides along; JSON.parse makes it an own key.
            if (!polluted) return text;
            return `{"__proto__":{"isAdmin":true}${text === '{}' ? '' : ','}${text.slice(1)}`;
          }),
        ),
    );
    const query = fc.array(
      fc.tuple(
        fc.oneof(fc.constantFrom('limit', 'cursor'), hostileText),
        fc.oneof(
          forgedCursor,
          fc.constantFrom('0', '1', '100', '101', '-1', '1.5', '1e3', 'NaN', ''),
          hostileText,
        ),
        fc.boolean(),
      ),
      { maxLength: 3 },
    );
    const request = fc.record({
      method,
      path,
      query,
      headers,
      body: fc.option(body, { nil: undefined }),
      base64: fc.boolean(),
    });

    await fc.assert(
      fc.asyncProperty(request, async (input) => {
        const before = await world.snapshot();
        const answer = await world.adminCall({
          method: input.method,
          path: input.path,
          query: queryOf(input.query),
          headers: input.headers,
          ...(input.body !== undefined ? { body: input.body, base64: input.base64 } : {}),
        });
        const after = await world.snapshot();
        const where = `${input.method} ${input.path.slice(0, 80)}?${queryOf(input.query).slice(0, 200)}`;

        expect(answer.statusCode, where).toBeLessThan(500);
        expectNoLeak(answer, where, internals);
        const type = answer.headers['content-type'] ?? '';
        if (type.startsWith('text/html')) expectEscaped(answer, where);
        else expect(() => JSON.parse(answer.body) as unknown, where).not.toThrow();
        if (answer.statusCode >= 400) expect(type, where).toBe('application/problem+json');
        if (answer.statusCode >= 400 || input.method === 'GET') {
          expectNothingDurableWritten(before, after, where);
          expect(after.states, where).toEqual(before.states);
        }
      }),
      { numRuns: atScale({ full: 200, ci: 100 }) },
    );
  }, 60_000);
});
