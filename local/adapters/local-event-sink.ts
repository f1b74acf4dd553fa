import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as z from 'zod';
import { MAX_MESSAGE_BYTES, MAX_SUBJECT_LENGTH } from '#domain/mail-text.js';
import { authorizationEventSchema, type AuthorizationEvent } from '#domain/model.js';
import type { AlertMessage, EventPublisher, TenantRepository } from '#domain/ports.js';

/** One email as the SNS email protocol delivers it to one subscriber. */
export const mailSchema = z.object({
  to: z.string(),
  subject: z.string(),
  text: z.string(),
  /** The HTML part, for mail the notifier sent (the SNS email protocol has none). */
  html: z.string().optional(),
  tenantId: z.string(),
  integration: z.string(),
  type: z.string(),
  sentAt: z.string(),
});
export type Mail = z.infer<typeof mailSchema>;

/** The footer SNS appends to every email notification. */
function snsFooter(endpoint: string): string {
  return [
    '',
    '--',
    'If you wish to stop receiving notifications from this topic, please click or visit the link below to unsubscribe:',
    `https://sns.local/unsubscribe.html?Endpoint=${encodeURIComponent(endpoint)}`,
    '',
    'Please do not reply directly to this email. If you have any questions or comments regarding this email, please contact us at https://aws.amazon.com/support',
  ].join('\n');
}

/** SNS refused a publish: what the SDK throws as `InvalidParameterException`. */
export class SnsInvalidParameterError extends Error {
  override readonly name = 'InvalidParameterException';
}

/** A high surrogate without its low half, or a low one without its high half: not UTF-8 text. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Refuses an alert SNS would refuse, as SNS does: a Subject of printable ASCII that begins with a
 * letter, digit or punctuation mark, without line breaks or control characters, fewer than 100
 * characters; a Message of UTF-8 text, not empty, at most 256 KB. The local run thus meets the
 * limits the deployed publish meets, instead of hiding a mail that would be lost.
 */
export function checkSnsLimits(alert: AlertMessage): void {
  const { subject, text } = alert;
  if (subject.length > MAX_SUBJECT_LENGTH || !/^[\x21-\x7e][\x20-\x7e]*$/.test(subject)) {
    throw new SnsInvalidParameterError('Invalid parameter: Subject');
  }
  if (text.length === 0 || LONE_SURROGATE.test(text)) {
    throw new SnsInvalidParameterError('Invalid parameter: Message');
  }
  if (Buffer.byteLength(text, 'utf8') > MAX_MESSAGE_BYTES) {
    throw new SnsInvalidParameterError('Invalid parameter: Message too long');
  }
}

/**
 * The local stand-in for the EventBridge bus and the alert mail: every event is appended to
 * `events.jsonl`; every alert becomes one email to the ops address and, unless it is ops-only, one
 * to each contact of the event's tenant as the table holds them now (suppressed addresses left
 * out, as the notifier does), kept in `mailbox.json`, newest first. Like the AWS publisher, the
 * event is on the bus before the alert is checked: an alert beyond SNS's limits (checkSnsLimits)
 * throws after it.
 */
export class LocalEventSink implements EventPublisher {
  private constructor(
    private readonly dir: string,
    private readonly opsEmail: string,
    private readonly tenants: Pick<TenantRepository, 'get'>,
    private mail: Mail[],
    private readonly clock: () => Date,
  ) {}

  static async open(
    dir: string,
    opsEmail: string,
    tenants: Pick<TenantRepository, 'get'>,
    clock: () => Date = () => new Date(),
  ): Promise<LocalEventSink> {
    await mkdir(dir, { recursive: true });
    const mail = z.array(mailSchema).parse(await readJson(join(dir, 'mailbox.json'), []));
    return new LocalEventSink(dir, opsEmail, tenants, mail, clock);
  }

  async publish(event: AuthorizationEvent, alert?: AlertMessage): Promise<void> {
    await appendFile(join(this.dir, 'events.jsonl'), `${JSON.stringify(event)}\n`);
    if (!alert) return;
    checkSnsLimits(alert);
    const recipients = [
      this.opsEmail,
      ...(alert.audience === 'ops' ? [] : await this.contactsOf(event.tenantId)),
    ];
    const sentAt = this.clock().toISOString();
    const delivered = recipients.map((to) => ({
      to,
      subject: alert.subject,
      text: `${alert.text}\n${snsFooter(to)}`,
      tenantId: event.tenantId,
      integration: event.integration,
      type: event.type,
      sentAt,
    }));
    this.mail = [...delivered, ...this.mail];
    await writeFile(join(this.dir, 'mailbox.json'), JSON.stringify(this.mail, null, 2));
  }

  /** The tenant's contacts that are not suppressed. */
  private async contactsOf(tenantId: string): Promise<string[]> {
    const tenant = await this.tenants.get(tenantId);
    const suppressed = new Set((tenant?.suppressedContacts ?? []).map((entry) => entry.email));
    return (tenant?.contacts ?? []).filter((address) => !suppressed.has(address));
  }

  /** Every email sent, newest first. */
  mailbox(): Mail[] {
    return [...this.mail];
  }

  async events(): Promise<AuthorizationEvent[]> {
    const text = await readFile(join(this.dir, 'events.jsonl'), 'utf8').catch(() => '');
    return text
      .split('\n')
      .filter(Boolean)
      .map((line) => authorizationEventSchema.parse(JSON.parse(line)));
  }
}

async function readJson(path: string, fallback: unknown): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8'));
  } catch {
    return fallback;
  }
}
