import type { ServiceAppTokenPorts } from './onboarding.js';
import {
  VendorTokenUnavailableError,
  type Log,
  type WebexWebhook,
  type WebexWebhooks,
  type WebhookSecretSource,
} from './ports.js';

/*
 * Registering the `serviceApp` webhook with Webex. It is registered with the vendor's own token
 * (the same vendor token that calls the Service App token endpoint), so Webex sends it every
 * Service App authorization and deauthorization of the vendor's apps, signed with the deployment's
 * one webhook secret. It is an ops step after the vendor token exists (the deploy guide's
 * `webhooks register`), not part of the synth: a synth cannot reach Webex, and at the first deploy
 * the vendor token does not exist yet.
 */

/** Where Webex posts `serviceApp` notifications, on the public API. */
export const SERVICE_APP_WEBHOOK_PATH = '/webhooks/service-app';

/** The `serviceApp` events registered, one webhook each. */
export const SERVICE_APP_WEBHOOK_EVENTS = ['authorized', 'deauthorized'] as const;

/** The vendor token is missing or unusable, so Webex cannot be asked to register anything. */
export class WebhookRegistrationUnavailableError extends Error {
  override readonly name = 'WebhookRegistrationUnavailableError';
}

/** What registering the webhook takes. */
export interface WebhookRegistrationDependencies {
  /** The vendor token; absent when the deployment has none configured. */
  serviceAppTokens?: ServiceAppTokenPorts | undefined;
  webhooks: WebexWebhooks;
  webhookSecret: WebhookSecretSource;
  log: Log;
}

/** The webhooks now registered for our target, and how many older ones of ours they replaced. */
export interface RegisteredWebhooks {
  targetUrl: string;
  webhooks: Array<Pick<WebexWebhook, 'id' | 'event'>>;
  replaced: number;
}

/**
 * Registers the `serviceApp` webhooks of this deployment, replacing ours of before.
 * 1. Take the vendor token (WebhookRegistrationUnavailableError without one).
 * 2. List the vendor's webhooks and delete every `serviceApp` one aimed at our target: each may
 *    carry a secret of before, and Webex would then deliver twice.
 * 3. Create one per event (`authorized`, `deauthorized`) with the current webhook secret.
 * Running it again after a secret rotation re-signs every delivery with the new secret.
 */
export async function registerServiceAppWebhooks(
  deps: WebhookRegistrationDependencies,
  input: { publicBaseUrl: string },
): Promise<RegisteredWebhooks> {
  const targetUrl = `${input.publicBaseUrl.replace(/\/+$/, '')}${SERVICE_APP_WEBHOOK_PATH}`;
  if (!deps.serviceAppTokens) {
    throw new WebhookRegistrationUnavailableError('No vendor token is configured (VENDOR_TENANT_ID)');
  }
  let accessToken: string;
  try {
    accessToken = await deps.serviceAppTokens.vendorToken.accessToken();
  } catch (error) {
    if (!(error instanceof VendorTokenUnavailableError)) throw error;
    throw new WebhookRegistrationUnavailableError(`The vendor token is not usable: ${error.message}`);
  }
  const secret = await deps.webhookSecret.get();
  const ours = (await deps.webhooks.listWebhooks(accessToken)).filter(
    (webhook) => webhook.resource === 'serviceApp' && webhook.targetUrl === targetUrl,
  );
  for (const webhook of ours) await deps.webhooks.deleteWebhook(accessToken, webhook.id);
  const webhooks: RegisteredWebhooks['webhooks'] = [];
  for (const event of SERVICE_APP_WEBHOOK_EVENTS) {
    const created = await deps.webhooks.createWebhook(accessToken, {
      name: `webex-auth-keeper serviceApp ${event}`,
      targetUrl,
      resource: 'serviceApp',
      event,
      secret,
    });
    webhooks.push({ id: created.id, event: created.event });
  }
  deps.log.info('serviceApp webhooks registered', { targetUrl, replaced: ours.length });
  return { targetUrl, webhooks, replaced: ours.length };
}
