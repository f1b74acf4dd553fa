import { beforeEach, describe, expect, it } from 'vitest';
import { InvalidCursorError } from '#adapters/dynamodb/index.js';
import { dueShardOf } from '#adapters/dynamodb/keys.js';
import { tableDefinition } from '#adapters/table-definition.js';
import type { Authorization, OAuthState } from '#domain/model.js';
import {
  ConflictError,
  TenantOrgChangedError,
  type AuthorizationRepository,
  type HistoryRepository,
  type OAuthStateStore,
  type TenantRepository,
} from '#domain/ports.js';
import { testAuthorization, testEvent as event, testTenant } from './fixtures.js';

/** The four repositories over one store, as `createRepositories` and `inMemoryRepositories` build them. */
export interface Repositories {
  tenants: TenantRepository;
  authorizations: AuthorizationRepository;
  history: HistoryRepository;
  oauthStates: OAuthStateStore;
}

const now = new Date('2026-11-25T10:00:00.000Z');
const at = (offsetMs: number) => new Date(now.getTime() + offsetMs).toISOString();
const until = new Date(now.getTime() + 60_000);

/** A record due a second ago unless told otherwise. */
const due = (tenantId: string, integration: string, overrides: Partial<Authorization> = {}) =>
  testAuthorization(tenantId, integration, { updatedAt: at(0), nextCheckAt: at(-1000), ...overrides });

/** Every page of a listing, following the cursor to the end. */
async function allPages<T>(
  list: (cursor?: string) => Promise<{ items: T[]; cursor?: string }>,
): Promise<T[][]> {
  const pages: T[][] = [];
  let cursor: string | undefined;
  do {
    const page = await list(cursor);
    pages.push(page.items);
    cursor = page.cursor;
  } while (cursor);
  return pages;
}

/**
 * The documented contract of the repository ports (functions/domain/ports.ts), one set of cases
 * run against every implementation: `open` gives fresh, empty repositories for each case.
 */
export function describeRepositoryContract(
  name: string,
  open: () => Promise<{ repositories: Repositories; close(): Promise<void> }>,
): void {
  describe(`repository contract: ${name}`, () => {
    let repos: Repositories;

    beforeEach(async () => {
      const opened = await open();
      repos = opened.repositories;
      return () => opened.close();
    });

    describe('tenants', () => {
      it('creates a tenant once: a taken id is a ConflictError and the first stays', async () => {
        await repos.tenants.create(testTenant({ tenantId: 't-a' }));
        await expect(
          repos.tenants.create(testTenant({ tenantId: 't-a', name: 'Other' })),
        ).rejects.toBeInstanceOf(ConflictError);
        expect(await repos.tenants.get('t-a')).toEqual(testTenant({ tenantId: 't-a' }));
        expect(await repos.tenants.get('missing')).toBeUndefined();
      });

      it('lists tenants in id order, a page at a time, and refuses a cursor it did not write', async () => {
        for (const id of ['t-c', 't-a', 't-b']) await repos.tenants.create(testTenant({ tenantId: id }));
        const pages = await allPages((cursor) =>
          repos.tenants.list({ limit: 2, ...(cursor ? { cursor } : {}) }),
        );
        expect(pages.map((page) => page.map((tenant) => tenant.tenantId))).toEqual([['t-a', 't-b'], ['t-c']]);
        await expect(repos.tenants.list({ limit: 2, cursor: 'garbage' })).rejects.toBeInstanceOf(
          InvalidCursorError,
        );
      });

      it('replaces a tenant only while updatedAt is the one read, never its orgId or createdAt', async () => {
        await repos.tenants.create(testTenant({ tenantId: 't-a', orgId: 'org-1' }));
        const stored = await repos.tenants.get('t-a');
        if (!stored) throw new Error('no tenant');
        await repos.tenants.replace(
          { ...stored, name: 'Renamed', orgId: 'org-2', createdAt: at(5), updatedAt: at(1000) },
          stored.updatedAt,
        );
        await expect(
          repos.tenants.replace({ ...stored, name: 'Stale', updatedAt: at(2000) }, stored.updatedAt),
        ).rejects.toBeInstanceOf(ConflictError);
        expect(await repos.tenants.get('t-a')).toEqual({
          ...stored,
          name: 'Renamed',
          orgId: 'org-1',
          updatedAt: at(1000),
        });
        await expect(
          repos.tenants.replace(testTenant({ tenantId: 'missing' }), testTenant().updatedAt),
        ).rejects.toBeInstanceOf(ConflictError);
        expect(await repos.tenants.get('missing')).toBeUndefined();
      });

      it('replaces the password policy fields: sets them, and removes them when absent', async () => {
        await repos.tenants.create(testTenant({ tenantId: 't-a' }));
        const stored = await repos.tenants.get('t-a');
        if (!stored) throw new Error('no tenant');
        const withPolicy = {
          ...stored,
          passwordMaxAgeDays: 90,
          ssoAuthorizers: ['sso@t-a.example'],
          updatedAt: at(1000),
        };
        await repos.tenants.replace(withPolicy, stored.updatedAt);
        expect(await repos.tenants.get('t-a')).toEqual(withPolicy);
        await repos.tenants.replace({ ...stored, updatedAt: at(2000) }, withPolicy.updatedAt);
        expect(await repos.tenants.get('t-a')).toEqual({ ...stored, updatedAt: at(2000) });
      });

      it('sets or removes the org only while both the org and updatedAt are the ones read', async () => {
        await repos.tenants.create(testTenant({ tenantId: 't-a' }));
        const read = { orgId: undefined, updatedAt: testTenant().updatedAt };
        await repos.tenants.setOrg('t-a', 'org-1', read, at(1000));
        expect(await repos.tenants.get('t-a')).toMatchObject({ orgId: 'org-1', updatedAt: at(1000) });
        // Stale on either: the org (a consent bound it meanwhile) or updatedAt (an admin wrote).
        await expect(repos.tenants.setOrg('t-a', 'org-2', read, at(2000))).rejects.toBeInstanceOf(
          ConflictError,
        );
        await expect(
          repos.tenants.setOrg('t-a', 'org-2', { orgId: 'org-1', updatedAt: read.updatedAt }, at(2000)),
        ).rejects.toBeInstanceOf(ConflictError);
        await repos.tenants.setOrg('t-a', undefined, { orgId: 'org-1', updatedAt: at(1000) }, at(3000));
        const removed = await repos.tenants.get('t-a');
        expect(removed?.orgId).toBeUndefined();
        expect(removed?.updatedAt).toBe(at(3000));
        await expect(repos.tenants.setOrg('missing', 'org-1', read, at(1000))).rejects.toBeInstanceOf(
          ConflictError,
        );
        expect(await repos.tenants.get('missing')).toBeUndefined();
      });

      it('removes every suppression of one address, case aside, and nothing else; none it does not hold', async () => {
        await repos.tenants.create(testTenant({ tenantId: 't-a' }));
        const stored = await repos.tenants.get('t-a');
        const bounce = { email: 'it@t-a.example', reason: 'bouncing' as const, at: at(1000) };
        const complaint = { email: 'boss@t-a.example', reason: 'complained' as const, at: at(2000) };
        const unsubscribe = { email: 'IT@t-a.example', reason: 'unsubscribed' as const, at: at(3000) };
        for (const entry of [bounce, complaint, unsubscribe])
          await repos.tenants.suppressContact('t-a', entry);

        expect(await repos.tenants.removeContactSuppressions('t-a', 'It@T-a.example')).toEqual([
          bounce,
          unsubscribe,
        ]);
        expect(await repos.tenants.get('t-a')).toEqual({ ...stored, suppressedContacts: [complaint] });
        expect(await repos.tenants.removeContactSuppressions('t-a', 'it@t-a.example')).toEqual([]);
        expect(await repos.tenants.removeContactSuppressions('t-a', 'boss@t-a.example.org')).toEqual([]);
        expect(await repos.tenants.get('t-a')).toEqual({ ...stored, suppressedContacts: [complaint] });

        expect(await repos.tenants.removeContactSuppressions('t-a', 'boss@t-a.example')).toEqual([complaint]);
        expect(await repos.tenants.get('t-a')).toEqual({ ...stored, suppressedContacts: [] });
        expect(await repos.tenants.removeContactSuppressions('missing', 'it@t-a.example')).toEqual([]);
        expect(await repos.tenants.get('missing')).toBeUndefined();
      });

      it('removes each suppression once when two removals and appends run at once, and keeps every append', async () => {
        await repos.tenants.create(testTenant({ tenantId: 't-a' }));
        const entry = (email: string, offsetMs: number) => ({
          email,
          reason: 'unsubscribed' as const,
          at: at(offsetMs),
        });
        const first = entry('it@t-a.example', 1);
        const other = entry('boss@t-a.example', 2);
        const second = entry('it@t-a.example', 3);
        for (const suppression of [first, other, second])
          await repos.tenants.suppressContact('t-a', suppression);
        const appended = [entry('noc@t-a.example', 4), entry('cto@t-a.example', 5)];

        const [one, two] = await Promise.all([
          repos.tenants.removeContactSuppressions('t-a', 'it@t-a.example'),
          repos.tenants.removeContactSuppressions('t-a', 'it@t-a.example'),
          ...appended.map((suppression) => repos.tenants.suppressContact('t-a', suppression)),
        ]);

        // One of them removed both entries, the other found none left: nothing removed twice.
        expect([one, two].map((removed) => (removed as unknown[]).length).sort()).toEqual([0, 2]);
        expect([one, two].flat()).toEqual(expect.arrayContaining([first, second]));
        const left = (await repos.tenants.get('t-a'))?.suppressedContacts ?? [];
        expect(left).toHaveLength(3);
        expect(left).toEqual(expect.arrayContaining([other, ...appended]));
      });

      it("purges an offboarded tenant with its records and history, nobody else's, and refuses an active one", async () => {
        for (const tenantId of ['t-a', 't-b']) {
          await repos.tenants.create(testTenant({ tenantId }));
          await repos.authorizations.save(
            due(tenantId, 'presence'),
            undefined,
            event(tenantId, 'presence', at(0)),
          );
          await repos.authorizations.save(due(tenantId, 'cdr'), undefined);
        }
        await expect(repos.tenants.purge('t-a')).rejects.toBeInstanceOf(ConflictError);
        expect(await repos.authorizations.listForTenant('t-a')).toHaveLength(2);
        await expect(repos.tenants.purge('missing')).rejects.toBeInstanceOf(ConflictError);

        const stored = await repos.tenants.get('t-a');
        if (!stored) throw new Error('no tenant');
        await repos.tenants.replace(
          { ...stored, status: 'offboarded', updatedAt: at(1000) },
          stored.updatedAt,
        );
        // Two records, one history item, the tenant.
        expect(await repos.tenants.purge('t-a')).toBe(4);
        expect(await repos.tenants.get('t-a')).toBeUndefined();
        expect(await repos.authorizations.listForTenant('t-a')).toEqual([]);
        expect((await repos.history.list('t-a', { limit: 10 })).items).toEqual([]);
        expect(await repos.authorizations.listForTenant('t-b')).toHaveLength(2);
        expect((await repos.history.list('t-b', { limit: 10 })).items).toHaveLength(1);
        expect(await repos.tenants.get('t-b')).toBeDefined();
      });
    });

    describe('authorizations', () => {
      it('saves a new record at version 1 with its event in the history, and refuses a second create', async () => {
        const granted = event('t-a', 'presence', at(0));
        const created = await repos.authorizations.save(due('t-a', 'presence'), undefined, granted);
        expect(created.version).toBe(1);
        expect(await repos.authorizations.get('t-a', 'presence')).toEqual(created);
        expect((await repos.history.list('t-a', { limit: 10 })).items).toEqual([granted]);
        await expect(repos.authorizations.save(due('t-a', 'presence'), undefined)).rejects.toBeInstanceOf(
          ConflictError,
        );
      });

      it('saves only over the expected version, bumping it; a conflict writes neither record nor event', async () => {
        const created = await repos.authorizations.save(due('t-a', 'presence'), undefined);
        await expect(
          repos.authorizations.save({ ...created, status: 'invalid' }, 7, event('t-a', 'presence', at(5))),
        ).rejects.toBeInstanceOf(ConflictError);
        await expect(repos.authorizations.save(due('t-a', 'cdr'), 1)).rejects.toBeInstanceOf(ConflictError);
        expect(await repos.authorizations.get('t-a', 'presence')).toEqual(created);
        expect(await repos.authorizations.get('t-a', 'cdr')).toBeUndefined();
        expect((await repos.history.list('t-a', { limit: 10 })).items).toEqual([]);

        const updated = await repos.authorizations.save({ ...created, consecutiveFailures: 1 }, 1);
        expect(updated.version).toBe(2);
        expect(await repos.authorizations.get('t-a', 'presence')).toEqual(updated);
        await expect(
          repos.authorizations.save({ ...created, consecutiveFailures: 2 }, 1),
        ).rejects.toBeInstanceOf(ConflictError);
      });

      it("binds an unbound tenant's org in a grant's save, with the org_bound event: of simultaneous first grants, exactly one", async () => {
        await repos.tenants.create(testTenant({ tenantId: 't-b' }));
        const integrations = ['presence', 'cdr', 'calls', 'sync', 'sso'];
        const bindings = integrations.map((integration) => ({
          ...event('t-b', integration, at(1)),
          type: 'org_bound' as const,
          orgId: 'org-1',
        }));
        const outcomes = await Promise.allSettled(
          integrations.map((integration, index) =>
            repos.authorizations.save(due('t-b', integration), undefined, event('t-b', integration, at(0)), {
              tenantId: 't-b',
              orgId: 'org-1',
              binding: bindings[index],
            }),
          ),
        );
        const saved = outcomes.flatMap((outcome, index) => (outcome.status === 'fulfilled' ? [index] : []));
        expect(saved).toHaveLength(1);
        for (const outcome of outcomes.filter((settled) => settled.status === 'rejected'))
          expect(outcome.reason).toBeInstanceOf(TenantOrgChangedError);
        expect((await repos.tenants.get('t-b'))?.orgId).toBe('org-1');
        const [winner = -1] = saved;
        expect(await repos.authorizations.listForTenant('t-b')).toHaveLength(1);
        const history = (await repos.history.list('t-b', { limit: 20 })).items;
        expect(history.filter((item) => item.type === 'org_bound')).toEqual([bindings[winner]]);
        expect(history).toHaveLength(2);
      });

      it('saves a grant under a tenant org condition only while the tenant is as required; otherwise nothing is written', async () => {
        await repos.tenants.create(testTenant({ tenantId: 't-a', orgId: 'org-1' }));
        const granted = event('t-a', 'presence', at(0));
        const binding = { ...event('t-a', 'presence', at(1)), type: 'org_bound' as const, orgId: 'org-1' };
        const refusedSaves = [
          // bound to another org
          { tenantId: 't-a', orgId: 'org-2' },
          // a binding of a tenant bound already, even to the same org
          { tenantId: 't-a', orgId: 'org-1', binding },
          // a tenant that is gone
          { tenantId: 'gone', orgId: 'org-1' },
        ];
        for (const tenantOrg of refusedSaves) {
          await expect(
            repos.authorizations.save(due(tenantOrg.tenantId, 'presence'), undefined, granted, tenantOrg),
          ).rejects.toBeInstanceOf(TenantOrgChangedError);
        }
        expect(await repos.authorizations.get('t-a', 'presence')).toBeUndefined();
        expect(await repos.authorizations.get('gone', 'presence')).toBeUndefined();
        expect(await repos.tenants.get('gone')).toBeUndefined();
        expect((await repos.history.list('t-a', { limit: 10 })).items).toEqual([]);
        expect((await repos.tenants.get('t-a'))?.orgId).toBe('org-1');

        const saved = await repos.authorizations.save(due('t-a', 'presence'), undefined, granted, {
          tenantId: 't-a',
          orgId: 'org-1',
        });
        expect(await repos.authorizations.get('t-a', 'presence')).toEqual(saved);
        expect((await repos.history.list('t-a', { limit: 10 })).items).toEqual([granted]);
        // An update under the condition, as a re-authorization writes it.
        const again = await repos.authorizations.save(
          { ...saved, consecutiveFailures: 0 },
          saved.version,
          undefined,
          {
            tenantId: 't-a',
            orgId: 'org-1',
          },
        );
        expect(again.version).toBe(2);
      });

      it("lists a tenant's records and nobody else's", async () => {
        await repos.authorizations.save(due('t-a', 'presence'), undefined);
        await repos.authorizations.save(due('t-a', 'cdr'), undefined);
        await repos.authorizations.save(due('t-b', 'presence'), undefined);
        const records = await repos.authorizations.listForTenant('t-a');
        expect(records.map((record) => record.integration).sort()).toEqual(['cdr', 'presence']);
        expect(await repos.authorizations.listForTenant('nobody')).toEqual([]);
      });

      describe('leaseForCheck', () => {
        const lease = (integration: string, owner: string, options: { dueOnly?: boolean; at?: Date } = {}) =>
          repos.authorizations.leaseForCheck('t-a', integration, owner, until, options.at ?? now, {
            dueOnly: options.dueOnly ?? true,
          });

        it('takes a free lease of a due record without bumping its version', async () => {
          await repos.authorizations.save(due('t-a', 'presence'), undefined);
          const taken = await lease('presence', 'worker-1');
          expect(taken).toEqual({
            leased: expect.objectContaining({
              leaseOwner: 'worker-1',
              leaseUntil: until.toISOString(),
              version: 1,
            }),
          });
          expect(await repos.authorizations.get('t-a', 'presence')).toMatchObject({
            leaseOwner: 'worker-1',
            version: 1,
          });
        });

        it('refuses a held lease with the holder, gives it again to its owner, and to anyone once expired', async () => {
          await repos.authorizations.save(due('t-a', 'presence'), undefined);
          await lease('presence', 'worker-1');
          expect(await lease('presence', 'worker-2')).toEqual({
            refused: expect.objectContaining({ leaseOwner: 'worker-1', integration: 'presence' }),
          });
          expect(await lease('presence', 'worker-1')).toEqual({
            leased: expect.objectContaining({ leaseOwner: 'worker-1' }),
          });
          // Held up to and including its last instant, expired a millisecond later.
          expect(await lease('presence', 'worker-2', { at: until })).toHaveProperty('refused');
          const expired = new Date(until.getTime() + 1);
          expect(await lease('presence', 'worker-2', { at: expired })).toEqual({
            leased: expect.objectContaining({ leaseOwner: 'worker-2' }),
          });
        });

        it('with dueOnly, refuses a record not due yet or not checkable, answering it as it stands and writing nothing', async () => {
          await repos.authorizations.save(due('t-a', 'sso', { nextCheckAt: at(60_000) }), undefined);
          await repos.authorizations.save(
            due('t-a', 'cdr', { status: 'invalid', nextCheckAt: undefined }),
            undefined,
          );
          expect(await lease('sso', 'worker-1')).toEqual({
            refused: expect.objectContaining({ status: 'active', nextCheckAt: at(60_000) }),
          });
          expect(await lease('cdr', 'worker-1')).toEqual({
            refused: expect.objectContaining({ status: 'invalid' }),
          });
          expect((await repos.authorizations.get('t-a', 'sso'))?.leaseOwner).toBeUndefined();
          expect((await repos.authorizations.get('t-a', 'cdr'))?.leaseOwner).toBeUndefined();
        });

        it('with dueOnly, leases any record that carries an event to publish', async () => {
          const pending = { ...event('t-a', 'cdr', at(0)), type: 'invalidated' as const };
          await repos.authorizations.save(
            due('t-a', 'cdr', { status: 'invalid', nextCheckAt: undefined, pendingEvent: pending }),
            undefined,
          );
          const taken = await lease('cdr', 'worker-1');
          expect('leased' in taken && taken.leased.pendingEvent).toEqual(pending);
        });

        it('without dueOnly leases a record whatever its schedule; a missing record is refused with nothing', async () => {
          await repos.authorizations.save(due('t-a', 'sso', { nextCheckAt: at(60_000) }), undefined);
          expect(await lease('sso', 'worker-1', { dueOnly: false })).toEqual({
            leased: expect.objectContaining({ leaseOwner: 'worker-1' }),
          });
          expect(await lease('missing', 'worker-1', { dueOnly: false })).toEqual({ refused: undefined });
          expect(await lease('missing', 'worker-1')).toEqual({ refused: undefined });
        });
      });

      it('acquireLease answers the leased record, or undefined when held or missing', async () => {
        await repos.authorizations.save(due('t-a', 'presence', { nextCheckAt: at(60_000) }), undefined);
        const first = await repos.authorizations.acquireLease('t-a', 'presence', 'worker-1', until, now);
        expect(first).toMatchObject({ leaseOwner: 'worker-1', version: 1 });
        expect(
          await repos.authorizations.acquireLease('t-a', 'presence', 'worker-2', until, now),
        ).toBeUndefined();
        expect(
          await repos.authorizations.acquireLease('t-a', 'missing', 'worker-1', until, now),
        ).toBeUndefined();
      });

      it("releases a lease only for its owner: another's release is no error and changes nothing", async () => {
        await repos.authorizations.save(due('t-a', 'presence'), undefined);
        await repos.authorizations.acquireLease('t-a', 'presence', 'worker-1', until, now);
        await repos.authorizations.releaseLease('t-a', 'presence', 'worker-2');
        expect((await repos.authorizations.get('t-a', 'presence'))?.leaseOwner).toBe('worker-1');
        await repos.authorizations.releaseLease('t-a', 'presence', 'worker-1');
        const released = await repos.authorizations.get('t-a', 'presence');
        expect(released?.leaseOwner).toBeUndefined();
        expect(released?.leaseUntil).toBeUndefined();
        expect(released?.version).toBe(1);
        await repos.authorizations.releaseLease('t-a', 'missing', 'worker-1');
      });

      it('lists due keys by shard, oldest due first, paged: only checkable records whose time has come, or with an event', async () => {
        const dueAt = new Map<string, number>();
        for (let i = 0; i < 24; i += 1) {
          const integration = `due-${i}`;
          dueAt.set(integration, -1000 * (i + 1));
          await repos.authorizations.save(
            due('t-a', integration, { nextCheckAt: at(-1000 * (i + 1)) }),
            undefined,
          );
        }
        await repos.authorizations.save(due('t-a', 'degraded', { status: 'degraded' }), undefined);
        dueAt.set('degraded', -1000);
        await repos.authorizations.save(due('t-a', 'later', { nextCheckAt: at(60_000) }), undefined);
        await repos.authorizations.save(due('t-a', 'invalid', { status: 'invalid' }), undefined);
        await repos.authorizations.save(
          due('t-a', 'alert', {
            status: 'invalid',
            nextCheckAt: undefined,
            updatedAt: at(-500),
            pendingEvent: event('t-a', 'alert', at(-500)),
          }),
          undefined,
        );
        dueAt.set('alert', -500);

        const seen: string[] = [];
        for (let shard = 0; shard < tableDefinition.dueShards; shard += 1) {
          const pages = await allPages((cursor) =>
            repos.authorizations.listDue(shard, now, { limit: 2, ...(cursor ? { cursor } : {}) }),
          );
          expect(pages.every((page) => page.length <= 2)).toBe(true);
          const keys = pages.flat();
          for (const key of keys) expect(dueShardOf(key.tenantId, key.integration)).toBe(`DUE#${shard}`);
          const times = keys.map((key) => dueAt.get(key.integration) ?? Number.NaN);
          expect(times).toEqual([...times].sort((a, b) => a - b));
          seen.push(...keys.map((key) => key.integration));
        }
        expect(seen.sort()).toEqual([...dueAt.keys()].sort());
      });
    });

    describe('history', () => {
      it("lists a tenant's events newest first, paged, and nobody else's", async () => {
        for (const offset of [2, 1, 3]) await repos.history.append(event('t-a', 'cdr', at(offset * 1000)));
        await repos.history.append(event('t-b', 'cdr', at(4000)));
        const pages = await allPages((cursor) =>
          repos.history.list('t-a', { limit: 2, ...(cursor ? { cursor } : {}) }),
        );
        expect(pages.map((page) => page.map((e) => e.occurredAt))).toEqual([
          [at(3000), at(2000)],
          [at(1000)],
        ]);
        expect((await repos.history.list('nobody', { limit: 2 })).items).toEqual([]);
        await expect(repos.history.list('t-a', { limit: 2, cursor: 'garbage' })).rejects.toBeInstanceOf(
          InvalidCursorError,
        );
      });
    });

    describe('OAuth states', () => {
      const state = (overrides: Partial<OAuthState> = {}): OAuthState => ({
        stateHash: 'a'.repeat(64),
        tenantId: 't-a',
        integration: 'cdr',
        codeVerifier: 'verifier',
        linkVersion: 1,
        expiresAt: at(600_000),
        ...overrides,
      });

      it('hands a state out once, even to two callers at the same time', async () => {
        await repos.oauthStates.put(state());
        const results = await Promise.all([
          repos.oauthStates.consume(state().stateHash),
          repos.oauthStates.consume(state().stateHash),
        ]);
        expect(results.filter(Boolean)).toEqual([state()]);
        expect(await repos.oauthStates.consume(state().stateHash)).toBeUndefined();
        expect(await repos.oauthStates.consume('b'.repeat(64))).toBeUndefined();
      });

      it('says whether a state is still stored, without consuming it', async () => {
        const pending = state({ stateHash: 'd'.repeat(64) });
        await repos.oauthStates.put(pending);
        expect(await repos.oauthStates.has(pending.stateHash)).toBe(true);
        expect(await repos.oauthStates.has(pending.stateHash)).toBe(true);
        expect(await repos.oauthStates.consume(pending.stateHash)).toEqual(pending);
        expect(await repos.oauthStates.has(pending.stateHash)).toBe(false);
        expect(await repos.oauthStates.has('e'.repeat(64))).toBe(false);
      });

      it('hands out an expired state too, deleting it all the same (the caller judges expiresAt)', async () => {
        const expired = state({ stateHash: 'c'.repeat(64), expiresAt: at(-1000) });
        await repos.oauthStates.put(expired);
        expect(await repos.oauthStates.consume(expired.stateHash)).toEqual(expired);
        expect(await repos.oauthStates.consume(expired.stateHash)).toBeUndefined();
      });
    });
  });
}
