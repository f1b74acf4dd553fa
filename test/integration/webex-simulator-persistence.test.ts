import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ACCESS_DENIED_TEXT,
  authorizeUrl,
  newPkcePair,
  obtainTokens,
  SimStateFileError,
  startWebexSimulator,
  submitConsent,
  type SimIntegration,
  type TokenResponse,
  type WebexSimulator,
} from '#local/webex-simulator/index.js';

const redirectUri = 'http://127.0.0.1:9/oauth/callback';
const usersSync: SimIntegration = {
  clientId: 'Cusers0000000000000000000000000000000000000000000000000000000000',
  clientSecret: 'users-sync-secret',
  name: 'Users sync',
  redirectUris: [redirectUri],
};
const scopes = ['spark:people_read', 'spark-admin:people_read'];

let dir: string;
let stateFile: string;
const running: WebexSimulator[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'webex-sim-state-'));
  stateFile = join(dir, 'webex-simulator.json');
});
afterEach(async () => {
  for (const sim of running.splice(0)) await sim.close();
  await rm(dir, { recursive: true, force: true });
});

async function start(integration: SimIntegration = usersSync): Promise<WebexSimulator> {
  const sim = await startWebexSimulator({ stateFile, integrations: [integration] });
  running.push(sim);
  return sim;
}

/** Closes a simulator started by `start` (close saves the state). */
async function stop(sim: WebexSimulator): Promise<void> {
  running.splice(running.indexOf(sim), 1);
  await sim.close();
}

function authorize(sim: WebexSimulator, person: string): Promise<TokenResponse> {
  return obtainTokens(sim.url, { integration: { ...usersSync, redirectUri }, person, scopes });
}

async function me(sim: WebexSimulator, tokens: TokenResponse): Promise<number> {
  const response = await fetch(`${sim.url}/v1/people/me`, {
    headers: { Authorization: `Bearer ${tokens.access_token}` },
  });
  return response.status;
}

async function refresh(
  sim: WebexSimulator,
  tokens: TokenResponse,
  integration = usersSync,
): Promise<{ status: number; body: Record<string, unknown> }> {
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
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function control(sim: WebexSimulator, path: string, body: unknown = {}): Promise<unknown> {
  const response = await fetch(`${sim.url}${path}`, { method: 'POST', body: JSON.stringify(body) });
  expect(response.status, path).toBeLessThan(300);
  return response.json();
}

async function read(sim: WebexSimulator, path: string): Promise<unknown> {
  return (await fetch(`${sim.url}${path}`)).json();
}

function demoOrgId(sim: WebexSimulator): string {
  return sim.world.listOrgs()[0]?.id ?? '';
}

async function consentStatus(sim: WebexSimulator, person: string): Promise<{ status: number; html: string }> {
  const url = authorizeUrl(sim.url, {
    clientId: usersSync.clientId,
    redirectUri,
    scopes,
    codeChallenge: newPkcePair().challenge,
  });
  const answer = await submitConsent(url, { person, decision: 'accept' });
  return { status: answer.status, html: await answer.text() };
}

describe('a simulator restarted on the same state file', () => {
  it('keeps tokens, blocks, people, settings, faults and the clock offset', async () => {
    const first = await start();
    const admin = await authorize(first, 'admin@demo.example');
    const user = await authorize(first, 'user@demo.example');
    const other = await authorize(first, 'sso-admin@demo.example');
    await control(first, '/_sim/orgs', { name: 'Other Org' });
    await control(first, `/_sim/orgs/${demoOrgId(first)}/integrations/${usersSync.clientId}/block`);
    await control(first, '/_sim/people/user@demo.example/deactivate');
    await control(first, '/_sim/people/sso-admin@demo.example/remove-full-admin', { revokeTokens: false });
    await control(first, '/_sim/settings', { accessTokenLifetimeSeconds: 7200 });
    await control(first, '/_sim/faults', { latencyMs: 1, retryAfterSeconds: 7 });
    await control(first, '/_sim/clock/advance', { seconds: 3600 });
    const orgsBefore = await read(first, '/_sim/orgs');
    const peopleBefore = await read(first, '/_sim/people');
    const grantsBefore = await read(first, '/_sim/authorizations');
    await stop(first);

    const second = await start();
    // An access token issued before the restart still works, and its refresh token refreshes.
    expect(await me(second, admin)).toBe(200);
    const refreshed = await refresh(second, admin);
    expect(refreshed.status).toBe(200);
    expect(refreshed.body).toMatchObject({ refresh_token: admin.refresh_token, expires_in: 7200 });
    expect(await me(second, { ...admin, access_token: String(refreshed.body.access_token) })).toBe(200);
    // A token that died before the restart stays dead; one kept alive stays alive.
    expect(await me(second, user)).toBe(401);
    expect((await refresh(second, user)).status).toBe(400);
    expect(await me(second, other)).toBe(200);
    // The block is still in force.
    const consent = await consentStatus(second, 'admin@demo.example');
    expect(consent.status).toBe(403);
    expect(consent.html).toContain(ACCESS_DENIED_TEXT);

    expect(await read(second, '/_sim/orgs')).toEqual(orgsBefore);
    expect(await read(second, '/_sim/people')).toEqual(peopleBefore);
    const grantsAfter = (await read(second, '/_sim/authorizations')) as unknown[];
    expect(grantsAfter).toHaveLength((grantsBefore as unknown[]).length);
    expect(await read(second, '/_sim/settings')).toMatchObject({ accessTokenLifetimeSeconds: 7200 });
    expect(await read(second, '/_sim/faults')).toMatchObject({ latencyMs: 1, retryAfterSeconds: 7 });
    const offsetMs = second.world.now() - Date.now();
    expect(offsetMs).toBeGreaterThan(3_590_000);
    expect(offsetMs).toBeLessThanOrEqual(3_600_000);
  });

  it('saves shortly after a change, without waiting for close', async () => {
    const sim = await start();
    await control(sim, '/_sim/people/user@demo.example/deactivate');
    await expect
      .poll(async () => (await readFile(stateFile, 'utf8').catch(() => '')).includes('"active": false'), {
        timeout: 2000,
      })
      .toBe(true);
    expect((await stat(stateFile)).mode & 0o777).toBe(0o600);
    // Written through a temporary file and a rename: nothing else is left in the directory.
    expect(await readdir(dir)).toEqual(['webex-simulator.json']);
  });

  it('starts seeded when the file does not exist yet, and creates it on close', async () => {
    const sim = await start();
    expect(sim.world.listPeople().map((person) => person.email)).toContain('admin@demo.example');
    await stop(sim);
    const saved = JSON.parse(await readFile(stateFile, 'utf8')) as { version: number; people: unknown[] };
    expect(saved.version).toBe(1);
    expect(saved.people).toHaveLength(3);
  });

  it('takes the integrations it is started with over those of the file', async () => {
    const first = await start();
    const tokens = await authorize(first, 'admin@demo.example');
    await stop(first);

    const rotated = { ...usersSync, name: 'Users sync (renamed)', clientSecret: 'rotated-secret' };
    const second = await start(rotated);
    expect(second.world.findIntegration(usersSync.clientId)?.name).toBe('Users sync (renamed)');
    expect((await refresh(second, tokens)).status).toBe(401);
    expect((await refresh(second, tokens, rotated)).status).toBe(200);
  });
});

describe('a state file that cannot be used', () => {
  async function startError(): Promise<unknown> {
    return startWebexSimulator({ stateFile }).then(
      (sim) => {
        running.push(sim);
        return undefined;
      },
      (error: unknown) => error,
    );
  }

  function expectClearError(error: unknown, problem: string): void {
    expect(error).toBeInstanceOf(SimStateFileError);
    const { message } = error as SimStateFileError;
    expect(message).not.toContain('\n');
    expect(message).toContain(stateFile);
    expect(message).toContain(problem);
    expect(message).toContain('Fix: delete it or start with --fresh');
    // `npm start` prints an unknown error's stack: it must be that same single line.
    expect((error as SimStateFileError).stack).toBe(`SimStateFileError: ${message}`);
  }

  it('refuses a file that is not JSON, with one line naming the file and the fix', async () => {
    await writeFile(stateFile, '{"version": 1, "orgs": [');
    expectClearError(await startError(), 'not valid JSON');
  });

  it('refuses JSON of the wrong shape, naming the first bad field', async () => {
    const sim = await start();
    await stop(sim);
    const saved = JSON.parse(await readFile(stateFile, 'utf8')) as { people: Array<{ roles: string[] }> };
    saved.people[0]!.roles = ['Emperor'];
    await writeFile(stateFile, JSON.stringify(saved));
    expectClearError(await startError(), 'people.0.roles.0');
  });

  it('refuses a file of another format version', async () => {
    const sim = await start();
    await stop(sim);
    const saved = JSON.parse(await readFile(stateFile, 'utf8')) as { version: number };
    await writeFile(stateFile, JSON.stringify({ ...saved, version: 2 }));
    expectClearError(await startError(), 'version');
  });
});
