import { buildAlert, isAlerted } from './alerts.js';
import type { Catalog } from './catalog.js';
import type { Authorization, AuthorizationEvent, Tenant } from './model.js';
import type { AlertMessage, EventPublisher, Log, TenantRepository } from './ports.js';

/** What publishing an authorization's event takes; the validator's and offboarding's ports fit. */
export interface EventPublishingDependencies {
  tenants: Pick<TenantRepository, 'get'>;
  events: EventPublisher;
  catalog: Catalog;
  /** A fresh onboarding link of the tenant, for the re-authorize link in alerts. */
  reauthorizeLink: (tenant: Tenant) => Promise<string>;
  passwordMaxAgeDays: number;
}

/**
 * Publishes an authorization's event: on the bus only when it is routine (`refreshed`), else on
 * the bus and, with its written alert (alerts.ts), on the alert topic. Without a tenant to write
 * to, the bus still gets it. Whoever publishes an event (the validator, its outbox retry,
 * offboarding) goes through here, so a retried event is the same message as the first attempt.
 */
export async function publishAuthorizationEvent(
  deps: EventPublishingDependencies,
  record: Authorization,
  event: AuthorizationEvent,
): Promise<void> {
  if (!isAlerted(event.type)) {
    await deps.events.publish(event);
    return;
  }
  const tenant = await deps.tenants.get(record.tenantId);
  if (!tenant) {
    // Nobody to write to: the bus still gets the event for the record.
    await deps.events.publish(event);
    return;
  }
  const alert = buildAlert({
    event,
    tenant,
    integration: deps.catalog.find(record.integration),
    authorization: record,
    reauthorizeLink: await deps.reauthorizeLink(tenant),
    passwordMaxAgeDays: deps.passwordMaxAgeDays,
  });
  await deps.events.publish(event, alert);
}

/**
 * Publishes after the write that matters is done (history holds the event), so a bus or topic
 * failure must not turn a stored authorization into an error page: it is logged loudly instead.
 * Returns whether the event went out.
 */
export async function publishQuietly(
  deps: { events: EventPublisher; log: Log },
  event: AuthorizationEvent,
  alert?: AlertMessage,
): Promise<boolean> {
  try {
    await deps.events.publish(event, alert);
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
