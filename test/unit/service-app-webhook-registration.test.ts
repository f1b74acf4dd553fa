import { describe, expect, it } from 'vitest';
import { VendorTokenUnavailableError, type WebexWebhook, type WebexWebhooks } from '#domain/ports.js';
import {
  registerServiceAppWebhooks,
  WebhookRegistrationUnavailableError,
} from '#domain/service-app-webhook-registration.js';
import { RecordingLog } from '#test-support/fakes/index.js';

const TARGET = 'https://portal.test/webhooks/service-app';

/** The vendor's webhooks at Webex, as a test sets them up; records the secrets it was given. */
class MemoryWebhooks implements WebexWebhooks {
  readonly secrets = new Map<string, string>();
  private next = 1;
  constructor(public webhooks: WebexWebhook[] = []) {}
  async listWebhooks(): Promise<WebexWebhook[]> {
    return [...this.webhooks];
  }
  async createWebhook(_token: string, input: Omit<WebexWebhook, 'id'> & { secret: string }) {
    const { secret, ...webhook } = input;
    const created = { ...webhook, id: `new-${this.next++}` };
    this.webhooks.push(created);
    this.secrets.set(created.id, secret);
    return created;
  }
  async deleteWebhook(_token: string, id: string): Promise<void> {
    this.webhooks = this.webhooks.filter((webhook) => webhook.id !== id);
  }
}

function deps(webhooks: MemoryWebhooks, vendorToken: () => Promise<string> = async () => 'vendor-token') {
  return {
    serviceAppTokens: {
      webex: {
        fetchServiceAppToken: async () => {
          throw new Error('not asked');
        },
      },
      vendorToken: { accessToken: vendorToken },
    },
    webhooks,
    webhookSecret: { get: async () => 'the-current-webhook-secret-of-32-chars' },
    log: new RecordingLog(),
  };
}

describe('registering the serviceApp webhook', () => {
  it("creates one webhook per event with the current secret, replacing ours of before and leaving others' alone", async () => {
    const webhooks = new MemoryWebhooks([
      { id: 'old-1', name: 'old', targetUrl: TARGET, resource: 'serviceApp', event: 'authorized' },
      {
        id: 'other',
        name: 'x',
        targetUrl: 'https://elsewhere.test/hook',
        resource: 'serviceApp',
        event: 'authorized',
      },
      { id: 'messages', name: 'y', targetUrl: TARGET, resource: 'messages', event: 'created' },
    ]);
    const registered = await registerServiceAppWebhooks(deps(webhooks), {
      publicBaseUrl: 'https://portal.test/',
    });
    expect(registered).toEqual({
      targetUrl: TARGET,
      webhooks: [
        { id: 'new-1', event: 'authorized' },
        { id: 'new-2', event: 'deauthorized' },
      ],
      replaced: 1,
    });
    expect(webhooks.webhooks.map((webhook) => webhook.id).sort()).toEqual([
      'messages',
      'new-1',
      'new-2',
      'other',
    ]);
    expect([...webhooks.secrets.values()]).toEqual([
      'the-current-webhook-secret-of-32-chars',
      'the-current-webhook-secret-of-32-chars',
    ]);
  });

  it('refuses without a usable vendor token, registering nothing', async () => {
    const webhooks = new MemoryWebhooks();
    const unusable = deps(webhooks, async () => {
      throw new VendorTokenUnavailableError('the vendor token is invalid');
    });
    await expect(
      registerServiceAppWebhooks(unusable, { publicBaseUrl: 'https://portal.test' }),
    ).rejects.toThrow(WebhookRegistrationUnavailableError);
    const { serviceAppTokens: _none, ...unconfigured } = deps(webhooks);
    await expect(
      registerServiceAppWebhooks(unconfigured, { publicBaseUrl: 'https://portal.test' }),
    ).rejects.toThrow(/No vendor token is configured/);
    expect(webhooks.webhooks).toEqual([]);
  });
});
