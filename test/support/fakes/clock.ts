import type { Clock } from '#domain/ports.js';

/** The day every unit test starts on unless it says otherwise. */
export const TEST_START = new Date('2026-03-01T10:00:00.000Z');

/**
 * A clock a test moves by hand: from a fixed start, or (`ManualClock.fromSystemTime()`) from the
 * real time, for tests whose other parts (the Webex simulator, DynamoDB TTLs) run on it.
 */
export class ManualClock implements Clock {
  private offsetMs = 0;

  constructor(
    start: Date = TEST_START,
    private readonly base: () => number = () => start.getTime(),
  ) {}

  /** The real time, moved forward on demand (a retry "a minute later" without waiting a minute). */
  static fromSystemTime(): ManualClock {
    return new ManualClock(new Date(), () => Date.now());
  }

  now(): Date {
    return new Date(this.base() + this.offsetMs);
  }

  advance(seconds: number): void {
    this.offsetMs += seconds * 1000;
  }

  /** Moves the time instead of waiting; whatever runs alongside (a lease holder) still gets its turn. */
  async sleep(ms: number): Promise<void> {
    this.offsetMs += ms;
    await new Promise((resolve) => setImmediate(resolve));
  }
}
