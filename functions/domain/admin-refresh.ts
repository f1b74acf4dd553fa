import {
  AuthorizationNotFoundError,
  IntegrationNotFoundError,
  TenantOffboardedError,
} from './admin-errors.js';
import {
  AuthorizationBusyError,
  AuthorizationStatusError,
  NoCredentialIncidentError,
  RefreshFailedError,
  requireRecoveryTarget,
  type RecoveryDependencies,
} from './admin-recovery.js';
import type { AuthorizationStatus, EventType } from './model.js';
import { ConflictError } from './ports.js';
import { isCheckable } from './status-machine.js';
import type { AuthorizationKey, ValidationOutcome } from './validator-config.js';
import { validateAuthorization } from './validator.js';

/** What a forced refresh left: the new expiries (never a token). */
export interface ForcedRefresh {
  tenantId: string;
  integration: string;
  status: AuthorizationStatus;
  accessTokenExpiresAt: string;
  refreshTokenExpiresAt: string;
  refreshedAt: string;
  /** The event the check recorded besides `refreshed` (e.g. `restored` from degraded), if any. */
  event?: EventType;
}

/**
 * Refreshes a live authorization now, on the validator's own path: its lease, token session
 * (vault written before the record), identity probe, classification, save and outbox. So a refusal
 * is read as the validator reads it: only a grant-level refusal may invalidate it, a refusal of
 * our client credentials opens the credential incident and changes nothing.
 * 1. Finds the active tenant, the catalog's integration and the record; an invalid, pending or
 *    revoked one is refused (409; an invalid one points to recheck).
 * 2. Runs the validator forced and with a refresh; a check in progress holds the lease (409).
 * 3. Answers the new expiries, or RefreshFailedError (502) saying what became of it.
 */
export async function refreshAuthorizationNow(
  deps: RecoveryDependencies,
  key: AuthorizationKey,
): Promise<ForcedRefresh> {
  const { record } = await requireRecoveryTarget(deps, key);
  if (!isCheckable(record.status)) {
    throw new AuthorizationStatusError(key.tenantId, key.integration, record.status, 'refresh');
  }
  const outcome = await validateAuthorization(deps.validator, key, { force: true, refresh: true });
  deps.recordCheck?.(outcome);
  const after = await deps.validator.authorizations.get(key.tenantId, key.integration);
  if (!after) throw new AuthorizationNotFoundError(key.tenantId, key.integration);
  if (outcome.kind === 'skipped') throw skipError(key, outcome.reason, after.status);
  if (
    !outcome.refreshed ||
    !after.accessTokenExpiresAt ||
    !after.refreshTokenExpiresAt ||
    !after.refreshedAt
  ) {
    throw new RefreshFailedError(key.tenantId, key.integration, after);
  }
  return {
    tenantId: key.tenantId,
    integration: key.integration,
    status: after.status,
    accessTokenExpiresAt: after.accessTokenExpiresAt,
    refreshTokenExpiresAt: after.refreshTokenExpiresAt,
    refreshedAt: after.refreshedAt,
    ...(outcome.event !== undefined && outcome.event !== 'refreshed' ? { event: outcome.event } : {}),
  };
}

/** The admin's error for a check the validator skipped. */
function skipError(
  key: AuthorizationKey,
  reason: Extract<ValidationOutcome, { kind: 'skipped' }>['reason'],
  status: AuthorizationStatus,
): Error {
  switch (reason) {
    case 'leased':
    case 'deferred':
      return new AuthorizationBusyError(key.tenantId, key.integration);
    case 'not_checkable':
    case 'not_due':
      return new AuthorizationStatusError(key.tenantId, key.integration, status, 'refresh');
    case 'tenant_inactive':
      return new TenantOffboardedError(key.tenantId);
    case 'unknown_integration':
      return new IntegrationNotFoundError(key.integration);
    case 'not_found':
      return new AuthorizationNotFoundError(key.tenantId, key.integration);
    case 'superseded':
      return new ConflictError(`${key.tenantId}/${key.integration} changed while it was refreshed`);
  }
}

/** What a reload did. */
export interface ReloadResult {
  integration: string;
  reloadRequestedAt: string;
  /** The authorization whose check opened the incident, refreshed at once with the secret read again. */
  verifiedOn?: { tenantId: string; outcome: 'accepted' | 'not_renewed' | 'skipped'; detail: string };
  /** Whether the incident is still open after the verification. */
  incidentOpen: boolean;
}

/**
 * Asks every function to read the integration's client secret again, without waiting for their
 * copies to expire (5 minutes):
 * 1. records `reloadRequestedAt` on the integration's open credential incident (a conditional
 *    update; 404 for an unknown integration, 409 when none is open: nothing to reload);
 * 2. a function whose refresh Webex refuses for our client reads the secret again when its copy
 *    is older than that, and tries once more (validator-session.ts), so no worker holding the old
 *    secret reports the incident again;
 * 3. refreshes at once the authorization whose check opened the incident: with the right secret
 *    the incident closes (ops get the "resolved" mail) and the answer says so; the other paused
 *    authorizations are checked at their next check, which the pause never puts further than one
 *    check interval away.
 */
export async function reloadClientSecret(
  deps: Pick<RecoveryDependencies, 'validator' | 'recordCheck'>,
  integrationKey: string,
): Promise<ReloadResult> {
  const { validator } = deps;
  const integration = validator.catalog.find(integrationKey);
  if (!integration) throw new IntegrationNotFoundError(integrationKey);
  const store = validator.credentialIncidents?.store;
  const requestedAt = validator.clock.now().toISOString();
  const incident = await store?.requestReload(integration.key, requestedAt);
  if (!store || !incident) throw new NoCredentialIncidentError(integration.key);
  validator.log.info('Client secret reload requested', { integration: integration.key });
  const verifiedOn = incident.tenantId
    ? await verifyOn(deps, { tenantId: incident.tenantId, integration: integration.key })
    : undefined;
  const open = (await store.list()).some((current) => current.integration === integration.key);
  return {
    integration: integration.key,
    reloadRequestedAt: requestedAt,
    ...(verifiedOn ? { verifiedOn } : {}),
    incidentOpen: open,
  };
}

async function verifyOn(
  deps: Pick<RecoveryDependencies, 'validator' | 'recordCheck'>,
  key: AuthorizationKey,
): Promise<NonNullable<ReloadResult['verifiedOn']>> {
  const outcome = await validateAuthorization(deps.validator, key, { force: true, refresh: true });
  deps.recordCheck?.(outcome);
  if (outcome.kind === 'skipped') {
    return {
      tenantId: key.tenantId,
      outcome: 'skipped',
      detail: `The check was skipped (${outcome.reason}).`,
    };
  }
  if (outcome.refreshed) {
    return {
      tenantId: key.tenantId,
      outcome: 'accepted',
      detail: 'Webex accepted a refresh with the secret read again.',
    };
  }
  const record = await deps.validator.authorizations.get(key.tenantId, key.integration);
  return {
    tenantId: key.tenantId,
    outcome: 'not_renewed',
    detail: record?.causeDetail ?? 'Webex did not renew the tokens.',
  };
}
