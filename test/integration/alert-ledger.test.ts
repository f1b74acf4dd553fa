import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbAlertLedger } from '#adapters/dynamodb/alert-ledger.store.js';
import type { AlertLedger, DigestEntry } from '#domain/alert-ledger.js';
import { MemoryAlertLedger } from '#local/adapters/memory-alert-ledger.js';
import { alertInputFor } from '#test-support/alert-inputs.js';
import { createTestTable, type TestTable } from '#test-support/dynamodb.js';

const T0 = new Date('2026-03-01T10:00:00.000Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

function death(integration: string) {
  return alertInputFor(integration).event;
}

function entry(eventId: string): DigestEntry {
  return {
    eventId,
    type: 'invalidated',
    cause: 'user_deactivated',
    tenantId: 'acme',
    integration: 'presence',
    occurredAt: T0.toISOString(),
  };
}

let table: TestTable;
beforeAll(async () => {
  table = await createTestTable('alert-ledger');
});
afterAll(async () => {
  await table.drop();
});

// The same contract for the table's ledger and the local run's.
describe.each([
  ['DynamoDB', () => new DynamoDbAlertLedger(table.documentClient, table.tableName)],
  ['in memory', () => new MemoryAlertLedger()],
])('the alert ledger (%s)', (_kind, ledgerOf: () => AlertLedger) => {
  it('collects an incident until it closes, each event once, and opens a new one after', async () => {
    const ledger = ledgerOf();
    const key = 'acme#password_changed_or_revoked#admin@acme.example';
    await ledger.addToIncident(key, death('presence'), at(0), at(300));
    await ledger.addToIncident(key, death('cdr'), at(10), at(310));
    await ledger.addToIncident(key, death('cdr'), at(20), at(320));
    expect(await ledger.closedIncidents(at(299))).toEqual([]);
    const [incident, ...none] = await ledger.closedIncidents(at(300));
    expect(none).toEqual([]);
    expect(incident?.closesAt).toBe(at(300).toISOString());
    expect(incident?.events.map((event) => event.integration).sort()).toEqual(['cdr', 'presence']);
    await ledger.addToIncident(key, death('sso'), at(301), at(601));
    expect((await ledger.closedIncidents(at(600))).map((open) => open.events.length)).toEqual([2]);
    await ledger.removeIncident(incident ?? { key, closesAt: '' });
    expect(await ledger.closedIncidents(at(600))).toEqual([]);
    expect((await ledger.closedIncidents(at(601)))[0]?.events.map((event) => event.integration)).toEqual([
      'sso',
    ]);
  });

  it('keeps each digest entry once, lists a period once it ended, and forgets it when removed', async () => {
    const ledger = ledgerOf();
    const end = at(3600);
    await ledger.addToDigest(end, entry('e1'));
    await ledger.addToDigest(end, entry('e1'));
    await ledger.addToDigest(end, entry('e2'));
    expect(await ledger.closedDigests(at(10))).toEqual([]);
    const [digest] = await ledger.closedDigests(end);
    expect(digest?.periodEnd).toBe(end.toISOString());
    expect(digest?.entries.map((item) => item.eventId).sort()).toEqual(['e1', 'e2']);
    await ledger.removeDigest(end.toISOString());
    expect(await ledger.closedDigests(end)).toEqual([]);
  });

  it('answers when an authorization went degraded once, and counts its flaps per day', async () => {
    const ledger = ledgerOf();
    await ledger.noteDegraded('acme', 'presence', at(0));
    expect(await ledger.takeDegradedAt('acme', 'presence')).toEqual(at(0));
    expect(await ledger.takeDegradedAt('acme', 'presence')).toBeUndefined();
    const day = '2026-03-01';
    expect(await ledger.countFlap('acme', 'presence', day)).toBe(1);
    expect(await ledger.countFlap('acme', 'presence', day)).toBe(2);
    expect(await ledger.countFlap('acme', 'cdr', day)).toBe(1);
    expect(await ledger.listFlapping(day, 1)).toEqual([
      { tenantId: 'acme', integration: 'presence', day, flaps: 2 },
    ]);
  });
});
