import type { AuthorizationEvent } from './model.js';
import type { EventPublisher, Log } from './ports.js';

/**
 * Publishes after the write that matters is done (history holds the event), so a bus or topic
 * failure must not turn a stored authorization into an error page: it is logged loudly instead.
 * Returns whether the event went out.
 */
export async function publishQuietly(
  deps: { events: EventPublisher; log: Log },
  event: AuthorizationEvent,
): Promise<boolean> {
  try {
    await deps.events.publish(event);
    return true;
  } catch (error) {
    deps.log.error('Publishing an authorization event failed', {
      eventId: event.eventId,
      eventType: event.type,
      tenantId: event.tenantId,
      integration: event.integration,
      error: error instanceof Error ? error.name : 'unknown',
    });
    return false;
  }
}
