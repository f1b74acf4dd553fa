import { DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { GetCommand, ScanCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRepositories } from '#adapters/dynamodb/index.js';
import { DynamoDbTenantRepository } from '#adapters/dynamodb/tenant.repository.js';
import { tableDefinition } from '#adapters/table-definition.js';
import type { Authorization, ContactSuppression } from '#domain/model.js';
import { ConflictError } from '#domain/ports.js';
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

  /**
   * A tenant repository on the test table whose every read of a tenant item is followed, before
   * its next call goes out, by `meanwhile`: another writer's change landing between the
   * removal's read and its write. Counts the updates it sends.
   */
  function repositoryRacedBy(meanwhile: () => Promise<void>) {
    const sent = { updates: 0 };
    const client = {
      send: async (command: unknown) => {
        if (command instanceof UpdateCommand) sent.updates += 1;
        const output: unknown = await table.documentClient.send(command as GetCommand);
        if (command instanceof GetCommand) await meanwhile();
        return output;
      },
    } as unknown as DynamoDBDocumentClient;
    return { tenants: new DynamoDbTenantRepository(client, table.tableName), sent };
  }

  const suppression = (email: string, second: number): ContactSuppression => ({
    email,
    reason: 'unsubscribed',
    at: iso(second * 1000),
  });

  it('reads the suppressions again when another removal moved them between its read and its write', async () => {
    await repos.tenants.create(testTenant({ tenantId: 'restoring' }));
    const [first, other, second] = [
      suppression('it@acme.example', 1),
      suppression('boss@acme.example', 2),
      suppression('it@acme.example', 3),
    ] as const;
    for (const entry of [first, other, second]) await repos.tenants.suppressContact('restoring', entry);
    const appended = suppression('noc@acme.example', 4);
    let raced = false;
    const racing = repositoryRacedBy(async () => {
      if (raced) return;
      raced = true;
      // After the read: boss's entry goes (moving it@'s second entry from index 2 to 1), noc's comes.
      expect(await repos.tenants.removeContactSuppressions('restoring', 'boss@acme.example')).toEqual([
        other,
      ]);
      await repos.tenants.suppressContact('restoring', appended);
    });

    expect(await racing.tenants.removeContactSuppressions('restoring', 'it@acme.example')).toEqual([
      first,
      second,
    ]);
    expect(racing.sent.updates).toBe(2);
    expect((await repos.tenants.get('restoring'))?.suppressedContacts).toEqual([appended]);
  });

  it('gives up with a ConflictError, removing nothing, when the suppressions move before every write', async () => {
    await repos.tenants.create(testTenant({ tenantId: 'churning' }));
    const entry = suppression('it@acme.example', 1);
    await repos.tenants.suppressContact('churning', entry);
    const filler = suppression('filler@acme.example', 0);
    const racing = repositoryRacedBy(async () => {
      // Another writer puts an entry in front after each read, so every index read is stale.
      await table.documentClient.send(
        new UpdateCommand({
          TableName: table.tableName,
          Key: { pk: 'TENANT#churning', sk: 'TENANT' },
          UpdateExpression: 'SET suppressedContacts = list_append(:one, suppressedContacts)',
          ExpressionAttributeValues: { ':one': [filler] },
        }),
      );
    });

    await expect(
      racing.tenants.removeContactSuppressions('churning', 'it@acme.example'),
    ).rejects.toBeInstanceOf(ConflictError);
    expect(racing.sent.updates).toBe(5);
    const left = (await repos.tenants.get('churning'))?.suppressedContacts ?? [];
    expect(left.filter((stored) => stored.email === entry.email)).toEqual([entry]);
  });
});
