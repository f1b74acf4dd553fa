import type { Catalog, Integration, ServiceApp } from './catalog.js';
import { LIVE_STATUSES, type Authorization, type Tenant } from './model.js';
import { UnknownIntegrationError } from './onboarding-errors.js';
import { verifyOnboardingLink } from './onboarding-link.js';
import type { OnboardingDependencies } from './onboarding.js';
import type {
  AuthorizationWarning,
  PortalIntegrationState,
  PortalIntegrationView,
  PortalPageModel,
  PortalServiceAppView,
  TroubleshootingPageModel,
} from './onboarding-views.js';
import { PRESENCE_SHARING_WARNING, describeInvalidationCause, passwordExpiryWarning } from './wording.js';
import { passwordMaxAgeDaysOf } from './password-policy.js';

/*
 * The onboarding portal's queries: what the portal, the troubleshooting page and the success page
 * show of a tenant's integrations. They read; only the callback (onboarding.ts) writes.
 */

/** The portal's URLs of one onboarding link. */
export type PortalUrls = ReturnType<typeof portalUrls>;

/** The portal's URLs, all absolute on PUBLIC_BASE_URL so they survive any stage prefix. */
export function portalUrls(publicBaseUrl: string, linkToken: string) {
  const link = encodeURIComponent(linkToken);
  return {
    portal: `${publicBaseUrl}/connect/${link}`,
    start: (integration: string) =>
      `${publicBaseUrl}/oauth/start?link=${link}&integration=${encodeURIComponent(integration)}`,
    troubleshoot: (integration: string) =>
      `${publicBaseUrl}/troubleshoot/${encodeURIComponent(integration)}?link=${link}`,
    /** What the Service App card's "I have authorized it" button posts. */
    confirmServiceApp: (serviceApp: string) =>
      `${publicBaseUrl}/service-apps/confirm?link=${link}&serviceApp=${encodeURIComponent(serviceApp)}`,
  };
}

/** The redirect URI registered with every catalog integration. */
export function callbackUrl(publicBaseUrl: string): string {
  return `${publicBaseUrl}/oauth/callback`;
}

/** The catalog's integration by key; UnknownIntegrationError when it lists none. */
export function findIntegration(catalog: Catalog, key: string): Integration {
  const integration = catalog.find(key);
  if (!integration) throw new UnknownIntegrationError(key);
  return integration;
}

/**
 * The integration `key` names, when the tenant's portal offers it: a vendor-only integration is
 * no customer's to authorize or troubleshoot, whatever a crafted URL names.
 */
export function offeredIntegration(
  catalog: Catalog,
  tenant: Pick<Tenant, 'tenantId'>,
  key: string,
  vendorTenantId: string | undefined,
): Integration {
  const integration = findIntegration(catalog, key);
  if (integration.vendorOnly && tenant.tenantId !== vendorTenantId) throw new UnknownIntegrationError(key);
  return integration;
}

function portalState(authorization: Authorization | undefined): PortalIntegrationState {
  if (!authorization || authorization.status === 'pending') return 'not_authorized';
  // Our checks failing says nothing against the customer's authorization: shown as "checks troubled".
  if (authorization.status === 'check_failing') return 'degraded';
  return authorization.status;
}

function stateDetail(authorization: Authorization | undefined): string | undefined {
  switch (authorization?.status) {
    case 'invalid':
      return describeInvalidationCause(authorization.cause ?? 'unknown', authorization.confidence);
    case 'expiring':
      return (
        authorization.causeDetail ??
        'It will stop working soon unless it is re-authorized. Re-authorize now to keep it running.'
      );
    case 'degraded':
      return 'Webex has been failing or slow when we checked it; we keep retrying. No action is needed unless this lasts.';
    case 'revoked':
      return 'It was revoked when the service was stopped for your organization.';
    case 'check_failing':
      return 'Our own checks of it are failing; our team has been alerted. No action is needed from you.';
    default:
      return undefined;
  }
}

/**
 * Shows the tenant's portal.
 * 1. Verify the link (signature, expiry, tenant active, link version current).
 * 2. Read the tenant's authorizations.
 * 3. Describe every catalog integration (and, on the vendor's own tenant, the vendor-only ones):
 *    state, cause in plain words, authorizer, actions, and the Service App that can replace it.
 * 4. Describe every catalog Service App: its Control Hub ID, state and confirm button.
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
  const offered =
    tenant.tenantId === deps.settings.vendorTenantId
      ? [...deps.catalog.integrations, ...deps.catalog.vendorIntegrations]
      : deps.catalog.integrations;
  const integrations = offered.map((integration): PortalIntegrationView => {
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
      ...optionalName(deps.catalog.replacementFor(integration.key)),
    };
  });
  const serviceApps = deps.catalog.serviceApps.map((app): PortalServiceAppView => {
    const authorization = authorizations.get(app.key);
    const state = portalState(authorization);
    return {
      key: app.key,
      name: app.name,
      applicationId: app.applicationId,
      state,
      detail: stateDetail(authorization),
      authorizedAt: state === 'not_authorized' || state === 'revoked' ? undefined : authorization?.grantedAt,
      confirmUrl: urls.confirmServiceApp(app.key),
    };
  });
  return {
    tenantName: tenant.name,
    sso: tenant.sso,
    passwordMaxAgeDays: passwordMaxAgeDaysOf(tenant, deps.settings.passwordMaxAgeDays),
    linkExpiresAt: payload.expiresAt,
    integrations,
    serviceApps,
  };
}

function optionalName(serviceApp: ServiceApp | undefined): { recommendedServiceApp?: string } {
  return serviceApp ? { recommendedServiceApp: serviceApp.name } : {};
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
  const integration = offeredIntegration(
    deps.catalog,
    tenant,
    input.integration,
    deps.settings.vendorTenantId,
  );
  return troubleshootingModel(tenant, integration, portalUrls(deps.settings.publicBaseUrl, input.linkToken));
}

/** The troubleshooting page of one integration, with Webex's refusal when there was one. */
export function troubleshootingModel(
  tenant: Tenant,
  integration: Integration,
  urls: PortalUrls,
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

/** Names of the catalog integrations still without a working authorization for the tenant. */
export async function remainingIntegrations(
  deps: OnboardingDependencies,
  tenantId: string,
  justGranted: string,
) {
  return remainingIntegrationsOf(
    deps.catalog,
    await deps.authorizations.listForTenant(tenantId),
    justGranted,
  );
}

/**
 * Names of the catalog integrations without a working authorization among the tenant's `records`,
 * `justGranted` counted as working whatever its record says.
 */
export function remainingIntegrationsOf(
  catalog: OnboardingDependencies['catalog'],
  records: readonly Authorization[],
  justGranted: string,
): string[] {
  const working = new Set(
    records.filter((record) => LIVE_STATUSES.includes(record.status)).map((record) => record.integration),
  );
  working.add(justGranted);
  return catalog.integrations
    .filter((integration) => !working.has(integration.key))
    .map((integration) => integration.name);
}
