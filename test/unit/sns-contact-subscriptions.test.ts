import {
  AuthorizationErrorException,
  GetSubscriptionAttributesCommand,
  InvalidParameterException,
  ListSubscriptionsByTopicCommand,
  NotFoundException,
  SetSubscriptionAttributesCommand,
  SNSClient,
  SubscribeCommand,
  UnsubscribeCommand,
  type Subscription,
} from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { SnsContactSubscriptions } from '#adapters/sns-contact-subscriptions.js';

const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:alerts';
const client = new SNSClient({
  region: 'eu-west-1',
  credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
});
const sns = mockClient(client);
const adapter = new SnsContactSubscriptions(client, TOPIC);

function email(endpoint: string, arn = `${TOPIC}:${endpoint}`): Subscription {
  return {
    SubscriptionArn: arn,
    Protocol: 'email',
    Endpoint: endpoint,
    TopicArn: TOPIC,
    Owner: '123456789012',
  };
}

/** Gives each listed ARN the filter policy of these tenants (undefined: no policy). */
function policies(byArn: Record<string, string[] | undefined | string>) {
  sns.on(GetSubscriptionAttributesCommand).callsFake((input: { SubscriptionArn: string }) => {
    const tenants = byArn[input.SubscriptionArn];
    if (tenants === undefined) return { Attributes: { Protocol: 'email' } };
    if (typeof tenants === 'string') return { Attributes: { FilterPolicy: tenants } };
    return {
      Attributes: {
        FilterPolicy: JSON.stringify({ tenantId: tenants }),
        FilterPolicyScope: 'MessageAttributes',
      },
    };
  });
}

const subscribeInput = (endpoint: string, tenantId: string) => ({
  TopicArn: TOPIC,
  Protocol: 'email',
  Endpoint: endpoint,
  ReturnSubscriptionArn: true,
  Attributes: {
    FilterPolicy: JSON.stringify({ tenantId: [tenantId] }),
    FilterPolicyScope: 'MessageAttributes',
  },
});

describe('SnsContactSubscriptions', () => {
  beforeEach(() => {
    sns.reset();
    sns.on(SubscribeCommand).resolves({ SubscriptionArn: `${TOPIC}:new` });
  });

  it('subscribes new contacts with a filter policy on the tenant id', async () => {
    sns.on(ListSubscriptionsByTopicCommand).resolves({ Subscriptions: [] });
    const report = await adapter.reconcile('acme', ['ops@acme.example', 'it@acme.example']);
    expect(sns.commandCalls(ListSubscriptionsByTopicCommand).map((call) => call.args[0].input)).toEqual([
      { TopicArn: TOPIC, NextToken: undefined },
    ]);
    expect(sns.commandCalls(SubscribeCommand).map((call) => call.args[0].input)).toEqual([
      subscribeInput('ops@acme.example', 'acme'),
      subscribeInput('it@acme.example', 'acme'),
    ]);
    expect(report.subscribed).toEqual(['ops@acme.example', 'it@acme.example']);
  });

  it('reads every page of the topic before deciding', async () => {
    sns
      .on(ListSubscriptionsByTopicCommand, { TopicArn: TOPIC, NextToken: undefined })
      .resolves({ Subscriptions: [email('a@acme.example')], NextToken: 'page-2' })
      .on(ListSubscriptionsByTopicCommand, { TopicArn: TOPIC, NextToken: 'page-2' })
      .resolves({ Subscriptions: [email('b@acme.example')] });
    policies({ [`${TOPIC}:a@acme.example`]: ['acme'], [`${TOPIC}:b@acme.example`]: ['acme'] });

    const report = await adapter.reconcile('acme', ['a@acme.example']);
    expect(
      sns.commandCalls(ListSubscriptionsByTopicCommand).map((call) => call.args[0].input.NextToken),
    ).toEqual([undefined, 'page-2']);
    expect(sns.commandCalls(SubscribeCommand)).toHaveLength(0);
    expect(sns.commandCalls(UnsubscribeCommand).map((call) => call.args[0].input)).toEqual([
      { SubscriptionArn: `${TOPIC}:b@acme.example` },
    ]);
    expect(report).toMatchObject({ subscribed: [], unsubscribed: ['b@acme.example'] });
  });

  it('adds the tenant to the policy of an address already subscribed for another tenant (SNS allows one per address)', async () => {
    sns.on(ListSubscriptionsByTopicCommand).resolves({ Subscriptions: [email('shared@msp.example')] });
    policies({ [`${TOPIC}:shared@msp.example`]: ['zeta'] });

    const report = await adapter.reconcile('acme', ['Shared@MSP.example']);
    expect(sns.commandCalls(SetSubscriptionAttributesCommand).map((call) => call.args[0].input)).toEqual([
      {
        SubscriptionArn: `${TOPIC}:shared@msp.example`,
        AttributeName: 'FilterPolicy',
        AttributeValue: '{"tenantId":["acme","zeta"]}',
      },
    ]);
    expect(sns.commandCalls(SubscribeCommand)).toHaveLength(0);
    expect(report.added).toEqual(['shared@msp.example']);
  });

  it('takes the tenant out of a shared policy, and unsubscribes when no tenant is left', async () => {
    sns.on(ListSubscriptionsByTopicCommand).resolves({
      Subscriptions: [email('shared@msp.example'), email('only@acme.example'), email('other@zeta.example')],
    });
    policies({
      [`${TOPIC}:shared@msp.example`]: ['acme', 'zeta'],
      [`${TOPIC}:only@acme.example`]: ['acme'],
      [`${TOPIC}:other@zeta.example`]: ['zeta'],
    });

    const report = await adapter.reconcile('acme', []);
    expect(sns.commandCalls(SetSubscriptionAttributesCommand).map((call) => call.args[0].input)).toEqual([
      {
        SubscriptionArn: `${TOPIC}:shared@msp.example`,
        AttributeName: 'FilterPolicy',
        AttributeValue: '{"tenantId":["zeta"]}',
      },
    ]);
    expect(sns.commandCalls(UnsubscribeCommand).map((call) => call.args[0].input)).toEqual([
      { SubscriptionArn: `${TOPIC}:only@acme.example` },
    ]);
    expect(report).toMatchObject({ removed: ['shared@msp.example'], unsubscribed: ['only@acme.example'] });
  });

  it('never touches subscriptions it did not write: no policy, another policy, another protocol', async () => {
    sns.on(ListSubscriptionsByTopicCommand).resolves({
      Subscriptions: [
        email('ops@vendor.example'),
        email('custom@acme.example'),
        {
          SubscriptionArn: `${TOPIC}:queue`,
          Protocol: 'sqs',
          Endpoint: 'arn:aws:sqs:eu-west-1:1:q',
          TopicArn: TOPIC,
        },
      ],
    });
    policies({
      [`${TOPIC}:ops@vendor.example`]: undefined,
      [`${TOPIC}:custom@acme.example`]: '{"tenantId":["acme"],"severity":["critical"]}',
    });

    // The ops address is already subscribed (to everything): nothing to add for it.
    await adapter.reconcile('acme', ['ops@vendor.example']);
    expect(sns.commandCalls(GetSubscriptionAttributesCommand)).toHaveLength(2);
    expect(sns.commandCalls(SubscribeCommand)).toHaveLength(0);
    expect(sns.commandCalls(SetSubscriptionAttributesCommand)).toHaveLength(0);
    expect(sns.commandCalls(UnsubscribeCommand)).toHaveLength(0);
  });

  it('leaves a removed contact that is still pending to SNS: it has no ARN to unsubscribe', async () => {
    sns.on(ListSubscriptionsByTopicCommand).resolves({
      Subscriptions: [email('pending@acme.example', 'PendingConfirmation')],
    });
    const report = await adapter.reconcile('acme', []);
    expect(sns.calls().map((call) => call.args[0].constructor.name)).toEqual([
      'ListSubscriptionsByTopicCommand',
    ]);
    expect(report).toEqual({
      subscribed: [],
      added: [],
      removed: [],
      unsubscribed: [],
      awaitingConfirmation: [],
    });
  });

  it('re-subscribes a wanted contact that is pending, and accepts that it may be pending for another tenant', async () => {
    sns.on(ListSubscriptionsByTopicCommand).resolves({
      Subscriptions: [
        email('mine@acme.example', 'PendingConfirmation'),
        email('theirs@msp.example', 'PendingConfirmation'),
      ],
    });
    sns.on(SubscribeCommand, { Endpoint: 'theirs@msp.example' }).rejects(
      new InvalidParameterException({
        message:
          'Invalid parameter: Attributes Reason: Subscription already exists with different attributes',
        $metadata: {},
      }),
    );

    const report = await adapter.reconcile('acme', ['mine@acme.example', 'theirs@msp.example']);
    expect(sns.commandCalls(SubscribeCommand).map((call) => call.args[0].input)).toEqual([
      subscribeInput('mine@acme.example', 'acme'),
      subscribeInput('theirs@msp.example', 'acme'),
    ]);
    expect(report.awaitingConfirmation).toEqual(['mine@acme.example', 'theirs@msp.example']);
    expect(report.subscribed).toEqual([]);
  });

  it('treats a subscription that vanished meanwhile as gone', async () => {
    sns
      .on(ListSubscriptionsByTopicCommand)
      .resolves({ Subscriptions: [email('gone@acme.example'), email('left@acme.example')] });
    sns
      .on(GetSubscriptionAttributesCommand, { SubscriptionArn: `${TOPIC}:gone@acme.example` })
      .rejects(new NotFoundException({ message: 'Subscription does not exist', $metadata: {} }))
      .on(GetSubscriptionAttributesCommand, { SubscriptionArn: `${TOPIC}:left@acme.example` })
      .resolves({ Attributes: { FilterPolicy: '{"tenantId":["acme"]}' } });
    sns
      .on(UnsubscribeCommand)
      .rejects(new NotFoundException({ message: 'Subscription does not exist', $metadata: {} }));

    await expect(adapter.reconcile('acme', [])).resolves.toMatchObject({
      unsubscribed: ['left@acme.example'],
    });
  });

  it('fails loudly when SNS refuses a change, so the admin API can say so', async () => {
    sns.on(ListSubscriptionsByTopicCommand).resolves({ Subscriptions: [] });
    sns
      .on(SubscribeCommand)
      .rejects(new AuthorizationErrorException({ message: 'not allowed', $metadata: {} }));
    await expect(adapter.sync('acme', ['ops@acme.example'])).rejects.toBeInstanceOf(
      AuthorizationErrorException,
    );
  });
});
