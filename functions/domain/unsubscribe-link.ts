import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import * as z from 'zod';
import { isContactSuppressed } from './contact-suppression.js';
import { MIN_LINK_KEY_BYTES } from './onboarding-link.js';
import type { Tenant } from './model.js';
import type { Clock, LinkSigningKeySource, TenantRepository } from './ports.js';

/*
 * The RFC 8058 one-click unsubscribe link of one address for one tenant. Signed with the
 * onboarding links' key under its own purpose, so neither token is ever taken for the other. The
 * address is not in the URL: the token names it by a hash, matched against the tenant's contacts,
 * so a link shows nobody's address in a log and unsubscribes nobody else.
 */

/** Mixed into the MAC: an onboarding token's signature never verifies as an unsubscribe token's. */
const PURPOSE = 'webex-auth-keeper/unsubscribe/v1';

/** Upper bound on a token's length, so a huge value is refused before any work is done. */
const MAX_TOKEN_LENGTH = 256;

const tokenShape = /^([A-Za-z0-9_-]{1,200})\.([A-Za-z0-9_-]{43})$/;

const payloadSchema = z.strictObject({
  tenantId: z.string().min(1).max(63),
  /** The contact's address, hashed (contactHash). */
  contact: z.string().regex(/^[A-Za-z0-9_-]{22}$/),
});

/** What an unsubscribe token says: whose address, which tenant. */
export type UnsubscribePayload = z.infer<typeof payloadSchema>;

/** The token is malformed or its signature does not match. */
export class UnsubscribeLinkError extends Error {
  override readonly name = 'UnsubscribeLinkError';
  constructor() {
    super('The unsubscribe link is not valid');
  }
}

/** An address as the token names it: 128 bits of the SHA-256 of the lower-cased address, base64url. */
export function contactHash(email: string): string {
  return createHash('sha256').update(email.trim().toLowerCase()).digest('base64url').slice(0, 22);
}

function mac(encodedPayload: string, key: Buffer): string {
  if (key.length < MIN_LINK_KEY_BYTES) {
    throw new Error(`The link signing key must be at least ${MIN_LINK_KEY_BYTES} bytes`);
  }
  return createHmac('sha256', key).update(`${PURPOSE}\n${encodedPayload}`).digest('base64url');
}

/** The token of `email`'s unsubscribe from `tenantId`: `<base64url JSON>.<base64url HMAC-SHA256>`. */
export function signUnsubscribeToken(tenantId: string, email: string, key: Buffer): string {
  const payload = payloadSchema.parse({ tenantId, contact: contactHash(email) });
  const encoded = Buffer.from(JSON.stringify(payload)).toString('base64url');
  return `${encoded}.${mac(encoded, key)}`;
}

/** Checks a token's signature and answers its payload; UnsubscribeLinkError otherwise. It never expires. */
export function readUnsubscribeToken(token: string, key: Buffer): UnsubscribePayload {
  const match = token.length <= MAX_TOKEN_LENGTH ? tokenShape.exec(token) : null;
  if (!match) throw new UnsubscribeLinkError();
  const [, encoded = '', signature = ''] = match;
  // Compared as text: base64url's spare bits would let a changed last character decode the same.
  const expected = Buffer.from(mac(encoded, key));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw new UnsubscribeLinkError();
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'));
  } catch {
    throw new UnsubscribeLinkError();
  }
  const payload = payloadSchema.safeParse(decoded);
  if (!payload.success) throw new UnsubscribeLinkError();
  return payload.data;
}

/** The path of the unsubscribe route under the public API. */
export const UNSUBSCRIBE_PATH = '/unsubscribe';

/** `email`'s unsubscribe URL for `tenantId`: the List-Unsubscribe header's and the mail's link. */
export function unsubscribeUrl(input: {
  publicBaseUrl: string;
  tenantId: string;
  email: string;
  key: Buffer;
}): string {
  const token = signUnsubscribeToken(input.tenantId, input.email, input.key);
  return `${input.publicBaseUrl.replace(/\/+$/, '')}${UNSUBSCRIBE_PATH}/${token}`;
}

/** The contact of the tenant the token names; undefined when the tenant no longer lists it. */
export function contactOf(tenant: Pick<Tenant, 'contacts'>, payload: UnsubscribePayload): string | undefined {
  return tenant.contacts.find((email) => contactHash(email) === payload.contact);
}

/** What an unsubscribe link did, or would do: the page names the tenant, never the address. */
export type UnsubscribeOutcome =
  | { kind: 'unsubscribed'; tenantName: string }
  | { kind: 'confirm'; tenantName: string }
  /** The tenant already suppresses the address: nothing to ask, nothing written. */
  | { kind: 'already_stopped'; tenantName: string }
  /** The tenant was offboarded: its alerts ended with its access, so nothing is stopped or written. */
  | { kind: 'access_ended'; tenantName: string }
  /** The tenant no longer lists the address, or is gone: nothing to stop. */
  | { kind: 'not_a_contact' };

/**
 * Reads an unsubscribe link and, when `confirm` is set (the RFC 8058 one-click POST, or the page's
 * button), suppresses that contact for that tenant only (reason `unsubscribed`): the notifier skips
 * it from then on, and every other tenant's alerts still reach it. A GET only shows what it would
 * do, as mail scanners follow links. An address the tenant already suppresses is answered
 * `already_stopped` on either, with nothing written: a reload or a repeated POST adds no entry.
 * Throws UnsubscribeLinkError for a bad token.
 */
export async function unsubscribeContact(
  deps: {
    tenants: Pick<TenantRepository, 'get' | 'suppressContact'>;
    linkKeys: LinkSigningKeySource;
    clock: Pick<Clock, 'now'>;
  },
  input: { token: string; confirm: boolean },
): Promise<UnsubscribeOutcome> {
  const payload = readUnsubscribeToken(input.token, await deps.linkKeys.get());
  const tenant = await deps.tenants.get(payload.tenantId);
  const email = tenant ? contactOf(tenant, payload) : undefined;
  if (!tenant || email === undefined) return { kind: 'not_a_contact' };
  // Nothing may change on an offboarded tenant, and ops could not restore the address there.
  if (tenant.status !== 'active') return { kind: 'access_ended', tenantName: tenant.name };
  // The notifier's own rule: whatever the reason, it skips the address, so its alerts are stopped.
  if (isContactSuppressed(tenant, email)) return { kind: 'already_stopped', tenantName: tenant.name };
  if (!input.confirm) return { kind: 'confirm', tenantName: tenant.name };
  const suppressed = await deps.tenants.suppressContact(tenant.tenantId, {
    email,
    reason: 'unsubscribed',
    at: deps.clock.now().toISOString(),
  });
  return suppressed ? { kind: 'unsubscribed', tenantName: tenant.name } : { kind: 'not_a_contact' };
}
