import type { Clock } from '#domain/ports.js';
import { TEST_START } from './clock.js';

/**
 * A clock for many concurrent tasks in simulated time: `sleep` waits for the clock to reach its
 * end, and `runUntil` moves the time to the next waiting task's end whenever every task waits.
 * So a thousand workers that each sleep 200 ms take 200 ms of this clock, not of the test's.
 * Only for in-memory work: a task waiting on real I/O would look idle.
 */
export class VirtualClock implements Clock {
  private time: number;
  private sequence = 0;
  private readonly timers: { at: number; sequence: number; resolve: () => void }[] = [];

  constructor(start: Date = TEST_START) {
    this.time = start.getTime();
  }

  now(): Date {
    return new Date(this.time);
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.timers.push({ at: this.time + Math.max(0, ms), sequence: this.sequence++, resolve });
    });
  }

  /** Runs the clock until `work` settles; throws when work is pending and no task waits on the clock. */
  async runUntil<T>(work: Promise<T>): Promise<T> {
    let settled = false;
    const watched = work.finally(() => {
      settled = true;
    });
    watched.catch(() => undefined);
    for (;;) {
      await new Promise((resolve) => setImmediate(resolve));
      if (settled) return watched;
      this.timers.sort((a, b) => a.at - b.at || a.sequence - b.sequence);
      const next = this.timers[0];
      if (!next) throw new Error('The work waits on something other than this clock');
      this.time = Math.max(this.time, next.at);
      // Every task due at this instant wakes together, as on a real clock.
      while (this.timers[0] !== undefined && this.timers[0].at <= this.time) this.timers.shift()?.resolve();
    }
  }
}
