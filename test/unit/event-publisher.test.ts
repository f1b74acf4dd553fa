import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { AwsEventPublisher, EventPublishError } from '#adapters/event-publisher.js';
import type { AuthorizationEvent } from '#domain/model.js';

const eventBridge = mockClient(EventBridgeClient);
const sns = mockClient(SNSClient);
afterAll(() => {
  eventBridge.restore();
  sns.restore();
});

const event: AuthorizationEvent = {
  version: 1,
  eventId: 'evt-1',
  type: 'invalidated',
  severity: 'critical',
  tenantId: 'acme',
  integration: 'call-control',
  occurredAt: '2026-03-01T10:00:00.000Z',
  status: 'invalid',
  previousStatus: 'active',
  cause: 'user_deactivated',
  summary: 'Attendant Console call control stopped working (user deactivated).',
};

function publisher(): AwsEventPublisher {
  return new AwsEventPublisher({
    eventBusName: 'keeper-bus',
    topicArn: 'arn:aws:sns:eu-west-1:123456789012:keeper-alerts',
    eventBridge: new EventBridgeClient({ region: 'eu-west-1' }),
    sns: new SNSClient({ region: 'eu-west-1' }),
  });
}

describe('AwsEventPublisher', () => {
  beforeEach(() => {
    eventBridge.reset();
    sns.reset();
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'eb-1' }] });
    sns.on(PublishCommand).resolves({ MessageId: 'sns-1' });
  });

  it('puts the event on the bus and, as JSON for machines, on the topic with its message attributes', async () => {
    await publisher().publish(event);

    expect(eventBridge.commandCalls(PutEventsCommand).map((call) => call.args[0].input)).toEqual([
      {
        Entries: [
          {
            EventBusName: 'keeper-bus',
            Source: 'webex-auth-keeper',
            DetailType: 'authorization.invalidated',
            Detail: JSON.stringify(event),
            Time: new Date('2026-03-01T10:00:00.000Z'),
          },
        ],
      },
    ]);
    expect(sns.commandCalls(PublishCommand).map((call) => call.args[0].input)).toEqual([
      {
        TopicArn: 'arn:aws:sns:eu-west-1:123456789012:keeper-alerts',
        Message: JSON.stringify(event),
        MessageAttributes: {
          tenantId: { DataType: 'String', StringValue: 'acme' },
          integration: { DataType: 'String', StringValue: 'call-control' },
          type: { DataType: 'String', StringValue: 'invalidated' },
          severity: { DataType: 'String', StringValue: 'critical' },
        },
      },
    ]);
  });

  it('puts every event on the topic too, a routine refresh included', async () => {
    await publisher().publish({
      ...event,
      type: 'refreshed',
      severity: 'info',
      status: 'active',
      cause: undefined,
    });
    expect(eventBridge.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0]?.DetailType).toBe(
      'authorization.refreshed',
    );
    expect(sns.commandCalls(PublishCommand)[0]?.args[0].input.MessageAttributes?.type).toEqual({
      DataType: 'String',
      StringValue: 'refreshed',
    });
  });

  it('throws when the bus refuses the entry, before anything reaches the topic', async () => {
    eventBridge.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }],
    });
    await expect(publisher().publish(event)).rejects.toThrow(EventPublishError);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
  });

  it('lets an SNS failure through so the outbox retries', async () => {
    sns.on(PublishCommand).rejects(new Error('throttled'));
    await expect(publisher().publish(event)).rejects.toThrow('throttled');
  });
});
