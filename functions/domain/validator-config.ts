import type { Catalog } from './catalog.js';
import type { CheckBudget } from './check-budget.js';
import { DEFAULT_PASSWORD_MAX_AGE_DAYS } from './expiry-warnings.js';
import type { AuthorizationStatus, EventType, InvalidationCause, Tenant, WitnessOutcome } from './model.js';
import type { ServiceAppTokenPorts } from './onboarding.js';
import type { CredentialIncidentDependencies } from './validator-incident.js';
import type {
  AuthorizationRepository,
  ClientSecretSource,
  Clock,
  EventPublisher,
  Log,
  TenantRepository,
  TokenVault,
  WebexAdminAudit,
  WebexClient,
} from './ports.js';

/*
 * What the validator works with and answers: its tunables, its ports, and the outcome of a check.
 */

/** Tunables of the validator; `DEFAULT_VALIDATOR_CONFIG` holds the deployed values. */
export interface ValidatorConfig {
  /** The org's `maxPasswordAge` (PASSWORD_MAX_AGE_DAYS), for password-deadline warnings. */
  passwordMaxAgeDays: number;
  /**
   * How often a healthy authorization is probed. The next check is set 5 to 20 % earlier (jitter),
   * so with a sweep schedule of this period every authorization is probed on every sweep.
   */
  checkIntervalSeconds: number;
  /**
   * How often the sweep runs (the deploy input `sweepRateMinutes`); absent, once an interval. Run
   * more often than the interval, each authorization's checks keep their own phase of the
   * interval (validator-schedule.ts), so one org's checks are spread over it.
   */
  sweepRateSeconds?: number;
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
  /**
   * The admin audit log the tenant's witness reads (cause-witness.ts). Absent, the witness reads
   * the person and their roles only.
   */
  adminAudit?: WebexAdminAudit;
  clientSecrets: ClientSecretSource;
  /**
   * The Service App token endpoint and the vendor token that calls it: a Service App whose tokens
   * are refused gets a new pair there (validator-service-app.ts). Absent, such a check is transient.
   */
  serviceAppTokens?: ServiceAppTokenPorts;
  events: EventPublisher;
  clock: Clock;
  catalog: Catalog;
  config: ValidatorConfig;
  /** A fresh onboarding link of the tenant, for the re-authorize link in alerts. */
  reauthorizeLink: (tenant: Tenant) => Promise<string>;
  /**
   * Credential incidents (validator-incident.ts): where they are kept and where the client
   * secrets live. Absent, a refusal of our client credentials still changes no status, but
   * nobody is alerted.
   */
  credentialIncidents?: CredentialIncidentDependencies;
  /**
   * Whether a thrown error is a failure of the platform (throttling, a 5xx of DynamoDB, KMS or
   * Secrets Manager, the network), retried by SQS and never counted against the authorization
   * (check-failures.ts); the composition root passes the AWS SDK's reading. Absent, every error but
   * a conflict or a transient Webex failure counts.
   */
  isTransientFailure?: (error: unknown) => boolean;
  /**
   * The Webex call budget per org (check-budget.ts) the sweep's checks wait for. Absent, checks
   * run as soon as they are delivered.
   */
  checkBudget?: CheckBudget;
  /** Source of jitter in [0, 1); Math.random when absent. */
  random?: () => number;
  log: Log;
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
  /** The catalog no longer lists the integration or Service App. */
  | 'unknown_integration'
  /** Someone wrote a newer record while this check ran (e.g. a re-authorization); theirs wins. */
  | 'superseded'
  /** The org's Webex call budget had no room (check-budget.ts): left due for the next sweep. */
  | 'deferred';

export type ValidationOutcome =
  | { kind: 'skipped'; reason: SkipReason }
  | {
      kind: 'checked';
      previousStatus: AuthorizationStatus;
      status: AuthorizationStatus;
      /** The event this check recorded and published, if any. */
      event?: EventType;
      cause?: InvalidationCause;
      /** For an invalidation of a tenant with a witness: whether the witness could be read. */
      witness?: WitnessOutcome;
      refreshed: boolean;
    };

/** A checkable record without a secret id: written by a bug, not by Webex; retried, then dead-lettered. */
export class InconsistentAuthorizationError extends Error {
  override readonly name = 'InconsistentAuthorizationError';
}
