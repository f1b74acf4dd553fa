import type { ContactSuppressionReason } from './model.js';
import type { Log, TenantRepository } from './ports.js';

/** What the mail service reported back about one sent mail. */
export interface MailFeedback {
  kind: 'bounce' | 'complaint' | 'reject';
  /** For a bounce: the address is gone for good (a hard bounce), not full or away for a while. */
  permanent: boolean;
  /** The mail's `tenantId` tag; absent on ops mail. */
  tenantId?: string;
  /** The addresses the feedback is about (the bounced or complaining ones). */
  addresses: string[];
  at: string;
}

/** What recording feedback did. */
export interface FeedbackOutcome {
  suppressed: string[];
  /** Why nothing was marked, when nothing was. */
  ignored?: 'transient_bounce' | 'reject' | 'ops_mail' | 'tenant_gone';
}

function reasonOf(feedback: MailFeedback): ContactSuppressionReason | undefined {
  if (feedback.kind === 'complaint') return 'complained';
  return feedback.kind === 'bounce' && feedback.permanent ? 'bouncing' : undefined;
}

/**
 * Records a bounce or complaint on the tenant item, so the notifier never mails the address
 * again:
 * 1. a hard bounce marks the address `bouncing`, a complaint `complained`; a soft bounce and a
 *    reject (SES found a virus in our mail: the mail's fault, not the address's) mark nothing;
 * 2. feedback on ops mail (no tenant tag) is logged as an error for ops to fix their address;
 * 3. an address already marked for the same reason is not written again.
 */
export async function recordMailFeedback(
  deps: { tenants: Pick<TenantRepository, 'get' | 'suppressContact'>; log: Log },
  feedback: MailFeedback,
): Promise<FeedbackOutcome> {
  const reason = reasonOf(feedback);
  const context = { kind: feedback.kind, permanent: feedback.permanent, tenantId: feedback.tenantId };
  if (reason === undefined) {
    deps.log.warn('Mail feedback that marks no address', context);
    return { suppressed: [], ignored: feedback.kind === 'reject' ? 'reject' : 'transient_bounce' };
  }
  if (feedback.tenantId === undefined) {
    deps.log.error('The ops address bounced or complained: alerts to ops are not arriving', context);
    return { suppressed: [], ignored: 'ops_mail' };
  }
  const tenant = await deps.tenants.get(feedback.tenantId);
  if (!tenant) return { suppressed: [], ignored: 'tenant_gone' };
  const already = new Set(
    (tenant.suppressedContacts ?? [])
      .filter((entry) => entry.reason === reason)
      .map((entry) => entry.email.toLowerCase()),
  );
  const suppressed: string[] = [];
  for (const address of new Set(feedback.addresses.map((entry) => entry.toLowerCase()))) {
    if (already.has(address)) continue;
    if (await deps.tenants.suppressContact(tenant.tenantId, { email: address, reason, at: feedback.at })) {
      suppressed.push(address);
    }
  }
  deps.log.info('Contacts suppressed after mail feedback', { ...context, suppressed: suppressed.length });
  return { suppressed };
}
