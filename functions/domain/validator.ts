import { randomUUID } from 'node:crypto';
import { eventSummary } from './alerts.js';
import { withoutCheckErrors } from './check-failures.js';
import { refreshTokenIssuedAt } from './expiry-warnings.js';
import {
  AUTHORIZATION_EVENT_VERSION,
  type Authorization,
  type AuthorizationEvent,
  type EventType,
} from './model.js';
import { publishAndClear as publishOutbox } from './outbox.js';
import { ConflictError, type Log } from './ports.js';
import { refreshReason } from './refresh-policy.js';
import { isCheckable, nextStatus, type StatusChange } from './status-machine.js';
import {
  InconsistentAuthorizationError,
  type AuthorizationKey,
  type SkipReason,
  type ValidationOutcome,
  type ValidatorDependencies,
} from './validator-config.js';
import { probeIdentity } from './validator-evidence.js';
import { judgeServiceAppCheck } from './validator-service-app.js';
import { assessCheckExpiry } from './validator-expiry.js';
import { followCredentialIncident } from './validator-incident.js';
import { withinCheckBudget } from './validator-budget.js';
import { SECOND_MS, scheduleNextCheck } from './validator-schedule.js';
import { TenantOnce, TokenSession } from './validator-session.js';
import { holdsTokens, noTokensMessage } from './token-storage.js';
import { causeFieldsOf, judgeCheck } from './validator-verdict.js';

function isDue(record: Authorization, now: Date): boolean {
  return record.nextCheckAt === undefined || Date.parse(record.nextCheckAt) <= now.getTime();
}

/** When the current tokens were issued: the last refresh, else the grant. */
function issuedAtOf(record: Authorization): Date {
  return new Date(record.refreshedAt ?? record.grantedAt ?? record.updatedAt);
}

function skipped(reason: SkipReason): ValidationOutcome {
  return { kind: 'skipped', reason };
}

/**
 * Validates one authorization. Safe to run twice at once and to die at any step.
 *
 * 1. Take the lease in one conditional update that also reads the record, only when the record is
 *    due (checkable with its next check come, or with an event still to publish; any record with
 *    `force`; `refresh`, an admin's force refresh, refreshes in step 4 whatever the policy says).
 *    Refused: skip, saying why from the record as it stood (another worker holding the lease is
 *    success).
 * 2. Publish a pending event left by a run that died after its save (see "Outbox" below).
 *    A sweep's check then waits for a slot and its turn in the org's Webex call budget
 *    (validator-budget.ts); without one it is deferred (skipped, the record left due).
 * 3. Open the record's sealed tokens with the vault. (The tenant is read only when a step needs
 *    it; see TenantOnce.)
 * 4. Refresh when the access token nears its end or the refresh token needs keeping alive
 *    (refresh-policy.ts); save the new tokens on the record at once (saveRefreshedTokens), so a
 *    crash after the refresh keeps them; step 7 records their expiries and the `refreshed` event,
 *    and a run that died before it leaves tokens newer than the record says, which the next run
 *    records.
 * 5. Probe `people/me` (and, sent with it, `/v1/roles`: Full Admin held, resolved by name),
 *    checking the org and the person; a refused probe without a refresh yet gets one refresh and
 *    a second probe.
 * 6. Classify (validator-verdict.ts): healthy, transient, or invalid with a cause and its
 *    confidence from all the evidence (siblings, a look-up of the person through a working admin
 *    authorization, recorded expiries), carrying every Webex call of the check as its evidence;
 *    then expiry warnings (expiry-warnings.ts) and the status machine (status-machine.ts). A
 *    Service App is judged by validator-service-app.ts: no person, new tokens from its endpoint.
 * 7. Save status, failure count, expiries, warnings and the next check time (with jitter,
 *    earlier for an upcoming refresh or warning threshold, later for a 429's Retry-After) with
 *    the event in one transaction, under the version read with the lease (or saved by the
 *    refresh). On ConflictError the record is reread and the newer write wins (never clobber a
 *    re-authorization).
 * 8. Publish the event (bus and SNS; the notifier mails from the bus), clear the outbox marker.
 * 9. Release the lease: the last write of the check (the save, or the outbox clear after a
 *    publish) drops it with the record; a check that ends otherwise releases it on its own (an
 *    expired lease frees itself if the run died).
 *
 * Outbox: the event is saved on the record (`pendingEvent`) in the same write as the transition
 * and cleared only after publishing. A run that dies before publishing leaves the marker; the
 * next run (the SQS redelivery of the failed message, or the next due check) publishes it first.
 * So no alert is lost, and none is repeated, except if the process dies in the instant between
 * the publish call returning and the marker clear: then the event goes out twice with the same
 * `eventId` (bus consumers can drop the second). A duplicate SQS delivery is refused the lease
 * (not due, or leased) and does nothing; two workers on one authorization are serialized by it.
 */
export async function validateAuthorization(
  deps: ValidatorDependencies,
  key: AuthorizationKey,
  options: { force?: boolean; refresh?: boolean } = {},
): Promise<ValidationOutcome> {
  const { log } = deps;
  const now = deps.clock.now();
  const owner = randomUUID();
  const leaseUntil = new Date(now.getTime() + deps.config.leaseSeconds * SECOND_MS);
  const lease = await deps.authorizations.leaseForCheck(
    key.tenantId,
    key.integration,
    owner,
    leaseUntil,
    now,
    { dueOnly: !options.force },
  );
  if ('refused' in lease) return skipped(refusalReason(lease.refused, now));
  const held: HeldLease = { owner, released: false };
  try {
    let record = lease.leased;
    if (record.pendingEvent) {
      log.info('Publishing the event a previous run saved but did not publish', {
        ...key,
        eventId: record.pendingEvent.eventId,
      });
      record = await publishAndClear(deps, record, record.pendingEvent);
    }
    const wanted = isCheckable(record.status) && (options.force || isDue(record, now));
    if (!wanted) return skipped(isCheckable(record.status) ? 'not_due' : 'not_checkable');
    const refresh = options.refresh === true;
    // An operator's forced check is one call at a time: only the sweep's checks wait for the budget.
    if (!deps.checkBudget || options.force) return await check(deps, record, now, log, held, refresh);
    return await withinCheckBudget(
      deps,
      deps.checkBudget,
      { record, owner, holdUntil: leaseUntil },
      (budgeted) => check(budgeted, record, budgeted.clock.now(), log, held, refresh),
    );
  } finally {
    if (!held.released) {
      await deps.authorizations
        .releaseLease(key.tenantId, key.integration, owner)
        .catch((error: unknown) =>
          log.warn('Could not release the lease; it expires by itself', { ...key, error: String(error) }),
        );
    }
  }
}

/** Why `leaseForCheck` refused, from the record as it stood. */
function refusalReason(current: Authorization | undefined, now: Date): SkipReason {
  if (!current) return 'not_found';
  if (current.leaseUntil !== undefined && Date.parse(current.leaseUntil) >= now.getTime()) return 'leased';
  return isCheckable(current.status) ? 'not_due' : 'not_checkable';
}

/**
 * The lease of one check. The check's last write releases it with the record (one write fewer
 * per check); `released` tells the final step that nothing is left to release.
 */
interface HeldLease {
  owner: string;
  released: boolean;
}

/** The record as written by the write that also releases `owner`'s lease. */
function releasing(record: Authorization, owner: string): Authorization {
  if (record.leaseOwner !== owner) return record;
  const released = { ...record };
  delete released.leaseOwner;
  delete released.leaseUntil;
  return released;
}

/** Steps 3 to 9 for a leased, checkable, due record. */
async function check(
  deps: ValidatorDependencies,
  record: Authorization,
  now: Date,
  log: Log,
  lease: HeldLease,
  refreshNow: boolean,
): Promise<ValidationOutcome> {
  const key = { tenantId: record.tenantId, integration: record.integration };
  const tenant = new TenantOnce(deps, record.tenantId);
  const entry = deps.catalog.find(record.integration) ?? deps.catalog.findServiceApp(record.integration);
  if (!entry) {
    log.warn('The catalog no longer lists this integration; not checking it', key);
    return skipped('unknown_integration');
  }
  const serviceApp = entry.kind === 'service-app';
  const status = record.status;
  if (!isCheckable(status)) return skipped('not_checkable');
  if (!holdsTokens(record)) throw new InconsistentAuthorizationError(noTokensMessage(record));

  const refreshClient = serviceApp ? { key: entry.key, integrationId: entry.clientId } : entry;
  const tokens = new TokenSession(deps, record, refreshClient, now);
  await tokens.load();
  // Tokens newer than the record says: a run refreshed and saved them, then died before its own
  // write. Record that refresh now (expiries, refreshedAt, the `refreshed` event) so nothing is lost.
  const inherited =
    tokens.material.accessTokenExpiresAt !== record.accessTokenExpiresAt ||
    tokens.material.refreshTokenExpiresAt !== record.refreshTokenExpiresAt;
  const issuedAt = inherited ? now : issuedAtOf(record);
  const issuedBefore = {
    accessToken: issuedAt,
    refreshToken: refreshTokenIssuedAt(record, tokens.material.refreshTokenExpiresAt, now),
  };
  if (refreshNow || refreshReason(tokens.material, issuedBefore, now)) {
    if (!(await tenant.active())) return skipped('tenant_inactive');
    if ((await tokens.refresh()) === 'superseded') return skipped('superseded');
  }
  // A Service App's machine account holds no role anyone grants or removes: people/me is its probe.
  const probeScopes = serviceApp ? [] : record.scopes;
  const probeNow = () =>
    probeIdentity(deps.webex, tokens.material.accessToken, probeScopes, tokens.calls, record.integration);
  let probe = await probeNow();
  if (probe.kind === 'refused' && tokens.refreshOutcome === undefined) {
    // The access token may simply have ended (e.g. checks were paused): one refresh settles it.
    if (!(await tenant.active())) return skipped('tenant_inactive');
    const outcome = await tokens.refresh();
    if (outcome === 'superseded') return skipped('superseded');
    if (outcome.kind === 'ok') probe = await probeNow();
  }

  const verdict =
    entry.kind === 'service-app'
      ? await judgeServiceAppCheck(deps, { record, serviceApp: entry, tokens, probe, tenant })
      : await judgeCheck(deps, { record, integration: entry, tokens, probe, tenant, now });
  if (verdict === 'tenant_inactive' || verdict === 'superseded') return skipped(verdict);
  if (verdict.kind !== 'healthy') {
    log.info('Authorization check found a problem', {
      ...key,
      verdict: verdict.kind,
      ...(verdict.kind === 'invalid'
        ? { cause: verdict.cause, confidence: verdict.confidence, witness: verdict.witness }
        : {}),
      detail: verdict.detail,
      trackingId: verdict.trackingId,
    });
  }

  const credentialIncidentSince = await followCredentialIncident(deps, {
    verdict,
    refreshed: tokens.refreshed,
    integration: entry,
    tenantId: record.tenantId,
    now,
  });

  const refreshedNow = tokens.refreshed || inherited;
  const refreshIssuedAt = refreshTokenIssuedAt(record, tokens.material.refreshTokenExpiresAt, now);
  // A Service App has no password, and its token endpoint replaces an expired refresh token:
  // no deadline of its own needs anyone to act, so it is never warned about.
  const expiry =
    verdict.kind === 'healthy' && !serviceApp
      ? await assessCheckExpiry(deps, {
          record,
          tenant,
          now,
          refreshTokenExpiresAt: tokens.material.refreshTokenExpiresAt,
          refreshTokenIssuedAt: refreshIssuedAt,
        })
      : undefined;
  if (expiry === 'tenant_inactive') return skipped('tenant_inactive');
  // A refusal of our client credentials says nothing about this authorization: it keeps its
  // status and failure count, and no event or mail goes to its tenant (validator-incident.ts).
  const change: StatusChange =
    verdict.kind === 'client_refused'
      ? { status, consecutiveFailures: record.consecutiveFailures }
      : nextStatus({
          previous: { status, consecutiveFailures: record.consecutiveFailures },
          outcome:
            verdict.kind === 'healthy' ? 'healthy' : verdict.kind === 'transient' ? 'transient' : 'invalid',
          expiring: expiry?.expiring ?? false,
          newWarning: expiry?.warning !== undefined,
        });
  // A transition is alerted: never for a tenant that is gone or offboarded.
  if (change.event && !(await tenant.active())) return skipped('tenant_inactive');
  const warned = change.event?.type === 'expiring' ? expiry?.warning : undefined;
  const nowIso = now.toISOString();

  const eventType: EventType | undefined = change.event?.type ?? (refreshedNow ? 'refreshed' : undefined);
  const causeFields = causeFieldsOf(verdict, tokens);
  const { cause, confidence } = causeFields;
  const event: AuthorizationEvent | undefined = eventType
    ? {
        version: AUTHORIZATION_EVENT_VERSION,
        eventId: randomUUID(),
        type: eventType,
        severity: change.event?.severity ?? 'info',
        tenantId: record.tenantId,
        integration: record.integration,
        occurredAt: nowIso,
        status: change.status,
        previousStatus: status,
        ...causeFields,
        summary: eventSummary({
          type: eventType,
          integrationName: entry.name,
          ...(cause ? { cause } : {}),
          ...(confidence ? { confidence } : {}),
          ...(causeFields.adminAuditEvent ? { adminAuditEvent: causeFields.adminAuditEvent } : {}),
          ...(warned ? { deadline: warned.deadline, deadlineIsUpperBound: warned.upperBound } : {}),
          occurredAt: nowIso,
        }),
        ...(record.authorizer ? { authorizerEmail: record.authorizer.email } : {}),
        ...(warned ? { deadline: warned.deadline } : {}),
        ...(warned?.upperBound ? { deadlineIsUpperBound: true } : {}),
        ...(verdict.kind !== 'healthy' && verdict.trackingId !== undefined
          ? { trackingId: verdict.trackingId }
          : {}),
      }
    : undefined;

  const nextCheckAt = scheduleNextCheck({
    deps,
    now,
    verdict,
    consecutiveFailures: change.consecutiveFailures,
    material: tokens.material,
    issued: { accessToken: refreshedNow ? now : issuedAt, refreshToken: refreshIssuedAt },
    expiry,
    ...(credentialIncidentSince ? { credentialIncidentSince } : {}),
    key,
    previousDue: record.nextCheckAt === undefined ? undefined : new Date(record.nextCheckAt),
  });
  const next: Authorization = {
    ...withoutCheckErrors(record),
    status: change.status,
    cause,
    confidence,
    evidence: causeFields.evidence,
    causeDetail: verdict.kind === 'healthy' ? undefined : verdict.detail,
    accessTokenExpiresAt: tokens.material.accessTokenExpiresAt,
    refreshTokenExpiresAt: tokens.material.refreshTokenExpiresAt,
    refreshTokenIssuedAt: refreshIssuedAt.toISOString(),
    refreshedAt: refreshedNow ? nowIso : record.refreshedAt,
    validatedAt: nowIso,
    consecutiveFailures: change.consecutiveFailures,
    sealedTokens: tokens.record.sealedTokens,
    nextCheckAt: (
      nextCheckAt ?? new Date(now.getTime() + deps.config.checkIntervalSeconds * SECOND_MS)
    ).toISOString(),
    warningsSent: expiry
      ? [...new Set([...expiry.warningsSent, ...(warned?.marks ?? [])])].sort()
      : record.warningsSent,
    passwordPolicy: expiry?.passwordPolicy ?? record.passwordPolicy,
    pendingEvent: event,
    updatedAt: nowIso,
  };
  // An invalid record leaves the due index; its nextCheckAt only matters while an event is pending.
  if (nextCheckAt === undefined && !event) delete next.nextCheckAt;

  let saved: Authorization;
  try {
    // Without an event this is the check's last write, and it frees the lease as it goes.
    saved = await deps.authorizations.save(
      event ? next : releasing(next, lease.owner),
      tokens.record.version,
      event,
    );
    if (!event) lease.released = true;
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
    const current = await deps.authorizations.get(record.tenantId, record.integration);
    // The newer write wins: a token refreshed here was saved on the record already, so nothing is lost.
    log.warn('The authorization changed while it was checked; keeping the newer record', {
      ...key,
      checkedVersion: record.version,
      currentVersion: current?.version,
      currentStatus: current?.status,
    });
    return skipped('superseded');
  }
  if (event) await publishAndClear(deps, saved, event, lease);
  return {
    kind: 'checked',
    previousStatus: status,
    status: saved.status,
    ...(event ? { event: event.type } : {}),
    ...(cause ? { cause } : {}),
    ...(causeFields.witness ? { witness: causeFields.witness } : {}),
    refreshed: refreshedNow,
  };
}

/**
 * Publishes an event saved on the record, then clears
 * the record's outbox marker (outbox.ts), releasing `lease` in the same write when given (the
 * check's last step).
 */
async function publishAndClear(
  deps: ValidatorDependencies,
  record: Authorization,
  event: AuthorizationEvent,
  lease?: HeldLease,
): Promise<Authorization> {
  const cleared = await publishOutbox(
    deps,
    record,
    event,
    (_current, pending) => deps.events.publish(pending),
    lease ? (current) => releasing(current, lease.owner) : undefined,
  );
  if (lease && cleared.clearedFrom?.leaseOwner === lease.owner) lease.released = true;
  return cleared.record ?? record;
}
