import { DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRepositories } from '#adapters/dynamodb/index.js';
import { tableDefinition } from '#adapters/table-definition.js';
import type { Authorization } from '#domain/model.js';
import { createTestTable, type TestTable } from '#test-support/dynamodb.js';
import { testAuthorization, testEvent as event, testTenant } from '#test-support/fixtures.js';

const now = new Date('2026-11-25T10:00:00.000Z');
const iso = (offsetMs: number) => new Date(now.getTime() + offsetMs).toISOString();

const authorization = (tenantId: string, integration: string, overrides: Partial<Authorization> = {}) =>
  testAuthorization(tenantId, integration, { updatedAt: iso(0), nextCheckAt: iso(-1000), ...overrides });

// The ports' contract runs in repository-contract.test.ts; these are the table's own concerns.
describe('DynamoDB repositories on DynamoDB Local', () => {
  let table: TestTable;
  let repos: ReturnType<typeof createRepositories>;

  beforeAll(async () => {
    table = await createTestTable('repos');
    repos = createRepositories(table.client, table.tableName);
  });
  afterAll(async () => table.drop());

  it('has TTL on the definition’s attribute, as the stack sets it', async () => {
    const { TimeToLiveDescription } = await table.client.send(
      new DescribeTimeToLiveCommand({ TableName: table.tableName }),
    );
    expect(TimeToLiveDescription).toMatchObject({
      TimeToLiveStatus: 'ENABLED',
      AttributeName: tableDefinition.timeToLiveAttribute,
    });
  });

  it('lists only checkable, due authorizations from the sparse index', async () => {
    const tenantId = 'due-tenant';
    await repos.authorizations.save(authorization(tenantId, 'users-sync'), undefined);
    await repos.authorizations.save(
      authorization(tenantId, 'cdr', { nextCheckAt: iso(3_600_000) }),
      undefined,
    );
    await repos.authorizations.save(authorization(tenantId, 'sso', { status: 'invalid' }), undefined);
    await repos.authorizations.save(
      authorization(tenantId, 'call-control', { status: 'degraded' }),
      undefined,
    );
    // An invalid record whose alert is still to publish stays due until the sweep publishes it.
    await repos.authorizations.save(
      authorization(tenantId, 'presence', {
        status: 'invalid',
        nextCheckAt: undefined,
        pendingEvent: event(tenantId, 'presence', iso(0)),
      }),
      undefined,
    );

    const due: string[] = [];
    for (let shard = 0; shard < 16; shard += 1) {
      let cursor: string | undefined;
      do {
        const page = await repos.authorizations.listDue(shard, now, {
          limit: 1,
          ...(cursor ? { cursor } : {}),
        });
        due.push(...page.items.filter((key) => key.tenantId === tenantId).map((key) => key.integration));
        cursor = page.cursor;
      } while (cursor);
    }
    expect(due.sort()).toEqual(['call-control', 'presence', 'users-sync']);

    const invalid = await repos.authorizations.get(tenantId, 'sso');
    const { Items } = await table.documentClient.send(new ScanCommand({ TableName: table.tableName }));
    const stored = Items!.find((item) => item.pk === `TENANT#${tenantId}` && item.sk === 'AUTH#sso')!;
    expect(stored.dueShard).toBeUndefined();
    expect(invalid?.nextCheckAt).toBeUndefined();
  });

  it('claims a sent-mail key once, with a TTL and no address in the key, and gives it back on release', async () => {
    const key = 'evt-ledger#it@acme.example';
    expect(await repos.sentMail.claim(key, iso(86_400_000))).toBe(true);
    expect(await repos.sentMail.claim(key, iso(86_400_000))).toBe(false);
    const { Items } = await table.documentClient.send(new ScanCommand({ TableName: table.tableName }));
    const item = Items!.find((entry) => String(entry.pk).startsWith('MAIL#'))!;
    expect(JSON.stringify(item)).not.toContain('acme.example');
    expect(item[tableDefinition.timeToLiveAttribute]).toBe(Math.floor((now.getTime() + 86_400_000) / 1000));
    await repos.sentMail.release(key);
    expect(await repos.sentMail.claim(key, iso(86_400_000))).toBe(true);
  });

  it('adds contact suppressions to the tenant item and keeps them through an admin edit', async () => {
    const tenant = testTenant({ tenantId: 'suppressing', updatedAt: iso(0) });
    await repos.tenants.create(tenant);
    const bounce = { email: 'it@acme.example', reason: 'bouncing' as const, at: iso(1000) };
    const complaint = { email: 'boss@acme.example', reason: 'complained' as const, at: iso(2000) };
    expect(await repos.tenants.suppressContact('suppressing', bounce)).toBe(true);
    expect(await repos.tenants.suppressContact('suppressing', complaint)).toBe(true);
    await repos.tenants.replace({ ...tenant, name: 'Renamed', updatedAt: iso(3000) }, tenant.updatedAt);
    const stored = await repos.tenants.get('suppressing');
    expect(stored?.name).toBe('Renamed');
    expect(stored?.suppressedContacts).toEqual([bounce, complaint]);
    expect(await repos.tenants.suppressContact('no-such-tenant', bounce)).toBe(false);
  });
});
