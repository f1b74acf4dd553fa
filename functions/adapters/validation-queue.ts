import {
  SendMessageBatchCommand,
  type SendMessageBatchCommandOutput,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { ConcurrencyLimit } from '#domain/concurrency.js';
import type { AuthorizationKey } from '#domain/validator-config.js';
import { EnqueueError, type ValidationQueue } from '#domain/sweep.js';

/** SQS takes at most ten messages per SendMessageBatch. */
export const SQS_BATCH_SIZE = 10;

/** Attempts per batch; only the entries SQS reports as failed are sent again. */
export const SEND_ATTEMPTS = 4;

/**
 * SendMessageBatch calls in flight at once, over every page one dispatcher invocation sends: at
 * about 20 ms a call, 16 carry 8,000 keys a second per invocation, while a Lambda of 256 MB still
 * has the CPU to sign and serialize them (docs/scale.md).
 */
export const DEFAULT_SENDS_IN_FLIGHT = 16;

/**
 * The validation queue on SQS: keys go out as JSON bodies (`{tenantId, integration}`), ten per
 * SendMessageBatch, up to `sendsInFlight` batches at once over all `enqueue` calls of this
 * instance. A batch can partly fail; the failed entries are retried with a short back-off (a
 * sender fault, i.e. a malformed entry, would fail again and is not retried). A batch whose call
 * throws counts its unsent entries as failed; the other batches still go out.
 */
export class SqsValidationQueue implements ValidationQueue {
  private readonly sends: ConcurrencyLimit;

  constructor(
    private readonly queueUrl: string,
    private readonly client: SQSClient,
    private readonly backoffMs: (attempt: number) => number = (attempt) => 100 * 2 ** attempt,
    sendsInFlight: number = DEFAULT_SENDS_IN_FLIGHT,
  ) {
    this.sends = new ConcurrencyLimit(sendsInFlight);
  }

  async enqueue(keys: readonly AuthorizationKey[]): Promise<void> {
    const batches: AuthorizationKey[][] = [];
    for (let index = 0; index < keys.length; index += SQS_BATCH_SIZE) {
      batches.push(keys.slice(index, index + SQS_BATCH_SIZE));
    }
    // A slot is held through a batch's back-off too: a queue that is failing gets fewer calls.
    const outcomes = await Promise.all(batches.map((batch) => this.sends.run(() => this.sendBatch(batch))));
    const failed = outcomes.reduce((sum, outcome) => sum + outcome.unsent, 0);
    const firstError = outcomes.find((outcome) => outcome.error !== undefined)?.error;
    if (failed > 0)
      throw new EnqueueError(
        `${failed} of ${keys.length} validation messages could not be sent`,
        failed,
        firstError !== undefined ? { cause: firstError } : undefined,
      );
  }

  /**
   * Sends one batch, retrying failed entries; answers how many could not be sent, and the error
   * when a call threw (its entries were not taken as sent, so they stay due and none is doubled).
   */
  private async sendBatch(keys: readonly AuthorizationKey[]): Promise<{ unsent: number; error?: unknown }> {
    let entries: SendMessageBatchRequestEntry[] = keys.map((key, index) => ({
      Id: String(index),
      MessageBody: JSON.stringify({ tenantId: key.tenantId, integration: key.integration }),
    }));
    let permanent = 0;
    for (let attempt = 0; entries.length > 0; attempt += 1) {
      if (attempt >= SEND_ATTEMPTS) return { unsent: permanent + entries.length };
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, this.backoffMs(attempt)));
      let output: SendMessageBatchCommandOutput;
      try {
        output = await this.client.send(
          new SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: entries }),
        );
      } catch (error) {
        return { unsent: permanent + entries.length, error };
      }
      const failed = output.Failed ?? [];
      const retryable = new Set(failed.filter((entry) => !entry.SenderFault).map((entry) => entry.Id));
      permanent += failed.length - retryable.size;
      entries = entries.filter((entry) => retryable.has(entry.Id));
    }
    return { unsent: permanent };
  }
}
