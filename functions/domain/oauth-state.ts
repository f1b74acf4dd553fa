import { createHash } from 'node:crypto';
import { calculatePKCECodeChallenge, generateRandomCodeVerifier, generateRandomState } from 'oauth4webapi';
import type { OAuthState } from './model.js';
import type { Clock } from './ports.js';

/** An OAuth attempt must come back within this time; the admin starts again otherwise. */
export const OAUTH_STATE_TTL_SECONDS = 10 * 60;

/**
 * The `state` parameter as we issue it: 32 random bytes in base64url (256 bits). A callback whose
 * state does not have this shape cannot be ours, so it is refused before any lookup.
 */
export const oauthStateShape = /^[A-Za-z0-9_-]{43}$/;

/** What one authorization attempt needs: the secret `state` for the URL, and the record to store. */
export interface NewOAuthAttempt {
  /** Goes into the authorize URL only; never logged or stored in the clear. */
  state: string;
  /** S256 challenge of the stored verifier. */
  codeChallenge: string;
  /** Stored keyed by the state's hash; single use. */
  record: OAuthState;
}

/** SHA-256 of the state, hex: the store's key, so a leaked table reveals no usable state. */
export function hashOAuthState(state: string): string {
  return createHash('sha256').update(state).digest('hex');
}

/** When the attempt of this record started (its expiry less the state's lifetime). */
export function oauthAttemptStartedAt(record: OAuthState): Date {
  return new Date(Date.parse(record.expiresAt) - OAUTH_STATE_TTL_SECONDS * 1000);
}

/**
 * Starts one attempt bound to a tenant, an integration and the link version it came from:
 * a fresh state, a PKCE verifier and its S256 challenge, and the record to store.
 */
export async function createOAuthAttempt(input: {
  tenantId: string;
  integration: string;
  linkVersion: number;
  /** The expiry of the link the attempt started from; the callback's links never outlive it. */
  linkExpiresAt: string;
  clock: Pick<Clock, 'now'>;
}): Promise<NewOAuthAttempt> {
  const state = generateRandomState();
  const codeVerifier = generateRandomCodeVerifier();
  const codeChallenge = await calculatePKCECodeChallenge(codeVerifier);
  const expiresAt = new Date(input.clock.now().getTime() + OAUTH_STATE_TTL_SECONDS * 1000).toISOString();
  return {
    state,
    codeChallenge,
    record: {
      stateHash: hashOAuthState(state),
      tenantId: input.tenantId,
      integration: input.integration,
      codeVerifier,
      linkVersion: input.linkVersion,
      linkExpiresAt: input.linkExpiresAt,
      expiresAt,
    },
  };
}

/** True once the attempt's ten minutes are over (the store's TTL deletes late, so we check too). */
export function isOAuthStateExpired(record: OAuthState, now: Date): boolean {
  return Date.parse(record.expiresAt) <= now.getTime();
}
