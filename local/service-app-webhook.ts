import type { AdminApiDependencies } from '#functions/admin-api.app.js';
import type { Catalog } from '#domain/catalog.js';
import type { AuthorizationEvent } from '#domain/model.js';
import { WebexError, type Log } from '#domain/ports.js';
import {
  registerServiceAppWebhooks,
  WebhookRegistrationUnavailableError,
  type RegisteredWebhooks,
} from '#domain/service-app-webhook-registration.js';
import type { LocalEventSink } from './adapters/local-event-sink.js';

/*
 * Deployed, ops register the `serviceApp` webhook once the vendor token exists (`webhooks
 * register`, docs/deploy.md). The local run does it by itself, through the same use case and the
 * simulator's `POST /v1/webhooks`: at start when the vendor token is there already, and again each
 * time the vendor tenant authorizes it, so the simulator's Authorize and Deauthorize buttons reach
 * the local public API without a step to remember.
 */

/** What the local run registers the webhook with. */
export interface LocalWebhookRegistration {
  webhooks: AdminApiDependencies['serviceAppWebhooks'];
  events: LocalEventSink;
  catalog: Catalog;
  vendorTenantId: string;
  log: Log;
}

/**
 * Registers the webhook now when the vendor token can be had, and whenever the vendor token is
 * granted or restored from now on; the first registration made, or undefined while there is no
 * vendor token yet.
 */
export async function keepServiceAppWebhookRegistered(
  input: LocalWebhookRegistration,
): Promise<RegisteredWebhooks | undefined> {
  const { webhooks, log } = input;
  if (!webhooks) return undefined;
  const { publicBaseUrl, ...ports } = webhooks;
  const register = async (): Promise<RegisteredWebhooks | undefined> => {
    try {
      return await registerServiceAppWebhooks({ ...ports, log }, { publicBaseUrl });
    } catch (error) {
      if (error instanceof WebexError) {
        log.warn('The simulator did not register the serviceApp webhook', { reason: error.message });
        return undefined;
      }
      if (!(error instanceof WebhookRegistrationUnavailableError)) throw error;
      log.info('serviceApp webhook not registered yet: no vendor token', { reason: error.message });
      return undefined;
    }
  };
  const vendorTokenKey = input.catalog.vendorToken?.key;
  const isVendorTokenGranted = (event: AuthorizationEvent) =>
    event.tenantId === input.vendorTenantId &&
    event.integration === vendorTokenKey &&
    (event.type === 'granted' || event.type === 'restored');
  input.events.subscribe(async (event) => {
    if (isVendorTokenGranted(event)) await register();
  });
  return register();
}
