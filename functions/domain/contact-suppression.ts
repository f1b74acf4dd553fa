import type { ContactSuppression, Tenant } from './model.js';

/*
 * Which of a tenant's contact addresses are not mailed. One rule for every reader: the notifier
 * skips an address by it, the unsubscribe link says "already stopped" by it, and a restore removes
 * the entries it matches, so the three can never disagree about one address.
 */

/**
 * Whether a suppression entry is about `email`. Case aside, as mail servers treat the local part
 * in practice: an entry written `Boss@Acme.example` stops mail to `boss@acme.example`.
 */
export function suppressesAddress(entry: Pick<ContactSuppression, 'email'>, email: string): boolean {
  return entry.email.toLowerCase() === email.toLowerCase();
}

/** Whether the tenant suppresses `email` for any reason (bouncing, complained, unsubscribed). */
export function isContactSuppressed(tenant: Pick<Tenant, 'suppressedContacts'>, email: string): boolean {
  return (tenant.suppressedContacts ?? []).some((entry) => suppressesAddress(entry, email));
}
