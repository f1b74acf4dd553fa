import { randomUUID } from 'node:crypto';
import type { Integration } from './catalog.js';
import { publishQuietly } from './event-publishing.js';
import { releaseLease, takeLease, type Lease } from './lease.js';
import {
  AUTHORIZATION_EVENT_VERSION,
  type Authorization,
  type AuthorizationEvent,
  type AuthorizationStatus,
  type Authorizer,
  type SealedTokens,
  type Tenant,
} from './model.js';
import { AuthorizationBusyError } from './onboarding-errors.js';
import type { OnboardingDependencies } from './onboarding.js';
import { clearPendingEvent, saveWithEvent } from './outbox.js';
import type { WebexTokenGrant } from './ports.js';
import { tokenMaterialOf } from './refresh-policy.js';

/*
 * Keeping a granted authorization: the callback holds the lease of the record it replaces, saves
 * the new record with its `granted` or `restored` event in the outbox, then publishes and clears it.
 */

/** How long the callback waits for a validator or token reader to let go of an authorization. */
const LEASE_WAIT_MS = 5_000;

/** Long enough for the seal and the record write; it frees itself if this invocation dies. */
const CALLBACK_LEASE_MS = 60_000;

/**
 * Takes the authorization's lease, waiting a few seconds for its holder (lease.ts), and returns
 * it with the record as leased; AuthorizationBusyError when it does not come free.
 */
async function holdLease(
  deps: OnboardingDependencies,
  tenantId: string,
  integration: string,
  retryUrl: string,
): Promise<Lease> {
  const request = { tenantId, integration, owner: `callback-${randomUUID()}`, holdMs: CALLBACK_LEASE_MS };
  const lease = await takeLease(deps, request, LEASE_WAIT_MS);
  if (!lease) throw new AuthorizationBusyError(retryUrl);
  return lease;
}

/**
 * Saves the new authorization with its event in the outbox (outbox.ts), composed again from the
 * reread record when a validator wrote meanwhile.
 */
export async function saveGranted(
  deps: OnboardingDependencies,
  input: {
    tenant: Tenant;
    /** The catalog entry: an integration, or a Service App. */
    integration: Pick<Integration, 'key' | 'name'>;
    previous: Authorization | undefined;
    /** The person who consented; absent for a Service App, whose tokens are no person's. */
    authorizer: Authorizer | undefined;
    sealedTokens: SealedTokens;
    scopes: string[];
    accessTokenExpiresAt: string;
    refreshTokenExpiresAt: string;
    /** Our own lease on the record, released by this save (the record is written without it). */
    leaseOwner: string | undefined;
  },
): Promise<{ saved: Authorization; event: AuthorizationEvent }> {
  const key = { tenantId: input.tenant.tenantId, integration: input.integration.key };
  return saveWithEvent(deps, key, input.previous, (previous) => {
    const now = deps.clock.now();
    const nowIso = now.toISOString();
    const event = grantedEvent(input.tenant, input.integration, input.authorizer, previous?.status, nowIso);
    if (previous?.pendingEvent) {
      // A validator event never published is superseded by this authorization: say so, once.
      deps.log.warn('Unpublished event replaced by a new authorization', {
        ...key,
        eventId: previous.pendingEvent.eventId,
        eventType: previous.pendingEvent.type,
      });
    }
    const record: Authorization = {
      ...key,
      status: 'active',
      ...(input.authorizer ? { authorizer: input.authorizer } : {}),
      scopes: input.scopes,
      accessTokenExpiresAt: input.accessTokenExpiresAt,
      refreshTokenExpiresAt: input.refreshTokenExpiresAt,
      grantedAt: nowIso,
      // The person was just read with the new token: that is a successful validation.
      validatedAt: nowIso,
      consecutiveFailures: 0,
      sealedTokens: input.sealedTokens,
      version: previous?.version ?? 0,
      // Our own lease ends with this write; anyone else's (taken after ours expired) is kept,
      // and their save will then meet a conflict.
      ...(previous?.leaseOwner && previous.leaseOwner !== input.leaseOwner
        ? { leaseOwner: previous.leaseOwner, leaseUntil: previous.leaseUntil }
        : {}),
      nextCheckAt: secondsFrom(now, deps.settings.firstCheckDelaySeconds),
      warningsSent: [],
      updatedAt: nowIso,
    };
    return { record, event };
  });
}

/**
 * Keeps a checked grant of `integration` (an integration, or a Service App) for the tenant.
 * 1. When a record is replaced, hold its lease (holdLease): nothing is sealed while a validator
 *    holds it past the wait.
 * 2. Seal the token material and save the record with its event in one conditional write
 *    (saveGranted), with the scopes Webex granted (the entry's when it named none); our lease is
 *    released if the seal or the save fails.
 * 3. Publish the event and clear the outbox marker (publishAndClear).
 */
export async function keepGrant(
  deps: OnboardingDependencies,
  input: {
    tenant: Tenant;
    integration: Pick<Integration, 'key' | 'name' | 'scopes'>;
    /** The record the grant replaces, as read before the lease. */
    previous: Authorization | undefined;
    authorizer: Authorizer | undefined;
    grant: WebexTokenGrant;
    retryUrl: string;
  },
): Promise<{ saved: Authorization; event: AuthorizationEvent }> {
  const { tenant, integration, grant } = input;
  const material = tokenMaterialOf(grant, deps.clock.now());
  const lease = input.previous
    ? await holdLease(deps, tenant.tenantId, integration.key, input.retryUrl)
    : undefined;
  let granted: { saved: Authorization; event: AuthorizationEvent };
  try {
    granted = await saveGranted(deps, {
      tenant,
      integration,
      previous: lease?.record ?? input.previous,
      authorizer: input.authorizer,
      sealedTokens: await deps.vault.seal(
        { tenantId: tenant.tenantId, integration: integration.key },
        material,
      ),
      scopes: grant.scope ? grant.scope.split(/\s+/).filter(Boolean) : [...integration.scopes],
      accessTokenExpiresAt: material.accessTokenExpiresAt,
      refreshTokenExpiresAt: material.refreshTokenExpiresAt,
      leaseOwner: lease?.owner,
    });
  } catch (error) {
    if (lease) await releaseLease(deps, lease);
    throw error;
  }
  await publishAndClear(deps, granted.saved, granted.event);
  return granted;
}

function grantedEvent(
  tenant: Tenant,
  integration: Pick<Integration, 'key' | 'name'>,
  authorizer: Authorizer | undefined,
  previousStatus: AuthorizationStatus | undefined,
  occurredAt: string,
): AuthorizationEvent {
  const restored = previousStatus === 'invalid' || previousStatus === 'degraded';
  return {
    version: AUTHORIZATION_EVENT_VERSION,
    eventId: randomUUID(),
    type: restored ? 'restored' : 'granted',
    severity: 'info',
    tenantId: tenant.tenantId,
    integration: integration.key,
    occurredAt,
    status: 'active',
    ...(previousStatus ? { previousStatus } : {}),
    summary: `${integration.name} ${restored ? 're-authorized' : 'authorized'} for ${tenant.name} ${
      authorizer ? `by ${authorizer.email}` : 'in Control Hub'
    }.`,
    ...(authorizer ? { authorizerEmail: authorizer.email } : {}),
  };
}

/**
 * Publishes the event saved in the record's outbox, then clears the marker. A publishing failure
 * leaves the marker for the validator to publish later: the authorization is stored, so the admin
 * still sees success.
 */
export async function publishAndClear(
  deps: OnboardingDependencies,
  saved: Authorization,
  event: AuthorizationEvent,
): Promise<void> {
  if (await publishQuietly(deps, event)) await clearPendingEvent(deps, saved, event);
}

function secondsFrom(now: Date, seconds: number): string {
  return new Date(now.getTime() + seconds * 1000).toISOString();
}
