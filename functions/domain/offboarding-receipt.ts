import type { Catalog, Integration } from './catalog.js';
import type { Authorization, Tenant, TokenMaterial } from './model.js';
import { WebexError, type Clock, type Log, type TokenVault, type WebexClient } from './ports.js';
import { holdsTokens, openTokens } from './token-storage.js';

/*
 * The offboarding receipt's Webex line: what was asked of Webex for one authorization and what
 * Webex does with its token now, checked by a follow-up call where it can be, and said plainly
 * where it cannot (the token stays valid until its expiry, and the Control Hub step that ends it).
 */

/**
 * What became of the tokens at Webex: `revoked` (Webex accepted the revocation); `not_permitted`
 * (403: the token lacks identity:tokens_write, the usual case); `token_invalid` (401: Webex no
 * longer accepts the access token); `failed` (any other error, logged); `skipped` (no readable
 * token, or no org to revoke in).
 */
export type WebexRevocation = 'revoked' | 'not_permitted' | 'token_invalid' | 'failed' | 'skipped';

/** What the receipt says of one authorization at Webex. Never holds a token. */
export interface WebexReceipt {
  /**
   * `revoked_verified`: revoked, and a follow-up call with the old access token is refused (401);
   * `revoked_unverified`: revoked, but the follow-up call still works or could not tell; the others
   * as in WebexRevocation.
   */
  outcome:
    'revoked_verified' | 'revoked_unverified' | 'not_permitted' | 'token_invalid' | 'failed' | 'skipped';
  /** The receipt's sentence for people. */
  statement: string;
  /** When Webex was seen refusing the revoked token. */
  verifiedAt?: string;
  /** Why the revocation failed or was skipped. */
  reason?: string;
  /** Webex's trackingId of the refusal or failure, for Cisco support. */
  trackingId?: string;
  /** Until when Webex may still accept the access token, where it was not revoked. */
  accessTokenValidUntil?: string;
  /** Until when the grant (its refresh token) stays valid at Webex, where it was not revoked. */
  refreshTokenValidUntil?: string;
  /** Where it was not revoked: how an admin ends it in Control Hub. */
  controlHubStep?: string;
}

/** The revocation at Webex and its receipt line. */
export interface WebexRevocationResult {
  webexRevocation: WebexRevocation;
  atWebex: WebexReceipt;
}

/** What revoking at Webex reads and calls. */
export interface WebexRevocationDependencies {
  vault: Pick<TokenVault, 'open'>;
  webex: Pick<WebexClient, 'revokeAuthorizations' | 'getMe'>;
  catalog: Pick<Catalog, 'find'>;
  clock: Clock;
  log: Log;
}

/** Nothing asked of Webex, and why (e.g. revoked already by an earlier run). */
export function skippedRevocation(reason: string): WebexRevocationResult {
  return {
    webexRevocation: 'skipped',
    atWebex: { outcome: 'skipped', reason, statement: `Nothing was asked of Webex: ${reason}.` },
  };
}

/**
 * Revokes the authorization's tokens at Webex with its own access token
 * (`DELETE /v1/authorizations?clientId=&orgId=`), then checks the old access token on
 * `people/me`: only a 401 there verifies the revocation. Where Webex refused or failed, the
 * receipt says until when the token stays valid there and the Control Hub step that ends it.
 */
export async function revokeAtWebex(
  deps: WebexRevocationDependencies,
  tenant: Tenant,
  record: Authorization,
): Promise<WebexRevocationResult> {
  const { tenantId, integration } = record;
  const entry = deps.catalog.find(integration);
  const orgId = tenant.orgId ?? record.authorizer?.orgId;
  if (!holdsTokens(record)) return skippedRevocation('no token is stored for it');
  if (!entry) return skippedRevocation('the catalog no longer lists the integration');
  if (!orgId) return skippedRevocation('no Webex organization is known for the tenant');
  let material: TokenMaterial;
  try {
    material = await openTokens(deps.vault, record);
  } catch (error) {
    deps.log.warn('No readable token to revoke at Webex', { tenantId, integration, error: errorName(error) });
    return skippedRevocation('its stored token could not be read');
  }
  try {
    await deps.webex.revokeAuthorizations(material.accessToken, { clientId: entry.integrationId, orgId });
  } catch (error) {
    return notRevoked(deps, record, entry, material, error);
  }
  deps.log.info('Revoked the authorization at Webex', { tenantId, integration });
  return { webexRevocation: 'revoked', atWebex: await verifyRevoked(deps, record, material.accessToken) };
}

async function verifyRevoked(
  deps: WebexRevocationDependencies,
  record: Authorization,
  accessToken: string,
): Promise<WebexReceipt> {
  const where = { tenantId: record.tenantId, integration: record.integration };
  try {
    await deps.webex.getMe(accessToken);
  } catch (error) {
    if (error instanceof WebexError && error.kind === 'unauthorized') {
      const verifiedAt = deps.clock.now().toISOString();
      return {
        outcome: 'revoked_verified',
        verifiedAt,
        statement: `Revoked at Webex, verified at ${verifiedAt}: Webex now refuses the token (401).`,
      };
    }
    const failure = failureOf(error);
    deps.log.warn('Could not verify the revocation at Webex', { ...where, reason: failure.reason });
    return {
      outcome: 'revoked_unverified',
      reason: failure.reason,
      ...failure.tracking,
      statement: `Revocation requested but not verified: the follow-up call failed (${failure.reason}).`,
    };
  }
  deps.log.warn('Webex still accepts the token after revoking it', where);
  return {
    outcome: 'revoked_unverified',
    statement: 'Revocation requested but not verified: Webex still accepts the token.',
  };
}

function notRevoked(
  deps: WebexRevocationDependencies,
  record: Authorization,
  entry: Integration,
  material: TokenMaterial,
  error: unknown,
): WebexRevocationResult {
  const where = { tenantId: record.tenantId, integration: record.integration };
  const failure = failureOf(error);
  const details = { ...where, ...failure.tracking, reason: failure.reason };
  const still = {
    accessTokenValidUntil: material.accessTokenExpiresAt,
    refreshTokenValidUntil: material.refreshTokenExpiresAt,
    controlHubStep: controlHubStep(entry, record),
    ...failure.tracking,
  };
  const remains = `No copy remains here, but Webex accepts the access token until ${material.accessTokenExpiresAt} and the grant until ${material.refreshTokenExpiresAt}. ${still.controlHubStep}`;
  if (error instanceof WebexError && error.kind === 'forbidden') {
    // Expected: revoking needs identity:tokens_write, which the catalog's integrations do not ask for.
    deps.log.info(
      'Webex refused the revocation (403, no identity:tokens_write); the tokens are deleted here',
      details,
    );
    return {
      webexRevocation: 'not_permitted',
      atWebex: {
        outcome: 'not_permitted',
        ...still,
        statement: `Not revoked at Webex: the token lacks the identity:tokens_write scope, so Webex refused (403). ${remains}`,
      },
    };
  }
  if (error instanceof WebexError && error.kind === 'unauthorized') {
    deps.log.info('Webex no longer accepts the access token', details);
    return {
      webexRevocation: 'token_invalid',
      atWebex: {
        outcome: 'token_invalid',
        ...still,
        statement: `Not revoked at Webex: Webex no longer accepts the access token (401), so it could not ask. The grant is most likely dead already; if only the access token had expired, the grant stays valid until ${material.refreshTokenExpiresAt}. ${still.controlHubStep}`,
      },
    };
  }
  deps.log.warn('Revoking at Webex failed; the tokens are deleted here all the same', details);
  return {
    webexRevocation: 'failed',
    atWebex: {
      outcome: 'failed',
      reason: failure.reason,
      ...still,
      statement: `Revocation at Webex failed (${failure.reason}). ${remains}`,
    },
  };
}

/** The Control Hub step that ends the authorization at Webex, as WEBEX.md names it. */
function controlHubStep(entry: Integration, record: Authorization): string {
  const user = record.authorizer?.email;
  return (
    `To end it at Webex now, a Full Administrator opens Control Hub, Apps > Integrations, finds "${entry.name}" by its Integration ID ${entry.integrationId} and revokes its access (this ends every user's authorization of it in the organization)` +
    (user ? `, or opens Users > ${user} > Reset access (this ends all of that user's authorizations).` : '.')
  );
}

/** A failure in words (status and kind, never a message that might quote a request) and its trackingId. */
function failureOf(error: unknown): { reason: string; tracking: { trackingId?: string } } {
  if (!(error instanceof WebexError)) return { reason: `unexpected ${errorName(error)}`, tracking: {} };
  const status = error.details.status;
  return {
    reason: status === undefined ? `Webex ${error.kind} failure, no answer` : `Webex answered ${status}`,
    tracking: error.details.trackingId !== undefined ? { trackingId: error.details.trackingId } : {},
  };
}

/** An error's name for a log line: never its message, which may quote what it failed on. */
export function errorName(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}
