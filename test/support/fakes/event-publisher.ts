import type { AuthorizationEvent } from '#domain/model.js';
import type { AlertMessage, EventPublisher } from '#domain/ports.js';

/** One publish a RecordingPublisher received. */
export interface Publication {
  event: AuthorizationEvent;
  alert?: AlertMessage;
}

/**
 * The events a test's publisher received, in order, copied as they were given (a later change to
 * the caller's object does not show here). `fail` makes the next publishes throw.
 */
export class RecordingPublisher implements EventPublisher {
  readonly published: Publication[] = [];
  private failure: { error: Error; remaining: number } | undefined;

  async publish(event: AuthorizationEvent, alert?: AlertMessage): Promise<void> {
    if (this.failure && this.failure.remaining > 0) {
      this.failure.remaining -= 1;
      throw this.failure.error;
    }
    this.published.push({
      event: structuredClone(event),
      ...(alert ? { alert: structuredClone(alert) } : {}),
    });
  }

  /** The next `times` publishes (all of them by default) throw `error` and publish nothing. */
  fail(error: Error, times = Infinity): void {
    this.failure = { error, remaining: times };
  }

  /** The published events as `integration:type`. */
  types(): string[] {
    return this.published.map(({ event }) => `${event.integration}:${event.type}`);
  }

  /** How many events of each type were published. */
  countsByType(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const { event } of this.published) counts[event.type] = (counts[event.type] ?? 0) + 1;
    return counts;
  }
}
