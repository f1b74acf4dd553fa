import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecurityWorld, type SimAdmin } from '#test-support/security-harness.js';

const TENANTS = 6;

/** One consent's callback, ready to be sent: its query and the starting browser's cookie. */
interface PendingCallback {
  tenantId: string;
  integration: string;
  query: string;
  cookie: string;
}

/**
 * Concurrent reuse of one state: every callback is sent twice at the same instant, from the browser
 * that started it (the cookie captured as an attacker on that machine could). The state's
 * conditional delete must let exactly one of the two through; the other gets the state-unknown
 * page, and nothing is stored, recorded or published twice.
 */
describe('security: one state sent twice at the same instant', () => {
  let world: SecurityWorld;
  const admins = new Map<string, SimAdmin>();

  beforeAll(async () => {
    world = await SecurityWorld.start('state-reuse');
    for (let index = 0; index < TENANTS; index += 1) {
      const tenantId = `twice-${index}`;
      await world.createTenant(tenantId);
      admins.set(tenantId, await world.addOrgWithAdmin(`Twice Org ${index}`));
    }
  }, 60_000);

  afterAll(async () => {
    await world?.stop();
  });

  /** A start and a consent for every tenant and integration; the callbacks are not sent yet. */
  async function consentAll(): Promise<PendingCallback[]> {
    const pending: PendingCallback[] = [];
    for (const [tenantId, admin] of admins) {
      const link = await world.linkToken(tenantId);
      for (const integration of world.publicDependencies.catalog.keys) {
        const { authorizeUrl, cookie } = await world.start(link, integration);
        pending.push({
          tenantId,
          integration,
          query: await world.consent(authorizeUrl, admin.email),
          cookie,
        });
      }
    }
    return pending;
  }

  /** Sends every callback twice, all at once; returns the two answers of each. */
  async function sendEachTwice(pending: PendingCallback[]) {
    const once = ({ query, cookie }: PendingCallback) =>
      world.publicCall({ path: '/oauth/callback', query, cookies: [cookie] });
    return Promise.all(pending.map(async (callback) => Promise.all([once(callback), once(callback)])));
  }

  /** Asserts one success and one state-unknown page per pair, and what the table, vault and bus hold. */
  async function expectOneEach(
    pending: PendingCallback[],
    pairs: Awaited<ReturnType<typeof sendEachTwice>>,
    before: Awaited<ReturnType<SecurityWorld['snapshot']>>,
    round: { version: number; eventType: 'granted'; orgBound: boolean },
  ) {
    for (const [index, pair] of pairs.entries()) {
      const where = `${pending[index]?.tenantId ?? ''}/${pending[index]?.integration ?? ''}`;
      const statuses = pair.map((answer) => answer.statusCode).sort();
      expect(statuses, where).toEqual([200, 400]);
      const refused = pair.find((answer) => answer.statusCode === 400);
      expect(refused?.body, where).toContain('data-reason="state_unknown"');
      expect(pair.find((answer) => answer.statusCode === 200)?.body, where).toContain('is authorized');
    }
    const after = await world.snapshot();
    expect(after.vaultWrites - before.vaultWrites).toBe(pending.length);
    expect(after.states).toEqual([]);
    const added = after.durable.filter(
      (item) => String(item.sk).startsWith('EVENT#') && !before.durable.some((old) => old.sk === item.sk),
    );
    // A first round binds each tenant's org once, whichever of its simultaneous consents wins.
    const tenantIds = [...new Set(pending.map(({ tenantId }) => tenantId))];
    expect(
      added
        .filter((item) => item.type === 'org_bound')
        .map((item) => String(item.pk))
        .sort(),
    ).toEqual(round.orgBound ? tenantIds.map((tenantId) => `TENANT#${tenantId}`).sort() : []);
    expect(
      added
        .filter((item) => item.type !== 'org_bound')
        .map((item) => `${String(item.pk)}/${String(item.integration)}/${String(item.type)}`)
        .sort(),
    ).toEqual(
      pending
        .map(({ tenantId, integration }) => `TENANT#${tenantId}/${integration}/${round.eventType}`)
        .sort(),
    );
    for (const { tenantId, integration } of pending) {
      const record = await world.repos.authorizations.get(tenantId, integration);
      expect(record, `${tenantId}/${integration}`).toMatchObject({
        status: 'active',
        version: round.version,
      });
      expect(record?.pendingEvent).toBeUndefined();
    }
    const published = world.events.published.slice(before.published);
    expect(
      published.map(({ event }) => `TENANT#${event.tenantId}/${event.integration}/${event.type}`).sort(),
    ).toEqual(
      added.map((item) => `${String(item.pk)}/${String(item.integration)}/${String(item.type)}`).sort(),
    );
  }

  it('lets exactly one of two simultaneous first callbacks through, storing each authorization once', async () => {
    const pending = await consentAll();
    const before = await world.snapshot();
    const pairs = await sendEachTwice(pending);
    // Saved once with its event, then once more to clear the published outbox marker.
    await expectOneEach(pending, pairs, before, { version: 2, eventType: 'granted', orgBound: true });
    for (const [tenantId, admin] of admins) {
      expect((await world.repos.tenants.get(tenantId))?.orgId).toBe(admin.orgId);
    }
  }, 120_000);

  it('does the same for a re-authorization, where the callback takes the lease of the existing record', async () => {
    const pending = await consentAll();
    const before = await world.snapshot();
    const pairs = await sendEachTwice(pending);
    // One more save with the new grant and one more to clear its marker.
    await expectOneEach(pending, pairs, before, { version: 4, eventType: 'granted', orgBound: false });
  }, 120_000);
});
