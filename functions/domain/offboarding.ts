import { randomUUID } from 'node:crypto';
import { TenantNotFoundError } from './admin-errors.js';
import type { Catalog } from './catalog.js';
import { releaseLease, takeLease, type Lease } from './lease.js';
import {
  AUTHORIZATION_EVENT_VERSION,
  type Authorization,
  type AuthorizationEvent,
  type Tenant,
} from './model.js';
import {
  revokeAtWebex,
  skippedRevocation,
  type WebexReceipt,
  type WebexRevocation,
} from './offboarding-receipt.js';
import { publishQuietly } from './event-publishing.js';
import { clearPendingEvent, saveWithEvent } from './outbox.js';
import { holdsTokens } from './token-storage.js';
import {
  ConflictError,
  type AuthorizationRepository,
  type Clock,
  type EventPublisher,
  type Log,
  type TenantRepository,
  type TokenVault,
  type WebexClient,
} from './ports.js';

export interface OffboardingDependencies {
  tenants: TenantRepository;
  authorizations: AuthorizationRepository;
  vault: TokenVault;
  webex: WebexClient;
  events: EventPublisher;
  catalog: Catalog;
  clock: Clock;
  log: Log;
  /** For the alert of the `revoked` event, written as the validator writes every alert. */
  reauthorizeLink: (tenant: Tenant) => Promise<string>;
  passwordMaxAgeDays: number;
  /** How long to wait for a validator or token reader to let go of an authorization's lease. */
  leaseWaitMs?: number;
}

/** One line of the offboarding receipt. */
export interface OffboardedAuthorization {
  integration: string;
  previousStatus: Authorization['status'];
  webexRevocation: WebexRevocation;
  /** What Webex does with the token now, verified where it could be (offboarding-receipt.ts). */
  atWebex: WebexReceipt;
  /**
   * True once the record holds no tokens: the write that revoked it removed them (the field keeps
   * the name it had when tokens were kept in a secret of their own).
   */
  secretDestroyed: boolean;
  /** When this run found the tokens gone from the record (removed by the revoking write, this run's or an earlier one's). */
  secretDestroyedAt: string;
}

/** Why authorizations are revoked: the tenant is offboarded, or its Webex org binding is removed. */
export type RevocationReason = 'offboarding' | 'org_unbound';

export interface OffboardingReport {
  tenantId: string;
  status: 'offboarded';
  offboardedAt: string;
  authorizations: OffboardedAuthorization[];
}

const LEASE_MS = 60_000;
const DEFAULT_LEASE_WAIT_MS = 3_000;

/**
 * Offboards a tenant. Every step is idempotent, so a call that failed half-way is repaired by
 * calling it again:
 * 1. marks the tenant `offboarded` and bumps its `linkVersion` (every link dies, no new consent);
 * 2. for each authorization, under its lease when it can be had:
 *    a. revokes the tokens at Webex with the tenant's own access token where the API allows it
 *       (a 403 is expected: the catalog's scopes do not include identity:tokens_write), and
 *       verifies it by a follow-up call (offboarding-receipt.ts);
 *    b. marks it `revoked` (out of the `due` index, so no sweep checks it again) with a history
 *       item, keeping the `revoked` event as the record's outbox until it is published; the same
 *       write removes its sealed tokens, so no token outlives the status that says it is gone;
 *    c. publishes the `revoked` event, as the validator's outbox retry would, so the notifier
 *       mails the contacts what was done;
 * Contacts live on the tenant item only: nothing to unsubscribe.
 * The history stays (it expires with its TTL).
 */
export async function offboardTenant(
  deps: OffboardingDependencies,
  tenantId: string,
): Promise<OffboardingReport> {
  const tenant = await deps.tenants.get(tenantId);
  if (!tenant) throw new TenantNotFoundError(tenantId);
  const offboarded = tenant.status === 'offboarded' ? tenant : await markOffboarded(deps, tenant);

  const records = await deps.authorizations.listForTenant(tenantId);
  const authorizations: OffboardedAuthorization[] = [];
  for (const record of records) {
    authorizations.push(await offboardAuthorization(deps, offboarded, record, 'offboarding'));
  }

  deps.log.info('Tenant offboarded', { tenantId, authorizations });
  return { tenantId, status: 'offboarded', offboardedAt: offboarded.updatedAt, authorizations };
}

async function markOffboarded(deps: OffboardingDependencies, tenant: Tenant): Promise<Tenant> {
  const updated: Tenant = {
    ...tenant,
    status: 'offboarded',
    linkVersion: tenant.linkVersion + 1,
    updatedAt: new Date(Math.max(deps.clock.now().getTime(), Date.parse(tenant.updatedAt) + 1)).toISOString(),
  };
  await deps.tenants.replace(updated, tenant.updatedAt);
  return updated;
}

/**
 * Takes the lease so no validator or token reader refreshes (and writes a new secret version)
 * while the secret is being destroyed. A lease held too long (a crashed worker) is not waited
 * out: the versioned save below still wins over any late writer.
 */
function holdLease(deps: OffboardingDependencies, record: Authorization): Promise<Lease | undefined> {
  const request = {
    tenantId: record.tenantId,
    integration: record.integration,
    owner: `offboarding:${randomUUID()}`,
    holdMs: LEASE_MS,
  };
  return takeLease(deps, request, deps.leaseWaitMs ?? DEFAULT_LEASE_WAIT_MS);
}

/**
 * Revokes every authorization of a tenant that stays active, as offboarding does one by one (step 2
 * above): before its Webex org binding is removed, so no token of the old org is kept. `tenant` is
 * the tenant as bound, so revocation at Webex targets the old org.
 */
export async function revokeTenantAuthorizations(
  deps: OffboardingDependencies,
  tenant: Tenant,
  reason: RevocationReason,
): Promise<OffboardedAuthorization[]> {
  const revoked: OffboardedAuthorization[] = [];
  for (const record of await deps.authorizations.listForTenant(tenant.tenantId)) {
    revoked.push(await offboardAuthorization(deps, tenant, record, reason));
  }
  return revoked;
}

async function offboardAuthorization(
  deps: OffboardingDependencies,
  tenant: Tenant,
  listed: Authorization,
  reason: RevocationReason,
): Promise<OffboardedAuthorization> {
  const { tenantId, integration } = listed;
  const lease = await holdLease(deps, listed);
  if (!lease) deps.log.warn('Offboarding without the lease: it is held elsewhere', { tenantId, integration });
  try {
    let record = lease?.record ?? listed;
    const previousStatus = record.status;
    let revocation = skippedRevocation('it was revoked already, by an earlier run');
    if (record.status !== 'revoked') {
      revocation = await revokeAtWebex(deps, tenant, record);
      record = await saveRevoked(deps, record, previousStatus, reason);
    }
    const secretDestroyedAt = deps.clock.now().toISOString();
    // A failed publish leaves the event in the record's outbox: offboarding the tenant again publishes it.
    if (record.pendingEvent && (await publishQuietly(deps, record.pendingEvent))) {
      await clearPendingEvent(deps, record, record.pendingEvent);
    }
    return {
      integration,
      previousStatus,
      ...revocation,
      secretDestroyed: !holdsTokens(record),
      secretDestroyedAt,
    };
  } finally {
    if (lease) await releaseLease(deps, lease);
  }
}

function revokedEvent(
  deps: OffboardingDependencies,
  record: Authorization,
  previousStatus: Authorization['status'],
  occurredAt: string,
  reason: RevocationReason,
): AuthorizationEvent {
  const name = deps.catalog.find(record.integration)?.name ?? record.integration;
  return {
    version: AUTHORIZATION_EVENT_VERSION,
    eventId: randomUUID(),
    type: 'revoked',
    severity: 'info',
    tenantId: record.tenantId,
    integration: record.integration,
    occurredAt,
    status: 'revoked',
    previousStatus,
    summary:
      reason === 'offboarding'
        ? `${name}: revoked by offboarding; its tokens were deleted`
        : `${name}: revoked because the tenant's Webex organization was unbound or changed; its tokens were deleted`,
    ...(record.authorizer ? { authorizerEmail: record.authorizer.email } : {}),
  };
}

/**
 * Writes the revoked status with its history item and the event in the outbox (outbox.ts),
 * rereading on a concurrent change; a reread that finds it revoked already is left as it is.
 */
async function saveRevoked(
  deps: OffboardingDependencies,
  first: Authorization,
  previousStatus: Authorization['status'],
  reason: RevocationReason,
): Promise<Authorization> {
  const written = await saveWithEvent(deps, first, first, (record) => {
    if (!record) throw new ConflictError(`${first.tenantId}/${first.integration} is gone`);
    if (record.status === 'revoked') return { settled: record };
    const now = deps.clock.now().toISOString();
    const event = revokedEvent(deps, record, previousStatus, now, reason);
    const revoked: Authorization = {
      ...record,
      status: 'revoked',
      cause: undefined,
      causeDetail: reason === 'offboarding' ? 'Offboarded' : 'Webex organization unbound',
      nextCheckAt: undefined,
      consecutiveFailures: 0,
      leaseOwner: undefined,
      leaseUntil: undefined,
      updatedAt: now,
    };
    delete revoked.sealedTokens;
    return { record: revoked, event };
  });
  return 'settled' in written ? written.settled : written.saved;
}
