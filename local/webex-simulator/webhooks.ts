import { createHmac } from 'node:crypto';
import { newUuid, webexId } from './ids.js';

/** The Service App events Webex sends on the `serviceApp` resource. */
export type ServiceAppEvent = 'authorized' | 'deauthorized';

/** A webhook registered through `POST /v1/webhooks`. */
export interface SimWebhook {
  id: string;
  name: string;
  targetUrl: string;
  resource: string;
  event: string;
  secret?: string | undefined;
  /** The org and person of the token that registered it. */
  orgId: string;
  createdBy: string;
  created: string;
}

/** What a delivery tells: which event, and how the target answered (status 0: unreachable). */
export interface WebhookDelivery {
  webhookId: string;
  event: ServiceAppEvent;
  orgId: string;
  applicationId: string;
  status: number;
  deliveredAt: string;
}

/** The change a `serviceApp` notification reports. */
export interface ServiceAppChange {
  event: ServiceAppEvent;
  applicationId: string;
  /** The org that authorized or deauthorized the Service App. */
  orgId: string;
  /** The admin who did it. */
  actorId: string;
  at: number;
}

/** How long one delivery may take before it counts as failed. */
const DELIVERY_TIMEOUT_MS = 5_000;

/** Registered webhooks and the log of their deliveries. */
export class WebhookRegistry {
  private webhooks = new Map<string, SimWebhook>();
  private deliveries: WebhookDelivery[] = [];

  register(input: Omit<SimWebhook, 'id'>): SimWebhook {
    const webhook = { ...input, id: webexId('WEBHOOK', newUuid()) };
    this.webhooks.set(webhook.id, webhook);
    return webhook;
  }

  list(orgId: string): SimWebhook[] {
    return [...this.webhooks.values()].filter((webhook) => webhook.orgId === orgId);
  }

  all(): SimWebhook[] {
    return [...this.webhooks.values()];
  }

  /** Removes the webhook when it belongs to the org; false when there is no such webhook there. */
  remove(id: string, orgId: string): boolean {
    if (this.webhooks.get(id)?.orgId !== orgId) return false;
    return this.webhooks.delete(id);
  }

  replace(webhooks: SimWebhook[]): void {
    this.webhooks = new Map(webhooks.map((webhook) => [webhook.id, { ...webhook }]));
  }

  listDeliveries(): WebhookDelivery[] {
    return [...this.deliveries];
  }

  clear(): void {
    this.webhooks.clear();
    this.deliveries = [];
  }

  /**
   * Sends the change to every `serviceApp` webhook for its event, signed as Webex signs: the
   * `X-Spark-Signature` header is the hex HMAC-SHA1 of the raw body under the webhook's secret.
   * Every Service App of the simulator belongs to the one vendor, so every such webhook hears of it.
   * Waits for the answers, so a control call returns once the product has been told.
   */
  async deliver(change: ServiceAppChange): Promise<WebhookDelivery[]> {
    const targets = this.all().filter(
      (webhook) => webhook.resource === 'serviceApp' && webhook.event === change.event,
    );
    const delivered = await Promise.all(targets.map((webhook) => this.post(webhook, change)));
    this.deliveries.push(...delivered);
    return delivered;
  }

  private async post(webhook: SimWebhook, change: ServiceAppChange): Promise<WebhookDelivery> {
    const body = JSON.stringify(notificationJson(webhook, change));
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    if (webhook.secret) headers['X-Spark-Signature'] = signWebhookBody(webhook.secret, body);
    let status = 0;
    try {
      const response = await fetch(webhook.targetUrl, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
      });
      await response.arrayBuffer();
      status = response.status;
    } catch {
      // An unreachable target is recorded as status 0; Webex retries are not modelled.
    }
    return {
      webhookId: webhook.id,
      event: change.event,
      orgId: change.orgId,
      applicationId: change.applicationId,
      status,
      deliveredAt: new Date(change.at).toISOString(),
    };
  }
}

/** The hex HMAC-SHA1 of a body under a webhook secret, as `X-Spark-Signature` carries it. */
export function signWebhookBody(secret: string, body: string): string {
  return createHmac('sha1', secret).update(body).digest('hex');
}

/**
 * The notification envelope of the Webhooks guide. For `serviceApp` the `data` fields are not
 * documented: the simulator sends the application's id, the authorizing org's id, the admin and
 * the instant of the change, which is what a receiver needs (the instant lets it refuse replays).
 */
function notificationJson(webhook: SimWebhook, change: ServiceAppChange): Record<string, unknown> {
  return {
    id: webhook.id,
    name: webhook.name,
    targetUrl: webhook.targetUrl,
    resource: 'serviceApp',
    event: change.event,
    orgId: change.orgId,
    createdBy: webhook.createdBy,
    appId: change.applicationId,
    ownedBy: 'creator',
    status: 'active',
    created: webhook.created,
    actorId: change.actorId,
    data: {
      applicationId: change.applicationId,
      orgId: change.orgId,
      actorId: change.actorId,
      created: new Date(change.at).toISOString(),
    },
  };
}
