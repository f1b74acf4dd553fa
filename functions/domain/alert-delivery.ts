import type { AlertInput } from './alerts.js';
import type { AlertContent } from './alert-content.js';
import { digestContent } from './alert-digest.js';
import type { AlertLedger, DigestEntry } from './alert-ledger.js';
import {
  customerRoute,
  digestPeriodEnd,
  incidentKey,
  isFlap,
  opsRoute,
  utcDay,
  type AlertPolicySettings,
} from './alert-policy.js';
import type { Catalog, ServiceApp } from './catalog.js';
import { eventAlertContent } from './event-alerts.js';
import { incidentAlertContent } from './incident-alert.js';
import { VENDOR_TOKEN_OPS_EVENTS, vendorTokenAlertContent } from './vendor-token-alert.js';
import type { Authorization, AuthorizationEvent, EventType, Tenant } from './model.js';
import type { AuthorizationRepository, Clock, Log, TenantRepository } from './ports.js';

/** One mail the policy decided on, before it has recipients: the notifier renders and sends it to each. */
export interface AlertMail {
  content: AlertContent;
  /** The event type it is about, or `digest` for the ops digest. */
  kind: EventType | 'digest';
  /** The same for every attempt at this mail: with the recipient, a redelivery sends nothing twice. */
  idempotencyKey: string;
  /** The event's tenant and integration (an incident's first event's); absent in a digest. */
  about?: { tenantId: string; integration: string };
}

/** Where the policy's mails go. The notifier implements it: recipients, suppression, rendering, sending. */
export interface AlertDelivery {
  /** To the tenant's contacts. */
  toContacts(tenant: Tenant, mail: AlertMail): Promise<void>;
  /** To the vendor's ops address. */
  toOps(mail: AlertMail): Promise<void>;
}

/** What the alert policy's use cases take. */
export interface AlertPolicyDependencies {
  tenants: Pick<TenantRepository, 'get'>;
  authorizations: Pick<AuthorizationRepository, 'get'>;
  catalog: Catalog;
  ledger: AlertLedger;
  delivery: AlertDelivery;
  /** A fresh onboarding link of the tenant, for the Re-authorize button. */
  reauthorizeLink: (tenant: Tenant) => Promise<string>;
  passwordMaxAgeDays: number;
  policy: AlertPolicySettings;
  /** The status board, linked from every digest. */
  statusBoardUrl: string;
  /** Where ops put the integrations' client secrets: a credential incident's mail names it. */
  clientSecretLocation: string;
  clock: Clock;
  log: Log;
}

/**
 * The record the alert is written from. The notifier runs after the event, so the record may have
 * moved on: its cause detail is kept only when it still belongs to the event's cause, so a mail
 * never gives one invalidation's evidence as another's. A record that is gone (a purged tenant's)
 * is stood in for by what the event says.
 */
function recordForEvent(record: Authorization | undefined, event: AuthorizationEvent): Authorization {
  if (!record) {
    return {
      tenantId: event.tenantId,
      integration: event.integration,
      status: event.status ?? 'revoked',
      scopes: [],
      consecutiveFailures: 0,
      version: 0,
      warningsSent: [],
      updatedAt: event.occurredAt,
    };
  }
  if (record.cause === event.cause) return record;
  const { causeDetail: _otherCause, ...rest } = record;
  return rest;
}

function serviceAppOf(serviceApp: ServiceApp | undefined): Pick<AlertInput, 'serviceApp'> {
  return serviceApp ? { serviceApp } : {};
}

/** The alert input of an event: its tenant, and its record as it is now (recordForEvent). */
export async function alertInputOf(
  deps: Pick<
    AlertPolicyDependencies,
    'authorizations' | 'catalog' | 'reauthorizeLink' | 'passwordMaxAgeDays'
  >,
  tenant: Tenant,
  event: AuthorizationEvent,
): Promise<AlertInput> {
  const record = await deps.authorizations.get(event.tenantId, event.integration);
  return {
    event,
    tenant,
    integration: deps.catalog.find(event.integration),
    ...serviceAppOf(deps.catalog.findServiceApp(event.integration)),
    authorization: recordForEvent(record, event),
    reauthorizeLink: await deps.reauthorizeLink(tenant),
    passwordMaxAgeDays: deps.passwordMaxAgeDays,
  };
}

/** Whether a `restored` ends a flap; counts it on the day when it does. A `degraded` is noted for that. */
async function noteFlap(
  deps: AlertPolicyDependencies,
  event: AuthorizationEvent,
  now: Date,
): Promise<boolean> {
  const { ledger } = deps;
  if (event.type === 'degraded') {
    await ledger.noteDegraded(event.tenantId, event.integration, new Date(event.occurredAt));
    return false;
  }
  if (event.type !== 'restored' || event.previousStatus !== 'degraded') return false;
  const degradedAt = await ledger.takeDegradedAt(event.tenantId, event.integration);
  if (!isFlap(degradedAt, new Date(event.occurredAt), deps.policy)) return false;
  await ledger.countFlap(event.tenantId, event.integration, utcDay(now));
  return true;
}

function digestEntryOf(event: AuthorizationEvent, flap: boolean): DigestEntry {
  return {
    eventId: event.eventId,
    type: event.type,
    ...(event.cause ? { cause: event.cause } : {}),
    tenantId: event.tenantId,
    integration: event.integration,
    occurredAt: event.occurredAt,
    ...(flap ? { flap: true } : {}),
  };
}

/**
 * Applies the alert policy (docs/alerts.md) to one published event:
 * 1. a `degraded` is noted, and a `restored` that ends it within the flap window counted as a flap;
 * 2. a transition ops get in the digest is counted into the running period's;
 * 3. an invalidation joins its incident (tenant, cause, authorizer), whose one mail goes at
 *    `flushAlerts` once the incident closes;
 * 4. a mail the customer's contacts get now (warning, restored after invalid, revoked, the day's
 *    first denial), and one ops get now (vendor-side incidents, the vendor token at risk, with its
 *    own mail), goes out.
 * Nothing goes to a tenant that is gone.
 */
export async function applyAlertPolicy(
  deps: AlertPolicyDependencies,
  event: AuthorizationEvent,
): Promise<void> {
  const now = deps.clock.now();
  const flap = await noteFlap(deps, event, now);
  const vendorTokenAtRisk =
    event.integration === deps.catalog.vendorToken?.key && VENDOR_TOKEN_OPS_EVENTS.includes(event.type);
  const ops = opsRoute(event, { vendorTokenAtRisk });
  if (ops === 'digest')
    await deps.ledger.addToDigest(digestPeriodEnd(now, deps.policy), digestEntryOf(event, flap));
  const customer = customerRoute(event);
  if (customer === 'none' && ops !== 'now') return;
  const tenant = await deps.tenants.get(event.tenantId);
  if (!tenant) {
    deps.log.warn('No alert: the tenant is gone', { eventId: event.eventId, tenantId: event.tenantId });
    return;
  }
  const input = await alertInputOf(deps, tenant, event);
  if (customer === 'incident') {
    const key = incidentKey(event, input.authorization.authorizer?.email ?? event.authorizerEmail);
    const closesAt = new Date(now.getTime() + deps.policy.incidentWindowSeconds * 1000);
    await deps.ledger.addToIncident(key, event, now, closesAt);
  }
  const mail = {
    content: eventAlertContent(input, deps.clientSecretLocation),
    kind: event.type,
    idempotencyKey: event.eventId,
    about: { tenantId: event.tenantId, integration: event.integration },
  };
  if (customer === 'now') await deps.delivery.toContacts(tenant, mail);
  if (ops === 'now') {
    await deps.delivery.toOps(
      vendorTokenAtRisk
        ? {
            ...mail,
            content: vendorTokenAlertContent(input),
            idempotencyKey: `vendor-token:${event.eventId}`,
          }
        : mail,
    );
  }
}

/**
 * Sends what has come due: each closed incident as one mail to its tenant's contacts (naming every
 * authorization in it), then each ended digest period with anything in it as one digest to ops.
 * Each is removed from the ledger only after its mail went out, so a flush that fails is retried
 * whole by the next, with the same idempotency keys. Runs on a schedule (every minute deployed,
 * after each sweep locally).
 */
export async function flushAlerts(
  deps: AlertPolicyDependencies,
): Promise<{ incidents: number; digests: number }> {
  const now = deps.clock.now();
  let incidents = 0;
  for (const incident of await deps.ledger.closedIncidents(now)) {
    const [first] = incident.events;
    const tenant = first ? await deps.tenants.get(first.tenantId) : undefined;
    if (first && tenant) {
      const inputs = [];
      for (const event of incident.events) inputs.push(await alertInputOf(deps, tenant, event));
      await deps.delivery.toContacts(tenant, {
        content: incidentAlertContent(inputs),
        kind: 'invalidated',
        idempotencyKey: `incident:${first.eventId}`,
        about: { tenantId: first.tenantId, integration: first.integration },
      });
      incidents += 1;
    }
    await deps.ledger.removeIncident(incident);
  }
  let digests = 0;
  for (const digest of await deps.ledger.closedDigests(now)) {
    if (digest.entries.length > 0) {
      const flapping = await deps.ledger.listFlapping(utcDay(now), deps.policy.flapsPerDayFlagged);
      await deps.delivery.toOps({
        content: digestContent({
          digest,
          periodSeconds: deps.policy.digestPeriodSeconds,
          flapping,
          flapsPerDayFlagged: deps.policy.flapsPerDayFlagged,
          statusBoardUrl: deps.statusBoardUrl,
        }),
        kind: 'digest',
        idempotencyKey: `digest:${digest.periodEnd}`,
      });
      digests += 1;
    }
    await deps.ledger.removeDigest(digest.periodEnd);
  }
  return { incidents, digests };
}
