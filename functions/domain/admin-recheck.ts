import { randomUUID } from 'node:crypto';
import { eventSummary } from './alerts.js';
import type { Integration } from './catalog.js';
import { classifyProbeResult, type CallOutcome, type Verdict } from './classification.js';
import { releaseLease, takeLease } from './lease.js';
import {
  AUTHORIZATION_EVENT_VERSION,
  type Authorization,
  type AuthorizationEvent,
  type AuthorizationStatus,
  type InvalidationCause,
  type Tenant,
} from './model.js';
import { publishAndClear } from './outbox.js';
import { ConflictError } from './ports.js';
import { canRecheck } from './status-machine.js';
import {
  AuthorizationBusyError,
  AuthorizationStatusError,
  DEFAULT_RECOVERY_LEASE_WAIT_MS,
  requireRecoveryTarget,
  type RecoveryDependencies,
  type RecoveryTarget,
} from './admin-recovery.js';
import type { AuthorizationKey, ValidatorDependencies } from './validator-config.js';
import { probeIdentity } from './validator-evidence.js';
import { followCredentialIncident } from './validator-incident.js';
import { SECOND_MS } from './validator-schedule.js';
import { TokenSession } from './validator-session.js';
import { holdsTokens } from './token-storage.js';

/**
 * What a recheck did: `restored` (Webex accepted the stored refresh token and the identity probe
 * is healthy: the authorization is active again); `still_invalid` (Webex refused it, or the token
 * now speaks for someone who may not hold it); `failed` (Webex did not answer, or refused our
 * client credentials: nothing is known about the grant). Only `restored` changes the record.
 */
export type RecheckOutcome = 'restored' | 'still_invalid' | 'failed';

/** The answer of one recheck. */
export interface RecheckResult {
  tenantId: string;
  integration: string;
  outcome: RecheckOutcome;
  /** One sentence on the evidence (never a token). */
  detail: string;
  status: AuthorizationStatus;
  cause?: InvalidationCause;
  /** Webex's trackingId of the call that gave the evidence, for Cisco support. */
  trackingId?: string;
}

/**
 * Rechecks one invalid authorization: tries its stored refresh token again.
 * 1. Finds the active tenant, the catalog's integration and the record (404, 409 when offboarded);
 *    a status that is not recheckable is refused (409, pointing to refresh for a live one).
 * 2. Takes the validator's lease, waiting a little for a check in progress (409 when it stays
 *    held), and publishes an event a previous run left in the outbox.
 * 3. Refreshes with the validator's token session (vault written before the record) and, when
 *    Webex accepts, probes the identity as the validator does (person, org, Full Admin).
 * 4. Healthy: saves it `active` with a `restored` event (history, bus, mail through the outbox);
 *    its next check is due at once, so the next sweep assesses its warnings. Anything else: the
 *    record stays exactly as it was and the attempt goes to its history (`recheck_failed`).
 *    A refusal of our client credentials opens the credential incident, as in the validator.
 * 5. Releases the lease.
 */
export async function recheckAuthorization(
  deps: RecoveryDependencies,
  key: AuthorizationKey,
): Promise<RecheckResult> {
  const { validator } = deps;
  const { tenant, integration, record: found } = await requireRecoveryTarget(deps, key);
  if (!canRecheck(found.status)) {
    throw new AuthorizationStatusError(key.tenantId, key.integration, found.status, 'recheck');
  }
  const owner = randomUUID();
  const lease = await takeLease(
    validator,
    {
      tenantId: key.tenantId,
      integration: key.integration,
      owner,
      holdMs: validator.config.leaseSeconds * SECOND_MS,
    },
    deps.leaseWaitMs ?? DEFAULT_RECOVERY_LEASE_WAIT_MS,
  );
  if (!lease) throw new AuthorizationBusyError(key.tenantId, key.integration);
  try {
    let record = lease.record;
    if (record.pendingEvent) {
      record =
        (await publishAndClear(validator, record, record.pendingEvent, publisher(validator))).record ??
        record;
    }
    if (!canRecheck(record.status)) {
      throw new AuthorizationStatusError(key.tenantId, key.integration, record.status, 'recheck');
    }
    return await recheckLeased(deps, { tenant, integration, record });
  } finally {
    await releaseLease(validator, lease).catch((error: unknown) =>
      validator.log.warn('Could not release the lease; it expires by itself', {
        ...key,
        error: String(error),
      }),
    );
  }
}

/** Publishes as the validator does: on the bus, which feeds the notifier. */
function publisher(validator: ValidatorDependencies) {
  return (_record: Authorization, event: AuthorizationEvent) => validator.events.publish(event);
}

/** Steps 3 and 4 under the lease. */
async function recheckLeased(deps: RecoveryDependencies, target: RecoveryTarget): Promise<RecheckResult> {
  const { validator } = deps;
  const { tenant, integration, record } = target;
  const now = validator.clock.now();
  if (!holdsTokens(record)) {
    return keepAsItWas(deps, record, now, { kind: 'failed', detail: 'No token material is kept for it.' });
  }
  const tokens = new TokenSession(validator, record, integration, now);
  await tokens.load();
  const refresh = await tokens.refresh();
  if (refresh === 'superseded') {
    throw new ConflictError(`${record.tenantId}/${record.integration} changed while it was rechecked`);
  }
  const verdict = await verdictOf(validator, refresh, tokens, record, tenant);
  await followCredentialIncident(validator, {
    verdict,
    refreshed: tokens.refreshed,
    integration,
    tenantId: record.tenantId,
    now,
  });
  if (verdict.kind !== 'healthy') {
    const failed = verdict.kind === 'transient' || verdict.kind === 'client_refused';
    return keepAsItWas(deps, record, now, {
      kind: failed ? 'failed' : 'still_invalid',
      detail: tokens.refreshed ? `Webex accepted the refresh token. ${verdict.detail}` : verdict.detail,
      ...(verdict.trackingId !== undefined ? { trackingId: verdict.trackingId } : {}),
    });
  }
  return restore(validator, record, integration, tokens, now);
}

/** The verdict of the refresh and, when Webex accepted it, of the identity probe that follows. */
async function verdictOf(
  validator: ValidatorDependencies,
  refresh: CallOutcome,
  tokens: TokenSession,
  record: Authorization,
  tenant: Tenant,
): Promise<Verdict> {
  if (refresh.kind === 'transient') {
    return {
      kind: 'transient',
      detail: `Webex did not answer the refresh${refresh.status !== undefined ? ` (HTTP ${refresh.status})` : ''}; nothing is known yet, try again later.`,
      ...(refresh.trackingId !== undefined ? { trackingId: refresh.trackingId } : {}),
    };
  }
  const probe =
    refresh.kind === 'ok'
      ? await probeIdentity(
          validator.webex,
          tokens.material.accessToken,
          record.scopes,
          tokens.calls,
          record.integration,
        )
      : refresh;
  return classifyProbeResult({ refresh, probe, authorizer: record.authorizer, tenantOrgId: tenant.orgId });
}

/** Records the attempt in the history and answers the record as it was. */
async function keepAsItWas(
  deps: RecoveryDependencies,
  record: Authorization,
  now: Date,
  attempt: { kind: 'still_invalid' | 'failed'; detail: string; trackingId?: string },
): Promise<RecheckResult> {
  const integrationName = deps.validator.catalog.find(record.integration)?.name ?? record.integration;
  const verb = attempt.kind === 'failed' ? 'could not be decided' : 'did not restore it';
  await deps.history.append({
    version: AUTHORIZATION_EVENT_VERSION,
    eventId: randomUUID(),
    type: 'recheck_failed',
    severity: 'info',
    tenantId: record.tenantId,
    integration: record.integration,
    occurredAt: now.toISOString(),
    status: record.status,
    previousStatus: record.status,
    ...(record.cause ? { cause: record.cause } : {}),
    summary: `A recheck of ${integrationName} ${verb}: ${attempt.detail} It stays ${record.status}.`,
    ...(record.authorizer ? { authorizerEmail: record.authorizer.email } : {}),
    ...(attempt.trackingId !== undefined ? { trackingId: attempt.trackingId } : {}),
  });
  return {
    tenantId: record.tenantId,
    integration: record.integration,
    outcome: attempt.kind,
    detail: attempt.detail,
    status: record.status,
    ...(record.cause ? { cause: record.cause } : {}),
    ...(attempt.trackingId !== undefined ? { trackingId: attempt.trackingId } : {}),
  };
}

/** Saves the authorization active with its `restored` event, then publishes it (outbox). */
async function restore(
  validator: ValidatorDependencies,
  record: Authorization,
  integration: Integration,
  tokens: TokenSession,
  now: Date,
): Promise<RecheckResult> {
  const nowIso = now.toISOString();
  const event: AuthorizationEvent = {
    version: AUTHORIZATION_EVENT_VERSION,
    eventId: randomUUID(),
    type: 'restored',
    severity: 'info',
    tenantId: record.tenantId,
    integration: record.integration,
    occurredAt: nowIso,
    status: 'active',
    previousStatus: record.status,
    summary: eventSummary({ type: 'restored', integrationName: integration.name, occurredAt: nowIso }),
    ...(record.authorizer ? { authorizerEmail: record.authorizer.email } : {}),
  };
  // On top of the record as the refresh saved it (its tokens, its version).
  const restored: Authorization = {
    ...tokens.record,
    status: 'active',
    consecutiveFailures: 0,
    accessTokenExpiresAt: tokens.material.accessTokenExpiresAt,
    refreshTokenExpiresAt: tokens.material.refreshTokenExpiresAt,
    refreshTokenIssuedAt: nowIso,
    refreshedAt: nowIso,
    validatedAt: nowIso,
    // Due at once: the next sweep assesses its expiry warnings as for any other check.
    nextCheckAt: nowIso,
    pendingEvent: event,
    updatedAt: nowIso,
  };
  delete restored.cause;
  delete restored.causeDetail;
  delete restored.checkErrors;
  delete restored.lastCheckError;
  const saved = await validator.authorizations.save(restored, tokens.record.version, event);
  try {
    await publishAndClear(validator, saved, event, publisher(validator));
  } catch (error) {
    // Saved with its event: the next sweep publishes it from the outbox.
    validator.log.warn('The restored event stays in the outbox for the next sweep', {
      tenantId: record.tenantId,
      integration: record.integration,
      error: error instanceof Error ? error.name : 'unknown',
    });
  }
  return {
    tenantId: record.tenantId,
    integration: record.integration,
    outcome: 'restored',
    detail: 'Webex accepted the stored refresh token and the identity probe is healthy.',
    status: 'active',
  };
}
