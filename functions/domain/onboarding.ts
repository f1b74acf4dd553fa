import { randomUUID } from 'node:crypto';
import type { Catalog, Integration } from './catalog.js';
import type {
  Authorization,
  AuthorizationEvent,
  AuthorizationStatus,
  Authorizer,
  OAuthState,
  Tenant,
} from './model.js';
import { CHECKABLE_STATUSES } from './model.js';
import { buildAlert } from './alerts.js';
import {
  CodeRefusedError,
  MissingCodeError,
  NotAPersonError,
  NotFullAdminError,
  OrgMismatchError,
  StateExpiredError,
  StateUnknownError,
  UnknownIntegrationError,
  WebexUnavailableError,
  AuthorizationBusyError,
} from './onboarding-errors.js';
import { releaseLease, takeLease, type Lease } from './lease.js';
import { LinkRevokedError, issueOnboardingLink, verifyOnboardingLink } from './onboarding-link.js';
import { tokenMaterialOf } from './refresh-policy.js';
import {
  createOAuthAttempt,
  hashOAuthState,
  isOAuthStateExpired,
  oauthAttemptStartedAt,
} from './oauth-state.js';
import { clearPendingEvent, saveWithEvent } from './outbox.js';
import type { PortalIntegrationState, PortalIntegrationView, PortalPageModel } from './pages/portal-page.js';
import type { AuthorizationWarning, SuccessPageModel } from './pages/success-page.js';
import type { TroubleshootingPageModel } from './pages/troubleshooting-page.js';
import {
  PRESENCE_SHARING_WARNING,
  describeInvalidationCause,
  passwordExpiryWarning,
} from './pages/wording.js';
import {
  WebexError,
  type AlertMessage,
  type AuthorizationRepository,
  type ClientSecretSource,
  type Clock,
  type EventPublisher,
  type HistoryRepository,
  type LinkSigningKeySource,
  type Log,
  type OAuthStateStore,
  type TenantRepository,
  type TokenVault,
  type WebexClient,
  type WebexPerson,
  type WebexPersonAuthorizations,
  type WebexTokenGrant,
} from './ports.js';

/** The Webex role a person needs to authorize for the whole organization. */
export const FULL_ADMIN_ROLE_NAME = 'Full Administrator';

/**
 * A denial alert (email) goes out at most once per tenant and integration in this window; further
 * denials in it are recorded in the history and published on the bus, but not emailed. Anyone
 * holding a link can deny as often as they like, so without this every loop is one more email.
 */
export const DENIAL_ALERT_WINDOW_HOURS = 24;

/** How many of the tenant's newest history items are searched for the last denial alert. */
const DENIAL_HISTORY_LOOKBACK = 50;

/** Settings of the onboarding flow, from the environment. */
export interface OnboardingSettings {
  /** Where the portal is served, e.g. `https://auth.example.com`; no trailing slash. */
  publicBaseUrl: string;
  /** Webex API base, e.g. `https://webexapis.com`; the authorize URL is built on it. */
  webexApiBaseUrl: string;
  /** The org password policy's maximum age, for the non-SSO warning (Webex default 1825). */
  passwordMaxAgeDays: number;
  /**
   * The deployment's link lifetime (LINK_TTL_DAYS). The callback does not use it: the links it
   * re-issues (retry, back to the portal) keep the expiry of the link the flow started from.
   */
  linkTtlDays: number;
  /** When the validator first checks a new authorization. */
  firstCheckDelaySeconds: number;
}

/** The ports the onboarding use cases work with. */
export interface OnboardingDependencies {
  tenants: TenantRepository;
  authorizations: AuthorizationRepository;
  history: HistoryRepository;
  oauthStates: OAuthStateStore;
  vault: TokenVault;
  webex: WebexClient & Partial<WebexPersonAuthorizations>;
  events: EventPublisher;
  clientSecrets: ClientSecretSource;
  linkKeys: LinkSigningKeySource;
  catalog: Catalog;
  clock: Clock;
  settings: OnboardingSettings;
  log: Log;
}

/** The callback's parameters, already checked for shape (single, bounded) by the handler. */
export interface CallbackParameters {
  state: string;
  code?: string;
  error?: string;
  errorDescription?: string;
}

/** What the callback led to: a stored authorization, or Webex's refusal. */
export type CallbackOutcome =
  | { kind: 'authorized'; page: SuccessPageModel; event: AuthorizationEvent }
  | { kind: 'denied'; page: TroubleshootingPageModel; event: AuthorizationEvent };

/** The portal's URLs, all absolute on PUBLIC_BASE_URL so they survive any stage prefix. */
export function portalUrls(publicBaseUrl: string, linkToken: string) {
  const link = encodeURIComponent(linkToken);
  return {
    portal: `${publicBaseUrl}/connect/${link}`,
    start: (integration: string) =>
      `${publicBaseUrl}/oauth/start?link=${link}&integration=${encodeURIComponent(integration)}`,
    troubleshoot: (integration: string) =>
      `${publicBaseUrl}/troubleshoot/${encodeURIComponent(integration)}?link=${link}`,
  };
}

/** The redirect URI registered with every catalog integration. */
export function callbackUrl(publicBaseUrl: string): string {
  return `${publicBaseUrl}/oauth/callback`;
}

function findIntegration(catalog: Catalog, key: string): Integration {
  const integration = catalog.find(key);
  if (!integration) throw new UnknownIntegrationError(key);
  return integration;
}

function portalState(authorization: Authorization | undefined): PortalIntegrationState {
  if (!authorization || authorization.status === 'pending') return 'not_authorized';
  return authorization.status;
}

function stateDetail(authorization: Authorization | undefined): string | undefined {
  switch (authorization?.status) {
    case 'invalid':
      return authorization.cause
        ? describeInvalidationCause(authorization.cause)
        : describeInvalidationCause('unknown');
    case 'expiring':
      return (
        authorization.causeDetail ??
        'It will stop working soon unless it is re-authorized. Re-authorize now to keep it running.'
      );
    case 'degraded':
      return 'Webex has been failing or slow when we checked it; we keep retrying. No action is needed unless this lasts.';
    case 'revoked':
      return 'It was revoked when the service was stopped for your organization.';
    default:
      return undefined;
  }
}

/**
 * Shows the tenant's portal.
 * 1. Verify the link (signature, expiry, tenant active, link version current).
 * 2. Read the tenant's authorizations.
 * 3. Describe every catalog integration: state, cause in plain words, authorizer, actions.
 */
export async function showPortal(
  deps: Pick<
    OnboardingDependencies,
    'tenants' | 'authorizations' | 'linkKeys' | 'catalog' | 'clock' | 'settings'
  >,
  input: { linkToken: string },
): Promise<PortalPageModel> {
  const { tenant, payload } = await verifyOnboardingLink({
    token: input.linkToken,
    key: await deps.linkKeys.get(),
    clock: deps.clock,
    tenants: deps.tenants,
  });
  const authorizations = new Map(
    (await deps.authorizations.listForTenant(tenant.tenantId)).map((record) => [record.integration, record]),
  );
  const urls = portalUrls(deps.settings.publicBaseUrl, input.linkToken);
  const integrations = deps.catalog.integrations.map((integration): PortalIntegrationView => {
    const authorization = authorizations.get(integration.key);
    const state = portalState(authorization);
    const showAuthorizer = state !== 'not_authorized' && state !== 'revoked';
    return {
      key: integration.key,
      name: integration.name,
      integrationId: integration.integrationId,
      state,
      detail: stateDetail(authorization),
      authorizedBy:
        showAuthorizer && authorization?.authorizer
          ? { displayName: authorization.authorizer.displayName, email: authorization.authorizer.email }
          : undefined,
      authorizedAt: showAuthorizer ? authorization?.grantedAt : undefined,
      presenceSharing: integration.presenceSharing,
      authorizeUrl: urls.start(integration.key),
      troubleshootUrl: urls.troubleshoot(integration.key),
    };
  });
  return {
    tenantName: tenant.name,
    sso: tenant.sso,
    passwordMaxAgeDays: deps.settings.passwordMaxAgeDays,
    linkExpiresAt: payload.expiresAt,
    integrations,
  };
}

/**
 * Shows how to unblock one integration in Control Hub.
 * 1. Verify the link.
 * 2. Find the integration in the catalog.
 * 3. Describe it with its Integration ID, a retry URL and the way back to the portal.
 */
export async function showTroubleshooting(
  deps: Pick<OnboardingDependencies, 'tenants' | 'linkKeys' | 'catalog' | 'clock' | 'settings'>,
  input: { linkToken: string; integration: string },
): Promise<TroubleshootingPageModel> {
  const { tenant } = await verifyOnboardingLink({
    token: input.linkToken,
    key: await deps.linkKeys.get(),
    clock: deps.clock,
    tenants: deps.tenants,
  });
  const integration = findIntegration(deps.catalog, input.integration);
  return troubleshootingModel(tenant, integration, portalUrls(deps.settings.publicBaseUrl, input.linkToken));
}

function troubleshootingModel(
  tenant: Tenant,
  integration: Integration,
  urls: ReturnType<typeof portalUrls>,
  denial?: TroubleshootingPageModel['denial'],
): TroubleshootingPageModel {
  return {
    tenantName: tenant.name,
    integration: { key: integration.key, name: integration.name, integrationId: integration.integrationId },
    retryUrl: urls.start(integration.key),
    portalUrl: urls.portal,
    ...(denial ? { denial } : {}),
  };
}

/**
 * Starts the OAuth authorization of one integration.
 * 1. Verify the link and find the integration.
 * 2. Create a state (256 random bits) and a PKCE verifier bound to tenant, integration, link version
 *    and the link's expiry (the callback's links never outlive it).
 * 3. Store the state's hash with the verifier (single use, ten minutes).
 * 4. Return Webex's authorize URL with the state and the S256 challenge, and the state itself,
 *    which the caller binds to the browser that asked (the login-CSRF defence of the public API).
 */
export async function startAuthorization(
  deps: Pick<
    OnboardingDependencies,
    'tenants' | 'oauthStates' | 'linkKeys' | 'catalog' | 'clock' | 'settings'
  >,
  input: { linkToken: string; integration: string },
): Promise<{ authorizeUrl: string; state: string }> {
  const { tenant, payload } = await verifyOnboardingLink({
    token: input.linkToken,
    key: await deps.linkKeys.get(),
    clock: deps.clock,
    tenants: deps.tenants,
  });
  const integration = findIntegration(deps.catalog, input.integration);
  const attempt = await createOAuthAttempt({
    tenantId: tenant.tenantId,
    integration: integration.key,
    linkVersion: tenant.linkVersion,
    linkExpiresAt: payload.expiresAt,
    clock: deps.clock,
  });
  await deps.oauthStates.put(attempt.record);
  const authorizeUrl = new URL(`${deps.settings.webexApiBaseUrl}/v1/authorize`);
  authorizeUrl.search = new URLSearchParams({
    response_type: 'code',
    client_id: integration.integrationId,
    redirect_uri: callbackUrl(deps.settings.publicBaseUrl),
    scope: integration.scopes.join(' '),
    state: attempt.state,
    code_challenge: attempt.codeChallenge,
    code_challenge_method: 'S256',
  }).toString();
  return { authorizeUrl: authorizeUrl.href, state: attempt.state };
}

/** The person checked against the tenant: who may authorize, and why not otherwise. */
type Refusal = NotAPersonError | NotFullAdminError | OrgMismatchError;

/**
 * Completes an authorization when Webex sends the admin back.
 * 1. Consume the state atomically: unknown, forged or replayed states stop here, nothing written.
 * 2. Check the tenant still accepts the link version the state was bound to, and the state's age.
 * 3. On `error` from Webex: record a `denied` history event, publish it (with an alert email unless
 *    one went out for this tenant and integration in the last DENIAL_ALERT_WINDOW_HOURS), show the
 *    troubleshooting page.
 * 4. Exchange the code with the stored PKCE verifier (Webex down: "try again", nothing written).
 * 5. Read the person and the org's roles; refuse non-persons, non-Full-Admins and another org than
 *    the tenant's (binding the org on the first success). Refused tokens are not kept; the refused
 *    grant is revoked at Webex by its id only when it can be told apart from every other grant.
 * 6. Store the token material in the vault FIRST, so a record never points at missing tokens.
 * 7. Save the authorization (active, authorizer, scopes, expiries from Webex's answer, next check)
 *    together with its history event.
 * 8. Publish `granted`, or `restored` when it replaces an invalid or degraded authorization, through
 *    the record's outbox (`pendingEvent`), so a failed publish is retried by the validator.
 * Every link this flow hands out (retry, portal) expires when the link it started from does.
 */
export async function completeAuthorization(
  deps: OnboardingDependencies,
  input: CallbackParameters,
): Promise<CallbackOutcome> {
  const record = await deps.oauthStates.consume(hashOAuthState(input.state));
  if (!record) throw new StateUnknownError();
  const tenant = await deps.tenants.get(record.tenantId);
  if (!tenant || tenant.status !== 'active' || tenant.linkVersion !== record.linkVersion) {
    throw new LinkRevokedError(record.tenantId);
  }
  const integration = findIntegration(deps.catalog, record.integration);
  // The state is spent, so every page from here offers a fresh start under the same link version,
  // expiring with the link the flow started from: looping start -> callback never extends a link.
  const link = issueOnboardingLink({
    tenant,
    key: await deps.linkKeys.get(),
    clock: deps.clock,
    expiresAt: linkExpiryOf(record),
    publicBaseUrl: deps.settings.publicBaseUrl,
  });
  const urls = portalUrls(deps.settings.publicBaseUrl, link.token);
  const retryUrl = urls.start(integration.key);
  if (isOAuthStateExpired(record, deps.clock.now())) throw new StateExpiredError(retryUrl);

  if (input.error !== undefined) {
    return recordDenial(deps, {
      tenant,
      integration,
      urls,
      error: input.error,
      description: input.errorDescription,
    });
  }
  if (input.code === undefined) throw new MissingCodeError(retryUrl);

  const grant = await exchangeCode(deps, integration, input.code, record.codeVerifier, retryUrl);
  const person = await readPerson(deps, grant.accessToken, retryUrl);
  const previous = await deps.authorizations.get(tenant.tenantId, integration.key);
  const refusal = await checkAuthorizer(deps, { tenant, person, accessToken: grant.accessToken, retryUrl });
  if (refusal) {
    await revokeRefusedGrant(deps, {
      integration,
      person,
      accessToken: grant.accessToken,
      attemptStartedAt: oauthAttemptStartedAt(record),
    });
    deps.log.info('Authorization refused', {
      tenantId: tenant.tenantId,
      integration: integration.key,
      reason: refusal.name,
    });
    throw refusal;
  }

  const now = deps.clock.now();
  const material = tokenMaterialOf(grant, now);
  // An existing authorization may be mid-refresh in the validator or a token reader: hold its
  // lease while the vault and the record change, or their vault write could land after ours and
  // leave the new record describing the old grant's tokens.
  const lease = previous ? await holdLease(deps, tenant.tenantId, integration.key, retryUrl) : undefined;
  const authorizer: Authorizer = {
    personId: person.id,
    email: primaryEmail(person),
    displayName: person.displayName,
    orgId: person.orgId,
    fullAdmin: true,
  };
  let granted: { saved: Authorization; event: AuthorizationEvent };
  try {
    const secretId = await deps.vault.store(tenant.tenantId, integration.key, material);
    granted = await saveGranted(deps, {
      tenant,
      integration,
      previous: lease?.record ?? previous,
      authorizer,
      secretId,
      scopes: grant.scope ? grant.scope.split(/\s+/).filter(Boolean) : [...integration.scopes],
      accessTokenExpiresAt: material.accessTokenExpiresAt,
      refreshTokenExpiresAt: material.refreshTokenExpiresAt,
      leaseOwner: lease?.owner,
    });
  } catch (error) {
    if (lease) await releaseLease(deps, lease);
    throw error;
  }
  const { saved, event } = granted;
  // The same email the validator sends when it replays this event from the outbox.
  const alert = buildAlert({
    event,
    tenant,
    integration,
    authorization: saved,
    reauthorizeLink: urls.portal,
    passwordMaxAgeDays: deps.settings.passwordMaxAgeDays,
  });
  await publishAndClear(deps, saved, event, alert);
  deps.log.info('Authorization granted', {
    tenantId: tenant.tenantId,
    integration: integration.key,
    eventType: event.type,
    version: saved.version,
  });

  const remaining = await remainingIntegrations(deps, tenant.tenantId, integration.key);
  return {
    kind: 'authorized',
    event,
    page: {
      tenantName: tenant.name,
      integrationName: integration.name,
      restored: event.type === 'restored',
      authorizer: { displayName: authorizer.displayName, email: authorizer.email },
      warnings: warningsFor(tenant, integration, deps.settings.passwordMaxAgeDays),
      remaining,
      portalUrl: urls.portal,
    },
  };
}

/** The warnings an authorizer must read right after authorizing. */
export function warningsFor(
  tenant: Pick<Tenant, 'sso'>,
  integration: Pick<Integration, 'presenceSharing'>,
  passwordMaxAgeDays: number,
): AuthorizationWarning[] {
  const warnings: AuthorizationWarning[] = [];
  if (!tenant.sso)
    warnings.push({ kind: 'password_expiry', text: passwordExpiryWarning(passwordMaxAgeDays) });
  if (integration.presenceSharing)
    warnings.push({ kind: 'presence_sharing', text: PRESENCE_SHARING_WARNING });
  return warnings;
}

/**
 * The expiry of the link the attempt started from; for a state written before states carried it
 * (at most ten minutes old at the upgrade), the state's own expiry, which is shorter.
 */
function linkExpiryOf(record: OAuthState): string {
  return record.linkExpiresAt ?? record.expiresAt;
}

function secondsFrom(now: Date, seconds: number): string {
  return new Date(now.getTime() + seconds * 1000).toISOString();
}

function primaryEmail(person: WebexPerson): string {
  return person.emails[0] ?? '';
}

async function recordDenial(
  deps: OnboardingDependencies,
  input: {
    tenant: Tenant;
    integration: Integration;
    urls: ReturnType<typeof portalUrls>;
    error: string;
    description?: string;
  },
): Promise<CallbackOutcome> {
  const { tenant, integration } = input;
  const previous = await deps.authorizations.get(tenant.tenantId, integration.key);
  const now = deps.clock.now();
  const lastAlertAt = await lastDenialAlertWithinWindow(deps, tenant.tenantId, integration.key, now);
  const event: AuthorizationEvent = {
    eventId: randomUUID(),
    type: 'denied',
    severity: 'warning',
    tenantId: tenant.tenantId,
    integration: integration.key,
    occurredAt: now.toISOString(),
    ...(previous ? { status: previous.status } : {}),
    summary: `Webex did not grant ${integration.name} for ${tenant.name} (${input.error}).`,
    alertedAt: lastAlertAt ?? now.toISOString(),
  };
  await deps.history.append(event);
  const alert = lastAlertAt === undefined ? denialAlert(tenant, integration, input.error) : undefined;
  await publishQuietly(deps, event, alert);
  deps.log.info('Authorization denied by Webex', {
    tenantId: tenant.tenantId,
    integration: integration.key,
    webexError: input.error,
    alerted: alert !== undefined,
  });
  return {
    kind: 'denied',
    event,
    page: troubleshootingModel(tenant, integration, input.urls, {
      error: input.error,
      ...(input.description ? { description: input.description } : {}),
    }),
  };
}

/**
 * When the last denial alert of this tenant and integration went out, if that was less than
 * DENIAL_ALERT_WINDOW_HOURS ago: read from the newest denial of the integration among the tenant's
 * newest history items (each denial carries the time of the last alert forward). Two denials at the
 * same instant may both alert: this reads, it does not lock.
 */
async function lastDenialAlertWithinWindow(
  deps: Pick<OnboardingDependencies, 'history'>,
  tenantId: string,
  integration: string,
  now: Date,
): Promise<string | undefined> {
  const { items } = await deps.history.list(tenantId, { limit: DENIAL_HISTORY_LOOKBACK });
  const last = items.find((event) => event.type === 'denied' && event.integration === integration);
  if (!last) return undefined;
  // Denials recorded before events carried `alertedAt` were all alerted.
  const alertedAt = last.alertedAt ?? last.occurredAt;
  const age = now.getTime() - Date.parse(alertedAt);
  return age >= 0 && age < DENIAL_ALERT_WINDOW_HOURS * 3_600_000 ? alertedAt : undefined;
}

function denialAlert(tenant: Tenant, integration: Integration, error: string): AlertMessage {
  return {
    subject: `Webex authorization denied: ${integration.name} (${tenant.name})`,
    text: [
      `An administrator of ${tenant.name} tried to authorize "${integration.name}" and Webex did not grant it (${error}).`,
      '',
      'Most often the integration is blocked for the organization. A Webex Full Administrator can allow it:',
      '1. Sign in to Webex Control Hub (https://admin.webex.com).',
      '2. Open Apps, then Integrations.',
      `3. Find the integration with ID ${integration.integrationId}.`,
      '4. Authorize it for the organization, then retry from the onboarding link.',
    ].join('\n'),
  };
}

async function exchangeCode(
  deps: OnboardingDependencies,
  integration: Integration,
  code: string,
  codeVerifier: string,
  retryUrl: string,
): Promise<WebexTokenGrant> {
  const clientSecret = await deps.clientSecrets.get(integration.key);
  try {
    return await deps.webex.exchangeCode({
      clientId: integration.integrationId,
      clientSecret,
      code,
      codeVerifier,
      redirectUri: callbackUrl(deps.settings.publicBaseUrl),
    });
  } catch (error) {
    if (!(error instanceof WebexError)) throw error;
    deps.log.warn('Webex refused or failed the code exchange', {
      integration: integration.key,
      kind: error.kind,
      status: error.details.status,
      trackingId: error.details.trackingId,
    });
    if (error.kind === 'transient') throw new WebexUnavailableError(retryUrl, error.details.trackingId);
    throw new CodeRefusedError(retryUrl, error.details.trackingId);
  }
}

async function readPerson(
  deps: OnboardingDependencies,
  accessToken: string,
  retryUrl: string,
): Promise<WebexPerson> {
  try {
    return await deps.webex.getMe(accessToken);
  } catch (error) {
    if (error instanceof WebexError && error.kind === 'transient') {
      throw new WebexUnavailableError(retryUrl, error.details.trackingId);
    }
    throw error;
  }
}

/** Whether the person holds the Full Administrator role; non-admins may not list roles at all. */
async function isFullAdmin(
  deps: OnboardingDependencies,
  accessToken: string,
  person: WebexPerson,
  retryUrl: string,
) {
  try {
    const roles = await deps.webex.listRoles(accessToken);
    const fullAdmin = roles.find(
      (role) => role.name.trim().toLowerCase() === FULL_ADMIN_ROLE_NAME.toLowerCase(),
    );
    return fullAdmin !== undefined && person.roles.includes(fullAdmin.id);
  } catch (error) {
    if (!(error instanceof WebexError)) throw error;
    if (error.kind === 'transient') throw new WebexUnavailableError(retryUrl, error.details.trackingId);
    if (error.kind === 'forbidden' || error.kind === 'unauthorized') return false;
    throw error;
  }
}

async function checkAuthorizer(
  deps: OnboardingDependencies,
  input: { tenant: Tenant; person: WebexPerson; accessToken: string; retryUrl: string },
): Promise<Refusal | undefined> {
  const { tenant, person, retryUrl } = input;
  const email = primaryEmail(person);
  if (person.type !== 'person') return new NotAPersonError(person.type, retryUrl);
  if (!(await isFullAdmin(deps, input.accessToken, person, retryUrl)))
    return new NotFullAdminError(email, retryUrl);
  if (tenant.orgId !== undefined && tenant.orgId !== person.orgId)
    return new OrgMismatchError(email, retryUrl);
  // Binds the tenant on its first success; false when another request bound another org meanwhile.
  if (!(await deps.tenants.bindOrg(tenant.tenantId, person.orgId)))
    return new OrgMismatchError(email, retryUrl);
  return undefined;
}

/**
 * Revokes a refused grant at Webex, and only that grant. Webex's `DELETE /v1/authorizations?
 * clientId=&orgId=` revokes every authorization of the integration in the person's org, which for
 * an org mismatch is another tenant's live one: never used here. Instead the person's own
 * authorizations are listed and the refused grant deleted by its id, when it is the person's only
 * `refresh` authorization of this integration and was created during this attempt (so it is not an
 * older grant some tenant relies on that Webex handed back again). Anything else (several grants,
 * an older one, no Authorizations API client) is skipped. A 403 (the token lacks
 * `identity:tokens_read`/`_write`, or the person is not an admin) or any other Webex failure is
 * logged and ignored: the refused tokens are discarded either way and the refusal stands.
 */
async function revokeRefusedGrant(
  deps: OnboardingDependencies,
  input: { integration: Integration; person: WebexPerson; accessToken: string; attemptStartedAt: Date },
): Promise<void> {
  const { integration, person, accessToken } = input;
  const { webex } = deps;
  if (!webex.listAuthorizations || !webex.deleteAuthorization) {
    deps.log.info('Refused grant not revoked: no way to revoke it alone', { integration: integration.key });
    return;
  }
  try {
    const grants = (await webex.listAuthorizations(accessToken, person.id)).filter(
      (item) =>
        item.type === 'refresh' && item.clientId === integration.integrationId && item.personId === person.id,
    );
    // Webex gives `created` in whole seconds: compare against the second the attempt started in.
    const startedAt = Math.floor(input.attemptStartedAt.getTime() / 1000) * 1000;
    const [grant] = grants;
    if (grants.length !== 1 || !grant || !(Date.parse(grant.created) >= startedAt)) {
      deps.log.info('Refused grant not revoked: it cannot be told apart from another grant', {
        integration: integration.key,
        grants: grants.length,
      });
      return;
    }
    await webex.deleteAuthorization(accessToken, grant.id);
    deps.log.info('Refused grant revoked at Webex', { integration: integration.key });
  } catch (error) {
    if (!(error instanceof WebexError)) throw error;
    deps.log.info('Refused grant could not be revoked at Webex', {
      integration: integration.key,
      kind: error.kind,
      status: error.details.status,
      trackingId: error.details.trackingId,
    });
  }
}

/**
 * Saves the new authorization with its event in the outbox (outbox.ts), composed again from the
 * reread record when a validator wrote meanwhile.
 */
async function saveGranted(
  deps: OnboardingDependencies,
  input: {
    tenant: Tenant;
    integration: Integration;
    previous: Authorization | undefined;
    authorizer: Authorizer;
    secretId: string;
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
      authorizer: input.authorizer,
      scopes: input.scopes,
      accessTokenExpiresAt: input.accessTokenExpiresAt,
      refreshTokenExpiresAt: input.refreshTokenExpiresAt,
      grantedAt: nowIso,
      // The person was just read with the new token: that is a successful validation.
      validatedAt: nowIso,
      consecutiveFailures: 0,
      secretId: input.secretId,
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

/** How long the callback waits for a validator or token reader to let go of an authorization. */
const LEASE_WAIT_MS = 5_000;
/** Long enough for the vault and record writes; it frees itself if this invocation dies. */
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

function grantedEvent(
  tenant: Tenant,
  integration: Integration,
  authorizer: Authorizer,
  previousStatus: AuthorizationStatus | undefined,
  occurredAt: string,
): AuthorizationEvent {
  const restored = previousStatus === 'invalid' || previousStatus === 'degraded';
  return {
    eventId: randomUUID(),
    type: restored ? 'restored' : 'granted',
    severity: 'info',
    tenantId: tenant.tenantId,
    integration: integration.key,
    occurredAt,
    status: 'active',
    ...(previousStatus ? { previousStatus } : {}),
    summary: `${integration.name} ${restored ? 're-authorized' : 'authorized'} for ${tenant.name} by ${authorizer.email}.`,
    authorizerEmail: authorizer.email,
  };
}

/**
 * Publishes the event saved in the record's outbox, then clears the marker. A publishing failure
 * leaves the marker for the validator to publish later: the authorization is stored, so the admin
 * still sees success.
 */
async function publishAndClear(
  deps: OnboardingDependencies,
  saved: Authorization,
  event: AuthorizationEvent,
  alert: AlertMessage,
): Promise<void> {
  if (await publishQuietly(deps, event, alert)) await clearPendingEvent(deps, saved, event);
}

/**
 * Publishes after the write that matters is done (history holds the event), so a bus or topic
 * failure must not turn a stored authorization into an error page: it is logged loudly instead.
 * Returns whether the event went out.
 */
async function publishQuietly(
  deps: OnboardingDependencies,
  event: AuthorizationEvent,
  alert?: AlertMessage,
): Promise<boolean> {
  try {
    await deps.events.publish(event, alert);
    return true;
  } catch (error) {
    deps.log.error('Publishing an authorization event failed', {
      eventId: event.eventId,
      eventType: event.type,
      tenantId: event.tenantId,
      integration: event.integration,
      error: error instanceof Error ? error.name : 'unknown',
    });
    return false;
  }
}

/** Names of the catalog integrations still without a working authorization for the tenant. */
async function remainingIntegrations(deps: OnboardingDependencies, tenantId: string, justGranted: string) {
  const working = new Set(
    (await deps.authorizations.listForTenant(tenantId))
      .filter((record) => CHECKABLE_STATUSES.includes(record.status))
      .map((record) => record.integration),
  );
  working.add(justGranted);
  return deps.catalog.integrations
    .filter((integration) => !working.has(integration.key))
    .map((integration) => integration.name);
}
