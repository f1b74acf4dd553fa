import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { defaultCatalog } from '#adapters/catalog-file.js';
import { SecretsManagerClientSecretSource } from '#adapters/secrets-manager-vault.js';
import { HttpWebexClient } from '#adapters/webex-client.js';
import { AUTHORIZATION_INVALIDATED_METRIC } from '#commons/validation-metrics.js';
import { createAdminApiHandler } from '#functions/admin-api.app.js';
import type { Authorization } from '#domain/model.js';
import type { WebexClient } from '#domain/ports.js';
import { validateAuthorization } from '#domain/validator.js';
import type { WebexSimulator } from '#local/webex-simulator/index.js';
import { createAdminHarness, type AdminHarness } from '#test-support/admin-harness.js';
import { adminEvent, lambdaContext } from '#test-support/fixtures.js';
import { openRecordTokens } from '#test-support/fakes/index.js';
import {
  advanceBoth,
  authorizeInto,
  simClientSecret,
  startCatalogSimulator,
} from '#test-support/sim-authorization.js';

const DAY = 86_400;

/** The HTTP Webex client, counting the refreshes it sends. */
class CountingWebex extends HttpWebexClient {
  refreshes = 0;
  /** Runs before each refresh (a test makes Webex "slow" by moving the clock). */
  beforeRefresh: () => void = () => undefined;
  override refresh(input: Parameters<WebexClient['refresh']>[0]) {
    this.refreshes += 1;
    this.beforeRefresh();
    return super.refresh(input);
  }
}

/*
 * The admin's ways back, against DynamoDB Local and the Webex simulator: a recheck of an
 * invalid authorization, a bulk recheck by cause and window, a forced refresh of a live one, and
 * the reload of a client secret fixed during a credential incident.
 */
describe('recheck, force refresh and reload (DynamoDB Local, Webex simulator)', () => {
  let sim: WebexSimulator;
  let webex: CountingWebex;
  let h: AdminHarness;

  beforeAll(async () => {
    sim = await startCatalogSimulator();
    webex = new CountingWebex({ baseUrl: sim.url, timeoutMs: 3000 });
    h = await createAdminHarness({ webex, now: new Date() });
    for (const tenantId of ['acme', 'beta']) {
      const created = await h.call('POST', '/admin/tenants', {
        body: { tenantId, name: tenantId, contacts: [`it@${tenantId}.example`] },
      });
      expect(created.status).toBe(201);
    }
  });
  afterAll(async () => {
    await sim?.close();
    await h?.close();
  });

  const authorize = (tenantId: string, integration: string, person?: string) =>
    authorizeInto(h, sim, { tenantId, integration, person });

  /** Marks the record invalid as the validator would have, `hoursAgo` hours ago. */
  const invalidateByHand = async (
    record: Authorization,
    cause: NonNullable<Authorization['cause']>,
    hoursAgo: number,
  ): Promise<Authorization> => {
    const at = new Date(h.clock.now().getTime() - hoursAgo * 3_600_000).toISOString();
    const invalid: Authorization = {
      ...record,
      status: 'invalid',
      cause,
      causeDetail: 'Webex refused the refresh token (HTTP 400).',
      validatedAt: at,
      updatedAt: at,
    };
    delete invalid.nextCheckAt;
    return h.repos.authorizations.save(invalid, record.version);
  };

  const historyOf = async (tenantId: string) => (await h.repos.history.list(tenantId, { limit: 100 })).items;

  it('restores a wrongly invalidated authorization whose refresh token Webex still accepts', async () => {
    const record = await invalidateByHand(
      await authorize('acme', 'presence'),
      'password_changed_or_revoked',
      1,
    );
    const before = h.events.published.length;

    const response = await h.call('POST', '/admin/tenants/acme/authorizations/presence/recheck');

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      tenantId: 'acme',
      integration: 'presence',
      outcome: 'restored',
      status: 'active',
    });
    const after = await h.repos.authorizations.get('acme', 'presence');
    expect(after).toMatchObject({ status: 'active', consecutiveFailures: 0 });
    expect(after?.cause).toBeUndefined();
    expect(after?.leaseOwner).toBeUndefined();
    expect(after?.pendingEvent).toBeUndefined();
    expect(Date.parse(after?.accessTokenExpiresAt ?? '')).toBeGreaterThanOrEqual(
      Date.parse(record.accessTokenExpiresAt ?? ''),
    );
    const published = h.events.published.slice(before);
    expect(published.map(({ event }) => event.type)).toEqual(['restored']);
    expect(published[0]?.event).toMatchObject({ status: 'active', previousStatus: 'invalid' });
    expect(published[0]?.alert?.audience).toBeUndefined();
    expect(published[0]?.alert?.subject).toContain('works again');
    expect((await historyOf('acme')).map((event) => event.type)).toContain('restored');
  });

  it('leaves a dead authorization exactly as it was, with the attempt in its history', async () => {
    const orgId = sim.world.findPersonByEmail('admin@demo.example')?.orgId ?? '';
    sim.world.addPerson({ email: 'leaver@demo.example', orgId, fullAdmin: true });
    const record = await invalidateByHand(
      await authorize('acme', 'cdr', 'leaver@demo.example'),
      'password_changed_or_revoked',
      3,
    );
    sim.world.changePassword('leaver@demo.example');
    const before = h.events.published.length;

    const response = await h.call('POST', '/admin/tenants/acme/authorizations/cdr/recheck');

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      outcome: 'still_invalid',
      status: 'invalid',
      cause: 'password_changed_or_revoked',
    });
    expect((response.body as { detail: string }).detail).toMatch(/refused the refresh token/);
    const after = await h.repos.authorizations.get('acme', 'cdr');
    expect(after).toEqual(record);
    expect(h.events.published.length).toBe(before);
    const attempt = (await historyOf('acme')).find((event) => event.type === 'recheck_failed');
    expect(attempt).toMatchObject({
      integration: 'cdr',
      status: 'invalid',
      cause: 'password_changed_or_revoked',
    });
    expect(attempt?.summary).toMatch(/stays invalid/);

    const history = await h.call('GET', '/admin/tenants/acme/history');
    expect(JSON.stringify(history.body)).toContain('recheck_failed');
  });

  it('restores a check_failing authorization too, clearing its error count', async () => {
    const record = await authorize('beta', 'sso');
    const failing: Authorization = {
      ...record,
      status: 'check_failing',
      checkErrors: 3,
      lastCheckError: { errorId: 'err-1', at: h.clock.now().toISOString() },
    };
    delete failing.nextCheckAt;
    await h.repos.authorizations.save(failing, record.version);

    const refresh = await h.call('POST', '/admin/tenants/beta/authorizations/sso/refresh');
    expect(refresh.status).toBe(409);
    expect((refresh.body as { detail: string }).detail).toMatch(/recheck/);
    const response = await h.call('POST', '/admin/tenants/beta/authorizations/sso/recheck');

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ outcome: 'restored', status: 'active' });
    const after = await h.repos.authorizations.get('beta', 'sso');
    expect(after?.status).toBe('active');
    expect(after?.checkErrors).toBeUndefined();
    expect(after?.lastCheckError).toBeUndefined();
  });

  it('refuses to recheck a live authorization, pointing to refresh', async () => {
    const response = await h.call('POST', '/admin/tenants/acme/authorizations/presence/recheck');
    expect(response.status).toBe(409);
    expect(response.body).toMatchObject({ type: 'urn:webex-auth-keeper:problem:authorization-status' });
    expect((response.body as { detail: string }).detail).toMatch(/refresh/);
    expect((await h.call('POST', '/admin/tenants/acme/authorizations/sso/recheck')).status).toBe(404);
    expect(
      (await h.call('POST', '/admin/tenants/acme/authorizations/presence/recheck', { body: { x: 1 } }))
        .status,
    ).toBe(400);
  });

  it('bulk-rechecks only what was invalidated for the cause in the window, a bounded slice per call', async () => {
    const recent = await invalidateByHand(
      await authorize('beta', 'presence'),
      'password_changed_or_revoked',
      1,
    );
    const otherCause = await invalidateByHand(
      await authorize('beta', 'users-sync'),
      'integration_revoked',
      1,
    );
    const alsoRecent = await invalidateByHand(
      await authorize('acme', 'users-sync'),
      'password_changed_or_revoked',
      1.5,
    );
    // acme/cdr: same cause, but 3 hours ago (and dead at Webex).
    const old = await h.repos.authorizations.get('acme', 'cdr');

    const dryRun = await h.call('POST', '/admin/recheck', {
      body: { cause: 'password_changed_or_revoked', withinHours: 2, dryRun: true },
    });
    expect(dryRun.status).toBe(200);
    const selected = (
      dryRun.body as { items: Array<{ tenantId: string; integration: string; outcome: string }> }
    ).items;
    expect(selected.map((item) => `${item.tenantId}/${item.integration}:${item.outcome}`).sort()).toEqual([
      'acme/users-sync:selected',
      'beta/presence:selected',
    ]);
    expect((await h.repos.authorizations.get('beta', 'presence'))?.status).toBe('invalid');

    const first = await h.call('POST', '/admin/recheck', {
      body: { cause: 'password_changed_or_revoked', withinHours: 2, limit: 1 },
    });
    expect(first.status).toBe(200);
    const firstBody = first.body as { items: Array<{ outcome: string }>; cursor?: string };
    expect(firstBody.items).toHaveLength(1);
    expect(firstBody.cursor).toBeDefined();
    const second = await h.call('POST', '/admin/recheck', {
      body: { cause: 'password_changed_or_revoked', withinHours: 2, limit: 1, cursor: firstBody.cursor },
    });
    expect(second.status).toBe(200);
    const secondBody = second.body as { items: Array<{ outcome: string }>; cursor?: string };
    expect(secondBody.items).toHaveLength(1);
    expect(secondBody.cursor).toBeUndefined();
    expect([...firstBody.items, ...secondBody.items].map((item) => item.outcome)).toEqual([
      'restored',
      'restored',
    ]);

    expect((await h.repos.authorizations.get(recent.tenantId, recent.integration))?.status).toBe('active');
    expect((await h.repos.authorizations.get(alsoRecent.tenantId, alsoRecent.integration))?.status).toBe(
      'active',
    );
    expect(await h.repos.authorizations.get(otherCause.tenantId, otherCause.integration)).toEqual(otherCause);
    expect(await h.repos.authorizations.get('acme', 'cdr')).toEqual(old);
  });

  it('ends a bulk call early with a cursor when Webex is slow, and the next call carries on', async () => {
    for (const [tenantId, integration] of [
      ['acme', 'users-sync'],
      ['beta', 'presence'],
    ] as const) {
      const record = await h.repos.authorizations.get(tenantId, integration);
      if (!record) throw new Error(`no ${tenantId}/${integration}`);
      await invalidateByHand(record, 'unknown', 0.5);
    }
    webex.beforeRefresh = () => h.clock.advance(13);
    try {
      const first = await h.call('POST', '/admin/recheck', { body: { cause: 'unknown', withinHours: 1 } });
      const firstBody = first.body as {
        items: Array<{ tenantId: string; outcome: string }>;
        cursor?: string;
      };
      expect(firstBody.items).toEqual([expect.objectContaining({ tenantId: 'acme', outcome: 'restored' })]);
      expect(firstBody.cursor).toBeDefined();
      webex.beforeRefresh = () => undefined;
      const second = await h.call('POST', '/admin/recheck', {
        body: { cause: 'unknown', withinHours: 1, cursor: firstBody.cursor },
      });
      const secondBody = second.body as {
        items: Array<{ tenantId: string; outcome: string }>;
        cursor?: string;
      };
      expect(secondBody.items).toEqual([expect.objectContaining({ tenantId: 'beta', outcome: 'restored' })]);
      expect(secondBody.cursor).toBeUndefined();
    } finally {
      webex.beforeRefresh = () => undefined;
    }
  });

  it('refuses a bulk recheck without a window, with two windows, a cursor it never gave, or an unknown tenant or integration', async () => {
    const detail = async (body: unknown) => {
      const response = await h.call('POST', '/admin/recheck', { body });
      expect(response.status).toBe(400);
      return (response.body as { detail: string }).detail;
    };
    expect(await detail({ cause: 'unknown' })).toMatch(/since/);
    expect(await detail({ withinHours: 2, since: '2026-01-01T00:00:00Z' })).toMatch(/not both/);
    expect(await detail({ withinHours: 2, cursor: 'bm90LWEtY3Vyc29y' })).toMatch(/cursor/);
    expect(await detail({ withinHours: 2, cause: 'bad_cause' })).toMatch(/cause/);
    expect(await detail({ withinHours: 2, limit: 1000 })).toMatch(/limit/);
    const unknownTenant = await h.call('POST', '/admin/recheck', {
      body: { withinHours: 2, tenantId: 'nobody' },
    });
    expect(unknownTenant.status).toBe(404);
    const unknownIntegration = await h.call('POST', '/admin/recheck', {
      body: { withinHours: 2, integration: 'no-such' },
    });
    expect(unknownIntegration.status).toBe(404);
  });

  it('refreshes a live authorization now and answers the new expiry, never a token', async () => {
    const record = await authorize('beta', 'cdr');
    advanceBoth(h.clock, sim, 60);
    const refreshesBefore = webex.refreshes;

    const response = await h.call('POST', '/admin/tenants/beta/authorizations/cdr/refresh');

    expect(response.status).toBe(200);
    const body = response.body as {
      accessTokenExpiresAt: string;
      refreshTokenExpiresAt: string;
      status: string;
    };
    expect(body.status).toBe('active');
    expect(Date.parse(body.accessTokenExpiresAt)).toBeGreaterThan(
      Date.parse(record.accessTokenExpiresAt ?? ''),
    );
    expect(webex.refreshes).toBe(refreshesBefore + 1);
    const after = await h.repos.authorizations.get('beta', 'cdr');
    expect(after?.accessTokenExpiresAt).toBe(body.accessTokenExpiresAt);
    expect(after?.leaseOwner).toBeUndefined();
    const material = await openRecordTokens(h.vault, after);
    expect(response.text).not.toContain(material.accessToken);
    expect(response.text).not.toContain(material.refreshToken);
  });

  it('holds the lease: of two refreshes at once, one reaches Webex and the other is told to retry', async () => {
    await fetch(`${sim.url}/_sim/faults`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ latencyMs: 300 }),
    });
    const refreshesBefore = webex.refreshes;
    try {
      const answers = await Promise.all([
        h.call('POST', '/admin/tenants/beta/authorizations/cdr/refresh'),
        h.call('POST', '/admin/tenants/beta/authorizations/cdr/refresh'),
      ]);
      expect(answers.map((answer) => answer.status).sort()).toEqual([200, 409]);
      const busy = answers.find((answer) => answer.status === 409);
      expect(busy?.body).toMatchObject({ type: 'urn:webex-auth-keeper:problem:authorization-busy' });
    } finally {
      await fetch(`${sim.url}/_sim/faults`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ latencyMs: 0 }),
      });
    }
    expect(webex.refreshes).toBe(refreshesBefore + 1);
  });

  it('reads a refresh Webex refuses for the grant as the validator does: invalid with its cause, counted for the alarm', async () => {
    const orgId = sim.world.findPersonByEmail('admin@demo.example')?.orgId ?? '';
    sim.world.addPerson({ email: 'quitter@demo.example', orgId, fullAdmin: true });
    await authorize('beta', 'call-control', 'quitter@demo.example');
    sim.world.changePassword('quitter@demo.example');
    const metrics = new Metrics({ namespace: 'Test', serviceName: 'admin-api-test' });
    const addMetric = vi.spyOn(metrics, 'addMetric');
    const handler = createAdminApiHandler(h.deps, {
      logger: new Logger({ serviceName: 'admin-api-test', logLevel: 'SILENT' }),
      metrics,
    });

    const response = await handler(
      adminEvent('POST', '/admin/tenants/beta/authorizations/call-control/refresh'),
      lambdaContext({ functionName: 'admin-api' }),
    );

    expect(response.statusCode).toBe(502);
    const problem = JSON.parse(response.body ?? '{}') as { type: string; detail: string };
    expect(problem.type).toBe('urn:webex-auth-keeper:problem:refresh-failed');
    expect(problem.detail).toMatch(/it is invalid \(cause \w+\)/);
    const after = await h.repos.authorizations.get('beta', 'call-control');
    expect(after?.status).toBe('invalid');
    expect(after?.cause).toBeDefined();
    expect(h.events.published.map(({ event }) => `${event.integration}:${event.type}`)).toContain(
      'call-control:invalidated',
    );
    expect(addMetric).toHaveBeenCalledWith(AUTHORIZATION_INVALIDATED_METRIC, 'Count', 1);
  });

  it('refuses to refresh an invalid authorization, pointing to recheck', async () => {
    const response = await h.call('POST', '/admin/tenants/acme/authorizations/cdr/refresh');
    expect(response.status).toBe(409);
    expect((response.body as { detail: string }).detail).toMatch(/recheck/);
  });
});

describe('reload of a client secret fixed during a credential incident (DynamoDB Local, Webex simulator)', () => {
  let sim: WebexSimulator;
  let h: AdminHarness;
  const storedSecrets: Record<string, string> = {};
  const secretsManager = new SecretsManagerClient({
    region: 'eu-west-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  const secretsManagerMock = mockClient(secretsManager);
  /** A function's client secret source over the mocked Secrets Manager, with the deployed 5-minute cache. */
  const functionSecrets = () =>
    new SecretsManagerClientSecretSource({ client: secretsManager, secretId: 'client-secrets' });

  beforeAll(async () => {
    sim = await startCatalogSimulator();
    for (const key of defaultCatalog().keys) storedSecrets[key] = simClientSecret(key);
    secretsManagerMock
      .on(GetSecretValueCommand)
      .callsFake(() => ({ SecretString: JSON.stringify(storedSecrets) }));
    h = await createAdminHarness({
      webex: new HttpWebexClient({ baseUrl: sim.url, timeoutMs: 3000 }),
      now: new Date(),
      clientSecrets: functionSecrets(),
    });
    for (const tenantId of ['gamma', 'delta']) {
      expect((await h.call('POST', '/admin/tenants', { body: { tenantId, name: tenantId } })).status).toBe(
        201,
      );
    }
  });
  afterAll(async () => {
    await sim?.close();
    await h?.close();
  });

  it('after a regenerate, the new secret stored and a reload, every authorization is active without waiting for the cache', async () => {
    for (const tenantId of ['gamma', 'delta']) {
      await authorizeInto(h, sim, { tenantId, integration: 'presence' });
    }
    const presence = h.deps.catalog.find('presence');
    const store = h.deps.validator.credentialIncidents?.store;
    if (!presence || !store) throw new Error('no presence integration or incident store');
    // Another warm function: it read the (old) secret before the regenerate and caches it for 5 minutes.
    const worker = { ...h.deps.validator, clientSecrets: functionSecrets() };
    await worker.clientSecrets.get('presence');
    const noIncident = await h.call('POST', '/admin/integrations/presence/reload');
    expect(noIncident.status).toBe(409);
    expect(noIncident.body).toMatchObject({ type: 'urn:webex-auth-keeper:problem:no-credential-incident' });
    expect((await h.call('POST', '/admin/integrations/no-such/reload')).status).toBe(404);

    const regenerated = await fetch(
      `${sim.url}/_sim/integrations/${encodeURIComponent(presence.integrationId)}/regenerate-secret`,
      { method: 'POST' },
    );
    const { clientSecret } = (await regenerated.json()) as { clientSecret: string };
    advanceBoth(h.clock, sim, 15 * DAY);
    const refused = await h.call('POST', '/admin/tenants/gamma/authorizations/presence/refresh');
    expect(refused.status).toBe(502);
    expect(await store.list()).toEqual([
      expect.objectContaining({ integration: 'presence', tenantId: 'gamma' }),
    ]);

    storedSecrets.presence = clientSecret;
    const reload = await h.call('POST', '/admin/integrations/presence/reload');
    expect(reload.status).toBe(202);
    expect(reload.body).toMatchObject({
      integration: 'presence',
      verifiedOn: { tenantId: 'gamma', outcome: 'accepted' },
      incidentOpen: false,
    });
    expect(await store.list()).toEqual([]);

    // The other function's copy is still the old secret, well within its 5 minutes: the reload makes
    // it read the secret again instead of reporting the incident anew.
    const outcome = await validateAuthorization(
      worker,
      { tenantId: 'delta', integration: 'presence' },
      { force: true },
    );
    expect(outcome).toMatchObject({ kind: 'checked', status: 'active', refreshed: true });
    expect(await store.list()).toEqual([]);
    for (const tenantId of ['gamma', 'delta']) {
      expect((await h.repos.authorizations.get(tenantId, 'presence'))?.status).toBe('active');
    }
    const types = h.events.published.map(({ event }) => event.type);
    expect(types.filter((type) => type === 'credential_incident')).toHaveLength(1);
    expect(types.filter((type) => type === 'credential_resolved')).toHaveLength(1);
    expect(types).not.toContain('invalidated');
    expect(h.events.published.filter(({ alert }) => alert && alert.audience !== 'ops')).toEqual([]);
  });
});
