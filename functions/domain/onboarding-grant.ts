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
import { TenantOrgChangedError, type TenantOrgCondition, type WebexTokenGrant } from './ports.js';
import { tokenMaterialOf } from './refresh-policy.js';

/*
 * Keeping a granted authorization: the callback holds the lease of the record it replaces, saves
 * the new record with its `granted` or `restored` event in the outbox, then publishes and clears it.
 */

/** Saves of a grant that meet a tenant changed meanwhile (bound by another consent, rebound by an admin). */
const TENANT_ORG_ATTEMPTS = 3;

/** The tenant's org a grant's save requires, and what to require when the tenant changed meanwhile. */
export interface TenantOrgRequirement {
  condition: TenantOrgCondition;
  /** Reads the tenant again: the condition to try next, or undefined when the grant cannot be kept. */
  reconsider: () => Promise<TenantOrgCondition | undefined>;
}

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
    tenantOrg: TenantOrgCondition | undefined;
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
    return { record, event, ...(input.tenantOrg ? { tenantOrg: input.tenantOrg } : {}) };
  });
}

/**
 * Keeps a checked grant of `integration` (an integration, or a Service App) for the tenant.
 * 1. When a record is replaced, hold its lease (holdLease): nothing is sealed while a validator
 *    holds it past the wait.
 * 2. Seal the token material and save the record with its event in one conditional write
 *    (saveGranted), with the scopes Webex granted (the entry's when it named none), and with
 *    `tenantOrg` the tenant's org checked or bound in the same transaction: when the tenant changed
 *    meanwhile, the save is tried again under the condition `reconsider` answers (up to
 *    TENANT_ORG_ATTEMPTS saves), else TenantOrgChangedError. Our lease is released if the seal or
 *    the save fails.
 * 3. Publish the event and clear the outbox marker (publishAndClear), beside the org binding's
 *    event when this save bound the org.
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
    tenantOrg?: TenantOrgRequirement;
  },
): Promise<{ saved: Authorization; event: AuthorizationEvent }> {
  const { tenant, integration, grant } = input;
  const material = tokenMaterialOf(grant, deps.clock.now());
  const lease = input.previous
    ? await holdLease(deps, tenant.tenantId, integration.key, input.retryUrl)
    : undefined;
  let granted: { saved: Authorization; event: AuthorizationEvent };
  let tenantOrg = input.tenantOrg?.condition;
  try {
    const sealedTokens = await deps.vault.seal(
      { tenantId: tenant.tenantId, integration: integration.key },
      material,
    );
    for (let attempt = 1; ; attempt += 1) {
      try {
        granted = await saveGranted(deps, {
          tenant,
          integration,
          previous: lease?.record ?? input.previous,
          authorizer: input.authorizer,
          sealedTokens,
          scopes: grant.scope ? grant.scope.split(/\s+/).filter(Boolean) : [...integration.scopes],
          accessTokenExpiresAt: material.accessTokenExpiresAt,
          refreshTokenExpiresAt: material.refreshTokenExpiresAt,
          leaseOwner: lease?.owner,
          tenantOrg,
        });
        break;
      } catch (error) {
        if (!(error instanceof TenantOrgChangedError) || !input.tenantOrg) throw error;
        // Nothing was written: the same sealed tokens go into the next try.
        const next = attempt < TENANT_ORG_ATTEMPTS ? await input.tenantOrg.reconsider() : undefined;
        if (!next) throw error;
        tenantOrg = next;
      }
    }
  } catch (error) {
    if (lease) await releaseLease(deps, lease);
    throw error;
  }
  const binding = tenantOrg?.binding;
  if (binding) {
    deps.log.info('Tenant bound to a Webex org by its first consent', {
      tenantId: tenant.tenantId,
      integration: integration.key,
      orgId: binding.orgId,
    });
  }
  // Sent together; the binding's first, as it happened first.
  await Promise.all([
    ...(binding ? [publishQuietly(deps, binding)] : []),
    publishAndClear(deps, granted.saved, granted.event),
  ]);
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
