import type { Catalog } from './catalog.js';
import type {
  Authorization,
  AuthorizationEvent,
  ContactSuppression,
  OAuthState,
  SealedTokens,
  Tenant,
  TokenMaterial,
} from './model.js';

/** Every use case takes time from here so tests can move it. */
export interface Clock {
  now(): Date;
  /**
   * Resolves once `ms` have passed on this clock: a real timer on the system clock; a test's
   * clock moves its time forward instead, so a wait costs the test no real time.
   */
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** Structured attributes of one log line. */
export type LogAttributes = Record<string, unknown>;

/**
 * Where use cases and adapters write what happened, with structured attributes; Powertools' Logger
 * satisfies it (attributes are
 * a rest parameter, as in Powertools, so a line may carry none). Never given a token, code or secret.
 */
export interface Log {
  debug(message: string, ...attributes: LogAttributes[]): void;
  info(message: string, ...attributes: LogAttributes[]): void;
  warn(message: string, ...attributes: LogAttributes[]): void;
  error(message: string, ...attributes: LogAttributes[]): void;
}

/** A log that writes nothing, for callers that were given none. */
export const silentLog: Log = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

export interface Page<T> {
  items: T[];
  /** Opaque cursor for the next page; absent on the last page. */
  cursor?: string;
}

export class ConflictError extends Error {
  override readonly name = 'ConflictError';
}

/**
 * The tenant item was not as a grant's save expected it (AuthorizationRepository.save with a
 * `tenantOrg`): gone, bound to another org, or, for a binding save, bound meanwhile. Nothing was written.
 */
export class TenantOrgChangedError extends Error {
  override readonly name = 'TenantOrgChangedError';
}

/**
 * The tenant's Webex org as a grant's save requires it, checked in the save's own transaction, so
 * a grant is stored only while its authorizer's org is the tenant's.
 */
export interface TenantOrgCondition {
  tenantId: string;
  orgId: string;
  /**
   * The tenant's first success binds it: the tenant must have no org, gets `orgId`, and this
   * `org_bound` event goes into its history, all in the same transaction. Without it, the tenant
   * must already be bound to `orgId`.
   */
  binding?: AuthorizationEvent;
}

export interface TenantRepository {
  /** Creates the tenant; ConflictError when the id is taken. */
  create(tenant: Tenant): Promise<void>;
  get(tenantId: string): Promise<Tenant | undefined>;
  list(options: { limit: number; cursor?: string }): Promise<Page<Tenant>>;
  /** Writes the whole tenant when its `updatedAt` still equals `expectedUpdatedAt`; ConflictError otherwise. */
  replace(tenant: Tenant, expectedUpdatedAt: string): Promise<void>;
  /**
   * Sets (or, with undefined, removes) the tenant's Webex org and its `updatedAt`, when the stored
   * `orgId` is still `expected.orgId` and `updatedAt` still `expected.updatedAt`; ConflictError
   * otherwise (a consent bound it, or an admin changed it, meanwhile).
   */
  setOrg(
    tenantId: string,
    orgId: string | undefined,
    expected: { orgId: string | undefined; updatedAt: string },
    updatedAt: string,
  ): Promise<void>;
  /**
   * Deletes every item of an offboarded tenant: its authorization records and history first, the
   * tenant item last (only while it is offboarded, else ConflictError), so a purge that stopped
   * half-way is finished by calling it again. Returns how many items it deleted.
   */
  purge(tenantId: string): Promise<number>;
  /**
   * Adds a suppression to the tenant's item (a contact address that bounced, complained or
   * unsubscribed), leaving every other field alone; false when the tenant is gone.
   */
  suppressContact(tenantId: string, suppression: ContactSuppression): Promise<boolean>;
  /**
   * Removes every suppression of `email` from the tenant's item (matched case aside, as the
   * notifier matches: contact-suppression.ts), leaving every other entry and field alone; a
   * suppression appended or removed meanwhile is neither lost nor removed twice. Answers the
   * entries it removed: none when the tenant suppresses no such address, or is gone.
   * ConflictError when other writers kept moving the entries through every attempt.
   */
  removeContactSuppressions(tenantId: string, email: string): Promise<ContactSuppression[]>;
}

/** What `leaseForCheck` answers: the leased record, or the record that refused the lease. */
export type CheckLease = { leased: Authorization } | { refused: Authorization | undefined };

export interface AuthorizationRepository {
  get(tenantId: string, integration: string): Promise<Authorization | undefined>;
  listForTenant(tenantId: string): Promise<Authorization[]>;
  /**
   * Writes the record and, in the same transaction, the history event when given. The write
   * succeeds only when the stored version equals `expectedVersion` (undefined: must not exist);
   * ConflictError otherwise. The stored version becomes `expectedVersion + 1` (or 1).
   * Checkable records (active, expiring, degraded) with `nextCheckAt` carry the `due` index keys.
   * With `tenantOrg`, the tenant's org is checked (or bound) in the same transaction;
   * TenantOrgChangedError when it is not as required.
   */
  save(
    authorization: Authorization,
    expectedVersion: number | undefined,
    event?: AuthorizationEvent,
    tenantOrg?: TenantOrgCondition,
  ): Promise<Authorization>;
  /** Takes the lease when free or expired; undefined when another owner holds it. */
  acquireLease(
    tenantId: string,
    integration: string,
    owner: string,
    until: Date,
    now: Date,
  ): Promise<Authorization | undefined>;
  /**
   * Takes the lease for one check in a single conditional write: when it is free (or expired, or
   * `owner`'s) and, with `dueOnly`, the record has work at `now` (a checkable record whose next
   * check has come, or any record with an unpublished event). When refused, answers the record as
   * it stands (undefined when there is none), so the caller can tell a missing, a held and a
   * not-due record apart without another read.
   */
  leaseForCheck(
    tenantId: string,
    integration: string,
    owner: string,
    until: Date,
    now: Date,
    options: { dueOnly: boolean },
  ): Promise<CheckLease>;
  /** Releases the lease when still held by `owner`; a lost lease is not an error. */
  releaseLease(tenantId: string, integration: string, owner: string): Promise<void>;
  /** Keys of checkable authorizations due at `now`, from one shard of the `due` index. */
  listDue(
    shard: number,
    now: Date,
    options: { limit: number; cursor?: string },
  ): Promise<Page<{ tenantId: string; integration: string }>>;
}

export interface HistoryRepository {
  append(event: AuthorizationEvent): Promise<void>;
  /** Newest first. */
  list(tenantId: string, options: { limit: number; cursor?: string }): Promise<Page<AuthorizationEvent>>;
}

export interface OAuthStateStore {
  put(state: OAuthState): Promise<void>;
  /**
   * Deletes and returns the state atomically: a second call with the same hash gets undefined.
   * An expired state is returned too (deleted all the same): the caller checks `expiresAt`.
   */
  consume(stateHash: string): Promise<OAuthState | undefined>;
  /**
   * Whether the state is still stored (not consumed; expired or not), read without consuming it:
   * what a callback from an unbound browser may ask, since it must change nothing.
   */
  has(stateHash: string): Promise<boolean>;
}

/**
 * Whose tokens a sealed envelope holds: the keys of the authorization item that carries it. The
 * vault binds the envelope to them (and to the table), so an envelope copied onto another item
 * does not open.
 */
export interface TokenContext {
  tenantId: string;
  integration: string;
}

/**
 * Seals token material for the authorization item that will carry it, and opens it again. Nothing
 * is stored here: the sealed tokens go on the record, written with it in one conditional save, so
 * deleting the item (or saving it without them) destroys them.
 */
export interface TokenVault {
  seal(context: TokenContext, material: TokenMaterial): Promise<SealedTokens>;
  /** The material; throws when the envelope was sealed for another context or was altered. */
  open(context: TokenContext, sealed: SealedTokens): Promise<TokenMaterial>;
}

/** Client secrets of the catalog's integrations, keyed by integration key. */
export interface ClientSecretSource {
  /**
   * The integration's client secret. A source that keeps a copy in memory reads it again when its
   * copy was read before `notCachedBefore` (an admin reload asked every function to).
   */
  get(integration: string, options?: { notCachedBefore?: Date }): Promise<string>;
}

/** The HMAC key that signs onboarding links. */
export interface LinkSigningKeySource {
  get(): Promise<Buffer>;
}

/** One e-mail to one address: suppression and unsubscribe are per address. */
export interface EmailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** RFC 8058 one-click unsubscribe URL of this address for this tenant; absent on ops mail. */
  unsubscribeUrl?: string;
  /** Idempotency: one send per key (event id or digest id, plus the address). */
  idempotencyKey: string;
  /** For SES event routing back to the tenant: `tenantId` (absent on ops mail) and `kind`. */
  tags: Record<string, string>;
  /**
   * The tenant and integration the mail is about (an incident's first), for a mailbox that lists
   * mail by them (the local one); absent in a digest, which spans them all.
   */
  about?: { tenantId: string; integration: string };
}
export interface MailSender {
  send(message: EmailMessage): Promise<void>;
}

/**
 * The notifier's record of mails sent, so a redelivered message sends no second mail: `claim`
 * is true for the first caller of a key only (until `expiresAt`); `release` gives a key back
 * when its send failed, so the retry sends it.
 */
export interface SentMailLedger {
  claim(idempotencyKey: string, expiresAt: string): Promise<boolean>;
  release(idempotencyKey: string): Promise<void>;
}

export interface EventPublisher {
  /**
   * Puts the event on the bus and the event topic. People's mail is not the producer's: the
   * notifier, which the bus feeds, writes it from the event (docs/alerts.md).
   */
  publish(event: AuthorizationEvent): Promise<void>;
}

export interface WebexTokenGrant {
  accessToken: string;
  refreshToken: string;
  /** Seconds, as Webex returned them: never assumed. */
  expiresIn: number;
  refreshTokenExpiresIn: number;
  scope?: string;
}

export interface WebexPerson {
  id: string;
  emails: string[];
  displayName: string;
  orgId: string;
  roles: string[];
  type: string;
  /** Absent unless the caller is an admin; false when the person is deactivated. */
  loginEnabled?: boolean;
  /** Webex's `trackingId` of the answer, for the evidence of a cause (Cisco support asks for it). */
  trackingId?: string;
}

export interface WebexRole {
  id: string;
  name: string;
}

/** How a Webex call failed; the domain classifies on `kind`, never on message text. */
export type WebexFailureKind =
  | 'unauthorized' // 401: token dead
  | 'forbidden' // 403: scope or role missing
  | 'not_found' // 404
  | 'rejected' // token endpoint, grant-level (invalid_grant): code or refresh token refused
  | 'client_rejected' // token endpoint blames our client (invalid_client, unauthorized_client, 401)
  | 'transient'; // 429, 5xx, timeouts, network

export class WebexError extends Error {
  override readonly name = 'WebexError';
  constructor(
    readonly kind: WebexFailureKind,
    message: string,
    readonly details: {
      status?: number;
      trackingId?: string;
      retryAfterSeconds?: number;
      /** The token endpoint's RFC 6749 `error` code (`invalid_grant`), as Webex sent it. */
      error?: string;
    } = {},
  ) {
    super(message);
  }
}

/** The Webex calls the product makes; errors are WebexError. Tokens go in, never out in errors. */
/** One item of Webex's `GET /v1/authorizations?personId=` (the OpenAPI `Authorization`). */
export interface WebexAuthorizationItem {
  id: string;
  clientId: string;
  personId: string;
  /** `refresh` (the grant: deleting it kills its access tokens too) or `access` (one token). */
  type: string;
  created: string;
}

/**
 * Webex's Authorizations API by person and by id, which the callback uses to revoke one refused
 * grant and nothing else (needs `identity:tokens_read` / `identity:tokens_write`). Optional on the
 * client: without it a refused grant is only discarded, never revoked more widely.
 */
export interface WebexPersonAuthorizations {
  listAuthorizations(accessToken: string, personId: string): Promise<WebexAuthorizationItem[]>;
  deleteAuthorization(accessToken: string, authorizationId: string): Promise<void>;
}

export interface WebexClient {
  exchangeCode(input: {
    clientId: string;
    clientSecret: string;
    code: string;
    codeVerifier: string;
    redirectUri: string;
  }): Promise<WebexTokenGrant>;
  refresh(input: { clientId: string; clientSecret: string; refreshToken: string }): Promise<WebexTokenGrant>;
  getMe(accessToken: string): Promise<WebexPerson>;
  getPerson(accessToken: string, personId: string): Promise<WebexPerson>;
  listRoles(accessToken: string): Promise<WebexRole[]>;
  /** Revokes the integration's authorizations for the org (needs identity:tokens_write). */
  revokeAuthorizations(accessToken: string, input: { clientId: string; orgId: string }): Promise<void>;
}

/** One item of `GET /v1/adminAudit/events` (the OpenAPI `AuditEvent`), as far as a cause needs it. */
export interface WebexAuditEvent {
  id: string;
  created: string;
  actorId: string;
  actorEmail?: string;
  actorName?: string;
  eventCategory?: string;
  eventDescription?: string;
  /** The resource acted on: a person's id when the action was on a user. */
  targetId?: string;
}

/**
 * Webex's admin audit log (`audit:events_read`, authorized by a Full Admin): the witness reads the
 * admin actions on an authorizer from it. Errors are WebexError.
 */
export interface WebexAdminAudit {
  /** The org's events from `from` to `to`, newest first; one page of at most `max` (200) from `offset`. */
  listAdminAuditEvents(
    accessToken: string,
    query: { orgId: string; from: Date; to: Date; max: number; offset: number },
  ): Promise<{ items: WebexAuditEvent[]; trackingId?: string }>;
}

/** What the Service App token endpoint needs besides the vendor token: which app, for which org. */
export interface ServiceAppTokenRequest {
  applicationId: string;
  clientId: string;
  clientSecret: string;
  targetOrgId: string;
}

/**
 * Webex's Service App token endpoint, `POST /v1/applications/{applicationId}/token`, called with
 * the vendor's own token (`spark:applications_token`). Its refusals are WebexErrors: `forbidden`
 * (403) when the org has not authorized the app in Control Hub, `unauthorized` (401) when the
 * vendor token or the app's credentials were refused, `not_found` (404) for an unknown app.
 */
export interface WebexServiceAppTokens {
  fetchServiceAppToken(vendorAccessToken: string, request: ServiceAppTokenRequest): Promise<WebexTokenGrant>;
}

/**
 * The vendor's own access token with `spark:applications_token`: an authorization of the vendor's
 * org, kept alive by the validator like any other. Throws VendorTokenUnavailableError when there
 * is none to use.
 */
export interface VendorTokenSource {
  accessToken(): Promise<string>;
}

/** The secret Webex signs the `serviceApp` webhook's deliveries with (`X-Spark-Signature`). */
export interface WebhookSecretSource {
  get(): Promise<string>;
}

/**
 * The deliveries of a webhook already taken in, each kept until it would be refused as too old
 * anyway: `claim` answers false when the key was claimed before (a replay).
 */
export interface WebhookDeliveryLedger {
  claim(deliveryKey: string, keepUntil: Date): Promise<boolean>;
  /** Forgets a claim whose delivery could not be acted on, so that a copy of it is taken in. */
  release(deliveryKey: string): Promise<void>;
}

/** Which tenants are bound to a Webex org (read from an index: possibly a moment behind). */
export interface TenantOrgIndex {
  tenantIdsOfOrg(orgId: string): Promise<string[]>;
}

/** A webhook registered with Webex (`GET`/`POST /v1/webhooks`), as far as registering ours needs it. */
export interface WebexWebhook {
  id: string;
  name: string;
  targetUrl: string;
  resource: string;
  event: string;
}

/** Webex's webhook registrations of the token's owner. Errors are WebexError. */
export interface WebexWebhooks {
  listWebhooks(accessToken: string): Promise<WebexWebhook[]>;
  createWebhook(
    accessToken: string,
    webhook: Omit<WebexWebhook, 'id'> & { secret: string },
  ): Promise<WebexWebhook>;
  deleteWebhook(accessToken: string, webhookId: string): Promise<void>;
}

/** Why the vendor token cannot be used now: never configured, never authorized, or not usable. */
export class VendorTokenUnavailableError extends Error {
  override readonly name = 'VendorTokenUnavailableError';
}

/**
 * Every port under its one name. A use case's dependencies pick the ports it needs from here; the
 * composition root (functions/commons/composition-root.ts) builds all of them once.
 */
export interface Ports {
  tenants: TenantRepository;
  authorizations: AuthorizationRepository;
  history: HistoryRepository;
  oauthStates: OAuthStateStore;
  vault: TokenVault;
  clientSecrets: ClientSecretSource;
  linkKeys: LinkSigningKeySource;
  webex: WebexClient & WebexPersonAuthorizations & WebexAdminAudit;
  events: EventPublisher;
  catalog: Catalog;
  clock: Clock;
  log: Log;
}
