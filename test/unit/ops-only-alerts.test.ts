import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { AwsEventPublisher } from '#adapters/event-publisher.js';
import type { AuthorizationEvent } from '#domain/model.js';
import { LocalEventSink } from '#local/adapters/local-event-sink.js';
import { InMemoryTenantRepository } from '#test-support/fakes/index.js';
import { testTenant } from '#test-support/fixtures.js';

/*
 * An ops-only alert (the org-binding mail) reaches the vendor's ops address and no tenant contact:
 * on SNS it carries no tenantId attribute, which every contact's filter policy requires.
 */

const event: AuthorizationEvent = {
  eventId: 'evt-bound',
  type: 'org_bound',
  severity: 'warning',
  tenantId: 'acme',
  integration: 'presence',
  occurredAt: '2026-11-25T10:00:00.000Z',
  summary: 'Acme was bound to a Webex org.',
};

describe('ops-only alerts', () => {
  const eventBridge = mockClient(EventBridgeClient);
  const sns = mockClient(SNSClient);

  beforeEach(() => {
    eventBridge.reset();
    sns.reset();
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'eb-1' }] });
    sns.on(PublishCommand).resolves({ MessageId: 'sns-1' });
  });

  it('publishes an ops-only alert on SNS without the tenantId attribute, and others with it', async () => {
    const publisher = new AwsEventPublisher({
      eventBusName: 'keeper-bus',
      topicArn: 'arn:aws:sns:eu-west-1:123456789012:keeper-alerts',
      eventBridge: new EventBridgeClient({ region: 'eu-west-1' }),
      sns: new SNSClient({ region: 'eu-west-1' }),
    });
    await publisher.publish(event, { subject: 'Webex org bound: Acme', text: 'ops only', audience: 'ops' });
    await publisher.publish(event, { subject: 'Everyone', text: 'everyone' });

    const attributes = sns.commandCalls(PublishCommand).map((call) => call.args[0].input.MessageAttributes);
    expect(attributes[0]).toEqual({
      integration: { DataType: 'String', StringValue: 'presence' },
      type: { DataType: 'String', StringValue: 'org_bound' },
      severity: { DataType: 'String', StringValue: 'warning' },
    });
    expect(attributes[1]).toHaveProperty('tenantId', { DataType: 'String', StringValue: 'acme' });
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(2);
  });

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
