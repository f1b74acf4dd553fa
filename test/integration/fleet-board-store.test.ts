import { PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbFleetBoardStore } from '#adapters/dynamodb/fleet-board.store.js';
import { createRepositories } from '#adapters/dynamodb/index.js';
import { keys } from '#adapters/dynamodb/keys.js';
import { tableDefinition } from '#adapters/table-definition.js';
import { bucketsFor, PROBLEMS_FIRST, ALL_BUCKETS } from '#domain/fleet-board.js';
import type { Authorization } from '#domain/model.js';
import { createTestTable, type TestTable } from '#test-support/dynamodb.js';
import { testAuthorization, testEvent, testTenant } from '#test-support/fixtures.js';

const now = new Date('2026-11-25T10:00:00.000Z');
const at = (offsetMs: number) => new Date(now.getTime() + offsetMs).toISOString();

describe('fleet board store on DynamoDB Local', () => {
  let table: TestTable;
  let repos: ReturnType<typeof createRepositories>;
  let board: DynamoDbFleetBoardStore;

  beforeAll(async () => {
    table = await createTestTable('board');
    repos = createRepositories(table.client, table.tableName);
    board = new DynamoDbFleetBoardStore(table.documentClient, table.tableName);
  });
  afterAll(async () => table.drop());

  const record = (tenantId: string, integration: string, overrides: Partial<Authorization> = {}) =>
    testAuthorization(tenantId, integration, { updatedAt: at(0), nextCheckAt: at(60_000), ...overrides });

  it('keeps the totals exact through creations, checks, transitions, conflicts and a purge', async () => {
    await repos.tenants.create(testTenant({ tenantId: 'acme' }));
    await repos.tenants.create(testTenant({ tenantId: 'beta' }));
    const presence = await repos.authorizations.save(record('acme', 'presence'), undefined);
    const cdr = await repos.authorizations.save(record('acme', 'cdr'), undefined);
    await repos.authorizations.save(record('beta', 'presence', { status: 'degraded' }), undefined);
    expect(await board.totals()).toEqual({
      byStatus: { active: 2, degraded: 1 },
      byCause: {},
      authorizations: 3,
      tenants: 2,
    });

    // A check that keeps the status moves nothing; a transition moves one count, with its event.
    const checked = await repos.authorizations.save({ ...presence, validatedAt: at(1000) }, presence.version);
    const invalid = await repos.authorizations.save(
      { ...checked, status: 'invalid', cause: 'user_deactivated', confidence: 'confirmed' },
      checked.version,
      testEvent('acme', 'presence', at(2000)),
    );
    // A writer that lost the race changes no count.
    await expect(
      repos.authorizations.save({ ...presence, status: 'degraded' }, presence.version),
    ).rejects.toThrow(/changed meanwhile/);
    await expect(repos.authorizations.save({ ...cdr, status: 'expiring' }, cdr.version + 5)).rejects.toThrow(
      /changed meanwhile/,
    );
    expect(await board.totals()).toEqual({
      byStatus: { active: 1, degraded: 1, invalid: 1 },
      byCause: { user_deactivated: 1 },
      authorizations: 3,
      tenants: 2,
    });

    // Re-authorized: the cause goes with the invalid status.
    const { cause: _cause, confidence: _confidence, ...restored } = invalid;
    await repos.authorizations.save({ ...restored, status: 'active' }, invalid.version);
    const beta = await repos.tenants.get('beta');
    await repos.tenants.replace({ ...beta!, status: 'offboarded', updatedAt: at(5000) }, beta!.updatedAt);
    await repos.tenants.purge('beta');
    expect(await board.totals()).toEqual({
      byStatus: { active: 2 },
      byCause: {},
      authorizations: 2,
      tenants: 1,
    });
  });

  it('keeps the totals exact when many transitions race on the counter shards', async () => {
    const before = await board.totals();
    const created = await Promise.all(
      Array.from({ length: 24 }, (_, index) =>
        repos.authorizations.save(record(`race-${index}`, 'presence'), undefined),
      ),
    );
    await Promise.all(
      created.map((saved) => repos.authorizations.save({ ...saved, status: 'degraded' }, saved.version)),
    );
    const after = await board.totals();
    expect(after.byStatus.degraded).toBe((before.byStatus.degraded ?? 0) + 24);
    expect(after.byStatus.active).toBe(before.byStatus.active);
    expect(after.authorizations).toBe(before.authorizations + 24);
  });

  it('counts records and tenants written before the counters once, even when run twice', async () => {
    const before = await board.totals();
    // As an earlier version wrote them: no board attributes, no counted mark, no counter change.
    // (No `nextCheckAt`: the table keeps it only as the due index's numeric key.)
    const { nextCheckAt: _legacyDue, ...legacyRecord } = record('legacy', 'presence', {
      status: 'invalid',
      cause: 'unknown',
    });
    const legacy = { ...legacyRecord, version: 3 };
    await table.documentClient.send(
      new PutCommand({
        TableName: table.tableName,
        Item: { ...keys.authorization('legacy', 'presence'), ...legacy },
      }),
    );
    await table.documentClient.send(
      new PutCommand({
        TableName: table.tableName,
        Item: { ...keys.tenant('legacy'), tenantList: 'TENANT', ...testTenant({ tenantId: 'legacy' }) },
      }),
    );
    const counted = await recountAll();
    expect(counted).toBe(2);
    expect(await recountAll()).toBe(0);
    const after = await board.totals();
    expect(after.byCause.unknown).toBe((before.byCause.unknown ?? 0) + 1);
    expect(after.tenants).toBe(before.tenants + 1);

    // A legacy record saved before the backfill reached it is counted by the save, not twice.
    const { nextCheckAt: _otherDue, ...otherRecord } = record('legacy', 'cdr');
    const other = { ...otherRecord, version: 2 };
    await table.documentClient.send(
      new PutCommand({
        TableName: table.tableName,
        Item: { ...keys.authorization('legacy', 'cdr'), ...other },
      }),
    );
    await repos.authorizations.save({ ...other, status: 'degraded' }, 2);
    expect(await recountAll()).toBe(0);
    expect((await board.totals()).authorizations).toBe(after.authorizations + 1);
  });

  it('lists problems first, filtered by status, cause, integration and tenant prefix, page by page', async () => {
    const fresh = await createTestTable('board-rows');
    try {
      const rowsRepos = createRepositories(fresh.client, fresh.tableName);
      const rows = new DynamoDbFleetBoardStore(fresh.documentClient, fresh.tableName);
      await rowsRepos.authorizations.save(record('t-a', 'presence'), undefined);
      await rowsRepos.authorizations.save(
        record('t-a', 'cdr', { status: 'invalid', cause: 'unknown' }),
        undefined,
      );
      await rowsRepos.authorizations.save(record('t-b', 'presence', { status: 'check_failing' }), undefined);
      await rowsRepos.authorizations.save(
        record('t-b', 'cdr', { status: 'invalid', cause: 'user_deactivated' }),
        undefined,
      );
      await rowsRepos.authorizations.save(record('u-c', 'presence', { status: 'degraded' }), undefined);
      const all = async (query: Omit<Parameters<typeof rows.listKeys>[0], 'limit' | 'cursor'>, limit = 2) => {
        const keysSeen: string[] = [];
        let cursor: string | undefined;
        do {
          const page = await rows.listKeys({ ...query, limit, ...(cursor ? { cursor } : {}) });
          expect(page.items.length).toBeLessThanOrEqual(limit);
          keysSeen.push(...page.items.map((key) => `${key.tenantId}/${key.integration}`));
          cursor = page.cursor;
        } while (cursor);
        return keysSeen;
      };
      // Bucket by bucket (a status, then its causes in catalog order), each by tenant id.
      expect(await all({ buckets: ALL_BUCKETS })).toEqual([
        't-b/presence',
        't-b/cdr',
        't-a/cdr',
        'u-c/presence',
        't-a/presence',
      ]);
      expect(await all({ buckets: bucketsFor({ status: 'invalid' }) })).toEqual(['t-b/cdr', 't-a/cdr']);
      expect(await all({ buckets: bucketsFor({ cause: 'user_deactivated' }) })).toEqual(['t-b/cdr']);
      expect(await all({ buckets: ALL_BUCKETS, integration: 'presence' }, 1)).toEqual([
        't-b/presence',
        'u-c/presence',
        't-a/presence',
      ]);
      expect(await all({ buckets: ALL_BUCKETS, tenantPrefix: 't-' }, 3)).toEqual([
        't-b/presence',
        't-b/cdr',
        't-a/cdr',
        't-a/presence',
      ]);
      expect(PROBLEMS_FIRST[0]).toBe('check_failing');
      await expect(rows.listKeys({ buckets: ALL_BUCKETS, limit: 2, cursor: 'not-a-cursor' })).rejects.toThrow(
        'The pagination cursor is not valid',
      );
      // A cursor of another filter names a bucket this one does not reach.
      const invalidPage = await rows.listKeys({ buckets: bucketsFor({ status: 'invalid' }), limit: 1 });
      await expect(
        rows.listKeys({ buckets: bucketsFor({ status: 'degraded' }), limit: 1, cursor: invalidPage.cursor! }),
      ).rejects.toMatchObject({
        reason: 'other_query',
        message: 'The pagination cursor belongs to another query',
      });
      // Also when the other query reaches that bucket: the rows before it would be skipped unseen.
      for (const other of [
        { buckets: ALL_BUCKETS },
        { buckets: bucketsFor({ status: 'invalid' }), integration: 'cdr' },
        { buckets: bucketsFor({ status: 'invalid' }), tenantPrefix: 't-' },
      ]) {
        await expect(
          rows.listKeys({ ...other, limit: 1, cursor: invalidPage.cursor! }),
        ).rejects.toMatchObject({
          reason: 'other_query',
        });
      }
      // The same query goes on from it.
      expect(
        (
          await rows.listKeys({
            buckets: bucketsFor({ status: 'invalid' }),
            limit: 1,
            cursor: invalidPage.cursor!,
          })
        ).items,
      ).toHaveLength(1);
    } finally {
      await fresh.drop();
    }
  });

  /** Runs the backfill over the whole table, a few items a page; answers how many it counted. */
  async function recountAll(): Promise<number> {
    let counted = 0;
    let cursor: string | undefined;
    do {
      const page = await board.countUncounted({ limit: 3, ...(cursor ? { cursor } : {}) });
      counted += page.counted;
      cursor = page.cursor;
    } while (cursor);
    return counted;
  }

  it('keeps the counters out of every tenant listing', async () => {
    const items =
      (await table.documentClient.send(new ScanCommand({ TableName: table.tableName }))).Items ?? [];
    const counters = items.filter((item) => String(item.pk).startsWith('BOARD#'));
    expect(counters.length).toBeGreaterThan(0);
    expect(counters.length).toBeLessThanOrEqual(tableDefinition.boardCounterShards);
    // The listing parses every item it reads as a tenant: a counter among them would throw.
    const listed = await repos.tenants.list({ limit: 100 });
    expect(listed.items.map((tenant) => tenant.tenantId).sort()).toEqual(['acme', 'legacy']);
  });
});
