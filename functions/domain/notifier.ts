import { buildAlert, isAlerted } from './alerts.js';
import type { Catalog } from './catalog.js';
import type { Authorization, AuthorizationEvent, EventType, Tenant } from './model.js';
import type {
  AlertMessage,
  AuthorizationRepository,
  Clock,
  EmailMessage,
  Log,
  MailSender,
  SentMailLedger,
  TenantRepository,
} from './ports.js';

/** How long a sent mail's idempotency key is kept: longer than SQS keeps a message (14 days). */
export const SENT_MAIL_KEY_DAYS = 15;

/** What notifying an event takes. */
export interface NotifierDependencies {
  tenants: Pick<TenantRepository, 'get'>;
  authorizations: Pick<AuthorizationRepository, 'get'>;
  mail: MailSender;
  sentMail: SentMailLedger;
  catalog: Catalog;
  /** A fresh onboarding link of the tenant, for the re-authorize link in alerts. */
  reauthorizeLink: (tenant: Tenant) => Promise<string>;
  passwordMaxAgeDays: number;
  /** The vendor's ops address: every alert, and the ops-only ones alone. */
  opsEmail: string;
  clock: Clock;
  log: Log;
}

/** What one event's notification did, per address. */
export interface NotifyReport {
  sent: string[];
  /** Sent before (a redelivered message): not sent again. */
  alreadySent: string[];
  /** Suppressed contacts of the tenant (bounced, complained, unsubscribed). */
  suppressed: string[];
}

/**
 * The record the alert is written from. The notifier runs after the event, so the record may have
 * moved on: its cause detail is kept only when it still belongs to the event's cause, so a mail
 * never gives one invalidation's evidence as another's.
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

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

/**
 * Events for the vendor's ops alone, as their producers mark their alerts: a first consent binding
 * the tenant's org, our client secret refused or accepted again, our own checks failing.
 */
const OPS_ONLY_EVENT_TYPES: ReadonlySet<EventType> = new Set([
  'org_bound',
  'credential_incident',
  'credential_resolved',
  'check_failing',
]);

/** Who gets the alert: ops alone for an ops alert, else the tenant's contacts and ops. */
function recipientsOf(
  alert: AlertMessage,
  event: AuthorizationEvent,
  tenant: Tenant,
  opsEmail: string,
): string[] {
  const opsOnly = alert.audience === 'ops' || OPS_ONLY_EVENT_TYPES.has(event.type);
  const addresses = opsOnly ? [opsEmail] : [...tenant.contacts, opsEmail];
  return [...new Set(addresses.map((address) => address.toLowerCase()))];
}

/** The tenant's suppressed addresses, lower-case. */
function suppressedOf(tenant: Tenant): Set<string> {
  return new Set((tenant.suppressedContacts ?? []).map((entry) => entry.email.toLowerCase()));
}

/**
 * Mails one authorization event to people:
 * 1. skips routine events (`refreshed`) and a denial inside the tenant's denial alert window;
 * 2. reads the tenant (none: nobody to write to) and the authorization record;
 * 3. writes the alert (alerts.ts);
 * 4. for each recipient (the contacts and ops, or ops alone) that is not suppressed, claims the
 *    idempotency key (event id and address) and sends; a failed send gives its key back and
 *    throws, so the retry sends what is missing and nothing twice.
 */
export async function notifyAuthorizationEvent(
  deps: NotifierDependencies,
  event: AuthorizationEvent,
): Promise<NotifyReport> {
  const report: NotifyReport = { sent: [], alreadySent: [], suppressed: [] };
  if (!isAlerted(event.type)) return report;
  // A denial repeated inside the window is recorded with the earlier alert's time: not mailed.
  if (event.type === 'denied' && event.alertedAt !== undefined && event.alertedAt !== event.occurredAt) {
    return report;
  }
  const tenant = await deps.tenants.get(event.tenantId);
  if (!tenant) {
    deps.log.warn('No tenant to notify', { eventId: event.eventId, tenantId: event.tenantId });
    return report;
  }
  const record = await deps.authorizations.get(event.tenantId, event.integration);
  const alert = buildAlert({
    event,
    tenant,
    integration: deps.catalog.find(event.integration),
    authorization: recordForEvent(record, event),
    reauthorizeLink: await deps.reauthorizeLink(tenant),
    passwordMaxAgeDays: deps.passwordMaxAgeDays,
  });
  const suppressed = suppressedOf(tenant);
  const keyExpiresAt = new Date(deps.clock.now().getTime() + SENT_MAIL_KEY_DAYS * 86_400_000).toISOString();
  for (const to of recipientsOf(alert, event, tenant, deps.opsEmail)) {
    if (suppressed.has(to)) {
      report.suppressed.push(to);
      continue;
    }
    const message = emailOf(alert, event, tenant, to, deps.opsEmail);
    if (!(await deps.sentMail.claim(message.idempotencyKey, keyExpiresAt))) {
      report.alreadySent.push(to);
      continue;
    }
    try {
      await deps.mail.send(message);
    } catch (error) {
      await deps.sentMail.release(message.idempotencyKey);
      throw error;
    }
    report.sent.push(to);
  }
  deps.log.info('Notified an authorization event', {
    eventId: event.eventId,
    eventType: event.type,
    tenantId: event.tenantId,
    sent: report.sent.length,
    alreadySent: report.alreadySent.length,
    suppressed: report.suppressed.length,
  });
  return report;
}

/** The alert as one address's mail; the html part is the text, escaped, until a renderer writes it. */
function emailOf(
  alert: AlertMessage,
  event: AuthorizationEvent,
  tenant: Tenant,
  to: string,
  opsEmail: string,
): EmailMessage {
  const toOps = to === opsEmail.toLowerCase();
  return {
    to,
    subject: alert.subject,
    text: alert.text,
    html: `<pre>${escapeHtml(alert.text)}</pre>`,
    idempotencyKey: `${event.eventId}#${to}`,
    tags: { ...(toOps ? {} : { tenantId: tenant.tenantId }), kind: event.type },
  };
}
