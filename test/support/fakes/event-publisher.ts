import type { AuthorizationEvent } from '#domain/model.js';
import type { EventPublisher } from '#domain/ports.js';

/** The mail the notifier writes about an event, as a test reads it: its subject and text part. */
export interface PreviewedMail {
  subject: string;
  text: string;
  /** `ops`: for the vendor's ops only. */
  audience?: 'ops';
}

/** One publish a RecordingPublisher received, with the mail the notifier would write about it. */
export interface Publication {
  event: AuthorizationEvent;
  alert?: PreviewedMail;
}

/**
 * The events a test's publisher received, in order, copied as they were given (a later change to
 * the caller's object does not show here). With a `preview` (notifierPreview in
 * notifier-harness.ts), each publication carries the mail the notifier writes from the event at
 * that moment, as the local bus hands it over. `fail` makes the next publishes throw.
 */
export class RecordingPublisher implements EventPublisher {
  readonly published: Publication[] = [];
  private failure: { error: Error; remaining: number } | undefined;

  constructor(private readonly preview?: (event: AuthorizationEvent) => Promise<PreviewedMail | undefined>) {}

  async publish(event: AuthorizationEvent): Promise<void> {
    if (this.failure && this.failure.remaining > 0) {
      this.failure.remaining -= 1;
      throw this.failure.error;
    }
    const alert = await this.preview?.(event);
    this.published.push({ event: structuredClone(event), ...(alert ? { alert } : {}) });
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
