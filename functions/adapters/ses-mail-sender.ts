import { SendEmailCommand, type SESv2Client } from '@aws-sdk/client-sesv2';
import { sesClient } from '#commons/aws-clients.js';
import type { EmailMessage, MailSender } from '#domain/ports.js';

/** SES's answers to a send rate above the account's quota: wait and send again. */
const THROTTLED = new Set(['TooManyRequestsException', 'LimitExceededException', 'Throttling']);

/** Sends the adapter makes of one mail before it lets the error through (SQS then redelivers). */
export const SES_SEND_ATTEMPTS = 4;

/** First wait after a throttled send; doubled each time. */
export const SES_THROTTLE_BASE_DELAY_MS = 200;

/** What SES allows in a message tag's name and value: ASCII letters, digits, `_` and `-`, at most 256. */
const SES_TAG_FORBIDDEN = /[^A-Za-z0-9_-]/g;
const SES_TAG_MAX_LENGTH = 256;

/**
 * A tag name or value SES takes (SendEmail refuses the whole mail for one bad tag): each other
 * character becomes `_`, cut at 256. Tenant IDs (`[a-z0-9-]`) and event types pass unchanged; as
 * no tenant ID holds `_`, a changed value can never name another tenant in the feedback.
 */
export function sesTagValue(value: string): string {
  const cleaned = value.replace(SES_TAG_FORBIDDEN, '_').slice(0, SES_TAG_MAX_LENGTH);
  return cleaned === '' ? '_' : cleaned;
}

function isThrottled(error: unknown): boolean {
  return error instanceof Error && THROTTLED.has(error.name);
}

/**
 * Mail through Amazon SES v2 `SendEmail`, one message per address, from the stack's verified
 * domain and through its configuration set: the set puts hard bounces and complaints on the
 * account's suppression list and sends bounce, complaint and reject events back through
 * EventBridge, tagged with the message's `tenantId` and `kind`. A throttled send (the account's
 * send rate) waits and retries a few times; any other refusal is thrown at once.
 */
export class SesMailSender implements MailSender {
  private readonly client: SESv2Client;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly options: {
      /** `Name <alerts@mail.example.com>` on the verified identity. */
      fromAddress: string;
      configurationSetName: string;
      /** The process's traced client when absent. */
      client?: SESv2Client;
      /** How a throttled send waits; a real timer when absent. */
      sleep?: (ms: number) => Promise<void>;
    },
  ) {
    this.client = options.client ?? sesClient();
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  async send(message: EmailMessage): Promise<void> {
    const command = this.commandOf(message);
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.client.send(command);
        return;
      } catch (error) {
        if (!isThrottled(error) || attempt >= SES_SEND_ATTEMPTS) throw error;
        await this.sleep(SES_THROTTLE_BASE_DELAY_MS * 2 ** (attempt - 1));
      }
    }
  }

  private commandOf(message: EmailMessage): SendEmailCommand {
    const unsubscribe = message.unsubscribeUrl;
    return new SendEmailCommand({
      FromEmailAddress: this.options.fromAddress,
      Destination: { ToAddresses: [message.to] },
      ConfigurationSetName: this.options.configurationSetName,
      EmailTags: Object.entries(message.tags).map(([name, value]) => ({
        Name: sesTagValue(name),
        Value: sesTagValue(value),
      })),
      Content: {
        Simple: {
          Subject: { Data: message.subject, Charset: 'UTF-8' },
          Body: {
            Text: { Data: message.text, Charset: 'UTF-8' },
            Html: { Data: message.html, Charset: 'UTF-8' },
          },
          // RFC 8058: mail clients show one "unsubscribe" that POSTs to the URL.
          ...(unsubscribe === undefined
            ? {}
            : {
                Headers: [
                  { Name: 'List-Unsubscribe', Value: `<${unsubscribe}>` },
                  { Name: 'List-Unsubscribe-Post', Value: 'List-Unsubscribe=One-Click' },
                ],
              }),
        },
      },
    });
  }
}
