import type { Integration } from './catalog.js';
import type { AuthorizationEvent, Authorizer, OAuthState } from './model.js';
import { primaryEmail, readAuthorizer, refusalOf, type Refusal } from './onboarding-authorizer.js';
import { oauthErrorCodeOf, recordDenial } from './onboarding-denials.js';
import {
  CodeRefusedError,
  MissingCodeError,
  StateExpiredError,
  StateUnknownError,
  WebexUnavailableError,
} from './onboarding-errors.js';
import { assertTenantAcceptsLink, issueOnboardingLink, verifyOnboardingLink } from './onboarding-link.js';
import {
  callbackUrl,
  findIntegration,
  offeredIntegration,
  portalUrls,
  remainingIntegrationsOf,
  warningsFor,
} from './onboarding-portal.js';
import { keepGrantInTenantOrg } from './onboarding-org-binding.js';
import { revokeRefusedGrant } from './onboarding-refused-grant.js';
import {
  createOAuthAttempt,
  hashOAuthState,
  isOAuthStateExpired,
  oauthAttemptStartedAt,
} from './oauth-state.js';
import type { SuccessPageModel, TroubleshootingPageModel } from './onboarding-views.js';
import {
  WebexError,
  type Ports,
  type VendorTokenSource,
  type WebexClient,
  type WebexPersonAuthorizations,
  type WebexServiceAppTokens,
  type WebexTokenGrant,
} from './ports.js';
import { passwordMaxAgeDaysOf, signsInWithSso } from './password-policy.js';
import { startedEarly } from './concurrency.js';

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
  /**
   * The vendor's own tenant (VENDOR_TENANT_ID): its portal alone offers the catalog's vendor-only
   * integrations, and its authorization of the vendor token integration calls the Service App
   * token endpoint (docs/service-apps.md). Unset, no Service App can be fetched.
   */
  vendorTenantId?: string;
}

/**
 * The ports the onboarding use cases work with. Listing and deleting a person's grants is optional
 * on the Webex client: without it a refused grant is left for the admin (onboarding-refused-grant.ts).
 */
export interface OnboardingDependencies extends Pick<
  Ports,
  | 'tenants'
  | 'authorizations'
  | 'history'
  | 'oauthStates'
  | 'vault'
  | 'events'
  | 'clientSecrets'
  | 'linkKeys'
  | 'catalog'
  | 'clock'
  | 'log'
> {
  webex: WebexClient & Partial<WebexPersonAuthorizations>;
  settings: OnboardingSettings;
  /**
   * The Service App token endpoint and the vendor token that calls it; without them the portal's
   * "I have authorized it" answers that Service Apps cannot be fetched right now.
   */
  serviceAppTokens?: ServiceAppTokenPorts;
}

/** What fetching an org's Service App tokens takes: Webex's endpoint and the vendor's own token. */
export interface ServiceAppTokenPorts {
  webex: WebexServiceAppTokens;
  vendorToken: VendorTokenSource;
}

/** The callback's parameters, already checked for shape (single, bounded) by the handler. */
export interface CallbackParameters {
  state: string;
  /**
   * The tenant the browser's attempt started for, as its binding cookie names it: read beside the
   * state, and used only when the state names the same tenant (the state alone is trusted).
   */
  tenantHint?: string;
  code?: string;
  error?: string;
  errorDescription?: string;
}

/** What the callback led to: a stored authorization, or Webex's refusal. */
export type CallbackOutcome =
  | { kind: 'authorized'; page: SuccessPageModel; event: AuthorizationEvent }
  | { kind: 'denied'; page: TroubleshootingPageModel; event: AuthorizationEvent };

/**
 * Starts the OAuth authorization of one integration.
 * 1. Verify the link and find the integration (a vendor-only one for the vendor's tenant alone).
 * 2. Create a state (256 random bits) and a PKCE verifier bound to tenant, integration, link version
 *    and the link's expiry (the callback's links never outlive it).
 * 3. Store the state's hash with the verifier (single use, ten minutes).
 * 4. Return Webex's authorize URL with the state and the S256 challenge, and the state itself,
 *    which the caller binds to the browser that asked (the login-CSRF defence of the public API),
 *    with the tenant's id (the binding names it, so the callback reads the tenant beside the state).
 */
export async function startAuthorization(
  deps: Pick<
    OnboardingDependencies,
    'tenants' | 'oauthStates' | 'linkKeys' | 'catalog' | 'clock' | 'settings'
  >,
  input: { linkToken: string; integration: string },
): Promise<{ authorizeUrl: string; state: string; tenantId: string }> {
  const { tenant, payload } = await verifyOnboardingLink({
    token: input.linkToken,
    key: await deps.linkKeys.get(),
    clock: deps.clock,
    tenants: deps.tenants,
  });
  const integration = offeredIntegration(
    deps.catalog,
    tenant,
    input.integration,
    deps.settings.vendorTenantId,
  );
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
  return { authorizeUrl: authorizeUrl.href, state: attempt.state, tenantId: tenant.tenantId };
}

/**
 * Completes an authorization when Webex sends the admin back.
 * 1. Consume the state atomically: unknown, forged or replayed states stop here, nothing written.
 *    The tenant the browser's cookie names is read meanwhile, kept only if the state names it.
 * 2. Check the tenant still accepts the link version the state was bound to, and the state's age.
 * 3. On `error` from Webex (one of RFC 6749's codes; any other text is `unknown_error` and is never
 *    repeated): record a `denied` history event, publish it (with an alert email unless one went
 *    out for this tenant and integration in the last DENIAL_ALERT_WINDOW_HOURS), show the
 *    troubleshooting page.
 * 4. Exchange the code with the stored PKCE verifier (Webex down: "try again", nothing written).
 * 5. Read the person and the org's roles, with the tenant's authorizations (the record this grant
 *    replaces among them), together (one round trip); refuse non-persons, non-Full-Admins and
 *    another org than the tenant's. Refused tokens are not kept; the refused grant is revoked at
 *    Webex by its id only when it can be told apart from every other grant.
 * 6. Seal the token material for this tenant and integration (TokenVault).
 * 7. Save the authorization (active, authorizer, scopes, expiries from Webex's answer, next check,
 *    the sealed tokens) together with its history event and the tenant's org, in one conditional
 *    write: the record and its tokens are never apart, and the grant is stored only while the
 *    tenant is the authorizer's org's. A first success binds the org there, with an `org_bound`
 *    history event that tells ops, with the command that undoes it (onboarding-org-binding.ts).
 * 8. Publish `granted`, or `restored` when it replaces an invalid or degraded authorization, through
 *    the record's outbox (`pendingEvent`), so a failed publish is retried by the validator.
 * Every link this flow hands out (retry, portal) expires when the link it started from does.
 */
export async function completeAuthorization(
  deps: OnboardingDependencies,
  input: CallbackParameters,
): Promise<CallbackOutcome> {
  const hinted =
    input.tenantHint === undefined ? undefined : startedEarly(deps.tenants.get(input.tenantHint));
  const record = await deps.oauthStates.consume(hashOAuthState(input.state));
  if (!record) throw new StateUnknownError();
  // The link key and the client secret are the deployment's, kept per container for minutes
  // (secrets-manager-vault.ts): a cold container reads them while the tenant is read, not after.
  // Each is awaited where it is needed, so the errors come in the same order as ever.
  const linkKey = startedEarly(deps.linkKeys.get());
  const clientSecret =
    input.code === undefined ? undefined : startedEarly(deps.clientSecrets.get(record.integration));
  const tenant = await (hinted && record.tenantId === input.tenantHint
    ? hinted
    : deps.tenants.get(record.tenantId));
  assertTenantAcceptsLink(record.tenantId, tenant, record.linkVersion);
  const integration = findIntegration(deps.catalog, record.integration);
  // The state is spent, so every page from here offers a fresh start under the same link version,
  // expiring with the link the flow started from: looping start -> callback never extends a link.
  const link = issueOnboardingLink({
    tenant,
    key: await linkKey,
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
      error: oauthErrorCodeOf(input.error),
      description: input.errorDescription,
    });
  }
  if (input.code === undefined || clientSecret === undefined) throw new MissingCodeError(retryUrl);

  const grant = await exchangeCode(deps, integration, {
    code: input.code,
    codeVerifier: record.codeVerifier,
    clientSecret: await clientSecret,
    retryUrl,
  });
  // The person, the roles and the tenant's authorizations (a consistent read: the record this
  // grant replaces, and what the portal will still lack) are independent reads: one round trip.
  const [answers, authorizations] = await Promise.all([
    readAuthorizer(deps, grant.accessToken, retryUrl),
    deps.authorizations.listForTenant(tenant.tenantId),
  ]);
  const previous = authorizations.find((stored) => stored.integration === integration.key);
  const { person } = answers;
  // Refused tokens are not kept, and the refused grant is revoked at Webex when it can be.
  const refuse = async (refusal: Refusal): Promise<never> => {
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
  };
  const refusal = refusalOf({ tenant, answers, retryUrl });
  if (refusal) return refuse(refusal);
  const authorizer: Authorizer = {
    personId: person.id,
    email: primaryEmail(person),
    displayName: person.displayName,
    orgId: person.orgId,
    fullAdmin: true,
  };
  const kept = await keepGrantInTenantOrg(deps, {
    tenant,
    integration,
    previous,
    authorizer,
    person,
    grant,
    retryUrl,
  });
  if ('refusal' in kept) return refuse(kept.refusal);
  const { saved, event } = kept;
  deps.log.info('Authorization granted', {
    tenantId: tenant.tenantId,
    integration: integration.key,
    eventType: event.type,
    version: saved.version,
  });
  return {
    kind: 'authorized',
    event,
    page: {
      tenantName: tenant.name,
      integrationName: integration.name,
      restored: event.type === 'restored',
      authorizer: { displayName: authorizer.displayName, email: authorizer.email },
      warnings: warningsFor(
        { sso: signsInWithSso(tenant, authorizer) },
        integration,
        passwordMaxAgeDaysOf(tenant, deps.settings.passwordMaxAgeDays),
      ),
      // The integration just granted counts as done, whatever the earlier read saw of it.
      remaining: remainingIntegrationsOf(deps.catalog, authorizations, integration.key),
      portalUrl: urls.portal,
    },
  };
}

/**
 * The expiry of the link the attempt started from; for a state written before states carried it
 * (at most ten minutes old at the upgrade), the state's own expiry, which is shorter.
 */
function linkExpiryOf(record: OAuthState): string {
  return record.linkExpiresAt ?? record.expiresAt;
}

async function exchangeCode(
  deps: OnboardingDependencies,
  integration: Integration,
  input: { code: string; codeVerifier: string; clientSecret: string; retryUrl: string },
): Promise<WebexTokenGrant> {
  const { code, codeVerifier, clientSecret, retryUrl } = input;
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
