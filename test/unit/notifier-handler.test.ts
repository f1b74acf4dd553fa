import type { SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type { AuthorizationEvent } from '#domain/model.js';
import { DEFAULT_ALERT_POLICY } from '#domain/alert-policy.js';
import { createNotifierHandler } from '#functions/notifier.app.js';
import { inMemoryNotifier } from '#test-support/notifier-harness.js';
import { lambdaContext, silentObservability, sqsRecord, testTenant } from '#test-support/fixtures.js';

const OPS = 'ops@vendor.example';

function setup() {
  const { deps, tenants, mail, clock } = inMemoryNotifier({
    tenant: testTenant({ contacts: ['it@acme.example', 'boss@acme.example'] }),
  });
  const handler = createNotifierHandler(deps, silentObservability('notifier'));
  const invoke = (...bodies: unknown[]) =>
    handler(
      {
        Records: bodies.map((body, index) =>
          sqsRecord(`m${index}`, typeof body === 'string' ? body : JSON.stringify(body)),
        ),
      } satisfies SQSEvent,
      lambdaContext({ functionName: 'notifier' }),
    );
  return { tenants, mail, invoke, clock };
}

function busEvent(eventId: string): unknown {
  const detail: AuthorizationEvent = {
    version: 1,
    eventId,
    type: 'expiring',
    severity: 'warning',
    tenantId: 'acme',
    integration: 'cdr',
    occurredAt: '2026-03-01T10:00:00.000Z',
    status: 'expiring',
    deadline: '2026-03-15T10:00:00.000Z',
    summary: 'Call Analytics CDRs retrieval will stop working in 14 days unless it is renewed.',
  };
  return {
    version: '0',
    id: `eb-${eventId}`,
    'detail-type': 'authorization.expiring',
    source: 'webex-auth-keeper',
    time: '2026-03-01T10:00:00Z',
    detail,
  };
}

/** What the stack's flush schedule puts on the notifier queue every minute. */
const SCHEDULED_FLUSH = {
  version: '0',
  id: 'flush-1',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  time: '2026-03-01T10:01:00Z',
  resources: ['arn:aws:events:eu-west-1:123456789012:rule/notifier-flush'],
  detail: {},
};

/** A configuration-set event as SES puts it on the default bus. */
function sesEvent(
  eventType: 'Bounce' | 'Complaint' | 'Reject',
  address: string,
  tags: Record<string, string[]> = { tenantId: ['acme'], kind: ['invalidated'] },
): unknown {
  return {
    version: '0',
    id: 'ses-1',
    'detail-type': {
      Bounce: 'Email Bounced',
      Complaint: 'Email Complaint Received',
      Reject: 'Email Rejected',
    }[eventType],
    source: 'aws.ses',
    time: '2026-03-01T09:00:00Z',
    detail: {
      eventType,
      mail: { messageId: 'ses-message-1', destination: [address], tags },
      ...(eventType === 'Bounce'
        ? {
            bounce: {
              bounceType: 'Permanent',
              bounceSubType: 'General',
              bouncedRecipients: [{ emailAddress: address }],
            },
          }
        : {}),
      ...(eventType === 'Complaint'
        ? { complaint: { complainedRecipients: [{ emailAddress: address }] } }
        : {}),
      ...(eventType === 'Reject' ? { reject: { reason: 'Bad content' } } : {}),
    },
  };
}

describe('notifier handler', () => {
  it('mails an authorization event from the bus as the alert policy says: a warning to the contacts', async () => {
    const { mail, invoke } = setup();
    const response = await invoke(busEvent('evt-1'));
    expect(response.batchItemFailures).toEqual([]);
    expect(mail.recipients()).toEqual(['it@acme.example', 'boss@acme.example']);
  });

  it('mails the ops digest of an ended period when the flush schedule fires', async () => {
    const { mail, invoke, clock } = setup();
    await invoke(busEvent('evt-1'));
    await invoke(SCHEDULED_FLUSH);
    expect(mail.recipients()).not.toContain(OPS);
    clock.advance(DEFAULT_ALERT_POLICY.digestPeriodSeconds);
    const response = await invoke(SCHEDULED_FLUSH);
    expect(response.batchItemFailures).toEqual([]);
    expect(mail.sent.filter((message) => message.to === OPS).map((message) => message.tags.kind)).toEqual([
      'digest',
    ]);
  });

  it('marks a bounced contact on the tenant, and the next alert skips it', async () => {
    const { tenants, mail, invoke } = setup();
    await invoke(sesEvent('Bounce', 'Boss@acme.example'));
    expect((await tenants.get('acme'))?.suppressedContacts).toEqual([
      { email: 'boss@acme.example', reason: 'bouncing', at: '2026-03-01T09:00:00Z' },
    ]);
    await invoke(busEvent('evt-2'));
    expect(mail.recipients()).toEqual(['it@acme.example']);
  });

  it('marks a complaint as complained, and a soft bounce or a reject marks nothing', async () => {
    const { tenants, invoke } = setup();
    const soft = sesEvent('Bounce', 'it@acme.example') as { detail: { bounce: { bounceType: string } } };
    soft.detail.bounce.bounceType = 'Transient';
    await invoke(soft, sesEvent('Reject', 'it@acme.example'), sesEvent('Complaint', 'boss@acme.example'));
    expect((await tenants.get('acme'))?.suppressedContacts).toEqual([
      { email: 'boss@acme.example', reason: 'complained', at: '2026-03-01T09:00:00Z' },
    ]);
  });

  it('marks nothing for a bounce of ops mail, which has no tenant tag', async () => {
    const { tenants, invoke } = setup();
    await invoke(sesEvent('Bounce', OPS, { kind: ['check_failing'] }));
    expect((await tenants.get('acme'))?.suppressedContacts).toBeUndefined();
  });

  it('sends nothing twice when a message is delivered again', async () => {
    const { mail, invoke } = setup();
    await invoke(busEvent('evt-3'));
    await invoke(busEvent('evt-3'));
    expect(mail.sent).toHaveLength(2);
  });

  it('reports a malformed message and a failed send as batch item failures, and handles the rest', async () => {
    const { mail, invoke } = setup();
    mail.fail(new Error('SES is down'), 1);
    const response = await invoke('not json', busEvent('evt-4'), { source: 'elsewhere' }, busEvent('evt-5'));
    expect(response.batchItemFailures).toEqual([
      { itemIdentifier: 'm0' },
      { itemIdentifier: 'm1' },
      { itemIdentifier: 'm2' },
    ]);
    expect(mail.sent.map((message) => message.idempotencyKey)).toEqual([
      'evt-5#it@acme.example',
      'evt-5#boss@acme.example',
    ]);
  });
});
