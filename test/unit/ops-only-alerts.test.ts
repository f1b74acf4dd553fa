import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AuthorizationEvent } from '#domain/model.js';
import { LocalEventSink } from '#local/adapters/local-event-sink.js';
import { InMemoryTenantRepository } from '#test-support/fakes/index.js';
import { testTenant } from '#test-support/fixtures.js';

/*
 * An ops-only alert (the org-binding mail) reaches the vendor's ops address and no tenant contact
 * (on AWS the notifier routes it: test/unit/notifier.test.ts).
 */

const event: AuthorizationEvent = {
  version: 1,
  eventId: 'evt-bound',
  type: 'org_bound',
  severity: 'warning',
  tenantId: 'acme',
  integration: 'presence',
  occurredAt: '2026-11-25T10:00:00.000Z',
  summary: 'Acme was bound to a Webex org.',
};

describe('ops-only alerts', () => {
  it('mails an ops-only alert to the ops address only in the local sink', async () => {
    const sink = await LocalEventSink.open(
      await mkdtemp(join(tmpdir(), 'sink-ops-')),
      'ops@vendor.example',
      new InMemoryTenantRepository(testTenant({ tenantId: 'acme', contacts: ['admin@acme.example'] })),
    );
    await sink.publish(event, { subject: 'Webex org bound: Acme', text: 'ops only', audience: 'ops' });
    await sink.publish(event, { subject: 'Everyone', text: 'everyone' });

    expect(sink.mailbox().map((mail) => [mail.to, mail.subject])).toEqual([
      ['ops@vendor.example', 'Everyone'],
      ['admin@acme.example', 'Everyone'],
      ['ops@vendor.example', 'Webex org bound: Acme'],
    ]);
  });
});
