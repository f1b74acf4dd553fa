import { createHash, randomBytes, randomUUID } from 'node:crypto';

/** The kinds of resource Webex encodes into its ids (`ciscospark://us/<KIND>/<uuid>`). */
export type WebexIdKind =
  'PEOPLE' | 'ORGANIZATION' | 'ROLE' | 'AUTHORIZATION' | 'APPLICATION' | 'LICENSE' | 'WEBHOOK';

/**
 * A Webex-style id: base64 of `ciscospark://us/<KIND>/<value>` without padding, as in every id
 * of the OpenAPI examples (e.g. `Y2lzY29zcGFyazovL3VzL1BFT1BMRS9m...`).
 */
export function webexId(kind: WebexIdKind, value: string): string {
  return Buffer.from(`ciscospark://us/${kind}/${value}`).toString('base64url');
}

/**
 * A uuid derived from a hash of `seed`, so the demo org and people keep the same ids across
 * restarts (bookmarks, stored authorizations and logs stay meaningful in the local run).
 */
export function stableUuid(seed: string): string {
  const hex = createHash('sha256').update(`webex-simulator:${seed}`).digest('hex');
  // Version 5 and RFC 4122 variant bits, so the value is a well-formed name-based uuid.
  const variant = ((parseInt(hex.slice(16, 17), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** A new random uuid (crypto-strong). */
export function newUuid(): string {
  return randomUUID();
}

/** The `TrackingId` Webex puts on every answer; its API router's ids start with `ROUTER_`. */
export function newTrackingId(): string {
  return `ROUTER_${randomUUID()}`;
}

/**
 * A bearer or refresh token shaped like Webex's: 64 base64 characters, a cluster tag and the
 * org's uuid (`<64 chars>_<cluster>_<org uuid>`). Only the shape is imitated; it is random.
 */
export function newToken(orgUuid: string): string {
  return `${randomBytes(48).toString('base64url').slice(0, 64)}_P0A1_${orgUuid}`;
}

/** A random authorization code (single use, short lived). */
export function newAuthorizationCode(): string {
  return randomBytes(36).toString('base64url');
}
