import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as z from 'zod';
import type { EmailMessage, MailSender } from '#domain/ports.js';

/** One email as the local mailbox lists it (`GET /_local/mailbox.json`). */
export const mailSchema = z.object({
  to: z.string(),
  subject: z.string(),
  text: z.string(),
  /** The HTML part (absent only in mail kept by a local run from before mail had one). */
  html: z.string().optional(),
  /** The tenant and integration the mail is about (an incident's first); empty in a digest. */
  tenantId: z.string(),
  integration: z.string(),
  /** The event type the mail is about, or `digest`. */
  type: z.string(),
  sentAt: z.string(),
});
export type Mail = z.infer<typeof mailSchema>;

/**
 * The local stand-in for Amazon SES, at the same boundary (`MailSender`): the notifier's mail, one
 * message per address, kept in `mailbox.json` newest first instead of being sent.
 */
export class LocalMailbox implements MailSender {
  private constructor(
    private readonly file: string,
    private mail: Mail[],
    private readonly clock: () => Date,
  ) {}

  static async open(dir: string, clock: () => Date = () => new Date()): Promise<LocalMailbox> {
    await mkdir(dir, { recursive: true });
    const file = join(dir, 'mailbox.json');
    const text = await readFile(file, 'utf8').catch(() => '[]');
    return new LocalMailbox(file, z.array(mailSchema).parse(JSON.parse(text)), clock);
  }

  async send(message: EmailMessage): Promise<void> {
    const mail: Mail = {
      to: message.to,
      subject: message.subject,
      text: message.text,
      html: message.html,
      tenantId: message.about?.tenantId ?? '',
      integration: message.about?.integration ?? '',
      type: message.tags.kind ?? '',
      sentAt: this.clock().toISOString(),
    };
    this.mail = [mail, ...this.mail];
    await writeFile(this.file, JSON.stringify(this.mail, null, 2));
  }

  /** Every email sent, newest first. */
  mailbox(): Mail[] {
    return [...this.mail];
  }
}
