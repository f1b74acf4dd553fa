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
}

/** Everything the portal page shows. */
export interface PortalPageModel {
  tenantName: string;
  sso: boolean;
  passwordMaxAgeDays: number;
  linkExpiresAt: string;
  integrations: PortalIntegrationView[];
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
  authorizer: { displayName: string; email: string };
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
