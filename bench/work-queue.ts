import type { ValidationQueue } from '#domain/sweep.js';
import type { AuthorizationKey } from '#domain/validator-config.js';

/**
 * The in-process stand-in for SQS and the worker fleet: `enqueue` accepts keys at once (as
 * SendMessageBatch does) and `concurrency` consumers take them one by one, each a worker slot
 * validating one message, as `maxConcurrency` Lambda instances with their batches would.
 */
export class InProcessValidationQueue implements ValidationQueue {
  private readonly keys: AuthorizationKey[] = [];
  /** Index of the next key to hand out: an array shift per key would be quadratic at 10,000 keys. */
  private head = 0;
  private closed = false;
  private readonly idle: Array<() => void> = [];
  private readonly consumers: Promise<void>[];

  constructor(
    concurrency: number,
    private readonly consume: (key: AuthorizationKey) => Promise<void>,
  ) {
    this.consumers = Array.from({ length: concurrency }, () => this.run());
  }

  async enqueue(keys: readonly AuthorizationKey[]): Promise<void> {
    this.keys.push(...keys);
    this.wake();
  }

  /** No more keys will come: consumers stop once the queue is empty; resolves when they all have. */
  async drain(): Promise<void> {
    this.closed = true;
    this.wake();
    await Promise.all(this.consumers);
  }

  private wake(): void {
    for (let resume = this.idle.pop(); resume; resume = this.idle.pop()) resume();
  }

  private async run(): Promise<void> {
    for (;;) {
      const key = this.keys[this.head];
      if (key) {
        this.head += 1;
        await this.consume(key);
      } else if (this.closed) {
        return;
      } else {
        await new Promise<void>((resolve) => this.idle.push(resolve));
      }
    }
  }
}
