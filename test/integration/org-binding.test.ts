import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpWebexClient } from '#adapters/webex-client.js';
import { OrgMismatchError } from '#domain/onboarding-errors.js';
import { issueOnboardingLink } from '#domain/onboarding-link.js';
import {
  completeAuthorization,
  startAuthorization,
  type OnboardingDependencies,
} from '#domain/onboarding.js';
import { silentLog } from '#domain/ports.js';
import { submitConsent, type WebexSimulator } from '#local/webex-simulator/index.js';
import {
  createAdminHarness,
  LINK_KEY,
  PUBLIC_BASE_URL,
  type AdminHarness,
} from '#test-support/admin-harness.js';
import { simClientSecrets, startCatalogSimulator } from '#test-support/sim-authorization.js';
import { testSettings } from '#test-support/fixtures.js';

/*
 * Issue 20, item 1: a tenant's Webex org set by the vendor in advance, changed or removed by the
 * admin API, and announced to ops when a first consent binds it. The consents run the onboarding
 * use cases against the Webex simulator and DynamoDB Local.
 */

interface SimOrg {
  orgId: string;
  name: string;
}

describe('org binding (admin API, onboarding, DynamoDB Local, Webex simulator)', () => {
  let sim: WebexSimulator;
  let h: AdminHarness;
  let onboarding: OnboardingDependencies;
  let demoOrgId: string;
  let otherOrg: SimOrg;

  beforeAll(async () => {
    sim = await startCatalogSimulator();
    const webex = new HttpWebexClient({ baseUrl: sim.url, timeoutMs: 2000 });
    h = await createAdminHarness({ webex });
    onboarding = {
      tenants: h.repos.tenants,
      authorizations: h.repos.authorizations,
      history: h.repos.history,
      oauthStates: h.repos.oauthStates,
      vault: h.vault,
      webex,
      events: h.events,
      clientSecrets: simClientSecrets,
      linkKeys: { get: async () => LINK_KEY },
      catalog: h.deps.catalog,
      clock: h.clock,
      settings: testSettings({ publicBaseUrl: PUBLIC_BASE_URL, webexApiBaseUrl: sim.url }),
      log: silentLog,
    };
    const orgs = (await (await fetch(`${sim.url}/_sim/orgs`)).json()) as Array<{ id: string }>;
    demoOrgId = orgs[0]?.id ?? '';
    const created = await fetch(`${sim.url}/_sim/orgs`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'Squatter Ltd' }),
    });
    otherOrg = (await created.json()) as SimOrg;
    const person = await fetch(`${sim.url}/_sim/people`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: 'mallory@squatter.example', orgId: otherOrg.orgId, fullAdmin: true }),
    });
    expect(person.status).toBe(201);
  });

  afterAll(async () => {
    await sim?.close();
    await h?.close();
  });

  /** One consent through the onboarding use cases: start, the simulator's consent page, callback. */
  async function consent(tenantId: string, integration: string, person: string) {
    const tenant = await h.repos.tenants.get(tenantId);
    if (!tenant) throw new Error(`no tenant ${tenantId}`);
    const link = issueOnboardingLink({
      tenant,
      key: LINK_KEY,
      clock: h.clock,
      publicBaseUrl: PUBLIC_BASE_URL,
    });
    const { authorizeUrl } = await startAuthorization(onboarding, { linkToken: link.token, integration });
    const answer = await submitConsent(authorizeUrl, { person, decision: 'accept' });
    const callback = new URL(answer.headers.get('location') ?? '').searchParams;
    return completeAuthorization(onboarding, {
      state: callback.get('state') ?? '',
      code: callback.get('code') ?? '',
    });
  }

  /** The tenant's items (OAuth states aside: a refused callback spends its state). */
  async function tenantItems(tenantId: string) {
    const { Items = [] } = await h.table.documentClient.send(
      new ScanCommand({ TableName: h.table.tableName, ConsistentRead: true }),
    );
    return Items.filter((item) => item.pk === `TENANT#${tenantId}`).sort((a, b) =>
      String(a.sk).localeCompare(String(b.sk)),
    );
  }

  const orgBoundMails = (tenantId: string) =>
    h.events.published.filter(({ event }) => event.type === 'org_bound' && event.tenantId === tenantId);

  it('refuses a Full Admin of another org on a tenant created with its orgId, storing nothing, and lets the right org in', async () => {
    const created = await h.call('POST', '/admin/tenants', {
      body: { tenantId: 'squat-preset', name: 'Preset Corp', orgId: demoOrgId },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ orgId: demoOrgId });
    const before = await tenantItems('squat-preset');
    const publishedBefore = h.events.published.length;

    await expect(consent('squat-preset', 'presence', 'mallory@squatter.example')).rejects.toBeInstanceOf(
      OrgMismatchError,
    );
    expect(await tenantItems('squat-preset')).toEqual(before);
    expect(h.events.published.length).toBe(publishedBefore);

    const outcome = await consent('squat-preset', 'presence', 'admin@demo.example');
    expect(outcome.kind).toBe('authorized');
    expect((await h.repos.tenants.get('squat-preset'))?.orgId).toBe(demoOrgId);
    // Bound by the vendor, not by a consent: no org-binding mail.
    expect(orgBoundMails('squat-preset')).toEqual([]);
  });

  it('mails ops alone, once, when a first consent binds a tenant created without an org', async () => {
    expect(
      (await h.call('POST', '/admin/tenants', { body: { tenantId: 'first-bind', name: 'First Bind Inc' } }))
        .status,
    ).toBe(201);

    await consent('first-bind', 'presence', 'admin@demo.example');
    await consent('first-bind', 'cdr', 'admin@demo.example');

    const mails = orgBoundMails('first-bind');
    expect(mails).toHaveLength(1);
    const [{ event, alert } = { event: undefined, alert: undefined }] = mails;
    expect(alert?.audience).toBe('ops');
    expect(alert?.subject).toBe('Webex org bound: First Bind Inc (first-bind)');
    expect(alert?.text).toContain(`Webex org ID: ${demoOrgId}`);
    // Published once the grant is saved with the binding: the mail names the consenting person as the record does.
    expect(alert?.text).toMatch(/Authorized by: .+ <admin@demo\.example> \(person ID [^)]+\)/);
    expect(alert?.text).toContain('Tenant: First Bind Inc (first-bind)');
    expect(alert?.text).toContain(
      "npx webex-auth-keeper tenants update first-bind --org <the customer's Webex org ID> --revoke-authorizations",
    );
    expect(alert?.text).toContain(
      'npx webex-auth-keeper tenants update first-bind --no-org --revoke-authorizations',
    );
    expect(event).toMatchObject({
      integration: 'presence',
      authorizerEmail: 'admin@demo.example',
      orgId: demoOrgId,
    });
    const history = (await h.call('GET', '/admin/tenants/first-bind/history')).body as {
      items: Array<{ type: string }>;
    };
    expect(history.items.filter((item) => item.type === 'org_bound')).toHaveLength(1);
  });

  it('refuses to unbind while authorizations are live, and with revokeAuthorizations=true revokes them, unbinds, and lets a new org bind', async () => {
    await h.call('POST', '/admin/tenants', { body: { tenantId: 'squatted', name: 'Squatted Corp' } });
    await consent('squatted', 'presence', 'mallory@squatter.example');
    expect((await h.repos.tenants.get('squatted'))?.orgId).toBe(otherOrg.orgId);
    const before = await tenantItems('squatted');

    const refused = await h.call('PATCH', '/admin/tenants/squatted', { body: { orgId: null } });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({
      type: 'urn:webex-auth-keeper:problem:authorizations-live',
      detail: expect.stringContaining('presence') as unknown,
    });
    expect(await tenantItems('squatted')).toEqual(before);

    const unbound = await h.call('PATCH', '/admin/tenants/squatted', {
      body: { orgId: null },
      query: 'revokeAuthorizations=true',
    });
    expect(unbound.status).toBe(200);
    expect(unbound.body).not.toHaveProperty('orgId');
    const record = await h.repos.authorizations.get('squatted', 'presence');
    expect(record).toMatchObject({ status: 'revoked', causeDetail: 'Webex organization unbound' });
    expect(record?.secretId).toBeUndefined();
    const revoked = h.events.published.filter(
      ({ event }) => event.tenantId === 'squatted' && event.type === 'revoked',
    );
    expect(revoked).toHaveLength(1);
    expect(revoked[0]?.alert?.text).toContain('Webex organization was unbound or changed');

    await consent('squatted', 'presence', 'admin@demo.example');
    expect((await h.repos.tenants.get('squatted'))?.orgId).toBe(demoOrgId);
    expect(await h.repos.authorizations.get('squatted', 'presence')).toMatchObject({ status: 'active' });
    expect(orgBoundMails('squatted')).toHaveLength(2);
  });

  it('counts a check_failing authorization as live: its tokens may still work at Webex', async () => {
    await h.call('POST', '/admin/tenants', { body: { tenantId: 'failing-checks', name: 'Failing Checks' } });
    await consent('failing-checks', 'presence', 'admin@demo.example');
    const record = await h.repos.authorizations.get('failing-checks', 'presence');
    if (!record) throw new Error('no presence authorization');
    await h.repos.authorizations.save(
      {
        ...record,
        status: 'check_failing',
        checkErrors: 3,
        lastCheckError: { errorId: 'error-1', at: record.updatedAt },
      },
      record.version,
    );
    const refused = await h.call('PATCH', '/admin/tenants/failing-checks', { body: { orgId: null } });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({
      type: 'urn:webex-auth-keeper:problem:authorizations-live',
      detail: expect.stringContaining('presence') as unknown,
    });
  });

  it('binds a tenant to the customer org over a squatter, after which the squatter is refused', async () => {
    await h.call('POST', '/admin/tenants', { body: { tenantId: 'rebind', name: 'Rebind Corp' } });
    await consent('rebind', 'presence', 'mallory@squatter.example');

    const rebound = await h.call('PATCH', '/admin/tenants/rebind', {
      body: { orgId: demoOrgId, name: 'Rebind Corporation' },
      query: 'revokeAuthorizations=true',
    });
    expect(rebound.status).toBe(200);
    expect(rebound.body).toMatchObject({ orgId: demoOrgId, name: 'Rebind Corporation' });
    await expect(consent('rebind', 'presence', 'mallory@squatter.example')).rejects.toBeInstanceOf(
      OrgMismatchError,
    );
    expect((await consent('rebind', 'presence', 'admin@demo.example')).kind).toBe('authorized');
  });

  it('checks the shape of an orgId and the query of an org change', async () => {
    await h.call('POST', '/admin/tenants', { body: { tenantId: 'shapes', name: 'Shapes' } });
    const before = await h.snapshot();
    const bareUuid = await h.call('POST', '/admin/tenants', {
      body: { tenantId: 'shapes-2', name: 'Shapes 2', orgId: '96abc2aa-3dcc-11e5-a152-fe34819cdc9a' },
    });
    expect(bareUuid.status).toBe(400);
    expect(bareUuid.body).toMatchObject({
      detail: expect.stringMatching(/^Invalid body: orgId: must be a Webex org id/) as unknown,
    });
    const otherKind = Buffer.from('ciscospark://us/PEOPLE/96abc2aa-3dcc-11e5-a152-fe34819cdc9a').toString(
      'base64url',
    );
    expect((await h.call('PATCH', '/admin/tenants/shapes', { body: { orgId: otherKind } })).status).toBe(400);
    const revokeWithoutOrg = await h.call('PATCH', '/admin/tenants/shapes', {
      body: { name: 'Shapes again' },
      query: 'revokeAuthorizations=true',
    });
    expect(revokeWithoutOrg.status).toBe(400);
    expect(
      (
        await h.call('PATCH', '/admin/tenants/shapes', {
          body: { orgId: null },
          query: 'revokeAuthorizations=yes',
        })
      ).status,
    ).toBe(400);
    expect(await h.snapshot()).toEqual(before);

    const bound = await h.call('PATCH', '/admin/tenants/shapes', { body: { orgId: otherOrg.orgId } });
    expect(bound.status).toBe(200);
    expect((await h.repos.tenants.get('shapes'))?.orgId).toBe(otherOrg.orgId);
  });

  it('reactivates an offboarded tenant, and refuses to reactivate or purge an active one', async () => {
    await h.call('POST', '/admin/tenants', {
      body: { tenantId: 'comeback', name: 'Comeback', contacts: ['it@comeback.example'], orgId: demoOrgId },
    });
    expect((await h.call('POST', '/admin/tenants/comeback/reactivate')).body).toMatchObject({
      type: 'urn:webex-auth-keeper:problem:tenant-active',
    });
    expect((await h.call('DELETE', '/admin/tenants/comeback', { query: 'purge=true' })).status).toBe(409);
    expect((await h.call('DELETE', '/admin/tenants/comeback')).status).toBe(200);
    expect((await h.call('POST', '/admin/tenants/comeback/links')).status).toBe(409);

    const reactivated = await h.call('POST', '/admin/tenants/comeback/reactivate');
    expect(reactivated.status).toBe(200);
    expect(reactivated.body).toMatchObject({ status: 'active', orgId: demoOrgId, linkVersion: 2 });
    expect((await h.call('POST', '/admin/tenants/comeback/links')).status).toBe(201);
    expect((await consent('comeback', 'presence', 'admin@demo.example')).kind).toBe('authorized');
  });

  it('purges an offboarded tenant with its authorizations and history, so its id can be created again', async () => {
    await h.call('POST', '/admin/tenants', { body: { tenantId: 'gone', name: 'Gone Corp' } });
    await consent('gone', 'presence', 'admin@demo.example');
    expect((await h.call('DELETE', '/admin/tenants/gone')).status).toBe(200);
    expect((await tenantItems('gone')).length).toBeGreaterThan(2);
    expect(
      (await h.call('POST', '/admin/tenants', { body: { tenantId: 'gone', name: 'Again' } })).status,
    ).toBe(409);

    const purged = await h.call('DELETE', '/admin/tenants/gone', { query: 'purge=true' });
    expect(purged.status).toBe(200);
    expect(purged.body).toMatchObject({ tenantId: 'gone', purged: true });
    expect(await tenantItems('gone')).toEqual([]);
    expect((await h.call('GET', '/admin/tenants/gone')).status).toBe(404);

    const again = await h.call('POST', '/admin/tenants', { body: { tenantId: 'gone', name: 'Gone Again' } });
    expect(again.status).toBe(201);
    expect(again.body).not.toHaveProperty('orgId');
    expect((await consent('gone', 'presence', 'mallory@squatter.example')).kind).toBe('authorized');
  });
});
