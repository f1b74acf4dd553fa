import {
  MessageRejected,
  SendEmailCommand,
  SESv2Client,
  TooManyRequestsException,
} from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { SES_SEND_ATTEMPTS, SesMailSender } from '#adapters/ses-mail-sender.js';
import type { EmailMessage } from '#domain/ports.js';

const ses = mockClient(SESv2Client);
afterAll(() => ses.restore());

const message: EmailMessage = {
  to: 'it@acme.example',
  subject: 'Action needed: Acme - Call control stopped working',
  text: 'What happened',
  html: '<pre>What happened</pre>',
  unsubscribeUrl: 'https://keeper.example/unsubscribe/token',
  idempotencyKey: 'evt-1#it@acme.example',
  tags: { tenantId: 'acme', kind: 'invalidated' },
};

function sender(waits: number[] = []): SesMailSender {
  return new SesMailSender({
    fromAddress: 'Webex Auth Keeper <alerts@mail.keeper.example>',
    configurationSetName: 'keeper-mail',
    client: new SESv2Client({ region: 'eu-west-1' }),
    sleep: async (ms) => {
      waits.push(ms);
    },
  });
}

function throttled(): TooManyRequestsException {
  return new TooManyRequestsException({ message: 'Maximum sending rate exceeded.', $metadata: {} });
}

describe('SesMailSender', () => {
  beforeEach(() => {
    ses.reset();
    ses.on(SendEmailCommand).resolves({ MessageId: 'ses-1' });
  });

  it('sends one multipart mail to the one address, through the configuration set, with its tags and one-click unsubscribe', async () => {
    await sender().send(message);
    const calls = ses.commandCalls(SendEmailCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0]?.args[0].input;
    expect(input?.Destination).toEqual({ ToAddresses: ['it@acme.example'] });
    expect(input?.FromEmailAddress).toBe('Webex Auth Keeper <alerts@mail.keeper.example>');
    expect(input?.ConfigurationSetName).toBe('keeper-mail');
    expect(input?.EmailTags).toEqual([
      { Name: 'tenantId', Value: 'acme' },
      { Name: 'kind', Value: 'invalidated' },
    ]);
    const simple = input?.Content?.Simple;
    expect(simple?.Subject?.Data).toBe(message.subject);
    expect(simple?.Body?.Text?.Data).toBe('What happened');
    expect(simple?.Body?.Html?.Data).toBe('<pre>What happened</pre>');
    expect(simple?.Headers).toEqual([
      { Name: 'List-Unsubscribe', Value: '<https://keeper.example/unsubscribe/token>' },
      { Name: 'List-Unsubscribe-Post', Value: 'List-Unsubscribe=One-Click' },
    ]);
  });

  it('sends tags SES takes (ASCII letters, digits, _ and -, at most 256) whatever the tenant id holds', async () => {
    await sender().send({
      ...message,
      tags: { tenantId: 'acme.eu/Zoë café 東京', kind: 'invalidated', 'odd name': 'x'.repeat(300) },
    });
    const tags = ses.commandCalls(SendEmailCommand)[0]?.args[0].input.EmailTags ?? [];
    expect(tags).toEqual([
      { Name: 'tenantId', Value: 'acme_eu_Zo__caf____' },
      { Name: 'kind', Value: 'invalidated' },
      { Name: 'odd_name', Value: 'x'.repeat(256) },
    ]);
    for (const { Name, Value } of tags) {
      expect(Name).toMatch(/^[A-Za-z0-9_-]{1,256}$/);
      expect(Value).toMatch(/^[A-Za-z0-9_-]{1,256}$/);
    }
  });

  it('adds no unsubscribe headers to ops mail', async () => {
    const { unsubscribeUrl: _none, ...opsMail } = message;
    await sender().send({ ...opsMail, to: 'ops@vendor.example', tags: { kind: 'check_failing' } });
    expect(ses.commandCalls(SendEmailCommand)[0]?.args[0].input.Content?.Simple?.Headers).toBeUndefined();
  });

  it('waits and sends again when SES throttles, then succeeds', async () => {
    ses
      .on(SendEmailCommand)
      .rejectsOnce(throttled())
      .rejectsOnce(throttled())
      .resolves({ MessageId: 'ses-2' });
    const waits: number[] = [];
    await sender(waits).send(message);
    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(3);
    expect(waits).toEqual([200, 400]);
  });

  it('lets the throttling through after its attempts, so the queue redelivers', async () => {
    ses.on(SendEmailCommand).rejects(throttled());
    await expect(sender().send(message)).rejects.toThrow('Maximum sending rate exceeded.');
    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(SES_SEND_ATTEMPTS);
  });

  it('does not retry a message SES refuses (in the sandbox, an unverified address)', async () => {
    ses
      .on(SendEmailCommand)
      .rejects(new MessageRejected({ message: 'Email address is not verified.', $metadata: {} }));
    await expect(sender().send(message)).rejects.toThrow(MessageRejected);
    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(1);
  });
});
