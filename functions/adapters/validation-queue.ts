import {
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { sqsClient } from '#commons/aws-clients.js';
import type { AuthorizationKey } from '#domain/validator-config.js';
import { EnqueueError, type ValidationQueue } from '#domain/sweep.js';

/** SQS takes at most ten messages per SendMessageBatch. */
export const SQS_BATCH_SIZE = 10;

/** Attempts per batch; only the entries SQS reports as failed are sent again. */
export const SEND_ATTEMPTS = 4;

/**
 * The validation queue on SQS: keys go out as JSON bodies (`{tenantId, integration}`), ten per
 * SendMessageBatch. A batch can partly fail; the failed entries are retried with a short back-off
 * (a sender fault, i.e. a malformed entry, would fail again and is not retried).
 */
export class SqsValidationQueue implements ValidationQueue {
  constructor(
    private readonly queueUrl: string,
    private readonly client: SQSClient = sqsClient(),
    private readonly backoffMs: (attempt: number) => number = (attempt) => 100 * 2 ** attempt,
  ) {}

  async enqueue(keys: readonly AuthorizationKey[]): Promise<void> {
    let failed = 0;
    for (let index = 0; index < keys.length; index += SQS_BATCH_SIZE) {
      failed += await this.sendBatch(keys.slice(index, index + SQS_BATCH_SIZE));
    }
    if (failed > 0)
      throw new EnqueueError(`${failed} of ${keys.length} validation messages could not be sent`, failed);
  }

  /** Sends one batch, retrying failed entries; returns how many could not be sent. */
  private async sendBatch(keys: readonly AuthorizationKey[]): Promise<number> {
    let entries: SendMessageBatchRequestEntry[] = keys.map((key, index) => ({
      Id: String(index),
      MessageBody: JSON.stringify({ tenantId: key.tenantId, integration: key.integration }),
    }));
    let permanent = 0;
    for (let attempt = 0; entries.length > 0; attempt += 1) {
      if (attempt >= SEND_ATTEMPTS) return permanent + entries.length;
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, this.backoffMs(attempt)));
      const output = await this.client.send(
        new SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: entries }),
      );
      const failed = output.Failed ?? [];
      const retryable = new Set(failed.filter((entry) => !entry.SenderFault).map((entry) => entry.Id));
      permanent += failed.length - retryable.size;
      entries = entries.filter((entry) => retryable.has(entry.Id));
    }
    return permanent;
  }
}
