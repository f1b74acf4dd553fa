import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ACCESS_DENIED_TEXT,
  authorizeUrl,
  DEAD_REFRESH_TOKEN_TEXT,
  FORBIDDEN_MESSAGE,
  newPkcePair,
  obtainTokens,
  startWebexSimulator,
  submitConsent,
  type TokenResponse,
  type WebexSimulator,
} from '#local/webex-simulator/index.js';

const redirectUri = 'http://127.0.0.1:9/oauth/callback';
const usersSync = {
  clientId: 'Cusers0000000000000000000000000000000000000000000000000000000000',
  clientSecret: 'users-sync-secret',
  name: 'Users sync',
  redirectUris: [redirectUri],
};
const presence = {
  clientId: 'Cpresence000000000000000000000000000000000000000000000000000000',
  clientSecret: 'presence-secret',
  name: 'Presence',
  redirectUris: [redirectUri],
};
const adminScopes = [
  'spark:people_read',
  'spark-admin:people_read',
  'spark-admin:roles_read',
  'identity:tokens_read',
  'identity:tokens_write',
];

let sim: WebexSimulator;

beforeAll(async () => {
  sim = await startWebexSimulator({ integrations: [usersSync, presence] });
});
afterAll(async () => {
  await sim.close();
});
beforeEach(async () => {
  await fetch(`${sim.url}/_sim/reset`, { method: 'POST' });
});

async function control(
  path: string,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${sim.url}${path}`, {
    method: 'POST',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

function authorize(person: string, integration = usersSync): Promise<TokenResponse> {
  return obtainTokens(sim.url, { integration: { ...integration, redirectUri }, person, scopes: adminScopes });
}

async function api(path: string, tokens: TokenResponse, method = 'GET'): Promise<Response> {
  return fetch(`${sim.url}${path}`, { method, headers: { Authorization: `Bearer ${tokens.access_token}` } });
}

async function refreshStatus(tokens: TokenResponse, integration = usersSync): Promise<number> {
  const response = await fetch(`${sim.url}/v1/access_token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'refresh_token',
      client_id: integration.clientId,
      client_secret: integration.clientSecret,
      refresh_token: tokens.refresh_token,
    }),
  });
  if (response.status !== 200) {
    expect(((await response.json()) as { error_description: string }).error_description).toBe(
      DEAD_REFRESH_TOKEN_TEXT,
    );
  }
  return response.status;
}

/** Both halves of an authorization: the access token works and the refresh token refreshes. */
async function expectAlive(tokens: TokenResponse, integration = usersSync): Promise<void> {
  expect((await api('/v1/people/me', tokens)).status).toBe(200);
  expect(await refreshStatus(tokens, integration)).toBe(200);
}

async function expectDead(tokens: TokenResponse, integration = usersSync): Promise<void> {
  expect((await api('/v1/people/me', tokens)).status).toBe(401);
  expect(await refreshStatus(tokens, integration)).toBe(400);
}

async function demoOrgId(): Promise<string> {
  const people = (await (await fetch(`${sim.url}/_sim/people`)).json()) as Array<{ orgId: string }>;
  return people[0]?.orgId ?? '';
}

describe('password change', () => {
  it('kills every token of a person who signs in with a Webex password', async () => {
    const first = await authorize('admin@demo.example');
    const second = await authorize('admin@demo.example', presence);
    const other = await authorize('sso-admin@demo.example');
    const { status, json } = await control('/_sim/people/admin@demo.example/password-change');
    expect(status).toBe(200);
    // Two grants, each with a refresh token and one access token.
    expect(json).toMatchObject({ email: 'admin@demo.example', sso: false, revokedTokens: 4 });
    await expectDead(first);
    await expectDead(second, presence);
    await expectAlive(other);
  });

  it('leaves the tokens of an SSO person alive', async () => {
    const tokens = await authorize('sso-admin@demo.example');
    const { json } = await control('/_sim/people/sso-admin@demo.example/password-change');
    expect(json).toMatchObject({ sso: true, revokedTokens: 0 });
    await expectAlive(tokens);
  });
});

describe('deactivation', () => {
  it('kills the tokens, disables login and shows loginEnabled "false" to an admin', async () => {
    const adminTokens = await authorize('sso-admin@demo.example');
    const userTokens = await authorize('user@demo.example');
    const { json } = await control('/_sim/people/user@demo.example/deactivate');
    expect(json).toMatchObject({ active: false, revokedTokens: 2 });
    await expectDead(userTokens);

    const people = (await (await fetch(`${sim.url}/_sim/people`)).json()) as Array<{
      email: string;
      id: string;
    }>;
    const user = people.find((person) => person.email === 'user@demo.example');
    const record = await api(`/v1/people/${user?.id ?? ''}`, adminTokens);
    expect(record.status).toBe(200);
    expect(await record.json()).toMatchObject({ loginEnabled: 'false', emails: ['user@demo.example'] });

    const pkce = newPkcePair();
    const url = authorizeUrl(sim.url, {
      clientId: usersSync.clientId,
      redirectUri,
      scopes: adminScopes,
      codeChallenge: pkce.challenge,
    });
    const consent = await submitConsent(url, { person: 'user@demo.example', decision: 'accept' });
    expect(consent.status).toBe(403);
    expect(consent.headers.get('location')).toBeNull();
    expect(await consent.text()).toMatch(/login disabled/i);
  });
});

describe('Full Administrator removal', () => {
  it('revokes the tokens by default', async () => {
    const tokens = await authorize('admin@demo.example');
    const { json } = await control('/_sim/people/admin@demo.example/remove-full-admin');
    expect(json).toMatchObject({ fullAdmin: false, revokedTokens: 2 });
    await expectDead(tokens);
  });

  it('with revokeTokens false keeps the tokens but answers 403 to admin calls', async () => {
    const tokens = await authorize('admin@demo.example');
    const before = (await (await api('/v1/people/me', tokens)).json()) as { id: string; roles: string[] };
    expect(before.roles).toHaveLength(1);

    const { json } = await control('/_sim/people/admin@demo.example/remove-full-admin', {
      revokeTokens: false,
    });
    expect(json).toMatchObject({ fullAdmin: false, revokedTokens: 0 });
    await expectAlive(tokens);
    const me = (await (await api('/v1/people/me', tokens)).json()) as { roles: string[] };
    expect(me.roles).toEqual([]);
    for (const path of [
      `/v1/people/${before.id}`,
      '/v1/roles',
      '/v1/authorizations?personEmail=admin@demo.example',
    ]) {
      const response = await api(path, tokens);
      expect(response.status, path).toBe(403);
      expect(await response.json()).toMatchObject({ message: FORBIDDEN_MESSAGE });
    }
    const people = (await (await fetch(`${sim.url}/_sim/people`)).json()) as Array<{
      email: string;
      fullAdmin: boolean;
    }>;
    expect(people.find((person) => person.email === 'admin@demo.example')?.fullAdmin).toBe(false);
  });
});

describe('revocation of an integration for an org', () => {
  it('kills only that client in that org', async () => {
    const { json: created } = await control('/_sim/orgs', { name: 'Other Org' });
    const otherOrgId = String(created.orgId);
    await control('/_sim/people', { email: 'admin@other.example', orgId: otherOrgId, fullAdmin: true });

    const demoUsers = await authorize('admin@demo.example');
    const demoUsersSso = await authorize('sso-admin@demo.example');
    const demoPresence = await authorize('admin@demo.example', presence);
    const otherUsers = await authorize('admin@other.example');

    const { status, json } = await control(
      `/_sim/orgs/${encodeURIComponent(await demoOrgId())}/integrations/${usersSync.clientId}/revoke`,
    );
    expect(status).toBe(200);
    expect(json).toEqual({ revokedTokens: 4 });
    await expectDead(demoUsers);
    await expectDead(demoUsersSso);
    await expectAlive(demoPresence, presence);
    await expectAlive(otherUsers);
  });

  it('answers 404 to an unknown org or integration', async () => {
    const orgId = await demoOrgId();
    expect((await control(`/_sim/orgs/nope/integrations/${usersSync.clientId}/revoke`)).status).toBe(404);
    expect((await control(`/_sim/orgs/${orgId}/integrations/Cnope/revoke`)).status).toBe(404);
  });
});

describe('integration blocked for an org', () => {
  function consentUrl(): string {
    return authorizeUrl(sim.url, {
      clientId: usersSync.clientId,
      redirectUri,
      scopes: adminScopes,
      state: 'block-state',
      codeChallenge: newPkcePair().challenge,
    });
  }

  it('ends consent on the Access denied page whose return link carries error=access_denied', async () => {
    const orgId = await demoOrgId();
    expect((await control(`/_sim/orgs/${orgId}/integrations/${usersSync.clientId}/block`)).status).toBe(200);

    const answer = await submitConsent(consentUrl(), { person: 'admin@demo.example', decision: 'accept' });
    expect(answer.status).toBe(403);
    expect(answer.headers.get('location')).toBeNull();
    const html = await answer.text();
    expect(html).toContain(ACCESS_DENIED_TEXT);
    const link = /<a href="([^"]*)">Return to the application<\/a>/.exec(html);
    expect(link).not.toBeNull();
    const back = new URL((link?.[1] ?? '').replaceAll('&amp;', '&'));
    expect(`${back.origin}${back.pathname}`).toBe(redirectUri);
    expect(back.searchParams.get('error')).toBe('access_denied');
    expect(back.searchParams.get('error_description')).toBeTruthy();
    expect(back.searchParams.get('state')).toBe('block-state');

    // Another integration of the same org is not affected.
    await expect(authorize('admin@demo.example', presence)).resolves.toBeDefined();
  });

  it('lets consent through again once unblocked', async () => {
    const orgId = await demoOrgId();
    await control(`/_sim/orgs/${orgId}/integrations/${usersSync.clientId}/block`);
    await control(`/_sim/orgs/${orgId}/integrations/${usersSync.clientId}/unblock`);
    const answer = await submitConsent(consentUrl(), { person: 'admin@demo.example', decision: 'accept' });
    expect(answer.status).toBe(302);
  });
});

describe('Authorizations API', () => {
  it('lists the refresh and access authorizations of a person, and deleting one kills its tokens', async () => {
    const admin = await authorize('admin@demo.example');
    const user = await authorize('user@demo.example', presence);
    const list = await api('/v1/authorizations?personEmail=user@demo.example', admin);
    expect(list.status).toBe(200);
    const { items } = (await list.json()) as { items: Array<{ id: string; type: string; clientId: string }> };
    expect(items.map((item) => item.type).sort()).toEqual(['access', 'refresh']);
    expect(items.every((item) => item.clientId === presence.clientId)).toBe(true);

    const refreshItem = items.find((item) => item.type === 'refresh');
    const deleted = await api(`/v1/authorizations/${refreshItem?.id ?? ''}`, admin, 'DELETE');
    expect(deleted.status).toBe(204);
    await expectDead(user, presence);
    await expectAlive(admin);
    expect((await api(`/v1/authorizations/${refreshItem?.id ?? ''}`, admin, 'GET')).status).toBe(405);
  });

  it('deletes every authorization of a client in the caller org', async () => {
    const admin = await authorize('admin@demo.example');
    const user = await authorize('user@demo.example', presence);
    const response = await api(`/v1/authorizations?clientId=${presence.clientId}`, admin, 'DELETE');
    expect(response.status).toBe(204);
    await expectDead(user, presence);
    await expectAlive(admin);
    expect((await api('/v1/authorizations', admin, 'DELETE')).status).toBe(400);
  });

  it('answers 404 to an unknown authorization id', async () => {
    const admin = await authorize('admin@demo.example');
    expect((await api('/v1/authorizations/unknown', admin, 'DELETE')).status).toBe(404);
  });
});
