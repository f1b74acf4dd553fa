import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tableDefinition } from '#adapters/table-definition.js';
import { HttpWebexClient } from '#adapters/webex-client.js';
import { LinkRevokedError, verifyOnboardingLink } from '#domain/onboarding-link.js';
import type { Authorization } from '#domain/model.js';
import { DEFAULT_VALIDATOR_CONFIG } from '#domain/validator-config.js';
import { validateAuthorization } from '#domain/validator.js';
import { createTokenAccess, NotAuthorizedError } from '#functions/token-access.js';
import type { WebexSimulator } from '#local/webex-simulator/index.js';
import { createAdminHarness, LINK_KEY, type AdminHarness } from '#test-support/admin-harness.js';
import {
  authorizeInSimulator,
  simClientSecrets,
  startCatalogSimulator,
} from '#test-support/sim-authorization.js';
import { silentLog } from '#domain/ports.js';

describe('offboarding end to end (admin API, DynamoDB Local, Webex simulator)', () => {
  let sim: WebexSimulator;
  let h: AdminHarness;
  const issuedTokens: string[] = [];
  const sealedCiphertexts: string[] = [];
  let linkToken: string;

  beforeAll(async () => {
    sim = await startCatalogSimulator();
    h = await createAdminHarness({ webex: new HttpWebexClient({ baseUrl: sim.url }) });
    const created = await h.call('POST', '/admin/tenants', {
      body: { tenantId: 'acme', name: 'Acme', contacts: ['ops@acme.example'] },
    });
    expect(created.status).toBe(201);
    const link = (await h.call('POST', '/admin/tenants/acme/links')).body as { url: string };
    linkToken = link.url.split('/connect/')[1] as string;

    // presence was granted with identity:tokens_write, so Webex lets us revoke it; the others were not.
    for (const [integration, extraScopes] of [
      ['presence', ['identity:tokens_write']],
      ['cdr', []],
      ['users-sync', []],
    ] as const) {
      const { record, material } = await authorizeInSimulator({
        sim,
        repos: h.repos,
        vault: h.vault,
        clock: h.clock,
        tenantId: 'acme',
        integration,
        extraScopes: [...extraScopes],
      });
      issuedTokens.push(material.accessToken, material.refreshToken);
      sealedCiphertexts.push(record.sealedTokens?.ciphertext ?? 'missing');
    }
    // A consent that never completed: a pending record, with no tokens.
    const now = h.clock.now().toISOString();
    await h.repos.authorizations.save(
      {
        tenantId: 'acme',
        integration: 'sso',
        status: 'pending',
        scopes: [],
        consecutiveFailures: 0,
        version: 0,
        warningsSent: [],
        updatedAt: now,
      },
      undefined,
    );

    h.aws.resetHistory();
  });
  afterAll(async () => {
    await sim.close();
    await h.close();
  });

  it('revokes, deletes every token, keeps the history, and leaves nothing readable', async () => {
    const response = await h.call('DELETE', '/admin/tenants/acme');
    expect(response.status).toBe(200);
    const report = response.body as { status: string; authorizations: Record<string, unknown>[] };
    expect(report.status).toBe('offboarded');
    expect(report.authorizations).toEqual(
      expect.arrayContaining([
        {
          integration: 'presence',
          previousStatus: 'active',
          webexRevocation: 'revoked',
          atWebex: expect.objectContaining({ outcome: 'revoked_verified' }),
          secretDestroyed: true,
          secretDestroyedAt: expect.any(String),
        },
        {
          integration: 'cdr',
          previousStatus: 'active',
          webexRevocation: 'not_permitted',
          atWebex: expect.objectContaining({ outcome: 'not_permitted' }),
          secretDestroyed: true,
          secretDestroyedAt: expect.any(String),
        },
        {
          integration: 'users-sync',
          previousStatus: 'active',
          webexRevocation: 'not_permitted',
          atWebex: expect.objectContaining({ outcome: 'not_permitted' }),
          secretDestroyed: true,
          secretDestroyedAt: expect.any(String),
        },
        {
          integration: 'sso',
          previousStatus: 'pending',
          webexRevocation: 'skipped',
          atWebex: expect.objectContaining({ outcome: 'skipped', reason: 'no token is stored for it' }),
          secretDestroyed: true,
          secretDestroyedAt: expect.any(String),
        },
      ]),
    );

    // The tenant: offboarded, every link dead.
    expect(await h.repos.tenants.get('acme')).toMatchObject({ status: 'offboarded', linkVersion: 2 });
    await expect(
      verifyOnboardingLink({ token: linkToken, key: LINK_KEY, clock: h.clock, tenants: h.repos.tenants }),
    ).rejects.toBeInstanceOf(LinkRevokedError);

    // The authorizations: revoked, no tokens, out of the due index.
    const records = await h.repos.authorizations.listForTenant('acme');
    expect(records).toHaveLength(4);
    for (const record of records) {
      expect(record).toMatchObject({ status: 'revoked' });
      expect(record.sealedTokens).toBeUndefined();
      expect(record.nextCheckAt).toBeUndefined();
      expect(record.pendingEvent).toBeUndefined();
    }
    const items = await h.snapshot();
    expect(items.filter((item) => tableDefinition.dueIndex.partitionKey.name in item)).toEqual([]);

    // The table: nothing of the tenant's token material is left, sealed or not.
    const stored = JSON.stringify(items);
    expect(sealedCiphertexts).toHaveLength(3);
    for (const ciphertext of sealedCiphertexts) expect(stored).not.toContain(ciphertext);
    for (const token of issuedTokens) expect(stored).not.toContain(token);

    // Webex: revoked where the token allowed it (the others die with their secrets here).
    const [presenceAccess, , cdrAccess] = issuedTokens;
    const probe = async (token: string) =>
      (await fetch(`${sim.url}/v1/people/me`, { headers: { Authorization: `Bearer ${token}` } })).status;
    expect(await probe(presenceAccess as string)).toBe(401);
    expect(await probe(cdrAccess as string)).toBe(200);

    // Events: one `revoked` per authorization, with its written alert (as every alerted event),
    // and in the history.
    const revoked = h.events.published.filter(({ event }) => event.type === 'revoked');
    expect(revoked.map(({ event }) => event.integration).sort()).toEqual([
      'cdr',
      'presence',
      'sso',
      'users-sync',
    ]);
    for (const { event, alert } of revoked) {
      const name = h.deps.catalog.find(event.integration)?.name as string;
      expect(alert?.subject).toBe(`Revoked: Acme - ${name}`);
      expect(alert?.text).toContain('Tenant: Acme (acme)');
      expect(alert?.text).toContain(event.summary);
      expect(alert?.text).toContain(`Event ID: ${event.eventId}`);
    }
    expect(JSON.stringify(h.events.published)).not.toMatch(/sim-|ACCESS|REFRESH/);
    const history = (await h.call('GET', '/admin/tenants/acme/history')).body as {
      items: { type: string }[];
    };
    expect(history.items.filter((event) => event.type === 'revoked')).toHaveLength(4);

    // Contacts: on the tenant item only, so nothing to unsubscribe.
    expect(h.aws.calls()).toBe(0);

    // Services: told the authorization was revoked.
    const tokens = createTokenAccess({
      authorizations: h.repos.authorizations,
      tenants: h.repos.tenants,
      vault: h.vault,
      webex: new HttpWebexClient({ baseUrl: sim.url }),
      clientSecrets: simClientSecrets,
      catalog: h.deps.catalog,
      clock: h.clock,
      log: silentLog,
    });
    const refused = await tokens.getAccessToken('acme', 'cdr').catch((caught: unknown) => caught);
    expect(refused).toBeInstanceOf(NotAuthorizedError);
    expect(refused).toMatchObject({ reason: 'tenant_inactive' });
  });

  it('can run again without changing anything or publishing twice', async () => {
    const before = await h.snapshot();
    const published = h.events.published.length;
    const again = await h.call('DELETE', '/admin/tenants/acme');
    expect(again.status).toBe(200);
    expect(
      (again.body as { authorizations: { webexRevocation: string }[] }).authorizations.map(
        (a) => a.webexRevocation,
      ),
    ).toEqual(['skipped', 'skipped', 'skipped', 'skipped']);
    expect(h.events.published).toHaveLength(published);
    const after = await h.snapshot();
    expect(after.filter((item) => String(item.sk).startsWith('EVENT#'))).toEqual(
      before.filter((item) => String(item.sk).startsWith('EVENT#')),
    );
  });

  it('leaves a revoked event whose publish failed to the validator, which sends the same alert', async () => {
    expect(
      (await h.call('POST', '/admin/tenants', { body: { tenantId: 'beta', name: 'Beta' } })).status,
    ).toBe(201);
    for (const integration of ['presence', 'cdr']) {
      await authorizeInSimulator({
        sim,
        repos: h.repos,
        vault: h.vault,
        clock: h.clock,
        tenantId: 'beta',
        integration,
      });
    }
    const publish = h.events.publish.bind(h.events);
    let failures = 0;
    h.events.publish = async (event) => {
      if (event.tenantId === 'beta' && event.integration === 'cdr' && failures === 0) {
        failures += 1;
        throw new Error('bus unavailable');
      }
      return publish(event);
    };
    try {
      expect((await h.call('DELETE', '/admin/tenants/beta')).status).toBe(200);
    } finally {
      h.events.publish = publish;
    }
    const stuck = (await h.repos.authorizations.get('beta', 'cdr')) as Authorization;
    expect(stuck).toMatchObject({ status: 'revoked', pendingEvent: { type: 'revoked' } });
    const bySelf = h.events.published.find(
      ({ event }) => event.tenantId === 'beta' && event.integration === 'presence',
    );

    // The validator's outbox retry (what the next sweep does) publishes it.
    const outcome = await validateAuthorization(
      {
        authorizations: h.repos.authorizations,
        tenants: h.repos.tenants,
        vault: h.vault,
        webex: new HttpWebexClient({ baseUrl: sim.url }),
        clientSecrets: simClientSecrets,
        events: h.events,
        clock: h.clock,
        catalog: h.deps.catalog,
        config: DEFAULT_VALIDATOR_CONFIG,
        log: silentLog,
        reauthorizeLink: h.deps.reauthorizeLink,
      },
      { tenantId: 'beta', integration: 'cdr' },
    );
    expect(outcome).toEqual({ kind: 'skipped', reason: 'not_checkable' });
    const retried = h.events.published.filter(
      ({ event }) => event.tenantId === 'beta' && event.integration === 'cdr',
    );
    expect(retried).toHaveLength(1);
    expect(retried[0]?.event).toEqual(stuck.pendingEvent);
    // The same message either way: only the names and the event id differ.
    const normalize = (text: string | undefined, event: { eventId: string; integration: string }) =>
      text
        ?.replaceAll(event.eventId, '<event>')
        .replaceAll(h.deps.catalog.find(event.integration)?.name as string, '<name>')
        .replaceAll(h.deps.catalog.find(event.integration)?.integrationId as string, '<id>')
        .replace(/When: .*/, 'When: <time>');
    expect(retried[0]?.alert?.subject).toBe(`Revoked: Beta - ${h.deps.catalog.find('cdr')?.name}`);
    expect(normalize(retried[0]?.alert?.text, retried[0]!.event)).toBe(
      normalize(bySelf?.alert?.text, bySelf!.event),
    );
    expect((await h.repos.authorizations.get('beta', 'cdr'))?.pendingEvent).toBeUndefined();
  });

  it('answers 404 for an unknown tenant, writing nothing', async () => {
    const before = await h.snapshot();
    const response = await h.call('DELETE', '/admin/tenants/nobody');
    expect(response.status).toBe(404);
    expect(response.headers['content-type']).toBe('application/problem+json');
    expect(await h.snapshot()).toEqual(before);
  });
});
