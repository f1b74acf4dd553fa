import type { ServiceApp } from './catalog.js';
import { classifyProbeResult, outcomeOf, type ProbeResult, type Verdict } from './classification.js';
import type { Authorization } from './model.js';
import { VendorTokenUnavailableError, type WebexTokenGrant } from './ports.js';
import type { ValidatorDependencies } from './validator-config.js';
import type { TenantOnce, TokenSession } from './validator-session.js';

/*
 * The verdict of a Service App's check. Its tokens are a machine account's, nobody's: no person's
 * password change, deactivation or role change ends them, so a death is never classified from
 * siblings or a person look-up. Refused tokens are replaced from the Service App token endpoint
 * with the vendor token, and only that endpoint's 403 says the org deauthorized the app. Every
 * other reason the endpoint cannot be asked (no vendor token, a 429, a 5xx, a refusal of the
 * vendor token or of the app's credentials) is transient: a live authorization is never marked
 * invalid on a guess.
 */

type TransientVerdict = Extract<Verdict, { kind: 'transient' }>;

/** The evidence name of the token endpoint call. */
const TOKEN_ENDPOINT_CALL = 'POST /v1/applications/{applicationId}/token';

/** What a Service App's check judges from. */
export interface ServiceAppCheckEvidence {
  record: Authorization;
  serviceApp: ServiceApp;
  tokens: TokenSession;
  probe: ProbeResult;
  tenant: TenantOnce;
}

/**
 * The verdict of a Service App's check: `classifyProbeResult` without an authorizer; when the
 * tokens are refused, a new pair from the token endpoint (saved on the record, a healthy check),
 * `service_app_deauthorized` on its 403 (`confirmed`: Webex's own answer), else transient.
 * `superseded` when a newer write took the record meanwhile; `tenant_inactive` when the tenant is
 * gone or offboarded.
 */
export async function judgeServiceAppCheck(
  deps: ValidatorDependencies,
  input: ServiceAppCheckEvidence,
): Promise<Verdict | 'tenant_inactive' | 'superseded'> {
  const { tokens, serviceApp, tenant } = input;
  const verdict = classifyProbeResult({
    refresh: tokens.refreshOutcome,
    probe: input.probe,
    authorizer: undefined,
    tenantOrgId: (await tenant.ifRead())?.orgId,
  });
  if (verdict.kind !== 'dead') return verdict;
  const active = await tenant.active();
  if (!active) return 'tenant_inactive';
  const key = { tenantId: input.record.tenantId, integration: serviceApp.key };
  const unavailable = (detail: string): TransientVerdict => ({
    kind: 'transient',
    detail: `${verdict.detail} ${detail}`,
  });
  if (!deps.serviceAppTokens) {
    deps.log.error('A Service App needs new tokens, but no vendor token is configured', key);
    return unavailable('No vendor token is configured to fetch new Service App tokens with.');
  }
  if (active.orgId === undefined) {
    deps.log.error('A Service App needs new tokens, but its tenant has no Webex org', key);
    return unavailable('The tenant has no Webex organization to fetch new Service App tokens for.');
  }
  let vendorAccessToken: string;
  try {
    vendorAccessToken = await deps.serviceAppTokens.vendorToken.accessToken();
  } catch (error) {
    if (!(error instanceof VendorTokenUnavailableError)) throw error;
    // Ops hear of the vendor token's death from its own alert; this record keeps its status.
    deps.log.error('The vendor token is not usable; a Service App keeps its status until it is', {
      ...key,
      reason: error.message,
    });
    return unavailable('The vendor token that fetches Service App tokens is not usable right now.');
  }
  let grant: WebexTokenGrant;
  try {
    grant = await deps.serviceAppTokens.webex.fetchServiceAppToken(vendorAccessToken, {
      applicationId: serviceApp.applicationId,
      clientId: serviceApp.clientId,
      clientSecret: await deps.clientSecrets.get(serviceApp.key),
      targetOrgId: active.orgId,
    });
  } catch (error) {
    const outcome = outcomeOf(error);
    tokens.calls.failed(TOKEN_ENDPOINT_CALL, serviceApp.key, outcome);
    const trackingId = outcome.trackingId === undefined ? {} : { trackingId: outcome.trackingId };
    const status = outcome.status === undefined ? '' : ` (HTTP ${outcome.status})`;
    if (outcome.kind === 'refused' && outcome.failure === 'forbidden') {
      return {
        kind: 'invalid',
        cause: 'service_app_deauthorized',
        confidence: 'confirmed',
        detail: `${verdict.detail} The Service App token endpoint answered 403: the organization no longer authorizes ${serviceApp.name}.`,
        ...trackingId,
      };
    }
    deps.log.warn('The Service App token endpoint gave no tokens; the check counts as transient', {
      ...key,
      kind: outcome.kind,
      status: outcome.status,
      trackingId: outcome.trackingId,
    });
    return {
      ...unavailable(`The Service App token endpoint could not give new tokens${status}.`),
      ...(outcome.kind === 'transient' && outcome.retryAfterSeconds !== undefined
        ? { retryAfterSeconds: outcome.retryAfterSeconds }
        : {}),
      ...trackingId,
    };
  }
  tokens.calls.answered(TOKEN_ENDPOINT_CALL, serviceApp.key);
  if ((await tokens.replace(grant)) === 'superseded') return 'superseded';
  deps.log.info('A Service App got new tokens from its token endpoint', key);
  return { kind: 'healthy' };
}
