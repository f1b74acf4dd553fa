import { describe, expect, it } from 'vitest';
import { unsubscribeUrl } from '#domain/unsubscribe-link.js';
import { createPublicApiHandler } from '#functions/public-api.app.js';
import { InMemoryTenantRepository, unreachableWebex } from '#test-support/fakes/index.js';
import { apiGatewayEvent, lambdaContext, silentObservability, testTenant } from '#test-support/fixtures.js';
import { inMemoryPublicApiDependencies } from '#test-support/public-api-harness.js';

const CONTACTS = ['it@acme.example', 'noc@acme.example'];

function setup() {
  const tenants = new InMemoryTenantRepository(
    testTenant({ contacts: CONTACTS }),
    testTenant({ tenantId: 'globex', name: 'Globex', contacts: CONTACTS }),
  );
  // The route reads nothing but the tenants and the link key: Webex is never reached.
  const deps = { ...inMemoryPublicApiDependencies(), tenants, webex: unreachableWebex() };
  const linkKeys = deps.linkKeys;
  const handler = createPublicApiHandler(deps, silentObservability());
  const pathOf = (tenantId: string, email: string) =>
    new URL(
      unsubscribeUrl({ publicBaseUrl: deps.settings.publicBaseUrl, tenantId, email, key: linkKeys.key }),
    ).pathname;
  const call = async (method: 'GET' | 'POST', path: string) => {
    const result = await handler(
      apiGatewayEvent({
        method,
        path,
        headers: { host: 'portal.test', 'content-type': 'application/x-www-form-urlencoded' },
        ...(method === 'POST' ? { body: 'List-Unsubscribe=One-Click' } : {}),
      }),
      lambdaContext(),
    );
    return { statusCode: result.statusCode, body: result.body ?? '' };
  };
  return { tenants, pathOf, call };
}

describe('the unsubscribe route', () => {
  it('shows a confirm button on GET and unsubscribes nobody (mail scanners follow links)', async () => {
    const { tenants, pathOf, call } = setup();
    const path = pathOf('acme', 'noc@acme.example');
    const answer = await call('GET', path);
    expect(answer.statusCode).toBe(200);
    expect(answer.body).toContain('Stop the alerts of Acme Corp?');
    expect(answer.body).toContain(`action="${path}"`);
    expect(answer.body).not.toContain('noc@acme.example');
    expect((await tenants.get('acme'))?.suppressedContacts).toBeUndefined();
  });

  it('unsubscribes that address from that tenant only on the one-click POST', async () => {
    const { tenants, pathOf, call } = setup();
    const answer = await call('POST', pathOf('acme', 'noc@acme.example'));
    expect(answer.statusCode).toBe(200);
    expect(answer.body).toContain('Alerts stopped');
    expect((await tenants.get('acme'))?.suppressedContacts).toEqual([
      { email: 'noc@acme.example', reason: 'unsubscribed', at: '2026-03-01T10:00:00.000Z' },
    ]);
    expect((await tenants.get('acme'))?.contacts).toEqual(CONTACTS);
    expect((await tenants.get('globex'))?.suppressedContacts).toBeUndefined();
  });

  it('says on GET, after the one-click POST, that the alerts are already stopped, with no button and no write', async () => {
    const { tenants, pathOf, call } = setup();
    const path = pathOf('acme', 'noc@acme.example');
    await call('POST', path);
    const stored = await tenants.get('acme');
    const answer = await call('GET', path);
    expect(answer.statusCode).toBe(200);
    expect(answer.body).toContain('Alerts already stopped');
    expect(answer.body).toContain('This address already gets no alerts of Acme Corp');
    expect(answer.body).toContain('To get them again, ask the vendor&#39;s ops to restore it.');
    expect(answer.body).not.toContain('Stop the alerts of');
    expect(answer.body).not.toContain('id="unsubscribe"');
    expect(answer.body).not.toContain('noc@acme.example');
    expect(await tenants.get('acme')).toEqual(stored);
    // Only that address, for that tenant: another contact, or the same one elsewhere, is still asked.
    expect((await call('GET', pathOf('acme', 'it@acme.example'))).body).toContain(
      'Stop the alerts of Acme Corp?',
    );
    expect((await call('GET', pathOf('globex', 'noc@acme.example'))).body).toContain(
      'Stop the alerts of Globex?',
    );
  });

  it('says already stopped for an address suppressed after a bounce, whatever its case, as the notifier skips it', async () => {
    const { tenants, pathOf, call } = setup();
    await tenants.suppressContact('acme', {
      email: 'NOC@acme.example',
      reason: 'bouncing',
      at: '2026-02-01T00:00:00.000Z',
    });
    expect((await call('GET', pathOf('acme', 'noc@acme.example'))).body).toContain('Alerts already stopped');
  });

  it("says an offboarded tenant's alerts have ended, and writes nothing on GET or POST", async () => {
    const { tenants, pathOf, call } = setup();
    const tenant = await tenants.get('acme');
    await tenants.replace({ ...tenant!, status: 'offboarded' }, tenant!.updatedAt);
    const before = await tenants.get('acme');
    const path = pathOf('acme', 'noc@acme.example');
    for (const method of ['GET', 'POST'] as const) {
      const answer = await call(method, path);
      expect(answer.statusCode).toBe(200);
      expect(answer.body).toContain('no longer has access here, so its alerts have ended');
      expect(answer.body).not.toContain('id="unsubscribe"');
    }
    expect(await tenants.get('acme')).toEqual(before);
  });

  it('records a repeated one-click POST once: the second says already stopped', async () => {
    const { tenants, pathOf, call } = setup();
    const path = pathOf('acme', 'noc@acme.example');
    expect((await call('POST', path)).body).toContain('Alerts stopped');
    const again = await call('POST', path);
    expect([again.statusCode, again.body]).toEqual([200, expect.stringContaining('Alerts already stopped')]);
    expect((await tenants.get('acme'))?.suppressedContacts).toHaveLength(1);
  });

  it('answers 400 to a forged or malformed link and changes nothing', async () => {
    const { tenants, pathOf, call } = setup();
    const forged = pathOf('acme', 'noc@acme.example').replace(/.$/, (last) => (last === 'A' ? 'B' : 'A'));
    for (const path of [forged, '/unsubscribe/not-a-token']) {
      expect((await call('POST', path)).statusCode).toBe(400);
    }
    expect((await tenants.get('acme'))?.suppressedContacts).toBeUndefined();
  });

  it('says there is nothing to stop for an address the tenant no longer lists', async () => {
    const { pathOf, call } = setup();
    const answer = await call('POST', pathOf('acme', 'left@acme.example'));
    expect(answer.body).toContain('Nothing to stop');
  });
});
