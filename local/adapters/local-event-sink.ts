import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as z from 'zod';
import { MAX_MESSAGE_BYTES, MAX_SUBJECT_LENGTH } from '#domain/mail-text.js';
import { authorizationEventSchema, type AuthorizationEvent } from '#domain/model.js';
import type { AlertMessage, EventPublisher } from '#domain/ports.js';

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

const subscriptionSchema = z.object({ endpoint: z.string(), tenantId: z.string().optional() });
type Subscription = z.infer<typeof subscriptionSchema>;

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
 * The local stand-in for the EventBridge bus and the SNS alert topic: every event is appended to
 * `events.jsonl`; every alert becomes one email per matching subscription (the ops address takes
 * all, a tenant contact only its tenant's and never an ops-only alert, as the SNS filter policy on
 * `tenantId` does), kept in
 * `mailbox.json`, newest first. Like the AWS publisher, the event is on the bus before the alert
 * is checked: an alert beyond SNS's limits (checkSnsLimits) throws after it.
 */
export class LocalEventSink implements EventPublisher {
  private constructor(
    private readonly dir: string,
    private readonly opsEmail: string,
    private subscriptions: Subscription[],
    private mail: Mail[],
    private readonly clock: () => Date,
  ) {}

  static async open(
    dir: string,
    opsEmail: string,
    clock: () => Date = () => new Date(),
  ): Promise<LocalEventSink> {
    await mkdir(dir, { recursive: true });
    const subscriptions = z
      .array(subscriptionSchema)
      .parse(await readJson(join(dir, 'subscriptions.json'), []));
    const mail = z.array(mailSchema).parse(await readJson(join(dir, 'mailbox.json'), []));
    return new LocalEventSink(dir, opsEmail, subscriptions, mail, clock);
  }

  async publish(event: AuthorizationEvent, alert?: AlertMessage): Promise<void> {
    await appendFile(join(this.dir, 'events.jsonl'), `${JSON.stringify(event)}\n`);
    if (!alert) return;
    checkSnsLimits(alert);
    const contacts =
      alert.audience === 'ops' ? [] : this.subscriptions.filter((s) => s.tenantId === event.tenantId);
    const recipients = [this.opsEmail, ...contacts.map((s) => s.endpoint)];
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

  /** Replaces a tenant's contact subscriptions, as the admin API does on the SNS topic. */
  async sync(tenantId: string, contacts: string[]): Promise<void> {
    this.subscriptions = [
      ...this.subscriptions.filter((s) => s.tenantId !== tenantId),
      ...contacts.map((endpoint) => ({ endpoint, tenantId })),
    ];
    await writeFile(join(this.dir, 'subscriptions.json'), JSON.stringify(this.subscriptions, null, 2));
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
