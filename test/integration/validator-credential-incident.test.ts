import { notifierPreview } from '#test-support/notifier-harness.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbCredentialIncidentStore } from '#adapters/dynamodb/credential-incident.store.js';
import { documentClientFor } from '#adapters/dynamodb/index.js';
import type { ValidatorDependencies } from '#domain/validator-config.js';
import type { WebexSimulator } from '#local/webex-simulator/index.js';
import { createTestTable, type TestTable } from '#test-support/dynamodb.js';
import { RecordingPublisher } from '#test-support/fakes/index.js';
import { catalog, startSimulator, ValidatorHarness } from '#test-support/validator-harness.js';

const DAY = 86_400;

/*
 * A client secret regenerated in the developer portal (the old one refused at once, invalid_client)
 * is our incident, not the customers': no authorization changes status, no customer is mailed,
 * ops get one alert for all of them, and once the new secret is stored everything carries on.
 */
describe('credential incident against DynamoDB Local and the Webex simulator', () => {
  let sim: WebexSimulator;
  let table: TestTable;

  beforeAll(async () => {
    sim = await startSimulator();
    await fetch(`${sim.url}/_sim/reset`, { method: 'POST' });
    table = await createTestTable('credential-incident');
  });
  afterAll(async () => {
    await sim?.close();
    await table?.drop();
  });

  it('the incident store opens once, closes once, and reopens a closed incident', async () => {
    const store = new DynamoDbCredentialIncidentStore(documentClientFor(table.client), table.tableName);
    const first = { integration: 'store-contract', openedAt: '2026-12-01T10:00:00.000Z' };
    expect(await store.open(first)).toBe('opened');
    expect(await store.open({ ...first, openedAt: '2026-12-01T10:05:00.000Z' })).toEqual(first);
    expect(await store.list()).toContainEqual(first);
    expect(await store.close('store-contract')).toEqual(first);
    expect(await store.close('store-contract')).toBeUndefined();
    expect(await store.list()).not.toContainEqual(expect.objectContaining({ integration: 'store-contract' }));
    const again = {
      integration: 'store-contract',
      openedAt: '2026-12-02T10:00:00.000Z',
      trackingId: 'ROUTER_x',
    };
    expect(await store.open(again)).toBe('opened');
    expect(await store.close('store-contract')).toEqual(again);
  });

  it('a regenerated client secret: 0 invalidations, 0 customer mails, 1 ops alert; the new secret restores every check', async () => {
    const tenantA = await ValidatorHarness.create(sim, { table, tenant: { tenantId: 'incident-a' } });
    const tenantB = await ValidatorHarness.create(sim, { table, tenant: { tenantId: 'incident-b' } });
    await tenantA.authorize('presence');
    await tenantA.authorize('users-sync');
    await tenantB.authorize('presence', 'sso-admin@demo.example');

    const presence = catalog.find('presence');
    if (!presence) throw new Error('no presence integration in the catalog');
    const stored = new Map<string, string>();
    // Each publication carries the mail the notifier writes about it.
    const events = new RecordingPublisher((event) =>
      notifierPreview({
        ...tenantA.deps,
        passwordMaxAgeDays: 1825,
        clientSecretLocation: 'the Secrets Manager secret keeper/client-secrets',
      })(event),
    );
    const store = new DynamoDbCredentialIncidentStore(documentClientFor(table.client), table.tableName);
    const depsOf = (h: ValidatorHarness): ValidatorDependencies => ({
      ...h.deps,
      clientSecrets: { get: async (key) => stored.get(key) ?? h.deps.clientSecrets.get(key) },
      events,
      credentialIncidents: { store },
    });
    const checks: Array<[ValidatorHarness, string]> = [
      [tenantA, 'presence'],
      [tenantA, 'users-sync'],
      [tenantB, 'presence'],
    ];
    const checkAll = async () => {
      for (const [h, integration] of checks) {
        const record = await h.record(integration);
        const wait = Math.ceil((Date.parse(record.nextCheckAt ?? '') - h.clock.now().getTime()) / 1000);
        if (wait > 0) h.advance(wait);
        await h.validate(integration, depsOf(h));
      }
    };
    const customerMails = () => events.published.filter(({ alert }) => alert && alert.audience !== 'ops');

    const { clientSecret } = (await tenantA.control(
      `integrations/${encodeURIComponent(presence.integrationId)}/regenerate-secret`,
    )) as { clientSecret: string };
    expect(clientSecret).toMatch(/^[\w-]{32,}$/);
    // The access tokens have ended: every check must refresh, and presence's refresh is refused.
    tenantA.advance(15 * DAY);

    const gaps: number[] = [];
    for (let round = 0; round < 3; round += 1) {
      await checkAll();
      const record = await tenantB.record('presence');
      gaps.push(Date.parse(record.nextCheckAt ?? '') - tenantB.clock.now().getTime());
    }
    for (const [h, integration] of checks) {
      expect(await h.record(integration)).toMatchObject({ status: 'active', consecutiveFailures: 0 });
    }
    expect(events.types().filter((type) => type.endsWith(':invalidated'))).toEqual([]);
    expect(customerMails()).toEqual([]);
    const opened = events.published.filter(({ event }) => event.type === 'credential_incident');
    expect(opened).toHaveLength(1);
    expect(opened[0]?.alert?.audience).toBe('ops');
    expect(opened[0]?.alert?.text).toContain(`Integration ID: ${presence.integrationId}`);
    expect(opened[0]?.alert?.text).toContain('keeper/client-secrets');
    expect(await store.list()).toEqual([expect.objectContaining({ integration: 'presence' })]);
    // The pause grows while the incident lasts.
    expect(gaps[2]).toBeGreaterThan(gaps[0] ?? Infinity);

    stored.set('presence', clientSecret);
    await checkAll();
    for (const [h, integration] of checks) {
      expect((await h.record(integration)).status).toBe('active');
    }
    expect(await tenantA.tokenWorks('presence')).toBe(true);
    expect(await tenantB.tokenWorks('presence')).toBe(true);
    const resolved = events.published.filter(({ event }) => event.type === 'credential_resolved');
    expect(resolved).toHaveLength(1);
    expect(resolved[0]?.alert?.audience).toBe('ops');
    // The notifier writes the resolved mail from the event: it carries when the incident opened.
    expect(resolved[0]?.event.incidentOpenedAt).toBe(opened[0]?.event.occurredAt);
    expect(await store.list()).toEqual([]);
    expect(customerMails()).toEqual([]);
    expect(events.types().filter((type) => type.endsWith(':invalidated'))).toEqual([]);
    await tenantA.expectNoSecretPublished();
  });
});
