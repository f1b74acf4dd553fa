import {
  applyAlertPolicy,
  flushAlerts,
  type AlertDelivery,
  type AlertMail,
  type AlertPolicyDependencies,
} from './alert-delivery.js';
import { renderAlertMail } from './alert-html.js';
import type { Branding } from './branding.js';
import { isContactSuppressed } from './contact-suppression.js';
import type { AuthorizationEvent, Tenant } from './model.js';
import type { EmailMessage, MailSender, SentMailLedger } from './ports.js';

/** How long a sent mail's idempotency key is kept: longer than SQS keeps a message (14 days). */
export const SENT_MAIL_KEY_DAYS = 15;

/** What notifying takes: the alert policy's ports (alert-delivery.ts) and the sending ones. */
export interface NotifierDependencies extends Omit<AlertPolicyDependencies, 'delivery'> {
  mail: MailSender;
  sentMail: SentMailLedger;
  /** The vendor's branding in the head and foot of each mail; a generic head without it. */
  branding?: Branding;
  /** The vendor's ops address: vendor-side incidents and the digest. */
  opsEmail: string;
  /** The RFC 8058 one-click unsubscribe URL of a contact for its tenant; absent, mails carry none. */
  unsubscribeUrl?: (tenantId: string, email: string) => Promise<string>;
}

/** What a notification did, per address. */
export interface NotifyReport {
  sent: string[];
  /** Sent before (a redelivered message, a flush repeated): not sent again. */
  alreadySent: string[];
  /** Suppressed contacts of the tenant (bounced, complained, unsubscribed). */
  suppressed: string[];
}

/** One address's mail: rendered with its own unsubscribe link, tagged for SES's events. */
async function emailOf(
  deps: NotifierDependencies,
  mail: AlertMail,
  to: string,
  tenant: Tenant | undefined,
): Promise<EmailMessage> {
  const unsubscribeUrl =
    tenant && deps.unsubscribeUrl ? await deps.unsubscribeUrl(tenant.tenantId, to) : undefined;
  const rendered = renderAlertMail(mail.content, {
    ...(unsubscribeUrl ? { unsubscribeUrl } : {}),
    ...(deps.branding ? { brand: deps.branding } : {}),
  });
  return {
    to,
    ...rendered,
    ...(unsubscribeUrl ? { unsubscribeUrl } : {}),
    idempotencyKey: `${mail.idempotencyKey}#${to}`,
    tags: { ...(tenant ? { tenantId: tenant.tenantId } : {}), kind: mail.kind },
    ...(mail.about ? { about: mail.about } : {}),
  };
}

/**
 * Sends one mail to each address that is not suppressed: claims the idempotency key (the mail's
 * and the address) and sends; a failed send gives its key back and throws, so the retry sends
 * what is missing and nothing twice. `tenant` is absent for ops, who are never suppressed.
 */
async function sendToEach(
  deps: NotifierDependencies,
  report: NotifyReport,
  mail: AlertMail,
  addresses: readonly string[],
  tenant: Tenant | undefined,
): Promise<void> {
  const keyExpiresAt = new Date(deps.clock.now().getTime() + SENT_MAIL_KEY_DAYS * 86_400_000).toISOString();
  for (const to of new Set(addresses.map((address) => address.toLowerCase()))) {
    if (tenant && isContactSuppressed(tenant, to)) {
      report.suppressed.push(to);
      continue;
    }
    const message = await emailOf(deps, mail, to, tenant);
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
}

/** The alert policy's delivery over the mail sender, recording each address in `report`. */
function deliveryFor(deps: NotifierDependencies, report: NotifyReport): AlertDelivery {
  return {
    toContacts: (tenant, mail) => sendToEach(deps, report, mail, tenant.contacts, tenant),
    toOps: (mail) => sendToEach(deps, report, mail, [deps.opsEmail], undefined),
  };
}

function emptyReport(): NotifyReport {
  return { sent: [], alreadySent: [], suppressed: [] };
}

/**
 * Notifies one authorization event under the alert policy (docs/alerts.md, alert-delivery.ts):
 * what goes out now is mailed to each address, what waits (an incident, the digest) is kept in
 * the ledger for `flushNotifications`.
 */
export async function notifyAuthorizationEvent(
  deps: NotifierDependencies,
  event: AuthorizationEvent,
): Promise<NotifyReport> {
  const report = emptyReport();
  await applyAlertPolicy({ ...deps, delivery: deliveryFor(deps, report) }, event);
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

/** Mails the incidents that have closed and the digests whose period has ended (flushAlerts). */
export async function flushNotifications(
  deps: NotifierDependencies,
): Promise<NotifyReport & { incidents: number; digests: number }> {
  const report = emptyReport();
  const flushed = await flushAlerts({ ...deps, delivery: deliveryFor(deps, report) });
  deps.log.info('Flushed alerts', { ...flushed, sent: report.sent.length });
  return { ...report, ...flushed };
}
