import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import * as z from 'zod';
import type { ServiceApp } from './catalog.js';
import type { Authorization, Tenant } from './model.js';
import { AuthorizationBusyError } from './onboarding-errors.js';
import type { OnboardingDependencies } from './onboarding.js';
import type { TenantOrgIndex, WebhookDeliveryLedger, WebhookSecretSource } from './ports.js';
import { recordServiceAppDeauthorized } from './service-app-deauthorization.js';
import { storeServiceAppGrant } from './service-app-onboarding.js';
import { askServiceAppTokenEndpoint } from './service-app-token-endpoint.js';
import { isCheckable } from './status-machine.js';

/*
 * The `serviceApp` webhook: Webex tells the vendor that an org authorized or deauthorized one of
 * its Service Apps. The notification is only ever a reason to ask Webex itself: an `authorized`
 * one fetches the org's pair from the token endpoint (as the portal's "I have authorized it"
 * does), a `deauthorized` one asks the same endpoint and invalidates only on its 403. A forged,
 * stale or replayed notification can therefore never mark a live authorization invalid, and one
 * naming an org no tenant is bound to touches nothing.
 */

/** Deliveries older than this are refused, and a delivery's replay key is kept this long. */
export const WEBHOOK_MAX_AGE_MS = 60 * 60 * 1000;

/** How far in the future a delivery's instant may lie (clock skew) before it is refused. */
export const WEBHOOK_MAX_SKEW_MS = 5 * 60 * 1000;

/** The largest body taken in: a notification is well under 4 KB. */
export const MAX_WEBHOOK_BODY_BYTES = 16 * 1024;

const webexId = z.string().min(1).max(512);

/**
 * The notification envelope of Webex's Webhooks guide for the `serviceApp` resource. Webex does
 * not document its `data`; the fields read are the ones the simulator sends (the Service App, the
 * org that changed it, the instant), and only as the reason to ask the token endpoint.
 */
export const serviceAppNotificationSchema = z.object({
  id: webexId,
  name: z.string().max(512),
  resource: z.literal('serviceApp'),
  event: z.enum(['authorized', 'deauthorized']),
  orgId: webexId,
  createdBy: webexId,
  appId: webexId,
  data: z.object({
    applicationId: webexId,
    orgId: webexId,
    actorId: webexId.optional(),
    created: z.iso.datetime({ offset: true }),
  }),
});

/** A notification as verified and parsed. */
export type ServiceAppNotification = z.infer<typeof serviceAppNotificationSchema>;

/** The delivery carries no `X-Spark-Signature`, or one the webhook secret did not make. */
export class WebhookSignatureError extends Error {
  override readonly name = 'WebhookSignatureError';
}

/** A signed body that is not a `serviceApp` notification; `field` names the first bad field. */
export class WebhookBodyError extends Error {
  override readonly name = 'WebhookBodyError';
  constructor(readonly field: string) {
    super(`The notification is not a serviceApp notification (${field})`);
  }
}

/** What the webhook use case works with: onboarding's ports, the secret, the replay ledger and the org index. */
export interface ServiceAppWebhookDependencies extends OnboardingDependencies {
  webhookSecret: WebhookSecretSource;
  deliveries: WebhookDeliveryLedger;
  tenantsByOrg: TenantOrgIndex;
}

/** What one tenant's part of a notification came to. */
export type TenantWebhookResult =
  /** `authorized`: the org's pair was fetched and stored. */
  | 'stored'
  /** `authorized`, but the record is active already: nothing to fetch. */
  | 'already_active'
  /** `deauthorized`, confirmed by the token endpoint's 403: the record is invalid. */
  | 'invalidated'
  /** The token endpoint still gives the org's pair: a stale or forged `deauthorized`. */
  | 'still_authorized'
  /** The token endpoint answers 403: a stale or forged `authorized`. */
  | 'not_authorized'
  /** Webex could not be asked (no vendor token, 5xx, ...): the next check or button decides. */
  | 'unconfirmed'
  /** No record to act on (never granted, or invalid, revoked or pending already). */
  | 'not_checkable'
  /** Another writer held the record longer than we could wait: the next check decides. */
  | 'busy'
  /** The tenant is offboarded, or no longer bound to the notification's org. */
  | 'tenant_skipped';

/** What became of a verified delivery (every one is answered 200, so Webex does not resend it). */
export type WebhookReceipt =
  | { outcome: 'stale' | 'replayed' | 'unknown_service_app' | 'unknown_org' }
  | { outcome: 'handled'; tenants: Array<{ tenantId: string; result: TenantWebhookResult }> };

/** Whether `signature` is the hex HMAC-SHA1 of `body` under `secret`, compared in constant time. */
export function isWebexSignature(secret: string, body: string, signature: string): boolean {
  const expected = createHmac('sha1', secret).update(body).digest();
  const given = /^[0-9a-f]{40}$/i.test(signature) ? Buffer.from(signature, 'hex') : Buffer.alloc(0);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * Takes in one delivery of the `serviceApp` webhook.
 * 1. Verify `X-Spark-Signature` over the raw body with the webhook secret (WebhookSignatureError).
 * 2. Parse the body as a `serviceApp` notification (WebhookBodyError).
 * 3. Refuse it when older than WEBHOOK_MAX_AGE_MS or from the future, and when its signature was
 *    taken in before (a replay: the ledger's conditional write). Should a later step fail, the
 *    claim is released, so a copy of the delivery sent again is taken in.
 * 4. Find the catalog's Service App and the tenants bound to the org; none: nothing to do.
 * 5. For each tenant still bound to the org and active: `authorized` fetches and stores the org's
 *    pair; `deauthorized` asks the token endpoint and invalidates the record on its 403 only.
 */
export async function receiveServiceAppNotification(
  deps: ServiceAppWebhookDependencies,
  input: { body: string; signature: string | undefined },
): Promise<WebhookReceipt> {
  if (input.signature === undefined) throw new WebhookSignatureError('The delivery carries no signature');
  if (!isWebexSignature(await deps.webhookSecret.get(), input.body, input.signature)) {
    throw new WebhookSignatureError('The delivery signature does not match the webhook secret');
  }
  const notification = parseNotification(input.body);
  const { data } = notification;
  const now = deps.clock.now().getTime();
  const created = Date.parse(data.created);
  const log = { event: notification.event, orgId: data.orgId, applicationId: data.applicationId };
  if (created < now - WEBHOOK_MAX_AGE_MS || created > now + WEBHOOK_MAX_SKEW_MS) {
    deps.log.warn('A serviceApp notification outside its time window was refused', {
      ...log,
      created: data.created,
    });
    return { outcome: 'stale' };
  }
  const deliveryKey = createHash('sha256').update(input.signature.toLowerCase()).digest('hex');
  if (!(await deps.deliveries.claim(deliveryKey, new Date(created + WEBHOOK_MAX_AGE_MS)))) {
    deps.log.warn('A serviceApp notification taken in before was refused', log);
    return { outcome: 'replayed' };
  }
  try {
    return await actOnNotification(deps, notification, log);
  } catch (error) {
    // The delivery is answered with an error. Should the same delivery come again (a sender's retry),
    // a kept claim would refuse it as a replay, and nothing would act on it. Part of it may have
    // been done: acting on it again is safe (a pair stored again, a deauthorization asked again).
    await deps.deliveries.release(deliveryKey).catch((releaseError: unknown) => {
      deps.log.warn('A failed serviceApp notification stays claimed: its retry will be refused', {
        ...log,
        errorName: releaseError instanceof Error ? releaseError.name : 'unknown',
      });
    });
    throw error;
  }
}

/** Steps 4 and 5 for a delivery taken in. */
async function actOnNotification(
  deps: ServiceAppWebhookDependencies,
  notification: ServiceAppNotification,
  log: { event: string; orgId: string; applicationId: string },
): Promise<WebhookReceipt> {
  const { data } = notification;
  const serviceApp = deps.catalog.serviceApps.find((app) => app.applicationId === data.applicationId);
  if (!serviceApp) {
    deps.log.warn('A serviceApp notification names no Service App of the catalog', log);
    return { outcome: 'unknown_service_app' };
  }
  const tenantIds = await deps.tenantsByOrg.tenantIdsOfOrg(data.orgId);
  if (tenantIds.length === 0) {
    deps.log.warn('A serviceApp notification names an org no tenant is bound to', log);
    return { outcome: 'unknown_org' };
  }
  const tenants: Array<{ tenantId: string; result: TenantWebhookResult }> = [];
  for (const tenantId of tenantIds) {
    const result = await actForTenant(deps, { tenantId, notification, serviceApp });
    deps.log.info('serviceApp notification handled', {
      ...log,
      tenantId,
      integration: serviceApp.key,
      result,
    });
    tenants.push({ tenantId, result });
  }
  return { outcome: 'handled', tenants };
}

function parseNotification(body: string): ServiceAppNotification {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new WebhookBodyError('body: not JSON');
  }
  const parsed = serviceAppNotificationSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new WebhookBodyError(issue && issue.path.length > 0 ? issue.path.join('.') : 'body');
  }
  return parsed.data;
}

/** One tenant's part: read consistently, so an index a moment behind never acts on another org's tenant. */
async function actForTenant(
  deps: ServiceAppWebhookDependencies,
  input: { tenantId: string; notification: ServiceAppNotification; serviceApp: ServiceApp },
): Promise<TenantWebhookResult> {
  const { notification, serviceApp } = input;
  const tenant = await deps.tenants.get(input.tenantId);
  if (!tenant || tenant.status !== 'active' || tenant.orgId !== notification.data.orgId)
    return 'tenant_skipped';
  const held = {
    tenant,
    orgId: tenant.orgId,
    serviceApp,
    record: await deps.authorizations.get(tenant.tenantId, serviceApp.key),
  };
  return notification.event === 'authorized' ? takeAuthorized(deps, held) : checkDeauthorized(deps, held);
}

/** A tenant bound to the notification's org, the Service App, and the tenant's record of it. */
interface TenantPart {
  tenant: Tenant;
  orgId: string;
  serviceApp: ServiceApp;
  record: Authorization | undefined;
}

/** `authorized`: the org's pair from the token endpoint, stored as the portal's button stores it. */
async function takeAuthorized(
  deps: ServiceAppWebhookDependencies,
  part: TenantPart,
): Promise<TenantWebhookResult> {
  const { tenant, serviceApp, record } = part;
  if (record && (record.status === 'active' || record.status === 'expiring')) return 'already_active';
  const answer = await askServiceAppTokenEndpoint(deps, {
    tenantId: tenant.tenantId,
    orgId: part.orgId,
    serviceApp,
  });
  if (answer.kind === 'not_authorized') return 'not_authorized';
  if (answer.kind === 'unavailable') return 'unconfirmed';
  try {
    await storeServiceAppGrant(deps, {
      tenant,
      serviceApp,
      grant: answer.grant,
      // Nobody sees a retry link here: the admin's portal has its own button.
      retryUrl: deps.settings.publicBaseUrl,
    });
  } catch (error) {
    if (error instanceof AuthorizationBusyError) return 'busy';
    throw error;
  }
  return 'stored';
}

/** `deauthorized`: invalid only when the token endpoint refuses the org with its 403. */
async function checkDeauthorized(
  deps: ServiceAppWebhookDependencies,
  part: TenantPart,
): Promise<TenantWebhookResult> {
  const { tenant, serviceApp, record } = part;
  if (!record || !isCheckable(record.status)) return 'not_checkable';
  const answer = await askServiceAppTokenEndpoint(deps, {
    tenantId: tenant.tenantId,
    orgId: part.orgId,
    serviceApp,
  });
  // The org still authorizes the app: the record keeps its tokens, and its next check goes on.
  if (answer.kind === 'granted') return 'still_authorized';
  if (answer.kind === 'unavailable') return 'unconfirmed';
  const recorded = await recordServiceAppDeauthorized(deps, {
    record,
    serviceApp,
    refusal: answer.outcome,
    reason: 'Webex reported the Service App deauthorized (serviceApp webhook).',
  });
  return recorded.kind === 'invalidated' ? 'invalidated' : 'not_checkable';
}
