import { createHmac, timingSafeEqual } from 'node:crypto';
import * as z from 'zod';
import type { Tenant } from './model.js';
import type { Clock, TenantRepository } from './ports.js';

/** How long an onboarding link works when the caller does not say otherwise. */
export const DEFAULT_LINK_TTL_DAYS = 14;

/** Shortest signing key accepted: HMAC-SHA256 gains nothing past 32 bytes, and loses below. */
export const MIN_LINK_KEY_BYTES = 32;

/** Upper bound on a token's length, so a huge value is refused before any work is done. */
export const MAX_LINK_TOKEN_LENGTH = 512;

const DAY_MS = 24 * 60 * 60 * 1000;

/** What an onboarding link says; the token carries it signed, in the clear (it holds no secret). */
export interface OnboardingLinkPayload {
  tenantId: string;
  /** The tenant's `linkVersion` when the link was issued; bumping the tenant's revokes the link. */
  linkVersion: number;
  expiresAt: string;
}

const payloadSchema = z.strictObject({
  tenantId: z.string().min(1).max(63),
  linkVersion: z.number().int().nonnegative(),
  expiresAt: z.iso.datetime({ offset: true }),
});

// A payload part, a dot, and the 43 base64url characters of a SHA-256 MAC.
const tokenShape = /^([A-Za-z0-9_-]{1,400})\.([A-Za-z0-9_-]{43})$/;

/** Base class of the reasons a link is refused, so callers can catch them together. */
export abstract class OnboardingLinkError extends Error {}

/** The token is malformed or its signature does not match: someone changed it. */
export class LinkTamperedError extends OnboardingLinkError {
  override readonly name = 'LinkTamperedError';
  constructor() {
    super('The onboarding link is not valid');
  }
}

/** The link's own expiry has passed. */
export class LinkExpiredError extends OnboardingLinkError {
  override readonly name = 'LinkExpiredError';
  constructor(readonly expiredAt: string) {
    super(`The onboarding link expired at ${expiredAt}`);
  }
}

/**
 * Why a tenant no longer accepts a link: `replaced` when the tenant is active and a newer link was
 * issued; `access_ended` when the tenant was offboarded or its record is gone (purged, which reads
 * the same as a tenant that never existed).
 */
export type LinkRevocation = 'replaced' | 'access_ended';

/** The tenant no longer accepts the link; `revocation` says why, for the page the admin sees. */
export class LinkRevokedError extends OnboardingLinkError {
  override readonly name = 'LinkRevokedError';
  constructor(
    readonly tenantId: string,
    readonly revocation: LinkRevocation,
  ) {
    super(`The onboarding link of tenant ${tenantId} was revoked (${revocation})`);
  }
}

/**
 * Throws LinkRevokedError unless the tenant is active at the link's version. The tenant's status
 * is judged first: offboarding bumps the version too, and no newer link serves an ended tenant.
 */
export function assertTenantAcceptsLink<T extends Pick<Tenant, 'status' | 'linkVersion'>>(
  tenantId: string,
  tenant: T | undefined,
  linkVersion: number,
): asserts tenant is T {
  if (!tenant || tenant.status !== 'active') throw new LinkRevokedError(tenantId, 'access_ended');
  if (tenant.linkVersion !== linkVersion) throw new LinkRevokedError(tenantId, 'replaced');
}

function assertUsableKey(key: Buffer): void {
  if (key.length < MIN_LINK_KEY_BYTES) {
    throw new Error(`The link signing key must be at least ${MIN_LINK_KEY_BYTES} bytes`);
  }
}

function mac(encodedPayload: string, key: Buffer): string {
  return createHmac('sha256', key).update(encodedPayload).digest('base64url');
}

/** Signs a payload into a URL-safe token `<base64url JSON>.<base64url HMAC-SHA256>`. */
export function signOnboardingLinkToken(payload: OnboardingLinkPayload, key: Buffer): string {
  assertUsableKey(key);
  const encodedPayload = Buffer.from(JSON.stringify(payloadSchema.parse(payload))).toString('base64url');
  return `${encodedPayload}.${mac(encodedPayload, key)}`;
}

/**
 * Checks a token's signature and expiry and returns its payload. Does not look at the tenant:
 * `verifyOnboardingLink` does that. Throws LinkTamperedError or LinkExpiredError.
 */
export function readOnboardingLinkToken(token: string, key: Buffer, now: Date): OnboardingLinkPayload {
  assertUsableKey(key);
  const match = token.length <= MAX_LINK_TOKEN_LENGTH ? tokenShape.exec(token) : null;
  if (!match) throw new LinkTamperedError();
  const [, encodedPayload = '', signature = ''] = match;
  // The MAC is compared in its canonical text form: base64url has spare bits in the last
  // character, so comparing decoded bytes would accept a token with that character changed.
  const expected = Buffer.from(mac(encodedPayload, key));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw new LinkTamperedError();
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(encodedPayload, 'base64url').toString('utf8'));
  } catch {
    throw new LinkTamperedError();
  }
  const payload = payloadSchema.safeParse(decoded);
  // A valid MAC over a bad payload means the key signed something else: refuse it all the same.
  if (!payload.success) throw new LinkTamperedError();
  if (Date.parse(payload.data.expiresAt) <= now.getTime()) throw new LinkExpiredError(payload.data.expiresAt);
  return payload.data;
}

/** A link ready to hand to a customer. */
export interface IssuedOnboardingLink {
  /** `${publicBaseUrl}/connect/<token>`: the portal page of the tenant. */
  url: string;
  /** The bare token, for building other routes of the portal. */
  token: string;
  expiresAt: string;
}

/**
 * Issues a signed onboarding link for the tenant's current `linkVersion`. The validator puts one
 * in alert emails as the re-authorize link; the admin API hands them out.
 */
export function issueOnboardingLink(input: {
  tenant: Pick<Tenant, 'tenantId' | 'linkVersion'>;
  key: Buffer;
  clock: Pick<Clock, 'now'>;
  ttlDays?: number;
  /**
   * A fixed expiry instead of `ttlDays` from now: a link re-issued inside a flow (the OAuth
   * callback's retry and portal links) keeps the expiry of the link the flow started from.
   */
  expiresAt?: string;
  publicBaseUrl: string;
}): IssuedOnboardingLink {
  const ttlDays = input.ttlDays ?? DEFAULT_LINK_TTL_DAYS;
  if (!(ttlDays > 0)) throw new Error('The link lifetime must be positive');
  const expiresAt = input.expiresAt ?? new Date(input.clock.now().getTime() + ttlDays * DAY_MS).toISOString();
  const token = signOnboardingLinkToken(
    { tenantId: input.tenant.tenantId, linkVersion: input.tenant.linkVersion, expiresAt },
    input.key,
  );
  return { url: `${input.publicBaseUrl.replace(/\/+$/, '')}/connect/${token}`, token, expiresAt };
}

/** A link that passed every check, with the tenant it opens. */
export interface VerifiedOnboardingLink {
  tenant: Tenant;
  payload: OnboardingLinkPayload;
}

/**
 * Verifies a link token end to end: signature, expiry, and that the tenant exists, is active and
 * still has the link's version. Throws LinkTamperedError, LinkExpiredError or LinkRevokedError.
 */
export async function verifyOnboardingLink(input: {
  token: string;
  key: Buffer;
  clock: Pick<Clock, 'now'>;
  tenants: Pick<TenantRepository, 'get'>;
}): Promise<VerifiedOnboardingLink> {
  const payload = readOnboardingLinkToken(input.token, input.key, input.clock.now());
  const tenant = await input.tenants.get(payload.tenantId);
  assertTenantAcceptsLink(payload.tenantId, tenant, payload.linkVersion);
  return { tenant, payload };
}
