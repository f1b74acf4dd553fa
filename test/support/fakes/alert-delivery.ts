import type { AlertDelivery, AlertMail } from '#domain/alert-delivery.js';
import { alertText } from '#domain/alert-content.js';
import type { Tenant } from '#domain/model.js';

/** One mail as a recipient would get it. */
export interface DeliveredMail {
  to: string;
  kind: AlertMail['kind'];
  subject: string;
  text: string;
  integrationIds: string[];
  idempotencyKey: string;
}

/**
 * Delivers to each contact of the tenant and to the ops address, in memory; like the notifier, a
 * mail whose idempotency key and recipient it has sent already is not sent again.
 */
export class RecordingAlertDelivery implements AlertDelivery {
  readonly mails: DeliveredMail[] = [];
  /** Set to make the next deliveries throw, as a sender that is down does. */
  failing = false;

  constructor(readonly opsEmail = 'ops@vendor.example') {}

  toContacts(tenant: Tenant, mail: AlertMail): Promise<void> {
    return this.deliver(tenant.contacts, mail);
  }

  toOps(mail: AlertMail): Promise<void> {
    return this.deliver([this.opsEmail], mail);
  }

  /** The mails one address got. */
  to(address: string): DeliveredMail[] {
    return this.mails.filter((mail) => mail.to === address);
  }

  private deliver(recipients: readonly string[], mail: AlertMail): Promise<void> {
    if (this.failing) return Promise.reject(new Error('The mail sender is down'));
    for (const to of recipients) {
      const sent = this.mails.some(
        (known) => known.to === to && known.idempotencyKey === mail.idempotencyKey,
      );
      if (!sent) {
        this.mails.push({
          to,
          kind: mail.kind,
          subject: mail.content.subject,
          text: alertText(mail.content),
          integrationIds: mail.content.integrations.map((integration) => integration.integrationId),
          idempotencyKey: mail.idempotencyKey,
        });
      }
    }
    return Promise.resolve();
  }
}
