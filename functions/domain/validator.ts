import { randomUUID } from 'node:crypto';
import { eventSummary } from './alerts.js';
import { ADMIN_PEOPLE_READ_SCOPE, type Catalog, type Integration } from './catalog.js';
import {
  classifyDeath,
  classifyProbeResult,
  fullAdminRoleId,
  outcomeOf,
  type CallOutcome,
  type PersonLookup,
  type ProbeResult,
  type SiblingState,
  type Verdict,
} from './classification.js';
import { publishAuthorizationEvent } from './event-publishing.js';
import {
  assessExpiry,
  DEFAULT_PASSWORD_MAX_AGE_DAYS,
  passwordWarningsMayBeDue,
  refreshTokenIssuedAt,
  type ExpiryAssessment,
} from './expiry-warnings.js';
import {
  CHECKABLE_STATUSES,
  type Authorization,
  type AuthorizationEvent,
  type AuthorizationStatus,
  type EventType,
  type InvalidationCause,
  type Tenant,
  type TokenMaterial,
} from './model.js';
import { publishAndClear as publishOutbox } from './outbox.js';
import {
  ConflictError,
  silentLog,
  type AuthorizationRepository,
  type ClientSecretSource,
  type Clock,
  type EventPublisher,
  type Log,
  type TenantRepository,
  type TokenVault,
  type WebexClient,
} from './ports.js';
import {
  nextRefreshAt,
  refreshReason,
  storeRefreshedTokens,
  tokenMaterialOf,
  type IssueTimes,
} from './refresh-policy.js';
import { nextStatus, type CheckedStatus } from './status-machine.js';

/** Scope that lets a token list the org's roles; without it a roles call fails with 403 whatever the role. */
export const ROLES_READ_SCOPE = 'spark-admin:roles_read';

/** Tunables of the validator; `DEFAULT_VALIDATOR_CONFIG` holds the deployed values. */
export interface ValidatorConfig {
  /** The org's `maxPasswordAge` (PASSWORD_MAX_AGE_DAYS), for password-deadline warnings. */
  passwordMaxAgeDays: number;
  /**
   * How often a healthy authorization is probed. The next check is set 5 to 20 % earlier (jitter),
   * so with a sweep schedule of this period every authorization is probed on every sweep.
   */
  checkIntervalSeconds: number;
  /** How long a worker holds an authorization; must exceed the worker's timeout. */
  leaseSeconds: number;
  /** A sibling invalidated this recently died "at the same time" (one sweep, with margin). */
  togetherWindowSeconds: number;
}

export const DEFAULT_VALIDATOR_CONFIG: ValidatorConfig = {
  passwordMaxAgeDays: DEFAULT_PASSWORD_MAX_AGE_DAYS,
  checkIntervalSeconds: 900,
  leaseSeconds: 300,
  togetherWindowSeconds: 3600,
};

/**
 * The ports and settings `validateAuthorization` works with. No history port: `authorizations.save` writes
 * each event to the history in the same transaction as the record.
 */
export interface ValidatorDependencies {
  authorizations: AuthorizationRepository;
  tenants: Pick<TenantRepository, 'get'>;
  vault: TokenVault;
  webex: WebexClient;
  clientSecrets: ClientSecretSource;
  events: EventPublisher;
  clock: Clock;
  catalog: Catalog;
  config: ValidatorConfig;
  /** A fresh onboarding link of the tenant, for the re-authorize link in alerts. */
  reauthorizeLink: (tenant: Tenant) => Promise<string>;
  /** Source of jitter in [0, 1); Math.random when absent. */
  random?: () => number;
  log?: Log;
}

/** The key of one authorization. */
export interface AuthorizationKey {
  tenantId: string;
  integration: string;
}

export type SkipReason =
  /** No such record (deleted meanwhile). */
  | 'not_found'
  /** pending, invalid or revoked: nothing to check. */
  | 'not_checkable'
  /** Already checked since it was queued (a duplicate delivery, or an overlapping sweep). */
  | 'not_due'
  /** Another worker holds the lease right now. */
  | 'leased'
  /** The tenant is gone or offboarded. */
  | 'tenant_inactive'
  /** The catalog no longer lists the integration. */
  | 'unknown_integration'
  /** Someone wrote a newer record while this check ran (e.g. a re-authorization); theirs wins. */
  | 'superseded';

export type ValidationOutcome =
  | { kind: 'skipped'; reason: SkipReason }
  | {
      kind: 'checked';
      previousStatus: AuthorizationStatus;
      status: AuthorizationStatus;
      /** The event this check recorded and published, if any. */
      event?: EventType;
      cause?: InvalidationCause;
      refreshed: boolean;
    };

/** A checkable record without a secret id: written by a bug, not by Webex; retried, then dead-lettered. */
export class InconsistentAuthorizationError extends Error {
  override readonly name = 'InconsistentAuthorizationError';
}

const SECOND_MS = 1000;
/** First back-off after a transient failure; it doubles per failure up to the check interval. */
const FIRST_BACKOFF_MS = 60 * SECOND_MS;
/** Never schedule the next check closer than this: the sweep cadence bounds it anyway. */
const MIN_GAP_MS = SECOND_MS;

function isCheckable(status: AuthorizationStatus): status is CheckedStatus {
  return CHECKABLE_STATUSES.includes(status);
}

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
 *    `force`). Refused: skip, saying why from the record as it stood (another worker holding the
 *    lease is success).
 * 2. Publish a pending event left by a run that died after its save (see "Outbox" below).
 * 3. Read the token material from the vault. (The tenant is read only when a step needs it; see
 *    TenantOnce.)
 * 4. Refresh when the access token nears its end or the refresh token needs keeping alive
 *    (refresh-policy.ts); write the new material to the vault BEFORE the record, so the record
 *    never describes material that was not written, and a crash after the refresh keeps it.
 * 5. Probe `people/me` (and, sent with it, `/v1/roles`: Full Admin held, resolved by name),
 *    checking the org and the person; a refused probe without a refresh yet gets one refresh and
 *    a second probe.
 * 6. Classify (classification.ts): healthy, transient, or invalid with a cause from all the
 *    evidence (siblings, a look-up of the person through a working admin authorization,
 *    recorded expiries); then expiry warnings (expiry-warnings.ts) and the status machine
 *    (status-machine.ts).
 * 7. Save status, failure count, expiries, warnings and the next check time (with jitter,
 *    earlier for an upcoming refresh or warning threshold, later for a 429's Retry-After) with
 *    the event in one transaction, under the version read with the lease. On ConflictError the
 *    record is reread and the newer write wins (never clobber a re-authorization).
 * 8. Publish the event (bus; SNS with a written alert unless routine), clear the outbox marker.
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
  options: { force?: boolean } = {},
): Promise<ValidationOutcome> {
  const log = deps.log ?? silentLog;
  const now = deps.clock.now();
  const owner = randomUUID();
  const leaseUntil = new Date(now.getTime() + deps.config.leaseSeconds * SECOND_MS);
  const lease = await deps.authorizations.leaseForCheck(
    key.tenantId,
    key.integration,
    owner,
    leaseUntil,
    now,
    {
      dueOnly: !options.force,
    },
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
    return await check(deps, record, now, log, held);
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
): Promise<ValidationOutcome> {
  const key = { tenantId: record.tenantId, integration: record.integration };
  const tenant = new TenantOnce(deps, record.tenantId);
  const integration = deps.catalog.find(record.integration);
  if (!integration) {
    log.warn('The catalog no longer lists this integration; not checking it', key);
    return skipped('unknown_integration');
  }
  const status = record.status;
  if (!isCheckable(status)) return skipped('not_checkable');
  if (record.secretId === undefined) {
    throw new InconsistentAuthorizationError(
      `Authorization ${record.tenantId}/${record.integration} is ${status} but has no secret`,
    );
  }

  const tokens = new TokenSession(deps, record, record.secretId, integration, now);
  await tokens.load();
  // Material newer than the record: a run refreshed and stored it, then died before its save.
  // Record that refresh now (expiries, refreshedAt, the `refreshed` event) so nothing is lost.
  const inherited =
    tokens.material.accessTokenExpiresAt !== record.accessTokenExpiresAt ||
    tokens.material.refreshTokenExpiresAt !== record.refreshTokenExpiresAt;
  const issuedAt = inherited ? now : issuedAtOf(record);
  const issuedBefore = {
    accessToken: issuedAt,
    refreshToken: refreshTokenIssuedAt(record, tokens.material.refreshTokenExpiresAt, now),
  };
  if (refreshReason(tokens.material, issuedBefore, now)) {
    if (!(await tenant.active())) return skipped('tenant_inactive');
    if ((await tokens.refresh()) === 'superseded') return skipped('superseded');
  }
  let probe = await probeIdentity(deps.webex, tokens.material.accessToken, record.scopes);
  if (probe.kind === 'refused' && tokens.refreshOutcome === undefined) {
    // The access token may simply have ended (e.g. checks were paused): one refresh settles it.
    if (!(await tenant.active())) return skipped('tenant_inactive');
    const outcome = await tokens.refresh();
    if (outcome === 'superseded') return skipped('superseded');
    if (outcome.kind === 'ok')
      probe = await probeIdentity(deps.webex, tokens.material.accessToken, record.scopes);
  }

  let verdict: Verdict = classifyProbeResult({
    refresh: tokens.refreshOutcome,
    probe,
    authorizer: record.authorizer,
    tenantOrgId: (await tenant.ifRead())?.orgId,
  });
  if (verdict.kind === 'dead') {
    const active = await tenant.active();
    if (!active) return skipped('tenant_inactive');
    const evidence = await gatherDeathEvidence(deps, record, active, integration, tokens.material, now);
    const classification = classifyDeath(evidence);
    verdict = {
      kind: 'invalid',
      cause: classification.cause,
      detail: `${verdict.detail} ${classification.detail}`,
      ...(verdict.trackingId !== undefined ? { trackingId: verdict.trackingId } : {}),
    };
  }
  if (verdict.kind !== 'healthy') {
    log.info('Authorization check found a problem', {
      ...key,
      verdict: verdict.kind,
      ...(verdict.kind === 'invalid' ? { cause: verdict.cause } : {}),
      detail: verdict.detail,
      trackingId: verdict.trackingId,
    });
  }

  const refreshedNow = tokens.refreshed || inherited;
  const refreshIssuedAt = refreshTokenIssuedAt(record, tokens.material.refreshTokenExpiresAt, now);
  // Far from the password deadline the SSO flag changes nothing but a later check time: taking
  // the tenant for non-SSO only adds the first threshold as a check time, when it is read.
  let sso = false;
  if (
    verdict.kind === 'healthy' &&
    passwordWarningsMayBeDue(record.grantedAt, deps.config.passwordMaxAgeDays, now)
  ) {
    const active = await tenant.active();
    if (!active) return skipped('tenant_inactive');
    sso = active.sso;
  }
  const expiry =
    verdict.kind === 'healthy'
      ? assessExpiry({
          now,
          sso,
          grantedAt: record.grantedAt,
          passwordMaxAgeDays: deps.config.passwordMaxAgeDays,
          refreshTokenExpiresAt: tokens.material.refreshTokenExpiresAt,
          refreshTokenIssuedAt: refreshIssuedAt,
          warningsSent: record.warningsSent,
        })
      : undefined;
  const change = nextStatus({
    previous: { status, consecutiveFailures: record.consecutiveFailures },
    outcome: verdict.kind === 'healthy' ? 'healthy' : verdict.kind === 'transient' ? 'transient' : 'invalid',
    expiring: expiry?.expiring ?? false,
    newWarning: expiry?.warning !== undefined,
  });
  // A transition is alerted: never for a tenant that is gone or offboarded.
  if (change.event && !(await tenant.active())) return skipped('tenant_inactive');
  const warned = change.event?.type === 'expiring' ? expiry?.warning : undefined;
  const nowIso = now.toISOString();

  const eventType: EventType | undefined = change.event?.type ?? (refreshedNow ? 'refreshed' : undefined);
  const cause = verdict.kind === 'invalid' ? verdict.cause : undefined;
  const event: AuthorizationEvent | undefined = eventType
    ? {
        eventId: randomUUID(),
        type: eventType,
        severity: change.event?.severity ?? 'info',
        tenantId: record.tenantId,
        integration: record.integration,
        occurredAt: nowIso,
        status: change.status,
        previousStatus: status,
        ...(cause ? { cause } : {}),
        summary: eventSummary({
          type: eventType,
          integrationName: integration.name,
          ...(cause ? { cause } : {}),
          ...(warned ? { deadline: warned.deadline } : {}),
          occurredAt: nowIso,
        }),
        ...(record.authorizer ? { authorizerEmail: record.authorizer.email } : {}),
        ...(warned ? { deadline: warned.deadline } : {}),
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
  });
  const next: Authorization = {
    ...record,
    status: change.status,
    cause,
    causeDetail: verdict.kind === 'healthy' ? undefined : verdict.detail,
    accessTokenExpiresAt: tokens.material.accessTokenExpiresAt,
    refreshTokenExpiresAt: tokens.material.refreshTokenExpiresAt,
    refreshTokenIssuedAt: refreshIssuedAt.toISOString(),
    refreshedAt: refreshedNow ? nowIso : record.refreshedAt,
    validatedAt: nowIso,
    consecutiveFailures: change.consecutiveFailures,
    secretId: tokens.secretId,
    nextCheckAt: (
      nextCheckAt ?? new Date(now.getTime() + deps.config.checkIntervalSeconds * SECOND_MS)
    ).toISOString(),
    warningsSent: expiry
      ? [...new Set([...expiry.warningsSent, ...(warned?.marks ?? [])])].sort()
      : record.warningsSent,
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
      record.version,
      event,
    );
    if (!event) lease.released = true;
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
    const current = await deps.authorizations.get(record.tenantId, record.integration);
    // The newer write wins: the vault already holds any token refreshed here, so nothing is lost.
    log.warn('The authorization changed while it was checked; keeping the newer record', {
      ...key,
      checkedVersion: record.version,
      currentVersion: current?.version,
      currentStatus: current?.status,
    });
    // Offboarding may have destroyed the secret while this run held a refreshed copy: a vault
    // write here would have brought it back, so destroy it again (destroying twice is harmless).
    if (current?.status === 'revoked' && current.secretId) await deps.vault.destroy(current.secretId);
    return skipped('superseded');
  }
  if (event) await publishAndClear(deps, saved, event, lease);
  return {
    kind: 'checked',
    previousStatus: status,
    status: saved.status,
    ...(event ? { event: event.type } : {}),
    ...(cause ? { cause } : {}),
    refreshed: refreshedNow,
  };
}

/**
 * The tenant of one check, read on first need only: a healthy check far from its deadlines needs
 * nothing of it (the org to compare is the authorizer's, which the tenant is bound to), so most
 * checks make one DynamoDB read fewer. Every step that writes tokens, alerts or needs the SSO flag
 * asks `active()` first and skips the check when the tenant is gone or offboarded; offboarding
 * then revokes the record under its lease.
 */
class TenantOnce {
  private read: Promise<Tenant | undefined> | undefined;

  constructor(
    private readonly deps: ValidatorDependencies,
    private readonly tenantId: string,
  ) {}

  /** The tenant when it is active, read the first time it is asked for. */
  active(): Promise<Tenant | undefined> {
    this.read ??= this.deps.tenants
      .get(this.tenantId)
      .then((tenant) => (tenant?.status === 'active' ? tenant : undefined));
    return this.read;
  }

  /** The tenant if an earlier step read it, without reading it. */
  async ifRead(): Promise<Tenant | undefined> {
    return this.read;
  }
}

/**
 * The authorization's token material during one check: loads it, refreshes it (vault first), and
 * remembers what the refresh answered.
 */
class TokenSession {
  material!: TokenMaterial;
  refreshOutcome: CallOutcome | undefined;
  refreshed = false;

  constructor(
    private readonly deps: ValidatorDependencies,
    private readonly record: Authorization,
    public secretId: string,
    private readonly integration: Integration,
    private readonly now: Date,
  ) {}

  async load(): Promise<void> {
    this.material = await this.deps.vault.read(this.secretId);
  }

  /**
   * Refreshes the tokens and stores the new material in the vault (before any record write).
   * Returns what Webex answered, or `superseded` when the record changed since the lease was
   * taken (then nothing is stored: the newer record's tokens must not be overwritten).
   */
  async refresh(): Promise<CallOutcome | 'superseded'> {
    const { deps, record, now } = this;
    const clientSecret = await deps.clientSecrets.get(this.integration.key);
    let grant;
    try {
      grant = await deps.webex.refresh({
        clientId: this.integration.integrationId,
        clientSecret,
        refreshToken: this.material.refreshToken,
      });
    } catch (error) {
      let outcome: CallOutcome = outcomeOf(error);
      if (outcome.kind === 'refused') {
        // A run whose lease we outlived may have refreshed (and Webex rotated the refresh token)
        // meanwhile: a refusal of a stale token is no evidence. Use the newer material instead.
        const latest = await deps.vault.read(this.secretId);
        if (latest.refreshToken !== this.material.refreshToken) {
          this.material = latest;
          outcome = { kind: 'ok' };
        }
      }
      this.refreshOutcome = outcome;
      return outcome;
    }
    const fresh = tokenMaterialOf(grant, now, this.material);
    const secretId = await storeRefreshedTokens(deps, record, fresh);
    if (secretId === undefined) return 'superseded';
    this.secretId = secretId;
    this.material = fresh;
    this.refreshOutcome = { kind: 'ok' };
    this.refreshed = true;
    return this.refreshOutcome;
  }
}

/**
 * Probes `people/me` and, with the roles scope, `/v1/roles` with one access token. The two calls
 * do not depend on each other, so they go out together: a check waits for one Webex round trip,
 * not two. The roles answer only counts when `people/me` answered.
 */
async function probeIdentity(
  webex: WebexClient,
  accessToken: string,
  scopes: readonly string[],
): Promise<ProbeResult> {
  const roles = scopes.includes(ROLES_READ_SCOPE) ? settle(webex.listRoles(accessToken)) : undefined;
  let me;
  try {
    me = await webex.getMe(accessToken);
  } catch (error) {
    return outcomeOf(error);
  }
  if (!roles) return { kind: 'answered', me, roles: 'not_checked' };
  const answer = await roles;
  if (answer.ok) return { kind: 'answered', me, roles: answer.value };
  const outcome = outcomeOf(answer.error);
  if (outcome.kind === 'refused' && outcome.failure === 'forbidden') {
    return {
      kind: 'answered',
      me,
      roles: 'forbidden',
      ...(outcome.trackingId !== undefined ? { trackingId: outcome.trackingId } : {}),
    };
  }
  return outcome;
}

/** A call's result as a value, so that a failure nobody waits for is never an unhandled rejection. */
function settle<T>(call: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  return call.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

/**
 * Collects what the tenant's other authorizations say about a dead one, at this moment:
 *
 * - each sibling by the same person: invalidated within the together-window -> dead (with its
 *   cause); still checkable -> probed now with its own access token (getMe only: no refresh and
 *   no write, so no lease is needed); older invalidations say nothing about this death.
 * - the person looked up (getPerson, then roles) through the first working authorization of the
 *   tenant with `spark-admin:people_read` (the users-sync integration), by anyone.
 */
async function gatherDeathEvidence(
  deps: ValidatorDependencies,
  record: Authorization,
  tenant: Tenant,
  integration: Integration,
  material: TokenMaterial,
  now: Date,
): Promise<Parameters<typeof classifyDeath>[0]> {
  const others = (await deps.authorizations.listForTenant(record.tenantId)).filter(
    (other) => other.integration !== record.integration,
  );
  const personId = record.authorizer?.personId;
  const windowMs = deps.config.togetherWindowSeconds * SECOND_MS;
  const siblings = (
    await Promise.all(
      others
        .filter((other) => personId !== undefined && other.authorizer?.personId === personId)
        .map(async (other): Promise<SiblingState | undefined> => {
          const name = deps.catalog.find(other.integration)?.name ?? other.integration;
          if (other.status === 'invalid') {
            const at = Date.parse(other.validatedAt ?? other.updatedAt);
            return now.getTime() - at <= windowMs
              ? {
                  integration: other.integration,
                  name,
                  state: 'dead',
                  ...(other.cause ? { cause: other.cause } : {}),
                }
              : undefined;
          }
          if (!isCheckable(other.status) || other.secretId === undefined) return undefined;
          return {
            integration: other.integration,
            name,
            state: await probeSibling(deps, other.secretId, now),
          };
        }),
    )
  ).filter((sibling): sibling is SiblingState => sibling !== undefined);

  const dead = new Set(siblings.filter((s) => s.state === 'dead').map((s) => s.integration));
  const lookup =
    personId === undefined
      ? undefined
      : await lookUpPerson(
          deps,
          others.filter(
            (other) =>
              isCheckable(other.status) &&
              other.secretId !== undefined &&
              other.scopes.includes(ADMIN_PEOPLE_READ_SCOPE) &&
              !dead.has(other.integration),
          ),
          personId,
          now,
        );
  return {
    now,
    sso: tenant.sso,
    name: integration.name,
    authorizerEmail: record.authorizer?.email,
    refreshTokenExpiresAt: material.refreshTokenExpiresAt,
    siblings,
    ...(lookup ? { lookup } : {}),
  };
}

/** A sibling's state right now, from its current access token; anything unclear is `unknown`. */
async function probeSibling(
  deps: ValidatorDependencies,
  secretId: string,
  now: Date,
): Promise<SiblingState['state']> {
  let material: TokenMaterial;
  try {
    material = await deps.vault.read(secretId);
  } catch {
    return 'unknown';
  }
  // An access token past its end is refused whatever happened to the person: no evidence.
  if (Date.parse(material.accessTokenExpiresAt) <= now.getTime()) return 'unknown';
  try {
    await deps.webex.getMe(material.accessToken);
    return 'alive';
  } catch (error) {
    return outcomeOf(error).kind === 'refused' ? 'dead' : 'unknown';
  }
}

/** Looks the authorizer up through the first candidate whose token still works. */
async function lookUpPerson(
  deps: ValidatorDependencies,
  candidates: readonly Authorization[],
  personId: string,
  now: Date,
): Promise<PersonLookup | undefined> {
  for (const candidate of candidates) {
    if (candidate.secretId === undefined) continue;
    let material: TokenMaterial;
    try {
      material = await deps.vault.read(candidate.secretId);
    } catch {
      continue;
    }
    if (Date.parse(material.accessTokenExpiresAt) <= now.getTime()) continue;
    let person;
    try {
      person = await deps.webex.getPerson(material.accessToken, personId);
    } catch (error) {
      const outcome = outcomeOf(error);
      if (outcome.kind === 'refused' && outcome.failure === 'not_found') {
        return { kind: 'not_found', via: candidate.integration };
      }
      continue;
    }
    let fullAdmin: boolean | undefined;
    if (candidate.scopes.includes(ROLES_READ_SCOPE)) {
      try {
        const adminRoleId = fullAdminRoleId(await deps.webex.listRoles(material.accessToken));
        if (adminRoleId !== undefined) fullAdmin = person.roles.includes(adminRoleId);
      } catch (error) {
        outcomeOf(error); // a Webex failure leaves the role unknown; anything else is rethrown
      }
    }
    return {
      kind: 'found',
      via: candidate.integration,
      ...(person.loginEnabled !== undefined ? { loginEnabled: person.loginEnabled } : {}),
      ...(fullAdmin !== undefined ? { fullAdmin } : {}),
    };
  }
  return undefined;
}

/**
 * The next check: for a healthy authorization a little before one check interval (jitter 5-20 %
 * earlier, spreading load and landing before the next sweep), or sooner for an upcoming refresh
 * or warning threshold; after a transient failure an exponential back-off from one minute up to
 * the interval, never sooner than Webex's Retry-After. Undefined for an invalid authorization.
 */
function scheduleNextCheck(input: {
  deps: ValidatorDependencies;
  now: Date;
  verdict: Verdict;
  consecutiveFailures: number;
  material: TokenMaterial;
  issued: IssueTimes;
  expiry: ExpiryAssessment | undefined;
}): Date | undefined {
  const { deps, now, verdict } = input;
  const random = deps.random ?? Math.random;
  const intervalMs = deps.config.checkIntervalSeconds * SECOND_MS;
  if (verdict.kind === 'invalid' || verdict.kind === 'dead') return undefined;
  if (verdict.kind === 'transient') {
    const backoff = Math.min(FIRST_BACKOFF_MS * 2 ** Math.max(0, input.consecutiveFailures - 1), intervalMs);
    const retryAfter = (verdict.retryAfterSeconds ?? 0) * SECOND_MS;
    return new Date(now.getTime() + Math.max(backoff * (1 + 0.1 * random()), retryAfter));
  }
  const candidates = [
    now.getTime() + intervalMs * (0.95 - 0.15 * random()),
    nextRefreshAt(input.material, input.issued).getTime(),
    ...(input.expiry?.nextThresholdAt ? [input.expiry.nextThresholdAt.getTime()] : []),
  ];
  return new Date(Math.max(now.getTime() + MIN_GAP_MS, Math.min(...candidates)));
}

/**
 * Publishes an event saved on the record (with a written alert unless it is routine), then clears
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
    (current, pending) => publish(deps, current, pending),
    lease ? (current) => releasing(current, lease.owner) : undefined,
  );
  if (lease && cleared.clearedFrom?.leaseOwner === lease.owner) lease.released = true;
  return cleared.record ?? record;
}

/** Publishes with the written alert unless routine: the one path offboarding uses too (event-publishing.ts). */
async function publish(
  deps: ValidatorDependencies,
  record: Authorization,
  event: AuthorizationEvent,
): Promise<void> {
  await publishAuthorizationEvent(
    { ...deps, passwordMaxAgeDays: deps.config.passwordMaxAgeDays },
    record,
    event,
  );
}
