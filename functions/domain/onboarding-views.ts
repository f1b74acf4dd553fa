/*
 * What the onboarding use cases answer: view models of the portal, the success page and the
 * troubleshooting page, in plain words and URLs; functions/http/pages renders them.
 */

/** Where one integration stands for the tenant, as the portal shows it. */
export type PortalIntegrationState =
  'not_authorized' | 'active' | 'expiring' | 'degraded' | 'invalid' | 'revoked';

/** One row of the portal. */
export interface PortalIntegrationView {
  key: string;
  name: string;
  integrationId: string;
  state: PortalIntegrationState;
  /** Plain words on the state (for invalid: the cause). */
  detail?: string;
  authorizedBy?: { displayName: string; email: string };
  authorizedAt?: string;
  presenceSharing: boolean;
  authorizeUrl: string;
  troubleshootUrl: string;
  /** The name of the catalog's Service App that can replace this integration, when it names one. */
  recommendedServiceApp?: string;
}

/** One Service App card of the portal: how to authorize it in Control Hub, and where it stands. */
export interface PortalServiceAppView {
  key: string;
  name: string;
  /** Control Hub's Service App ID, to copy into its search. */
  applicationId: string;
  state: PortalIntegrationState;
  detail?: string;
  authorizedAt?: string;
  /** What the "I have authorized it" button posts. */
  confirmUrl: string;
}

/** Everything the portal page shows. */
export interface PortalPageModel {
  tenantName: string;
  sso: boolean;
  passwordMaxAgeDays: number;
  linkExpiresAt: string;
  integrations: PortalIntegrationView[];
  serviceApps: PortalServiceAppView[];
}

/** A warning that applies to the authorization just granted. */
export interface AuthorizationWarning {
  kind: 'password_expiry' | 'presence_sharing';
  text: string;
}

/** Everything the page after a successful authorization shows. */
export interface SuccessPageModel {
  tenantName: string;
  integrationName: string;
  /** True when this replaced an invalid or degraded authorization. */
  restored: boolean;
  /** The person who consented; absent for a Service App, which a Full Admin authorized in Control Hub. */
  authorizer?: { displayName: string; email: string };
  warnings: AuthorizationWarning[];
  /** Names of the catalog integrations still not active for this tenant. */
  remaining: string[];
  portalUrl: string;
}

/** Everything the troubleshooting page of one integration shows. */
export interface TroubleshootingPageModel {
  tenantName: string;
  integration: { key: string; name: string; integrationId: string };
  /** Starts a new authorization of this integration. */
  retryUrl: string;
  portalUrl: string;
  /** Present when we got here because Webex sent the admin back with an error. */
  denial?: { error: string; description?: string };
}
