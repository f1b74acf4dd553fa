import { refreshTokenIssuedAt } from './expiry-warnings.js';
import { LIVE_STATUSES, type Authorization, type SealedTokens, type TokenMaterial } from './model.js';
import { ConflictError, type AuthorizationRepository, type TokenVault } from './ports.js';

/*
 * Tokens live on the authorization item, sealed by the vault (docs/architecture.md, "Token
 * storage"): a record and the tokens it describes are always written together, in the record's
 * one conditional save.
 */

/** A record that holds sealed tokens. */
export type SealedAuthorization = Authorization & { sealedTokens: SealedTokens };

/** Whether the record holds tokens: false for pending and revoked ones, and for records from before tokens moved onto the item. */
export function holdsTokens(record: Authorization): record is SealedAuthorization {
  return record.sealedTokens !== undefined;
}

/** The record's token material, opened under the record's own tenant and integration. */
export function openTokens(
  vault: Pick<TokenVault, 'open'>,
  record: SealedAuthorization,
): Promise<TokenMaterial> {
  return vault.open({ tenantId: record.tenantId, integration: record.integration }, record.sealedTokens);
}

/** How many times a refresh's save is tried on top of a concurrent write that left the tokens alone. */
const REFRESH_SAVE_ATTEMPTS = 3;

/**
 * Saves refreshed tokens on the record, sealed, in one conditional write made right after Webex
 * answered: a crash later loses nothing, as Webex may have rotated the refresh token. With
 * `describe`, the same write records the expiries and refresh time that go with them (token
 * access, whose refresh ends there); without, the caller's own later write does (the validator's
 * check, with its `refreshed` event), and a check that died before it finds tokens newer than the
 * record says and records that refresh itself. The lease fields stay as they are unless
 * `releaseLease` is set.
 *
 * A concurrent write that kept the tokens this refresh started from (a status, a schedule, a
 * lease) is built upon; one that changed them (a new grant, another refresh) or took them away (a
 * revocation, a purge, an invalidation) wins, and nothing is written: the refreshed tokens are
 * dropped rather than brought back onto a record that gave them up. Answers the saved record, or
 * undefined when superseded.
 */
export async function saveRefreshedTokens(
  deps: { authorizations: Pick<AuthorizationRepository, 'get' | 'save'>; vault: Pick<TokenVault, 'seal'> },
  record: SealedAuthorization,
  material: TokenMaterial,
  now: Date,
  options: { releaseLease: boolean; describe: boolean },
): Promise<SealedAuthorization | undefined> {
  const sealedTokens = await deps.vault.seal(record, material);
  const nowIso = now.toISOString();
  let base: Authorization = record;
  for (let attempt = 1; ; attempt += 1) {
    const next: SealedAuthorization = {
      ...base,
      sealedTokens,
      ...(options.describe
        ? {
            accessTokenExpiresAt: material.accessTokenExpiresAt,
            refreshTokenExpiresAt: material.refreshTokenExpiresAt,
            refreshTokenIssuedAt: refreshTokenIssuedAt(
              base,
              material.refreshTokenExpiresAt,
              now,
            ).toISOString(),
            refreshedAt: nowIso,
          }
        : {}),
      updatedAt: nowIso,
      // Only our own lease is released: one taken over meanwhile stays with its owner.
      ...(options.releaseLease && base.leaseOwner === record.leaseOwner
        ? { leaseOwner: undefined, leaseUntil: undefined }
        : {}),
    };
    try {
      return { ...(await deps.authorizations.save(next, base.version)), sealedTokens };
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
    }
    if (attempt === REFRESH_SAVE_ATTEMPTS) return undefined;
    const current = await deps.authorizations.get(record.tenantId, record.integration);
    if (!current || !LIVE_STATUSES.includes(current.status) || !sameTokens(current, record)) return undefined;
    base = current;
  }
}

function sameTokens(a: Authorization, b: SealedAuthorization): boolean {
  return a.sealedTokens?.ciphertext === b.sealedTokens.ciphertext;
}

/**
 * Why a live record holds no tokens, for the error that stops its check. Such a check fails on our
 * side (it counts toward `check_failing`), never as a Webex verdict: the authorization may well
 * still work, so it is never marked invalid for it.
 */
export function noTokensMessage(record: Authorization): string {
  const where = `${record.tenantId}/${record.integration}`;
  if (record.secretId !== undefined) {
    return (
      `Authorization ${where} is ${record.status} but its tokens are in the Secrets Manager secret ` +
      `${record.secretId} of an earlier version; re-authorize it (docs/deploy.md, "Upgrading")`
    );
  }
  return `Authorization ${where} is ${record.status} but holds no tokens`;
}
