import type { EmailMessage, MailSender, SentMailLedger } from '#domain/ports.js';

/** The mails a test's sender received, in order; `fail` makes the next sends throw. */
export class RecordingMailSender implements MailSender {
  readonly sent: EmailMessage[] = [];
  private failure: { error: Error; remaining: number } | undefined;

  async send(message: EmailMessage): Promise<void> {
    if (this.failure && this.failure.remaining > 0) {
      this.failure.remaining -= 1;
      throw this.failure.error;
    }
    this.sent.push(structuredClone(message));
  }

  /** The next `times` sends throw `error` and send nothing. */
  fail(error: Error, times = Infinity): void {
    this.failure = { error, remaining: times };
  }

  /** The addresses mailed, in order. */
  recipients(): string[] {
    return this.sent.map((message) => message.to);
  }
}

/** Sent-mail keys in memory, with the DynamoDB ledger's rule: one claim per key until released. */
export class InMemorySentMailLedger implements SentMailLedger {
  readonly keys = new Map<string, string>();

  async claim(idempotencyKey: string, expiresAt: string): Promise<boolean> {
    if (this.keys.has(idempotencyKey)) return false;
    this.keys.set(idempotencyKey, expiresAt);
    return true;
  }

  async release(idempotencyKey: string): Promise<void> {
    this.keys.delete(idempotencyKey);
  }
}
