import { randomUUID } from 'node:crypto';
import { DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRepositories, InvalidCursorError } from '../../functions/adapters/dynamodb/index.js';
import { tableDefinition } from '../../functions/adapters/table-definition.js';
import type { Authorization, AuthorizationEvent, Tenant } from '../../functions/domain/model.js';
import { ConflictError } from '../../functions/domain/ports.js';
import { createTestTable, type TestTable } from '../support/dynamodb.js';

const now = new Date('2026-11-25T10:00:00.000Z');
const iso = (offsetMs: number) => new Date(now.getTime() + offsetMs).toISOString();

function tenant(tenantId: string): Tenant {
  return {
    tenantId,
    name: `Tenant ${tenantId}`,
    contacts: ['ops@customer.example'],
    sso: false,
    linkVersion: 1,
    status: 'active',
    createdAt: iso(0),
    updatedAt: iso(0),
  };
}

function authorization(
  tenantId: string,
  integration: string,
  overrides: Partial<Authorization> = {},
): Authorization {
  return {
    tenantId,
    integration,
    status: 'active',
    scopes: ['spark:people_read'],
    consecutiveFailures: 0,
    version: 0,
    warningsSent: [],
    updatedAt: iso(0),
    nextCheckAt: iso(-1000),
    ...overrides,
  };
}

function event(tenantId: string, integration: string, occurredAt: string): AuthorizationEvent {
  return {
    eventId: randomUUID(),
    type: 'granted',
    severity: 'info',
    tenantId,
    integration,
    occurredAt,
    summary: 'granted',
  };
}

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

  it('creates, reads, pages and updates tenants without touching the bound org', async () => {
    for (const id of ['t-a', 't-b', 't-c']) await repos.tenants.create(tenant(id));
    await expect(repos.tenants.create(tenant('t-a'))).rejects.toBeInstanceOf(ConflictError);

    const first = await repos.tenants.list({ limit: 2 });
    expect(first.items.map((t) => t.tenantId)).toEqual(['t-a', 't-b']);
    const second = await repos.tenants.list({ limit: 2, cursor: first.cursor! });
    expect(second.items.map((t) => t.tenantId)).toEqual(['t-c']);
    await expect(repos.tenants.list({ limit: 2, cursor: 'garbage' })).rejects.toBeInstanceOf(
      InvalidCursorError,
    );

    expect(await repos.tenants.bindOrg('t-a', 'org-1')).toBe(true);
    expect(await repos.tenants.bindOrg('t-a', 'org-1')).toBe(true);
    expect(await repos.tenants.bindOrg('t-a', 'org-2')).toBe(false);
    expect(await repos.tenants.bindOrg('missing', 'org-1')).toBe(false);

    const stored = (await repos.tenants.get('t-a'))!;
    await repos.tenants.replace({ ...stored, name: 'Renamed', updatedAt: iso(1000) }, stored.updatedAt);
    await expect(
      repos.tenants.replace({ ...stored, name: 'Stale' }, stored.updatedAt),
    ).rejects.toBeInstanceOf(ConflictError);
    expect(await repos.tenants.get('t-a')).toMatchObject({ name: 'Renamed', orgId: 'org-1' });
    expect(await repos.tenants.get('nope')).toBeUndefined();
  });

  it('saves with optimistic locking and writes the history event in the same transaction', async () => {
    const created = await repos.authorizations.save(
      authorization('t-a', 'presence'),
      undefined,
      event('t-a', 'presence', iso(0)),
    );
    expect(created.version).toBe(1);
    await expect(
      repos.authorizations.save(authorization('t-a', 'presence'), undefined),
    ).rejects.toBeInstanceOf(ConflictError);
    // A conflicting save writes neither the record nor its event.
    await expect(
      repos.authorizations.save({ ...created, status: 'invalid' }, 7, event('t-a', 'presence', iso(5))),
    ).rejects.toBeInstanceOf(ConflictError);
    expect((await repos.authorizations.get('t-a', 'presence'))?.status).toBe('active');
    expect((await repos.history.list('t-a', { limit: 10 })).items).toHaveLength(1);

    const updated = await repos.authorizations.save({ ...created, consecutiveFailures: 1 }, 1);
    expect(updated.version).toBe(2);
    expect(await repos.authorizations.get('t-a', 'presence')).toEqual(updated);
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

  it('gives the lease to one owner at a time until it expires or is released', async () => {
    await repos.authorizations.save(authorization('lease', 'cdr'), undefined);
    const until = new Date(now.getTime() + 60_000);
    const first = await repos.authorizations.acquireLease('lease', 'cdr', 'worker-1', until, now);
    expect(first?.leaseOwner).toBe('worker-1');
    expect(await repos.authorizations.acquireLease('lease', 'cdr', 'worker-2', until, now)).toBeUndefined();
    const later = new Date(until.getTime() + 1);
    expect(
      (await repos.authorizations.acquireLease('lease', 'cdr', 'worker-2', later, later))?.leaseOwner,
    ).toBe('worker-2');
    await repos.authorizations.releaseLease('lease', 'cdr', 'worker-1');
    expect((await repos.authorizations.get('lease', 'cdr'))?.leaseOwner).toBe('worker-2');
    await repos.authorizations.releaseLease('lease', 'cdr', 'worker-2');
    expect((await repos.authorizations.get('lease', 'cdr'))?.leaseOwner).toBeUndefined();
    expect(await repos.authorizations.acquireLease('lease', 'missing', 'w', until, now)).toBeUndefined();
  });

  it('leases a record for a check only when due or with an event to publish, and says why not', async () => {
    const repo = repos.authorizations;
    const until = new Date(now.getTime() + 60_000);
    await repo.save(authorization('check-lease', 'cdr', { nextCheckAt: iso(-1000) }), undefined);
    await repo.save(authorization('check-lease', 'sso', { nextCheckAt: iso(60_000) }), undefined);
    await repo.save(
      authorization('check-lease', 'presence', { status: 'invalid', nextCheckAt: undefined }),
      undefined,
    );
    const pending = { ...event('check-lease', 'users-sync', iso(0)), type: 'invalidated' as const };
    await repo.save(
      authorization('check-lease', 'users-sync', {
        status: 'invalid',
        nextCheckAt: undefined,
        pendingEvent: pending,
      }),
      undefined,
    );
    const lease = (integration: string, owner: string, dueOnly = true) =>
      repo.leaseForCheck('check-lease', integration, owner, until, now, { dueOnly });

    const due = await lease('cdr', 'worker-1');
    expect('leased' in due && due.leased).toMatchObject({ leaseOwner: 'worker-1', version: 1 });
    // Held by worker-1: the refusal carries the holder, so the caller can say "leased".
    const held = await lease('cdr', 'worker-2');
    expect('refused' in held && held.refused).toMatchObject({ leaseOwner: 'worker-1', integration: 'cdr' });
    // Not due yet: refused with the record as it stands, and nothing written.
    const early = await lease('sso', 'worker-1');
    expect('refused' in early && early.refused).toMatchObject({ status: 'active', nextCheckAt: iso(60_000) });
    expect((await repo.get('check-lease', 'sso'))?.leaseOwner).toBeUndefined();
    // Invalid: nothing to check, unless an event waits to be published.
    const invalid = await lease('presence', 'worker-1');
    expect('refused' in invalid && invalid.refused).toMatchObject({ status: 'invalid' });
    const withEvent = await lease('users-sync', 'worker-1');
    expect('leased' in withEvent && withEvent.leased.pendingEvent?.eventId).toBe(pending.eventId);
    // Without dueOnly (validate now) any record is leased; a missing one is refused with nothing.
    const forced = await lease('sso', 'worker-1', false);
    expect('leased' in forced && forced.leased.leaseOwner).toBe('worker-1');
    expect(await lease('missing', 'worker-1', false)).toEqual({ refused: undefined });
  });

  it('returns history newest first, paged', async () => {
    for (const offset of [1, 2, 3]) await repos.history.append(event('hist', 'cdr', iso(offset * 1000)));
    const page = await repos.history.list('hist', { limit: 2 });
    expect(page.items.map((e) => e.occurredAt)).toEqual([iso(3000), iso(2000)]);
    const rest = await repos.history.list('hist', { limit: 2, cursor: page.cursor! });
    expect(rest.items.map((e) => e.occurredAt)).toEqual([iso(1000)]);
    expect(rest.cursor).toBeUndefined();
  });

  it('consumes an OAuth state exactly once, even when two callers race', async () => {
    const state = {
      stateHash: 'a'.repeat(64),
      tenantId: 't-a',
      integration: 'cdr',
      codeVerifier: 'verifier',
      linkVersion: 1,
      expiresAt: iso(600_000),
    };
    await repos.oauthStates.put(state);
    const results = await Promise.all([
      repos.oauthStates.consume(state.stateHash),
      repos.oauthStates.consume(state.stateHash),
    ]);
    expect(results.filter(Boolean)).toEqual([state]);
    expect(await repos.oauthStates.consume(state.stateHash)).toBeUndefined();
  });
});
