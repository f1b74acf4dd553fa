import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  obtainTokens,
  serviceAppId,
  signWebhookBody,
  startWebexSimulator,
  type SimServiceApp,
  type TokenResponse,
  type WebexSimulator,
} from '#local/webex-simulator/index.js';
import { compileResponseSchema, expectValid } from '#test-support/openapi-schema.js';

/**
 * Service Apps in the simulator: the token endpoint with its 403, `serviceApp` webhooks with
 * their signature, and the admin audit log, each answer checked against Cisco's OpenAPI extract.
 */
const redirectUri = 'http://127.0.0.1:9/oauth/callback';
const vendorApp = {
  clientId: 'Cvendor0000000000000000000000000000000000000000000000000000000000',
  clientSecret: 'vendor-secret',
  name: 'Vendor token app',
  redirectUris: [redirectUri],
};
const witness: SimServiceApp = {
  clientId: 'Cwitness000000000000000000000000000000000000000000000000000000000',
  clientSecret: 'witness-secret',
  name: 'Witness',
  scopes: ['spark-admin:people_read', 'spark-admin:roles_read', 'audit:events_read'],
};
const applicationId = serviceAppId(witness.clientId);

const validators = {
  token: compileResponseSchema('/applications/{applicationId}/token', {
    method: 'post',
    rootRequired: ['access_token', 'expires_in', 'refresh_token', 'refresh_token_expires_in', 'token_type'],
  }),
  auditEvents: compileResponseSchema('/adminAudit/events', {
    required: {
      AuditEventCollectionResponse: ['items'],
      AuditEvent: ['id', 'created', 'actorId', 'actorOrgId', 'data'],
    },
  }),
  categories: compileResponseSchema('/adminAudit/eventCategories', {
    required: { AuditEventCategoryCollectionResponse: ['eventCategories'] },
  }),
  webhook: compileResponseSchema('/webhooks', {
    method: 'post',
    required: { Webhook: ['id', 'name', 'targetUrl', 'resource', 'event', 'status', 'created'] },
  }),
};

interface Received {
  body: string;
  signature: string | undefined;
}

let sim: WebexSimulator;
let vendor: TokenResponse;
let demoOrgId: string;
let receiver: Server;
let receiverUrl: string;
let received: Received[] = [];

beforeAll(async () => {
  sim = await startWebexSimulator({ integrations: [vendorApp], serviceApps: [witness] });
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const signature = req.headers['x-spark-signature'];
      received.push({ body: Buffer.concat(chunks).toString('utf8'), signature: signature?.toString() });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhooks/webex`;
});
afterAll(async () => {
  await sim.close();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
});
beforeEach(async () => {
  sim.world.reset();
  received = [];
  demoOrgId = sim.world.listOrgs()[0]?.id ?? '';
  vendor = await obtainTokens(sim.url, {
    integration: { ...vendorApp, redirectUri },
    person: 'admin@demo.example',
    scopes: ['spark:applications_token'],
  });
  await deleteWebhooks();
});

/** Webhooks are configuration, so a reset keeps them: each test starts with none. */
async function deleteWebhooks(): Promise<void> {
  const headers = { Authorization: `Bearer ${vendor.access_token}` };
  const listed = (await (await fetch(`${sim.url}/v1/webhooks`, { headers })).json()) as {
    items: Array<{ id: string }>;
  };
  for (const { id } of listed.items) {
    const response = await fetch(`${sim.url}/v1/webhooks/${id}`, { method: 'DELETE', headers });
    expect(response.status).toBe(204);
  }
}

async function control(path: string, body: unknown = {}): Promise<Response> {
  return fetch(`${sim.url}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
}

async function serviceAppToken(
  overrides: Record<string, string> = {},
  bearer = vendor.access_token,
  app = applicationId,
): Promise<Response> {
  return fetch(`${sim.url}/v1/applications/${encodeURIComponent(app)}/token`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${bearer}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({
      clientId: witness.clientId,
      clientSecret: witness.clientSecret,
      targetOrgId: demoOrgId,
      ...overrides,
    }),
  });
}

async function authorizeWitness(): Promise<void> {
  const response = await control(`/_sim/orgs/${demoOrgId}/service-apps/${applicationId}/authorize`);
  expect(response.status).toBe(200);
}

async function getMe(accessToken: string): Promise<number> {
  const response = await fetch(`${sim.url}/v1/people/me`, {
    headers: { Authorization: `Bearer ${accessToken}` },
  });
  return response.status;
}

describe('the Service App token endpoint', () => {
  it('answers 403 until a Full Admin authorizes the Service App, then a token pair that fits the spec', async () => {
    const before = await serviceAppToken();
    expect(before.status).toBe(403);
    expect(((await before.json()) as { message: string }).message).toMatch(/not authorized/);

    await authorizeWitness();
    const after = await serviceAppToken();
    expect(after.status).toBe(200);
    const tokens = (await after.json()) as TokenResponse;
    expectValid(validators.token, tokens);
    expect(await getMe(tokens.access_token)).toBe(200);
  });

  it('refuses a token without spark:applications_token (403), wrong credentials (401), an unknown app (404) and a bad body (400)', async () => {
    await authorizeWitness();
    const plain = await obtainTokens(sim.url, {
      integration: { ...vendorApp, redirectUri },
      person: 'admin@demo.example',
      scopes: ['spark:people_read'],
    });
    expect((await serviceAppToken({}, plain.access_token)).status).toBe(403);
    expect((await serviceAppToken({}, 'not-a-token')).status).toBe(401);
    expect((await serviceAppToken({ clientSecret: 'wrong' })).status).toBe(401);
    expect((await serviceAppToken({}, vendor.access_token, serviceAppId('Cunknown'))).status).toBe(404);
    expect((await serviceAppToken({ targetOrgId: '' })).status).toBe(400);
  });

  it("keeps the org's tokens alive through the authorizer's password reset, deactivation and Full Admin removal", async () => {
    await authorizeWitness();
    const tokens = (await (await serviceAppToken()).json()) as TokenResponse;
    await control('/_sim/people/admin@demo.example/password-change', { resetBy: 'sso-admin@demo.example' });
    await control('/_sim/people/admin@demo.example/remove-full-admin');
    await control('/_sim/people/admin@demo.example/deactivate');
    expect(await getMe(tokens.access_token)).toBe(200);
    const refreshed = await fetch(`${sim.url}/v1/access_token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        client_id: witness.clientId,
        client_secret: witness.clientSecret,
        refresh_token: tokens.refresh_token,
      }),
    });
    expect(refreshed.status).toBe(200);
  });

  it("lets the witness's token read a person's sign-in state and the roles after the person's own tokens died", async () => {
    await authorizeWitness();
    const tokens = (await (await serviceAppToken()).json()) as TokenResponse;
    await control('/_sim/people/admin@demo.example/remove-full-admin', { actor: 'sso-admin@demo.example' });
    await control('/_sim/people/admin@demo.example/deactivate', { actor: 'sso-admin@demo.example' });
    const admin = sim.world.findPersonByEmail('admin@demo.example');
    const headers = { Authorization: `Bearer ${tokens.access_token}` };
    const person = await fetch(`${sim.url}/v1/people/${admin?.id ?? ''}`, { headers });
    expect(person.status).toBe(200);
    expect(await person.json()).toMatchObject({ loginEnabled: 'false', roles: [] });
    expect((await fetch(`${sim.url}/v1/roles`, { headers })).status).toBe(200);
  });

  it('kills the tokens on deauthorization and answers 403 again', async () => {
    await authorizeWitness();
    const tokens = (await (await serviceAppToken()).json()) as TokenResponse;
    const response = await control(`/_sim/orgs/${demoOrgId}/service-apps/${applicationId}/deauthorize`);
    expect(await response.json()).toMatchObject({ authorized: false, revokedTokens: 2 });
    expect(await getMe(tokens.access_token)).toBe(401);
    expect((await serviceAppToken()).status).toBe(403);
  });

  it('refuses an authorization by someone who is not a Full Admin of the org', async () => {
    const response = await control(`/_sim/orgs/${demoOrgId}/service-apps/${applicationId}/authorize`, {
      actor: 'user@demo.example',
    });
    expect(response.status).toBe(409);
    expect((await serviceAppToken()).status).toBe(403);
  });
});

describe('serviceApp webhooks', () => {
  async function registerWebhook(event: 'authorized' | 'deauthorized', secret: string): Promise<unknown> {
    const response = await fetch(`${sim.url}/v1/webhooks`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${vendor.access_token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        name: `witness ${event}`,
        targetUrl: receiverUrl,
        resource: 'serviceApp',
        event,
        secret,
      }),
    });
    expect(response.status).toBe(200);
    return response.json();
  }

  it('registers a webhook that fits the spec and delivers authorized and deauthorized, signed with HMAC-SHA1', async () => {
    expectValid(validators.webhook, await registerWebhook('authorized', 'secret-a'));
    await registerWebhook('deauthorized', 'secret-d');

    const authorized = await control(`/_sim/orgs/${demoOrgId}/service-apps/${applicationId}/authorize`);
    expect(await authorized.json()).toMatchObject({ deliveries: [{ event: 'authorized', status: 200 }] });
    await control(`/_sim/orgs/${demoOrgId}/service-apps/${applicationId}/deauthorize`);

    expect(received).toHaveLength(2);
    const [first, second] = received;
    expect(first?.signature).toBe(signWebhookBody('secret-a', first?.body ?? ''));
    expect(second?.signature).toBe(signWebhookBody('secret-d', second?.body ?? ''));
    expect(JSON.parse(first?.body ?? '{}')).toMatchObject({
      resource: 'serviceApp',
      event: 'authorized',
      orgId: demoOrgId,
      data: { applicationId, orgId: demoOrgId },
    });
    expect(JSON.parse(second?.body ?? '{}')).toMatchObject({ event: 'deauthorized' });
    const secrets = (await (await fetch(`${sim.url}/_sim/secrets`)).json()) as { webhookSecrets: string[] };
    expect(secrets.webhookSecrets).toEqual(expect.arrayContaining(['secret-a', 'secret-d']));
  });

  it('sends nothing for an authorization that changes nothing', async () => {
    await registerWebhook('authorized', 'secret-a');
    await authorizeWitness();
    await authorizeWitness();
    expect(received).toHaveLength(1);
  });

  it('refuses a webhook with an unknown resource (400)', async () => {
    const response = await fetch(`${sim.url}/v1/webhooks`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${vendor.access_token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'x', targetUrl: receiverUrl, resource: 'people', event: 'created' }),
    });
    expect(response.status).toBe(400);
  });
});

describe('the admin audit log', () => {
  async function witnessToken(): Promise<string> {
    await authorizeWitness();
    return ((await (await serviceAppToken()).json()) as TokenResponse).access_token;
  }

  async function auditEvents(token: string, query: Record<string, string>): Promise<Response> {
    return fetch(`${sim.url}/v1/adminAudit/events?${new URLSearchParams(query).toString()}`, {
      headers: { Authorization: `Bearer ${token}` },
    });
  }

  it('records deactivation, Full Admin removal and a password reset with actor and time, newest first', async () => {
    const token = await witnessToken();
    const from = new Date(sim.world.now() - 1000).toISOString();
    await control('/_sim/people/user@demo.example/deactivate', { actor: 'sso-admin@demo.example' });
    await control('/_sim/people/admin@demo.example/password-change', { resetBy: 'sso-admin@demo.example' });
    await control('/_sim/people/admin@demo.example/remove-full-admin', { actor: 'sso-admin@demo.example' });
    await control('/_sim/people/user@demo.example/password-change');
    const to = new Date(sim.world.now() + 1000).toISOString();

    const response = await auditEvents(token, { orgId: demoOrgId, from, to });
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      items: Array<{ actorId: string; data: Record<string, string> }>;
    };
    expectValid(validators.auditEvents, body);
    expect(body.items.map((item) => item.data.eventDescription)).toEqual([
      'Full Administrator role removed',
      'Password reset by an admin',
      'User deactivated',
    ]);
    const ssoAdmin = sim.world.findPersonByEmail('sso-admin@demo.example');
    expect(body.items.every((item) => item.actorId === ssoAdmin?.id)).toBe(true);
    expect(body.items[0]?.data).toMatchObject({
      actorEmail: 'sso-admin@demo.example',
      targetName: 'Ada Admin',
    });
  });

  it('filters by category and lists its categories', async () => {
    const token = await witnessToken();
    const window = {
      orgId: demoOrgId,
      from: new Date(sim.world.now() - 1000).toISOString(),
      to: new Date(sim.world.now() + 60_000).toISOString(),
    };
    await control('/_sim/people/user@demo.example/deactivate');
    await control('/_sim/people/admin@demo.example/remove-full-admin', { actor: 'sso-admin@demo.example' });
    const roles = (await (await auditEvents(token, { ...window, eventCategories: 'ROLES' })).json()) as {
      items: unknown[];
    };
    expect(roles.items).toHaveLength(1);
    const categories = await fetch(`${sim.url}/v1/adminAudit/eventCategories`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    expectValid(validators.categories, await categories.json());
  });

  it("refuses another org's log (403), a missing window (400) and a token without audit:events_read (403)", async () => {
    const token = await witnessToken();
    const from = new Date(sim.world.now() - 1000).toISOString();
    const to = new Date(sim.world.now() + 1000).toISOString();
    expect((await auditEvents(token, { orgId: 'another-org', from, to })).status).toBe(403);
    expect((await auditEvents(token, { orgId: demoOrgId, from })).status).toBe(400);
    expect((await auditEvents(vendor.access_token, { orgId: demoOrgId, from, to })).status).toBe(403);
  });
});

describe('the control page', () => {
  it('has an Authorize button per org and Service App, and a Deauthorize button once authorized', async () => {
    const page = async () => (await fetch(`${sim.url}/_sim`)).text();
    expect(await page()).toContain('action="/_sim/ui/service-apps/authorize"');
    const response = await fetch(`${sim.url}/_sim/ui/service-apps/authorize`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ orgId: demoOrgId, applicationId }),
      redirect: 'manual',
    });
    expect(response.status).toBe(303);
    const location = new URL(response.headers.get('location') ?? '', sim.url);
    expect(location.searchParams.get('flash')).toBe('Authorized Witness in Demo Org: 0 webhooks told');
    expect(await page()).toContain('action="/_sim/ui/service-apps/deauthorize"');
    expect((await serviceAppToken()).status).toBe(200);
  });
});
