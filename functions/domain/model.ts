import * as z from 'zod';
import { PASSWORD_MAX_AGE_DAYS_RANGE } from './password-policy.js';

export const AUTHORIZATION_STATUSES = [
  'pending',
  'active',
  'expiring',
  'degraded',
  'invalid',
  'revoked',
  /** Its checks threw (our bug or bad data, not a Webex answer) too often in a row: out of the sweep until rechecked. */
  'check_failing',
] as const;
export type AuthorizationStatus = (typeof AUTHORIZATION_STATUSES)[number];

/** Statuses the validator keeps checking; only these carry the sparse `due` index keys. */
export const CHECKABLE_STATUSES: readonly AuthorizationStatus[] = ['active', 'expiring', 'degraded'];

/** Statuses whose tokens may work at Webex: the checked ones, and those whose checks fail on our side. */
export const LIVE_STATUSES: readonly AuthorizationStatus[] = [...CHECKABLE_STATUSES, 'check_failing'];

export const INVALIDATION_CAUSES = [
  'password_changed_or_revoked',
  'user_deactivated',
  'admin_role_removed',
  'integration_revoked',
  'refresh_token_expired',
  /**
   * All of the person's authorizations died together and nothing could tell a password change, a
   * deactivation and a Full Admin removal (or an access reset) apart: typically one admin
   * authorized everything, so no working token was left to look the person up with.
   */
  'password_change_or_deactivation_or_role_removal',
  /**
   * A Service App's tokens were refused and its token endpoint answered 403: the org no longer
   * authorizes the app in Control Hub (docs/service-apps.md). Never given on a guess: a vendor
   * token that cannot be had, or any other answer of the token endpoint, invalidates nothing.
   */
  'service_app_deauthorized',
  'unknown',
] as const;
export type InvalidationCause = (typeof INVALIDATION_CAUSES)[number];

export const EVENT_TYPES = [
  'granted',
  'refreshed',
  'expiring',
  'degraded',
  'restored',
  'invalidated',
  'denied',
  'revoked',
  'org_bound',
  'credential_incident',
  'credential_resolved',
  /** History only: an admin recheck that left the authorization as it was (admin-recheck.ts). */
  'recheck_failed',
  'check_failing',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

const isoTime = z.iso.datetime({ offset: true });

/**
 * How sure a cause is: `confirmed` when a Webex answer proves it, `likely` when the evidence
 * points to it without proving it, `unknown` when nothing tells (docs/validator.md, "Causes").
 */
export const CAUSE_CONFIDENCES = ['confirmed', 'likely', 'unknown'] as const;
export type CauseConfidence = (typeof CAUSE_CONFIDENCES)[number];

/** The Webex calls a check makes, by endpoint, as evidence names them. */
export const EVIDENCE_CALLS = [
  'POST /v1/access_token',
  'GET /v1/people/me',
  'GET /v1/people/{personId}',
  'GET /v1/roles',
  'GET /v1/adminAudit/events',
  'POST /v1/applications/{applicationId}/token',
] as const;

/** What an answer showed that bears on the cause. */
export const CALL_FINDINGS = [
  'sign_in_enabled',
  'sign_in_disabled',
  'full_admin',
  'not_full_admin',
  'person_not_found',
  /** The admin audit log holds an admin action on the person since the last healthy check (`adminAuditEvent`). */
  'admin_action_found',
  'no_admin_action',
] as const;

/** Webex's trackingIds (`ROUTER_...`, `NA_...`): anything else is dropped, never shown. */
export const TRACKING_ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

/** An RFC 6749 error code (`invalid_grant`); anything else is dropped, never shown. */
export const OAUTH_ERROR_CODE_PATTERN = /^[a-z_]{1,64}$/;

/** The most calls one invalidation keeps as evidence; a check makes far fewer. */
export const MAX_CALL_EVIDENCE = 40;

/** One Webex call behind a cause: which endpoint, whose token, what it answered, when. Never a token. */
export const callEvidenceSchema = z.object({
  call: z.enum(EVIDENCE_CALLS),
  /** The catalog key of the authorization whose token made the call. */
  via: z.string().min(1).max(100),
  answer: z.enum(['ok', 'refused', 'client_refused', 'transient']),
  /** HTTP status of a failed call (a timeout has none). */
  status: z.number().int().min(100).max(599).optional(),
  /** The token endpoint's RFC 6749 `error`. */
  error: z.string().regex(OAUTH_ERROR_CODE_PATTERN).optional(),
  finding: z.enum(CALL_FINDINGS).optional(),
  trackingId: z.string().regex(TRACKING_ID_PATTERN).optional(),
  at: isoTime,
});
export type CallEvidence = z.infer<typeof callEvidenceSchema>;

/** The admin actions on a person that end their tokens, as the witness reads them from the admin audit log. */
export const ADMIN_ACTIONS = ['user_deactivated', 'full_admin_removed', 'password_reset'] as const;
export type AdminAction = (typeof ADMIN_ACTIONS)[number];

/** A Webex id (base64url of `ciscospark://...`) or a uuid: never free text. */
const WEBEX_ID_PATTERN = /^[A-Za-z0-9+/_=-]{1,400}$/;

/**
 * The admin audit event that confirms a cause: what was done to the authorizer, when, and by whom.
 * `actorName` is Webex's display name, without control characters; mail escapes it like any value.
 */
export const adminAuditEventSchema = z.object({
  action: z.enum(ADMIN_ACTIONS),
  at: isoTime,
  actorId: z.string().regex(WEBEX_ID_PATTERN),
  actorEmail: z.email().max(320).optional(),
  actorName: z
    .string()
    .regex(/^[^\p{Cc}]{1,200}$/u)
    .optional(),
});
export type AdminAuditEvent = z.infer<typeof adminAuditEventSchema>;

/**
 * What the tenant's witness (its authorization of the vendor's witness Service App) gave a death:
 * `answered` when it was read, `failed` when it could not be (its token refused or expired, Webex
 * failing): the cause then keeps the confidence the other evidence gives.
 */
export const WITNESS_OUTCOMES = ['answered', 'failed'] as const;
export type WitnessOutcome = (typeof WITNESS_OUTCOMES)[number];

/** The cause fields an invalidation carries on its record, its event and its history item. */
const causeEvidenceFields = {
  confidence: z.enum(CAUSE_CONFIDENCES).optional(),
  /** The Webex calls of the check that invalidated it, oldest first. */
  evidence: z.array(callEvidenceSchema).max(MAX_CALL_EVIDENCE).optional(),
};

/**
 * Why an address gets no more mail: SES reported a permanent bounce or a complaint, or the person
 * used the one-click unsubscribe link of this tenant's mail.
 */
export const CONTACT_SUPPRESSION_REASONS = ['bouncing', 'complained', 'unsubscribed'] as const;
export type ContactSuppressionReason = (typeof CONTACT_SUPPRESSION_REASONS)[number];

/** One suppressed contact address of a tenant, kept on the tenant item. */
export const contactSuppressionSchema = z.object({
  email: z.string().min(1).max(320),
  reason: z.enum(CONTACT_SUPPRESSION_REASONS),
  at: isoTime,
});
export type ContactSuppression = z.infer<typeof contactSuppressionSchema>;

export const tenantSchema = z.object({
  tenantId: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/),
  name: z.string().min(1).max(200),
  contacts: z.array(z.email()).max(20),
  /** The customer's admins sign in through SSO with an external IdP: no password-change deaths. */
  sso: z.boolean(),
  /**
   * The customer's Webex orgId: set by the admin API when the vendor knows it, else bound by the
   * first successful authorization. Every authorization must come from it.
   */
  orgId: z.string().optional(),
  /**
   * The customer's `maxPasswordAge` in Control Hub (90 to 1825 days); absent, the deployment's
   * PASSWORD_MAX_AGE_DAYS. Password deadlines are counted with it (password-policy.ts).
   */
  passwordMaxAgeDays: z
    .number()
    .int()
    .min(PASSWORD_MAX_AGE_DAYS_RANGE.min)
    .max(PASSWORD_MAX_AGE_DAYS_RANGE.max)
    .optional(),
  /**
   * Emails of authorizers who sign in through SSO in a tenant that does not as a whole: they get
   * no password deadline warnings.
   */
  ssoAuthorizers: z.array(z.string()).optional(),
  /**
   * Contact addresses that must not be mailed (bounced, complained, unsubscribed), newest last;
   * the notifier skips them. Written only by `suppressContact`, never by an admin edit.
   */
  suppressedContacts: z.array(contactSuppressionSchema).optional(),
  /** Bumped to revoke every onboarding link issued before. */
  linkVersion: z.number().int().nonnegative(),
  status: z.enum(['active', 'offboarded']),
  createdAt: isoTime,
  updatedAt: isoTime,
});
export type Tenant = z.infer<typeof tenantSchema>;

export const authorizerSchema = z.object({
  personId: z.string(),
  email: z.string(),
  displayName: z.string(),
  orgId: z.string(),
  fullAdmin: z.boolean(),
});
export type Authorizer = z.infer<typeof authorizerSchema>;

export const authorizationSchema = z.object({
  tenantId: z.string(),
  integration: z.string(),
  status: z.enum(AUTHORIZATION_STATUSES),
  cause: z.enum(INVALIDATION_CAUSES).optional(),
  /** One human sentence on the evidence behind the cause (never a token). */
  causeDetail: z.string().optional(),
  ...causeEvidenceFields,
  authorizer: authorizerSchema.optional(),
  scopes: z.array(z.string()),
  accessTokenExpiresAt: isoTime.optional(),
  refreshTokenExpiresAt: isoTime.optional(),
  /**
   * When the refresh token got its current expiry: the grant, or the last refresh that moved it.
   * A refresh that leaves the expiry where it was (Webex did not extend the token) keeps it, so
   * the refresh-token warning is measured on the token's whole lifetime (expiry-warnings.ts).
   * Absent: the last refresh, else the grant.
   */
  refreshTokenIssuedAt: isoTime.optional(),
  grantedAt: isoTime.optional(),
  refreshedAt: isoTime.optional(),
  validatedAt: isoTime.optional(),
  /** Transient failures (429, 5xx, timeouts) in a row; three make the authorization degraded. */
  consecutiveFailures: z.number().int().nonnegative(),
  /**
   * Checks in a row that threw (our bug or bad data, not a Webex answer); a completed check clears
   * it, and CHECK_FAILING_AFTER_ERRORS of them make the record `check_failing` (check-failures.ts).
   */
  checkErrors: z.number().int().positive().optional(),
  /** The last check that threw: its error id (also in the log line with the error, which is never stored) and when. */
  lastCheckError: z.object({ errorId: z.string(), at: isoTime }).optional(),
  /**
   * The token material, envelope-encrypted and bound to this item's tenant and integration
   * (TokenVault). Absent when no token is held: pending, revoked, or a record from before tokens
   * moved onto the item.
   */
  sealedTokens: z.lazy(() => sealedTokensSchema).optional(),
  /**
   * Legacy: the Secrets Manager secret that held the tokens before they moved onto the item. Never
   * written now; read only to say why such a record has no tokens (docs/deploy.md, "Upgrading").
   */
  secretId: z.string().optional(),
  /** Optimistic-locking counter, bumped by every write of the record's content. */
  version: z.number().int().nonnegative(),
  leaseOwner: z.string().optional(),
  leaseUntil: isoTime.optional(),
  nextCheckAt: isoTime.optional(),
  /**
   * The authorizer's password policy as a check last read it from the tenant (password age, SSO),
   * so that for a day a check far from that deadline needs no tenant read (validator-expiry.ts).
   */
  passwordPolicy: z
    .object({ maxAgeDays: z.number().int().positive(), sso: z.boolean(), readAt: isoTime })
    .optional(),
  /** Expiry warnings already sent, e.g. `password:30`, so each threshold warns once. */
  warningsSent: z.array(z.string()),
  /**
   * The validator's outbox: the event of a transition saved but not yet confirmed published. Set in
   * the same write as the transition, cleared after publishing, so a crash in between is retried
   * by the next run instead of losing or repeating the alert (functions/domain/validator.ts).
   */
  pendingEvent: z.lazy(() => authorizationEventSchema).optional(),
  updatedAt: isoTime,
});
export type Authorization = z.infer<typeof authorizationSchema>;

/**
 * The version of the event's shape (docs/events.md). Bumped when a field changes meaning or goes
 * away; a new optional field keeps it. Events stored before it existed read as version 1.
 */
export const AUTHORIZATION_EVENT_VERSION = 1;

export const authorizationEventSchema = z.object({
  version: z.literal(AUTHORIZATION_EVENT_VERSION).default(AUTHORIZATION_EVENT_VERSION),
  eventId: z.string(),
  type: z.enum(EVENT_TYPES),
  severity: z.enum(SEVERITIES),
  tenantId: z.string(),
  integration: z.string(),
  occurredAt: isoTime,
  status: z.enum(AUTHORIZATION_STATUSES).optional(),
  previousStatus: z.enum(AUTHORIZATION_STATUSES).optional(),
  cause: z.enum(INVALIDATION_CAUSES).optional(),
  ...causeEvidenceFields,
  /** One line for people: what happened. */
  summary: z.string(),
  authorizerEmail: z.string().optional(),
  /** For `expiring`: the deadline being warned about. */
  deadline: isoTime.optional(),
  /**
   * For `expiring`: true when `deadline` is the latest it can be, not the date (a password deadline
   * counted from the grant: the password may have been set before it).
   */
  deadlineIsUpperBound: z.boolean().optional(),
  /** Webex's trackingId of the call that gave the evidence, for Cisco support. */
  trackingId: z.string().optional(),
  /**
   * For `denied`: when the last denial alert of this tenant and integration was sent (this event's
   * own time when it sent one). A denial within DENIAL_ALERT_WINDOW_HOURS of it is recorded and
   * published, but not emailed again (functions/domain/onboarding.ts).
   */
  alertedAt: isoTime.optional(),
  /**
   * For `invalidated`, when the tenant has a witness: whether it could be read. A `failed` witness
   * leaves the cause as the other evidence gives it; ops see it here and in the worker's log.
   */
  witness: z.enum(WITNESS_OUTCOMES).optional(),
  /** For `invalidated`: the admin audit event that confirms the cause (its time and actor). */
  adminAuditEvent: adminAuditEventSchema.optional(),
  /** For `check_failing`: the id of the last error, in the log line that holds the error itself. */
  errorId: z.string().optional(),
  /** For `denied`: Webex's refusal as RFC 6749 names it (`access_denied`), or `unknown_error`. */
  webexError: z.string().regex(OAUTH_ERROR_CODE_PATTERN).optional(),
  /** For `org_bound`: the Webex org the first consent bound the tenant to. */
  orgId: z.string().optional(),
  /** For `credential_resolved`: when the credential incident it closes was opened. */
  incidentOpenedAt: isoTime.optional(),
});
export type AuthorizationEvent = z.infer<typeof authorizationEventSchema>;

/** Base64 of at least one byte, at most `max` characters. */
const base64Field = (max: number) =>
  z
    .string()
    .min(4)
    .max(max)
    .regex(/^[A-Za-z0-9+/]+={0,2}$/);

/**
 * Token material sealed by the TokenVault: a data key wrapped by the key provider (KMS, or the
 * local key), a 96-bit IV, and the AES-256-GCM ciphertext with its 128-bit tag appended, all
 * base64. Opaque to the domain: only the vault opens it, with the context of the item it is on.
 */
export const sealedTokensSchema = z.object({
  /** Envelope format; a future format gets a new number, and old items still open. */
  format: z.literal(1),
  wrappedKey: base64Field(2048),
  iv: base64Field(16),
  ciphertext: base64Field(16_384),
});
export type SealedTokens = z.infer<typeof sealedTokensSchema>;

/**
 * Token material as the vault seals it. Never logged, never in an event; in DynamoDB only sealed
 * (SealedTokens).
 */
export const tokenMaterialSchema = z.object({
  accessToken: z.string().min(1),
  refreshToken: z.string().min(1),
  accessTokenExpiresAt: isoTime,
  refreshTokenExpiresAt: isoTime,
  scope: z.string().optional(),
});
export type TokenMaterial = z.infer<typeof tokenMaterialSchema>;

/** A fresh authorization before it is stored: OAuth state, single use, bound to tenant and integration. */
export const oauthStateSchema = z.object({
  stateHash: z.string(),
  tenantId: z.string(),
  integration: z.string(),
  codeVerifier: z.string(),
  linkVersion: z.number().int().nonnegative(),
  /**
   * When the onboarding link the attempt started from expires: links the callback hands out
   * (retry, back to the portal) expire then too, so a flow never extends a link. Absent on states
   * written before it existed (then the state's own expiry is used).
   */
  linkExpiresAt: isoTime.optional(),
  expiresAt: isoTime,
});
export type OAuthState = z.infer<typeof oauthStateSchema>;

/**
 * When a record has work for the validator, undefined when none: a checkable record at its next
 * check; one with an unpublished event (say an invalid record whose alert failed to publish) at
 * once, so the next sweep retries the publish. The `due` index carries exactly these records.
 */
export function dueAt(authorization: Authorization): string | undefined {
  const checkAt = CHECKABLE_STATUSES.includes(authorization.status) ? authorization.nextCheckAt : undefined;
  return authorization.pendingEvent ? (checkAt ?? authorization.updatedAt) : checkAt;
}
