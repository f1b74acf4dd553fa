import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { authorizationEventSchema, type AuthorizationEvent } from '#domain/model.js';
import type { EventPublisher } from '#domain/ports.js';

/** What takes the bus's events, as the notifier's rule on the EventBridge bus does. */
export type EventListener = (event: AuthorizationEvent) => Promise<void>;

/**
 * The local stand-in for the EventBridge bus and the event topic: every event is appended to
 * `events.jsonl`, then handed to each listener (the local run's notifier). As on AWS, where the
 * bus has taken the event once PutEvents answers and the notifier's queue retries on its own, a
 * listener's failure is not the publisher's: it is reported on the terminal, not thrown.
 */
export class LocalEventSink implements EventPublisher {
  private readonly listeners: EventListener[] = [];

  private constructor(
    private readonly dir: string,
    private readonly report: (line: string) => void,
  ) {}

  static async open(
    dir: string,
    report: (line: string) => void = (line) => console.error(line),
  ): Promise<LocalEventSink> {
    await mkdir(dir, { recursive: true });
    return new LocalEventSink(dir, report);
  }

  /** Hands every event published from now on to `listener`, in order. */
  subscribe(listener: EventListener): void {
    this.listeners.push(listener);
  }

  async publish(event: AuthorizationEvent): Promise<void> {
    await appendFile(join(this.dir, 'events.jsonl'), `${JSON.stringify(event)}\n`);
    for (const listener of this.listeners) {
      await listener(event).catch((error: unknown) =>
        this.report(
          `Event ${event.eventId} (${event.type}) was not handled: ${error instanceof Error ? error.name : 'Error'}`,
        ),
      );
    }
  }

  async events(): Promise<AuthorizationEvent[]> {
    const text = await readFile(join(this.dir, 'events.jsonl'), 'utf8').catch(() => '');
    return text
      .split('\n')
      .filter(Boolean)
      .map((line) => authorizationEventSchema.parse(JSON.parse(line)));
  }
}
