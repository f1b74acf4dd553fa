import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpWebexClient } from '#adapters/webex-client.js';
import { validateNowWith } from '#commons/composition-root.js';
import { DEFAULT_VALIDATOR_CONFIG } from '#domain/validator-config.js';
import type { WebexSimulator } from '#local/webex-simulator/index.js';
import { createAdminHarness, PUBLIC_BASE_URL, type AdminHarness } from '#test-support/admin-harness.js';
import {
  authorizeInSimulator,
  simClientSecrets,
  startCatalogSimulator,
} from '#test-support/sim-authorization.js';
import { silentLog } from '#domain/ports.js';

describe('validate-now through the real validator (DynamoDB Local, Webex simulator)', () => {
  let sim: WebexSimulator;
  let h: AdminHarness;

  beforeAll(async () => {
    sim = await startCatalogSimulator();
    const webex = new HttpWebexClient({ baseUrl: sim.url });
    // The validator is built on the harness's own ports once they exist, so it shares them.
    const late: { validateNow?: ReturnType<typeof validateNowWith> } = {};
    h = await createAdminHarness({
      webex,
      now: new Date(),
      validateNow: (tenantId, integration) => late.validateNow!(tenantId, integration),
    });
    late.validateNow = validateNowWith({
      authorizations: h.repos.authorizations,
      tenants: h.repos.tenants,
      vault: h.vault,
      webex,
      clientSecrets: simClientSecrets,
      events: h.events,
      clock: h.clock,
      catalog: h.deps.catalog,
      config: DEFAULT_VALIDATOR_CONFIG,
      log: silentLog,
      reauthorizeLink: async (tenant) => `${PUBLIC_BASE_URL}/connect/for-${tenant.tenantId}`,
      random: () => 0.5,
    });
    expect(
      (await h.call('POST', '/admin/tenants', { body: { tenantId: 'acme', name: 'Acme' } })).status,
    ).toBe(201);
  });
  afterAll(async () => {
    await sim.close();
    await h.close();
  });

  it('probes a healthy authorization at once, before its due time', async () => {
    const { record } = await authorizeInSimulator({
      sim,
      repos: h.repos,
      vault: h.vault,
      clock: h.clock,
      tenantId: 'acme',
      integration: 'presence',
    });
    const response = await h.call('POST', '/admin/tenants/acme/authorizations/presence/validate');
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      outcome: { kind: 'checked', previousStatus: 'active', status: 'active', refreshed: false },
      authorization: { integration: 'presence', status: 'active', validatedAt: h.clock.now().toISOString() },
    });
    expect((await h.repos.authorizations.get('acme', 'presence'))?.version).toBeGreaterThan(record.version);
  });

  it('reports a dead authorization as invalid with its cause, as the sweep would', async () => {
    await authorizeInSimulator({
      sim,
      repos: h.repos,
      vault: h.vault,
      clock: h.clock,
      tenantId: 'acme',
      integration: 'cdr',
      person: 'sso-admin@demo.example',
    });
    sim.world.deactivate('sso-admin@demo.example');
    const response = await h.call('POST', '/admin/tenants/acme/authorizations/cdr/validate');
    expect(response.status).toBe(200);
    const body = response.body as {
      outcome: { kind: string; status: string };
      authorization: { status: string; cause?: string };
    };
    expect(body.outcome).toMatchObject({ kind: 'checked', status: 'invalid' });
    expect(body.authorization.status).toBe('invalid');
    expect(body.authorization.cause).toBeDefined();
    expect(h.events.published.map(({ event }) => event.type)).toContain('invalidated');
  });

  it('says the validator skipped an authorization that is not checkable', async () => {
    const response = await h.call('POST', '/admin/tenants/acme/authorizations/cdr/validate');
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ outcome: { kind: 'skipped', reason: 'not_checkable' } });
  });
});
