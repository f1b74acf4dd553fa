import type { ServiceApp } from './catalog.js';
import type { Authorization, AuthorizationEvent, Tenant } from './model.js';
import {
  ServiceAppNotAuthorizedError,
  ServiceAppUnavailableError,
  TenantOrgUnknownError,
  UnknownIntegrationError,
} from './onboarding-errors.js';
import { keepGrant } from './onboarding-grant.js';
import { verifyOnboardingLink } from './onboarding-link.js';
import { portalUrls, remainingIntegrations } from './onboarding-portal.js';
import type { OnboardingDependencies } from './onboarding.js';
import type { SuccessPageModel } from './onboarding-views.js';
import type { WebexTokenGrant } from './ports.js';
import { askServiceAppTokenEndpoint } from './service-app-token-endpoint.js';

/*
 * Onboarding a Service App: a Full Admin authorizes it in Control Hub, then presses "I have
 * authorized it" on the portal, and we fetch the org's token pair from Webex's token endpoint with
 * the vendor's own token. The pair is stored as an authorization like any other, under the Service
 * App's catalog key, with no authorizer: no person's password, deactivation or roles end it.
 */

/** The catalog's Service App by key; UnknownIntegrationError when it lists none. */
export function findServiceApp(deps: Pick<OnboardingDependencies, 'catalog'>, key: string): ServiceApp {
  const serviceApp = deps.catalog.findServiceApp(key);
  if (!serviceApp) throw new UnknownIntegrationError(key);
  return serviceApp;
}

/** What storing a fetched Service App token pair gave: the record and its event. */
export interface StoredServiceAppGrant {
  saved: Authorization;
  event: AuthorizationEvent;
}

/**
 * Confirms a Service App the tenant's admin says is authorized in Control Hub.
 * 1. Verify the link and find the Service App in the catalog.
 * 2. Refuse a tenant without a Webex org (nothing to ask the token endpoint for).
 * 3. Fetch the org's token pair with the vendor token: a 403 means the app is not authorized in
 *    Control Hub yet (ServiceAppNotAuthorizedError); any other failure is ours or Webex's
 *    (ServiceAppUnavailableError). Either way nothing is written.
 * 4. Seal and save the pair as an active authorization without authorizer, with its `granted` or
 *    `restored` event, and publish it through the record's outbox.
 */
export async function confirmServiceApp(
  deps: OnboardingDependencies,
  input: { linkToken: string; serviceApp: string },
): Promise<SuccessPageModel> {
  const { tenant } = await verifyOnboardingLink({
    token: input.linkToken,
    key: await deps.linkKeys.get(),
    clock: deps.clock,
    tenants: deps.tenants,
  });
  const serviceApp = findServiceApp(deps, input.serviceApp);
  const urls = portalUrls(deps.settings.publicBaseUrl, input.linkToken);
  const retryUrl = urls.confirmServiceApp(serviceApp.key);
  if (tenant.orgId === undefined) throw new TenantOrgUnknownError();
  const grant = await fetchOrgTokens(deps, { tenant, orgId: tenant.orgId, serviceApp, retryUrl });
  const { saved, event } = await storeServiceAppGrant(deps, { tenant, serviceApp, grant, retryUrl });
  deps.log.info('Service App authorization stored', {
    tenantId: tenant.tenantId,
    integration: serviceApp.key,
    eventType: event.type,
    version: saved.version,
  });
  return {
    tenantName: tenant.name,
    integrationName: serviceApp.name,
    restored: event.type === 'restored',
    warnings: [],
    remaining: await remainingIntegrations(deps, tenant.tenantId, serviceApp.key),
    portalUrl: urls.portal,
  };
}

/** The org's Service App token pair, or the refusal as the portal explains it. */
async function fetchOrgTokens(
  deps: OnboardingDependencies,
  input: { tenant: Tenant; orgId: string; serviceApp: ServiceApp; retryUrl: string },
): Promise<WebexTokenGrant> {
  const { serviceApp, retryUrl } = input;
  const answer = await askServiceAppTokenEndpoint(deps, {
    tenantId: input.tenant.tenantId,
    orgId: input.orgId,
    serviceApp,
  });
  if (answer.kind === 'granted') return answer.grant;
  const trackingId = answer.outcome?.trackingId;
  if (answer.kind === 'not_authorized')
    throw new ServiceAppNotAuthorizedError(serviceApp.name, retryUrl, trackingId);
  throw new ServiceAppUnavailableError(retryUrl, trackingId);
}

/**
 * Seals the pair for the tenant and the Service App's key and saves it as an active authorization
 * without authorizer, holding the lease of a record it replaces; then publishes its event.
 */
export async function storeServiceAppGrant(
  deps: OnboardingDependencies,
  input: { tenant: Tenant; serviceApp: ServiceApp; grant: WebexTokenGrant; retryUrl: string },
): Promise<StoredServiceAppGrant> {
  const { tenant, serviceApp, grant } = input;
  const previous = await deps.authorizations.get(tenant.tenantId, serviceApp.key);
  return keepGrant(deps, {
    tenant,
    integration: serviceApp,
    previous,
    authorizer: undefined,
    grant,
    retryUrl: input.retryUrl,
  });
}
