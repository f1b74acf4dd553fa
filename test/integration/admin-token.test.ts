import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpWebexClient } from '#adapters/webex-client.js';
import type { Authorization } from '#domain/model.js';
import type { WebexSimulator } from '#local/webex-simulator/index.js';
import { createAdminHarness, seedAuthorization, type AdminHarness } from '#test-support/admin-harness.js';
import { advanceBoth, authorizeInSimulator, startCatalogSimulator } from '#test-support/sim-authorization.js';

/** Access tokens live two minutes here, so a test makes one stale by moving the clocks 90 s. */
const ACCESS_LIFETIME_S = 120;

const tokenPath = (tenantId: string, integration: string) =>
  `/admin/tenants/${tenantId}/authorizations/${integration}/token`;

/*
 * GET .../token, the HTTP way to a token for services in any language, against DynamoDB Local and
 * the Webex simulator: the token of a live authorization, refreshed under the lease when it is
 * stale, and a typed problem for every authorization that gives none.
 */
describe('GET /admin/tenants/{tenantId}/authorizations/{integration}/token', () => {
  let sim: WebexSimulator;
  let h: AdminHarness;
  let tenantCount = 0;

  beforeAll(async () => {
    sim = await startCatalogSimulator({ accessTokenLifetimeSeconds: ACCESS_LIFETIME_S });
    h = await createAdminHarness({
      webex: new HttpWebexClient({ baseUrl: sim.url, timeoutMs: 3000 }),
      now: new Date(),
    });
  });
  afterAll(async () => {
    await sim?.close();
    await h?.close();
  });

  async function newTenant(): Promise<string> {
    tenantCount += 1;
    const tenantId = `token-${tenantCount}`;
    const created = await h.call('POST', '/admin/tenants', { body: { tenantId, name: tenantId } });
    expect(created.status).toBe(201);
    return tenantId;
  }

  const authorize = (tenantId: string, integration = 'presence') =>
    authorizeInSimulator({ sim, repos: h.repos, vault: h.vault, clock: h.clock, tenantId, integration });

  async function expectProblem(path: string, status: number, slug: string) {
    const answer = await h.call('GET', path);
    expect(answer.status).toBe(status);
    expect(answer.headers['content-type']).toBe('application/problem+json');
    expect(answer.body).toMatchObject({ type: `urn:webex-auth-keeper:problem:${slug}`, status });
    return answer;
  }

  it('answers the access token, its expiry and the status, never to be cached', async () => {
    const tenantId = await newTenant();
    const { material } = await authorize(tenantId);

    const answer = await h.call('GET', tokenPath(tenantId, 'presence'));

    expect(answer.status).toBe(200);
    expect(answer.headers['cache-control']).toBe('no-store');
    expect(answer.body).toEqual({
      tenantId,
      integration: 'presence',
      accessToken: material.accessToken,
      expiresAt: material.accessTokenExpiresAt,
      scopes: (material.scope ?? '').split(' '),
      status: 'active',
    });
    expect(sim.world.authenticate(material.accessToken)).toBeDefined();
  });

  it('refreshes a stale access token under the lease and saves the new tokens on the record', async () => {
    const tenantId = await newTenant();
    const { record, material } = await authorize(tenantId);
    advanceBoth(h.clock, sim, ACCESS_LIFETIME_S - 30);

    const answer = await h.call('GET', tokenPath(tenantId, 'presence'));

    expect(answer.status).toBe(200);
    const body = answer.body as { accessToken: string; expiresAt: string; status: string };
    expect(body.accessToken).not.toBe(material.accessToken);
    expect(sim.world.authenticate(body.accessToken)).toBeDefined();
    expect(Date.parse(body.expiresAt)).toBeGreaterThan(Date.parse(material.accessTokenExpiresAt));
    const saved = (await h.repos.authorizations.get(tenantId, 'presence')) as Authorization;
    expect(saved.version).toBeGreaterThan(record.version);
    expect(saved.leaseOwner).toBeUndefined();
    expect(saved.accessTokenExpiresAt).toBe(body.expiresAt);
  });

  it('refuses a degraded authorization until its next check, and hands out its valid token with acceptDegraded=true', async () => {
    const tenantId = await newTenant();
    const { record, material } = await authorize(tenantId);
    const nextCheckAt = new Date(h.clock.now().getTime() + 90_000).toISOString();
    await h.repos.authorizations.save({ ...record, status: 'degraded', nextCheckAt }, record.version);

    const refused = await expectProblem(tokenPath(tenantId, 'presence'), 503, 'authorization-degraded');
    expect(refused.headers['retry-after']).toBe('90');
    expect(refused.body).toMatchObject({ reason: 'authorization_degraded', retryAfterSeconds: 90 });
    expect((refused.body as { detail: string }).detail).toContain('acceptDegraded=true');
    expect(refused.text).not.toContain(material.accessToken);

    const accepted = await h.call('GET', tokenPath(tenantId, 'presence'), { query: 'acceptDegraded=true' });
    expect(accepted.status).toBe(200);
    expect(accepted.body).toMatchObject({ accessToken: material.accessToken, status: 'degraded' });

    const strict = await h.call('GET', tokenPath(tenantId, 'presence'), { query: 'acceptDegraded=false' });
    expect(strict.status).toBe(503);
  });

  it('refuses a bad acceptDegraded value or an unknown query value with field errors', async () => {
    const tenantId = await newTenant();
    await authorize(tenantId);
    for (const query of ['acceptDegraded=yes', 'acceptDegraded=', 'acceptdegraded=true']) {
      const answer = await h.call('GET', tokenPath(tenantId, 'presence'), { query });
      expect(answer.status, query).toBe(400);
      expect(answer.body, query).toMatchObject({
        errors: [expect.objectContaining({ path: expect.any(String) })],
      });
    }
  });

  it('refuses with authorization-degraded and Retry-After when Webex fails the needed refresh, and marks nothing', async () => {
    const tenantId = await newTenant();
    const { record } = await authorize(tenantId);
    advanceBoth(h.clock, sim, ACCESS_LIFETIME_S + 10);
    sim.world.faults.update({ next429: 1, retryAfterSeconds: 7 });

    const answer = await expectProblem(tokenPath(tenantId, 'presence'), 503, 'authorization-degraded');

    expect(answer.headers['retry-after']).toBe('7');
    expect(answer.body).toMatchObject({ reason: 'webex_unavailable', retryAfterSeconds: 7 });
    expect(await h.repos.authorizations.get(tenantId, 'presence')).toMatchObject({
      version: record.version,
      status: 'active',
    });
  });

  /** Asks for the token of an authorization the validator found invalid with `cause`. */
  async function invalidTokenProblem(cause: Partial<Authorization>) {
    const tenantId = await newTenant();
    const { record } = await authorize(tenantId);
    const invalid: Authorization = { ...record, status: 'invalid', ...cause };
    delete invalid.nextCheckAt;
    await h.repos.authorizations.save(invalid, record.version);
    return expectProblem(tokenPath(tenantId, 'presence'), 409, 'authorization-invalid');
  }

  it('refuses an invalid authorization with authorization-invalid and the classified cause', async () => {
    const answer = await invalidTokenProblem({
      cause: 'password_changed_or_revoked',
      causeDetail: 'The refresh was refused.',
    });

    expect(answer.body).toMatchObject({
      invalidationCause: 'password_changed_or_revoked',
      causeDetail: 'The refresh was refused.',
    });
  });

  it("says a likely cause is the validator's classification, not that Webex refuses the tokens", async () => {
    // A Full Administrator role removed with the tokens kept: Webex still accepts them.
    const answer = await invalidTokenProblem({
      cause: 'admin_role_removed',
      confidence: 'likely',
      causeDetail: 'people/me answered, and the roles no longer include Full Administrator.',
    });

    const { detail } = answer.body as { detail: string };
    expect(detail).not.toMatch(/Webex no longer accepts/);
    expect(detail).toContain('the validator classified the cause as admin_role_removed (likely)');
  });

  it('names no cause when Webex refused the refresh just now, and leaves the record for the validator', async () => {
    const tenantId = await newTenant();
    await authorize(tenantId);
    sim.world.changePassword('admin@demo.example');
    advanceBoth(h.clock, sim, ACCESS_LIFETIME_S + 10);

    const answer = await expectProblem(tokenPath(tenantId, 'presence'), 409, 'authorization-invalid');

    expect(answer.body).not.toHaveProperty('invalidationCause');
    expect((answer.body as { detail: string }).detail).toMatch(/validator/);
    const after = await h.repos.authorizations.get(tenantId, 'presence');
    expect(after).toMatchObject({ status: 'active', nextCheckAt: h.clock.now().toISOString() });
  });

  it('refuses unknown tenants, integrations and authorizations with typed 404s', async () => {
    const tenantId = await newTenant();
    await expectProblem(tokenPath('nobody', 'presence'), 404, 'tenant-not-found');
    await expectProblem(tokenPath(tenantId, 'no-such-thing'), 404, 'integration-not-found');
    const missing = await expectProblem(tokenPath(tenantId, 'cdr'), 404, 'authorization-not-found');
    expect(missing.body).toMatchObject({ reason: 'not_found' });
  });

  it('refuses pending and revoked authorizations and inactive tenants with typed 409s', async () => {
    const tenantId = await newTenant();
    await seedAuthorization(h, tenantId, 'cdr', { status: 'pending' });
    await seedAuthorization(h, tenantId, 'sso', { status: 'revoked' });
    await expectProblem(tokenPath(tenantId, 'cdr'), 409, 'authorization-pending');
    await expectProblem(tokenPath(tenantId, 'sso'), 409, 'authorization-revoked');

    await authorize(tenantId);
    expect((await h.call('DELETE', `/admin/tenants/${tenantId}`)).status).toBe(200);
    await expectProblem(tokenPath(tenantId, 'presence'), 409, 'tenant-inactive');
  });

  it('refuses a query, a body and another method', async () => {
    const tenantId = await newTenant();
    await authorize(tenantId);
    const withQuery = await h.call('GET', tokenPath(tenantId, 'presence'), { query: 'reveal=true' });
    expect(withQuery.status).toBe(400);
    expect(withQuery.body).toMatchObject({
      detail: 'Invalid query: reveal: unknown parameter',
      errors: [{ path: 'query.reveal', message: 'unknown parameter' }],
    });
    const posted = await h.call('POST', tokenPath(tenantId, 'presence'));
    expect(posted.status).toBe(405);
    expect(posted.headers.allow).toBe('GET');
  });
});
