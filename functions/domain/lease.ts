import type { Authorization } from './model.js';
import type { AuthorizationRepository, Clock } from './ports.js';

/**
 * An authorization's lease: whoever refreshes its tokens or replaces its record holds it, so two
 * writers never interleave their vault and record writes. The callback, offboarding and token
 * access take it (waiting a while for its holder); the validator takes it in one conditional
 * write with its due check (`leaseForCheck`). Waiting runs on the Clock port, so a test's clock
 * moves instead of the test waiting.
 */

/** How often a waiter asks again whether the lease came free. */
export const LEASE_POLL_MS = 200;

/** What taking and releasing a lease works with. */
export interface LeaseDependencies {
  authorizations: Pick<AuthorizationRepository, 'acquireLease' | 'releaseLease'>;
  clock: Clock;
}

/** Who asks for which authorization's lease, and for how long it is held once taken. */
export interface LeaseRequest {
  tenantId: string;
  integration: string;
  owner: string;
  /** How long the lease lasts once taken: it frees itself if the holder dies. */
  holdMs: number;
}

/** A lease held: who holds it and the record as leased. */
export interface Lease {
  tenantId: string;
  integration: string;
  owner: string;
  record: Authorization;
}

/** One attempt: the lease when it is free or expired, undefined while someone else holds it. */
export async function tryLease(deps: LeaseDependencies, request: LeaseRequest): Promise<Lease | undefined> {
  const now = deps.clock.now();
  const record = await deps.authorizations.acquireLease(
    request.tenantId,
    request.integration,
    request.owner,
    new Date(now.getTime() + request.holdMs),
    now,
  );
  if (!record) return undefined;
  return { tenantId: request.tenantId, integration: request.integration, owner: request.owner, record };
}

/** A deadline for waiting on another holder's lease, kept on the Clock port. */
export interface LeaseWait {
  /** True once the wait is used up. */
  expired(): boolean;
  /** Waits one poll interval on the clock. */
  pause(): Promise<void>;
}

/** Starts a wait of `waitMs` on the clock. */
export function leaseWait(clock: Clock, waitMs: number): LeaseWait {
  const deadline = clock.now().getTime() + waitMs;
  return {
    expired: () => clock.now().getTime() >= deadline,
    pause: () => clock.sleep(LEASE_POLL_MS),
  };
}

/**
 * Takes the lease, asking again every LEASE_POLL_MS for up to `waitMs` on the clock while another
 * holder has it; undefined when it did not come free in time.
 */
export async function takeLease(
  deps: LeaseDependencies,
  request: LeaseRequest,
  waitMs: number,
): Promise<Lease | undefined> {
  const wait = leaseWait(deps.clock, waitMs);
  for (;;) {
    const lease = await tryLease(deps, request);
    if (lease || wait.expired()) return lease;
    await wait.pause();
  }
}

/** Releases the lease when still held by its owner; a lease lost meanwhile is not an error. */
export function releaseLease(
  deps: Pick<LeaseDependencies, 'authorizations'>,
  lease: Pick<Lease, 'tenantId' | 'integration' | 'owner'>,
): Promise<void> {
  return deps.authorizations.releaseLease(lease.tenantId, lease.integration, lease.owner);
}
