import type { ServiceApp } from './catalog.js';
import { outcomeOf, type CallOutcome } from './classification.js';
import type { ServiceAppTokenPorts } from './onboarding.js';
import {
  VendorTokenUnavailableError,
  type ClientSecretSource,
  type Log,
  type WebexTokenGrant,
} from './ports.js';

/*
 * One question to Webex's Service App token endpoint, for one org, with the vendor's own token:
 * the portal's "I have authorized it" and the `serviceApp` webhook both ask it, and read its answer
 * the same way. Only its 403 says the org does not authorize the app; every other failure (no
 * vendor token, a refusal of the vendor token or of the app's credentials, 404, 429, 5xx, a
 * timeout) says nothing about the org.
 */

/** The evidence name of the token endpoint call. */
export const TOKEN_ENDPOINT_CALL = 'POST /v1/applications/{applicationId}/token';

/** Why the token endpoint could not be asked at all. */
export type TokenEndpointUnaskedReason =
  /** The deployment has no vendor token configured. */
  | 'no_vendor_token'
  /** The tenant has no Webex org to ask for. */
  | 'no_org'
  /** The vendor token is stored but not usable (refused, expired, unreadable). */
  | 'vendor_token_unusable';

/** What the token endpoint answered for the org. */
export type TokenEndpointAnswer =
  | { kind: 'granted'; grant: WebexTokenGrant }
  /** Its 403: the org does not authorize the Service App (in Control Hub). */
  | { kind: 'not_authorized'; outcome: Exclude<CallOutcome, { kind: 'ok' }> }
  /** No answer about the org: the endpoint could not be asked, so there is no outcome. */
  | { kind: 'unavailable'; reason: TokenEndpointUnaskedReason; outcome?: undefined }
  /** No answer about the org: the call failed other than with the 403. */
  | { kind: 'unavailable'; reason: 'call_failed'; outcome: Exclude<CallOutcome, { kind: 'ok' }> };

/** What asking the token endpoint takes. */
export interface TokenEndpointDependencies {
  /** Absent when the deployment has no vendor token configured. */
  serviceAppTokens?: ServiceAppTokenPorts | undefined;
  clientSecrets: ClientSecretSource;
  log: Log;
}

/**
 * Asks the token endpoint for the org's pair of the Service App. A missing vendor token or org, or
 * an unusable vendor token, is logged as an error for ops (the vendor token's own alert tells them
 * more); any failure other than the 403 is logged as a warning. The org may be unknown only to the
 * validator, whose tenant can lose it; a missing vendor token is told before a missing org.
 */
export async function askServiceAppTokenEndpoint(
  deps: TokenEndpointDependencies,
  input: { tenantId: string; orgId: string | undefined; serviceApp: ServiceApp },
): Promise<TokenEndpointAnswer> {
  const { serviceApp, orgId } = input;
  const key = { tenantId: input.tenantId, integration: serviceApp.key };
  if (!deps.serviceAppTokens) {
    deps.log.error('Service App tokens asked for, but no vendor token is configured', key);
    return { kind: 'unavailable', reason: 'no_vendor_token' };
  }
  if (orgId === undefined) {
    deps.log.error('Service App tokens asked for, but the tenant has no Webex org', key);
    return { kind: 'unavailable', reason: 'no_org' };
  }
  let vendorAccessToken: string;
  try {
    vendorAccessToken = await deps.serviceAppTokens.vendorToken.accessToken();
  } catch (error) {
    if (!(error instanceof VendorTokenUnavailableError)) throw error;
    deps.log.error('The vendor token is not usable; Service App tokens cannot be fetched', {
      ...key,
      reason: error.message,
    });
    return { kind: 'unavailable', reason: 'vendor_token_unusable' };
  }
  try {
    const grant = await deps.serviceAppTokens.webex.fetchServiceAppToken(vendorAccessToken, {
      applicationId: serviceApp.applicationId,
      clientId: serviceApp.clientId,
      clientSecret: await deps.clientSecrets.get(serviceApp.key),
      targetOrgId: orgId,
    });
    return { kind: 'granted', grant };
  } catch (error) {
    const outcome = outcomeOf(error);
    if (outcome.kind === 'refused' && outcome.failure === 'forbidden')
      return { kind: 'not_authorized', outcome };
    deps.log.warn('Webex did not give the Service App tokens', {
      ...key,
      kind: outcome.kind === 'refused' ? outcome.failure : outcome.kind,
      status: outcome.status,
      trackingId: outcome.trackingId,
    });
    return { kind: 'unavailable', reason: 'call_failed', outcome };
  }
}
