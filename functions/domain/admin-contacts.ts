import { requireActiveTenant, type AdminDependencies } from './admin.js';
import type { ContactSuppression } from './model.js';

/*
 * Ops restore a contact address a tenant no longer mails (unsubscribed, bounced or complained),
 * on the owner's request: the unsubscribe page tells them to ask the vendor's ops for it.
 */

/** What a restore did: the address, and the suppressions it removed (one per reason recorded). */
export interface RestoredContact {
  tenantId: string;
  email: string;
  removedSuppressions: ContactSuppression[];
}

/** The tenant does not suppress the address: there is nothing to restore. */
export class ContactNotSuppressedError extends Error {
  override readonly name = 'ContactNotSuppressedError';
  constructor(
    readonly tenantId: string,
    readonly email: string,
    /** Whether the address is among the tenant's contacts, so the refusal can say it is not. */
    readonly isContact: boolean,
  ) {
    super(`Tenant ${tenantId} does not suppress ${email}`);
  }
}

/**
 * Restores a suppressed contact address of a tenant:
 * 1. reads the tenant (404 when unknown, 409 when offboarded, as every change);
 * 2. removes every suppression of the address, whatever its reason (ops may have had a bouncing
 *    mailbox fixed), compared case aside as the notifier compares: its next alerts reach it;
 * 3. ContactNotSuppressedError when there was none, with nothing written.
 * An address restored while it is not among the contacts gets no mail until it is added again.
 */
export async function restoreContact(
  deps: Pick<AdminDependencies, 'tenants'>,
  tenantId: string,
  email: string,
): Promise<RestoredContact> {
  const tenant = await requireActiveTenant(deps.tenants, tenantId);
  const removedSuppressions = await deps.tenants.removeContactSuppressions(tenantId, email);
  if (removedSuppressions.length === 0) {
    throw new ContactNotSuppressedError(
      tenantId,
      email,
      tenant.contacts.some((contact) => contact.toLowerCase() === email.toLowerCase()),
    );
  }
  return { tenantId, email, removedSuppressions };
}
