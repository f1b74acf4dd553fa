import type { ValidationQueue } from '#domain/sweep.js';
import type { AuthorizationKey } from '#domain/validator-config.js';

/** A validation queue that keeps each batch it was given. */
export class RecordingValidationQueue implements ValidationQueue {
  readonly batches: AuthorizationKey[][] = [];
  async enqueue(keys: readonly AuthorizationKey[]): Promise<void> {
    this.batches.push([...keys]);
  }
  /** Every key enqueued, in order. */
  get all(): AuthorizationKey[] {
    return this.batches.flat();
  }
}
