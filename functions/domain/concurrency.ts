/**
 * A bound on tasks in flight: at most `limit` run at once, the others wait their turn in the
 * order they asked. One instance is shared by every caller the bound is meant to cover (say all
 * the sends of one dispatcher invocation).
 */
export class ConcurrencyLimit {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1)
      throw new RangeError(`A concurrency limit must be a positive integer, not ${limit}`);
  }

  /** Runs `task` once a slot is free; the slot is handed to the next waiter when it settles. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running < this.limit) this.running += 1;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await task();
    } finally {
      // Handing the slot over directly keeps a newcomer from slipping in between.
      const next = this.waiting.shift();
      if (next) next();
      else this.running -= 1;
    }
  }
}

/**
 * Marks `work` as started ahead of the step that awaits it, and returns it: should it fail before
 * that step, or should an earlier refusal skip the step, its rejection is not reported as
 * unhandled (which would end a Lambda's process); the step's `await` still throws it.
 */
export function startedEarly<T>(work: Promise<T>): Promise<T> {
  work.catch(() => undefined);
  return work;
}
