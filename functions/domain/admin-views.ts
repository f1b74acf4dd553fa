import type { Catalog } from './catalog.js';
import type { Authorization, AuthorizationStatus } from './model.js';

/*
 * Views: what the admin API returns of an authorization. Never token material (the records hold
 * none to begin with).
 */

/** An authorization as an admin sees it, with the integration's name from the catalog. */
export interface AuthorizationView {
  integration: string;
  name: string;
  status: AuthorizationStatus;
  cause?: Authorization['cause'];
  /** How sure the cause is, and the Webex calls behind it (docs/validator.md, "Causes"). */
  confidence?: Authorization['confidence'];
  evidence?: Authorization['evidence'];
  causeDetail?: string;
  authorizer?: Authorization['authorizer'];
  scopes: string[];
  accessTokenExpiresAt?: string;
  refreshTokenExpiresAt?: string;
  grantedAt?: string;
  refreshedAt?: string;
  validatedAt?: string;
  nextCheckAt?: string;
  consecutiveFailures: number;
  /** Checks in a row that threw, and the last one's error id and time (`check_failing` after three). */
  checkErrors?: number;
  lastCheckError?: Authorization['lastCheckError'];
  /** Whether the record holds sealed tokens (never the tokens nor their ciphertext). */
  tokensHeld: boolean;
  /** Legacy: the token secret of a record from before tokens moved onto the item. */
  secretId?: string;
  updatedAt: string;
}

/** A tenant's authorizations, plus the catalog integrations it has not started yet. */
export interface TenantAuthorizations {
  tenantId: string;
  items: AuthorizationView[];
  /** Catalog keys with no authorization record. */
  missing: string[];
}

export function toAuthorizationView(authorization: Authorization, catalog: Catalog): AuthorizationView {
  const { integration, status, scopes, consecutiveFailures, updatedAt } = authorization;
  return {
    integration,
    name: catalog.nameOf(integration),
    status,
    cause: authorization.cause,
    confidence: authorization.confidence,
    evidence: authorization.evidence,
    causeDetail: authorization.causeDetail,
    authorizer: authorization.authorizer,
    scopes,
    accessTokenExpiresAt: authorization.accessTokenExpiresAt,
    refreshTokenExpiresAt: authorization.refreshTokenExpiresAt,
    grantedAt: authorization.grantedAt,
    refreshedAt: authorization.refreshedAt,
    validatedAt: authorization.validatedAt,
    nextCheckAt: authorization.nextCheckAt,
    consecutiveFailures,
    checkErrors: authorization.checkErrors,
    lastCheckError: authorization.lastCheckError,
    tokensHeld: authorization.sealedTokens !== undefined,
    secretId: authorization.secretId,
    updatedAt,
  };
}
