import type { Integration } from './catalog.js';
import type { Authorization, AuthorizationStatus, Tenant } from './model.js';
import type { HistoryRepository, TenantRepository } from './ports.js';
import {
  AuthorizationNotFoundError,
  IntegrationNotFoundError,
  TenantNotFoundError,
  TenantOffboardedError,
} from './admin-errors.js';
import type { AuthorizationKey, ValidationOutcome, ValidatorDependencies } from './validator-config.js';

/*
 * What the admin's ways back share (recheck, force refresh, reload): their ports, the look-up of
 * the authorization they act on, and their typed refusals.
 */

/** What a recheck, a forced refresh and a reload work with: the validator's own ports, and more. */
export interface RecoveryDependencies {
  /** The validator's ports: a recheck and a refresh run on its token session, lease and outbox. */
  validator: ValidatorDependencies;
  /** Tenants by id, and paged for a bulk recheck. */
  tenants: Pick<TenantRepository, 'get' | 'list'>;
  /** Where a recheck that changed nothing records its attempt. */
  history: Pick<HistoryRepository, 'append'>;
  /** How long to wait for a check in progress to release the authorization's lease (3 s by default). */
  leaseWaitMs?: number;
  /** Told of each validator check a refresh or reload ran, so its invalidations are counted too. */
  recordCheck?: (outcome: ValidationOutcome) => void;
}

/** How long a recheck waits for the lease when the dependencies do not say. */
export const DEFAULT_RECOVERY_LEASE_WAIT_MS = 3_000;

/** An authorization an admin acts on, with its active tenant and catalog entry. */
export interface RecoveryTarget {
  tenant: Tenant;
  integration: Integration;
  record: Authorization;
}

/** The active tenant, the catalog's integration and the record; the admin API's 404s and 409s otherwise. */
export async function requireRecoveryTarget(
  deps: Pick<RecoveryDependencies, 'validator' | 'tenants'>,
  key: AuthorizationKey,
): Promise<RecoveryTarget> {
  const tenant = await deps.tenants.get(key.tenantId);
  if (!tenant) throw new TenantNotFoundError(key.tenantId);
  if (tenant.status !== 'active') throw new TenantOffboardedError(key.tenantId);
  if (deps.validator.catalog.findServiceApp(key.integration)) throw new ServiceAppRecoveryError(key);
  const integration = deps.validator.catalog.find(key.integration);
  if (!integration) throw new IntegrationNotFoundError(key.integration);
  const record = await deps.validator.authorizations.get(key.tenantId, key.integration);
  if (!record) throw new AuthorizationNotFoundError(key.tenantId, key.integration);
  return { tenant, integration, record };
}

/**
 * Recheck and refresh are an integration's: a Service App's tokens come back from its token
 * endpoint, which the validator calls at every check, and a deauthorized app only by the
 * customer's authorizing it again (docs/service-apps.md).
 */
export class ServiceAppRecoveryError extends Error {
  override readonly name = 'ServiceAppRecoveryError';
  constructor(readonly key: AuthorizationKey) {
    super(
      `${key.tenantId}/${key.integration} is a Service App: its checks fetch new tokens from its token endpoint ` +
        'by themselves (validate it now with POST .../validate); after a deauthorization the customer authorizes ' +
        'it again in Control Hub and presses "I have authorized it" on the portal',
    );
  }
}

/** The action does not apply to the authorization in its status; the message says what does. */
export class AuthorizationStatusError extends Error {
  override readonly name = 'AuthorizationStatusError';
  constructor(
    readonly tenantId: string,
    readonly integration: string,
    readonly status: AuthorizationStatus,
    readonly action: 'recheck' | 'refresh',
  ) {
    super(`${tenantId}/${integration} is ${status}: ${statusAdvice(status, action)}`);
  }
}

function statusAdvice(status: AuthorizationStatus, action: 'recheck' | 'refresh'): string {
  if (status === 'invalid') return 'a refresh needs a live grant; recheck it instead (POST .../recheck)';
  if (status === 'check_failing') {
    return 'its checks keep failing on our side; once the cause is fixed, recheck it (POST .../recheck)';
  }
  if (status === 'pending' || status === 'revoked') {
    return `there are no tokens to ${action}; only a new authorization brings it back`;
  }
  return 'it is live, so there is nothing to recheck; to renew its tokens now, refresh it (POST .../refresh)';
}

/** Another check holds the authorization's lease (the validator, a callback, another admin call). */
export class AuthorizationBusyError extends Error {
  override readonly name = 'AuthorizationBusyError';
  constructor(
    readonly tenantId: string,
    readonly integration: string,
  ) {
    super(`${tenantId}/${integration} is being checked or changed right now; try again in a minute`);
  }
}

/** Webex did not renew the tokens of a forced refresh; the message says what became of it. */
export class RefreshFailedError extends Error {
  override readonly name = 'RefreshFailedError';
  constructor(
    readonly tenantId: string,
    readonly integration: string,
    readonly record: Authorization,
  ) {
    super(
      `Webex did not renew the tokens of ${tenantId}/${integration}; it is ${record.status}${record.cause ? ` (cause ${record.cause})` : ''}${record.causeDetail ? `: ${record.causeDetail}` : ''}`,
    );
  }
}

/** A reload needs an open credential incident of the integration. */
export class NoCredentialIncidentError extends Error {
  override readonly name = 'NoCredentialIncidentError';
  constructor(readonly integration: string) {
    super(
      `No open credential incident for ${integration}: Webex accepts its client secret, and the functions read a changed secret again within 5 minutes by themselves`,
    );
  }
}
