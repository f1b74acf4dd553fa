import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { NOTIFIER_MAX_RECEIVE_COUNT } from '#lib/mail.js';
import { defaultStack, environmentOf, logicalId, render, synthesize } from './support.js';
import type { Synthesized } from './support.js';

let synth: Synthesized;

beforeAll(() => {
  synth = defaultStack();
});

describe('SES sending identity', () => {
  it('is a domain identity with Easy DKIM, a custom MAIL FROM subdomain and the configuration set', () => {
    const { mail } = synth.stack;
    synth.template.hasResourceProperties('AWS::SES::EmailIdentity', {
      EmailIdentity: { Ref: 'MailDomain' },
      DkimAttributes: { SigningEnabled: true },
      MailFromAttributes: { MailFromDomain: { 'Fn::Join': ['', ['bounce.', { Ref: 'MailDomain' }]] } },
      ConfigurationSetAttributes: { ConfigurationSetName: { Ref: logicalId(mail.configurationSet) } },
    });
    expect(synth.template.toJSON().Parameters).toHaveProperty('MailDomain');
  });

  it('takes the domain from context, with no parameter, when given', () => {
    const withDomain = synthesize({ mailDomain: 'mail.vendor.example' });
    expect(withDomain.template.toJSON().Parameters).not.toHaveProperty('MailDomain');
    withDomain.template.hasResourceProperties('AWS::SES::EmailIdentity', {
      EmailIdentity: 'mail.vendor.example',
      MailFromAttributes: { MailFromDomain: 'bounce.mail.vendor.example' },
    });
    expect(environmentOf(withDomain.template, withDomain.stack.mail.notifier).MAIL_FROM_ADDRESS).toBe(
      'alerts@mail.vendor.example',
    );
  });

  it('has a configuration set that suppresses hard bounces and complaints', () => {
    synth.template.hasResourceProperties('AWS::SES::ConfigurationSet', {
      SuppressionOptions: { SuppressedReasons: Match.arrayEquals(['BOUNCE', 'COMPLAINT']) },
    });
  });

  it("sends the configuration set's bounces, complaints and rejects to the default event bus", () => {
    synth.template.hasResourceProperties('AWS::SES::ConfigurationSetEventDestination', {
      ConfigurationSetName: { Ref: logicalId(synth.stack.mail.configurationSet) },
      EventDestination: {
        Enabled: true,
        MatchingEventTypes: Match.arrayEquals(['bounce', 'complaint', 'reject']),
        EventBridgeDestination: {
          EventBusArn: {
            'Fn::Join': Match.arrayWith([Match.arrayWith([':event-bus/default'])]),
          },
        },
      },
    });
  });
});

describe('notifier queue', () => {
  it('dead-letters a message after its receives, and is consumed with partial batch failures', () => {
    const { mail } = synth.stack;
    synth.template.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': [logicalId(mail.deadLetterQueue), 'Arn'] },
        maxReceiveCount: NOTIFIER_MAX_RECEIVE_COUNT,
      },
      SqsManagedSseEnabled: true,
    });
    synth.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [logicalId(mail.queue), 'Arn'] },
      FunctionName: { Ref: logicalId(mail.notifier) },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('is fed every event of the keeper bus and the configuration set feedback of the default bus', () => {
    const { mail, alerts } = synth.stack;
    const target = Match.arrayWith([
      Match.objectLike({ Arn: { 'Fn::GetAtt': [logicalId(mail.queue), 'Arn'] } }),
    ]);
    synth.template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: { Ref: logicalId(alerts.bus) },
      EventPattern: { source: ['webex-auth-keeper'] },
      Targets: target,
    });
    synth.template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: Match.absent(),
      EventPattern: {
        source: ['aws.ses'],
        'detail-type': ['Email Bounced', 'Email Complaint Received', 'Email Rejected'],
        detail: {
          mail: { tags: { 'ses:configuration-set': [{ Ref: logicalId(mail.configurationSet) }] } },
        },
      },
      Targets: target,
    });
  });

  it('feeds the notifier queue the flush schedule every minute', () => {
    synth.template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: Match.arrayWith([
        Match.objectLike({ Arn: { 'Fn::GetAtt': [logicalId(synth.stack.mail.queue), 'Arn'] } }),
      ]),
    });
  });

  it('gives the notifier its sender, configuration set and ops address', () => {
    const env = environmentOf(synth.template, synth.stack.mail.notifier);
    expect(render(env.MAIL_FROM_ADDRESS)).toBe('alerts@${MailDomain}');
    expect(env.MAIL_CONFIGURATION_SET).toEqual({ Ref: logicalId(synth.stack.mail.configurationSet) });
    expect(env.OPS_EMAIL).toEqual({ Ref: 'OpsAlertEmail' });
    // Named in a credential incident's mail as where ops put the secret; the notifier never reads it.
    expect(env.CLIENT_SECRETS_SECRET_ID).toEqual({ Ref: logicalId(synth.stack.tokenStore.clientSecrets) });
    expect(env).not.toHaveProperty('ALERT_TOPIC_ARN');
    expect(env).not.toHaveProperty('TOKEN_SECRET_PREFIX');
  });
});
