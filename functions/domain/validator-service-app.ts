import type { ServiceApp } from './catalog.js';
import { classifyProbeResult, type ProbeResult, type Verdict } from './classification.js';
import type { Authorization } from './model.js';
import {
  askServiceAppTokenEndpoint,
  TOKEN_ENDPOINT_CALL,
  type TokenEndpointUnaskedReason,
} from './service-app-token-endpoint.js';
import type { ValidatorDependencies } from './validator-config.js';
import type { TenantOnce, TokenSession } from './validator-session.js';

/*
 * The verdict of a Service App's check. Its tokens are a machine account's, nobody's: no person's
 * password change, deactivation or role change ends them, so a death is never classified from
 * siblings or a person look-up. Refused tokens are replaced from the Service App token endpoint
 * with the vendor token, and only that endpoint's 403 says the org deauthorized the app. Every
 * other reason the endpoint cannot be asked (no vendor token, a 429, a 5xx, a refusal of the
 * vendor token or of the app's credentials) is transient: a live authorization is never marked
 * invalid on a guess. The question itself, and the log of why it got no answer, is the one the
 * portal and the `serviceApp` webhook ask (service-app-token-endpoint.ts).
 */

type TransientVerdict = Extract<Verdict, { kind: 'transient' }>;

/** The check's detail when the token endpoint could not be asked at all. */
const UNASKED_DETAILS: Record<TokenEndpointUnaskedReason, string> = {
  no_vendor_token: 'No vendor token is configured to fetch new Service App tokens with.',
  no_org: 'The tenant has no Webex organization to fetch new Service App tokens for.',
  // Ops hear of the vendor token's death from its own alert; this record keeps its status.
  vendor_token_unusable: 'The vendor token that fetches Service App tokens is not usable right now.',
};

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
  const unavailable = (detail: string): TransientVerdict => ({
    kind: 'transient',
    detail: `${verdict.detail} ${detail}`,
  });
  const answer = await askServiceAppTokenEndpoint(deps, {
    tenantId: input.record.tenantId,
    orgId: active.orgId,
    serviceApp,
  });
  if (answer.kind === 'unavailable' && answer.reason !== 'call_failed')
    return unavailable(UNASKED_DETAILS[answer.reason]);
  if (answer.kind !== 'granted') {
    const { outcome } = answer;
    tokens.calls.failed(TOKEN_ENDPOINT_CALL, serviceApp.key, outcome);
    const trackingId = outcome.trackingId === undefined ? {} : { trackingId: outcome.trackingId };
    if (answer.kind === 'not_authorized') {
      return {
        kind: 'invalid',
        cause: 'service_app_deauthorized',
        confidence: 'confirmed',
        detail: `${verdict.detail} The Service App token endpoint answered 403: the organization no longer authorizes ${serviceApp.name}.`,
        ...trackingId,
      };
    }
    const status = outcome.status === undefined ? '' : ` (HTTP ${outcome.status})`;
    return {
      ...unavailable(`The Service App token endpoint could not give new tokens${status}.`),
      ...(outcome.kind === 'transient' && outcome.retryAfterSeconds !== undefined
        ? { retryAfterSeconds: outcome.retryAfterSeconds }
        : {}),
      ...trackingId,
    };
  }
  tokens.calls.answered(TOKEN_ENDPOINT_CALL, serviceApp.key);
  if ((await tokens.replace(answer.grant)) === 'superseded') return 'superseded';
  deps.log.info('A Service App got new tokens from its token endpoint', {
    tenantId: input.record.tenantId,
    integration: serviceApp.key,
  });
  return { kind: 'healthy' };
}
