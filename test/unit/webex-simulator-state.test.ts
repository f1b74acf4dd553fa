import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  readStateFile,
  simStateSchema,
  SimStateFileError,
  StateFileWriter,
} from '#local/webex-simulator/state-file.js';
import { serviceAppId, SimWorld, type SimIntegration } from '#local/webex-simulator/world.js';

const integration: SimIntegration = {
  clientId: 'Cunit',
  clientSecret: 'unit-secret',
  name: 'Unit',
  redirectUris: ['http://127.0.0.1:9/cb'],
};
const verifier = 'v'.repeat(43);
const challenge = createHash('sha256').update(verifier).digest('base64url');

function newWorld(options: { seedDemoOrg?: boolean; integrations?: SimIntegration[] } = {}): SimWorld {
  return new SimWorld({
    accessTokenLifetimeSeconds: 3600,
    refreshTokenLifetimeSeconds: 86_400,
    extendRefreshTokens: true,
    seedDemoOrg: options.seedDemoOrg ?? true,
    integrations: options.integrations ?? [integration],
  });
}

/** Consent and code exchange for a person; returns the tokens. */
function authorize(world: SimWorld, email: string) {
  const person = world.findPersonByEmail(email);
  if (!person) throw new Error(`no ${email}`);
  const code = world.issueCode({
    clientId: integration.clientId,
    redirectUri: integration.redirectUris[0]!,
    personId: person.id,
    scopes: ['spark:people_read'],
    codeChallenge: challenge,
    codeChallengeMethod: 'S256',
  });
  const result = world.exchangeCode({
    clientId: integration.clientId,
    code,
    redirectUri: integration.redirectUris[0]!,
    codeVerifier: verifier,
  });
  if (!result.ok) throw new Error(result.description);
  return result.tokens;
}

/** A world with something of every kind in it. */
function busyWorld(): { world: SimWorld; alive: string; dead: string; refreshToken: string } {
  const world = newWorld();
  const admin = authorize(world, 'admin@demo.example');
  const user = authorize(world, 'user@demo.example');
  const org = world.createOrg('Other Org');
  world.addPerson({ email: 'sso@other.example', orgId: org.id, fullAdmin: true, sso: true });
  world.setIntegrationBlocked(org.id, integration.clientId, true);
  world.deactivate('user@demo.example');
  world.updateSettings({ accessTokenLifetimeSeconds: 600 });
  world.faults.update({ rate429: 0.5, next5xx: 3 });
  world.advanceClock(90);
  return { world, alive: admin.accessToken, dead: user.accessToken, refreshToken: admin.refreshToken };
}

describe('SimWorld snapshot and restore', () => {
  it('round-trips through JSON and the file schema to the same state', () => {
    const { world } = busyWorld();
    const json: unknown = JSON.parse(JSON.stringify(world.snapshot()));
    const copy = newWorld({ seedDemoOrg: false, integrations: [] });
    copy.restore(simStateSchema.parse(json));
    expect(copy.snapshot()).toEqual(world.snapshot());
    expect(copy.listGrants()).toEqual(world.listGrants());
    expect(copy.isBlocked(copy.listOrgs()[1]?.id ?? '', integration.clientId)).toBe(true);
  });

  it('keeps Service Apps, their authorizations and tokens, the audit log and webhooks', () => {
    const world = newWorld();
    const app = {
      clientId: 'Cwitness',
      clientSecret: 'witness-secret',
      name: 'Witness',
      scopes: ['audit:events_read'],
    };
    world.registerServiceApp(app);
    const orgId = world.listOrgs()[0]?.id ?? '';
    const { change } = world.authorizeServiceApp(orgId, serviceAppId(app.clientId));
    expect(change).toMatchObject({ event: 'authorized', orgId });
    const issued = world.issueServiceAppToken({
      applicationId: serviceAppId(app.clientId),
      ...app,
      targetOrgId: orgId,
    });
    if (!issued.ok) throw new Error(issued.reason);
    world.deactivate('user@demo.example');
    world.webhooks.register({
      name: 'witness',
      targetUrl: 'http://127.0.0.1:9/hook',
      resource: 'serviceApp',
      event: 'authorized',
      secret: 'hook-secret',
      orgId,
      createdBy: 'someone',
      created: new Date(world.now()).toISOString(),
    });

    const copy = newWorld({ seedDemoOrg: false, integrations: [] });
    copy.restore(simStateSchema.parse(JSON.parse(JSON.stringify(world.snapshot()))));
    expect(copy.snapshot()).toEqual(world.snapshot());
    expect(copy.isServiceAppAuthorized(orgId, app.clientId)).toBe(true);
    expect(copy.authenticate(issued.tokens.accessToken)?.person.displayName).toBe('Witness');
    expect(copy.auditLog.all()).toHaveLength(1);
    expect(copy.webhooks.all()).toHaveLength(1);
  });

  it('reads a state file saved before Service Apps existed', () => {
    const {
      serviceApps: _a,
      serviceAppAuthorizations: _b,
      auditEvents: _c,
      webhooks: _d,
      ...older
    } = newWorld().snapshot();
    expect(simStateSchema.parse(older)).toMatchObject({ serviceApps: [], auditEvents: [], webhooks: [] });
  });

  it('gives back working tokens with their expiries, and dead ones stay dead', () => {
    const { world, alive, dead, refreshToken } = busyWorld();
    const copy = newWorld({ seedDemoOrg: false });
    copy.restore(world.snapshot());
    expect(copy.authenticate(alive)?.person.email).toBe('admin@demo.example');
    expect(copy.authenticate(dead)).toBeUndefined();
    const refreshed = copy.refresh({ clientId: integration.clientId, refreshToken });
    expect(refreshed).toMatchObject({ ok: true, tokens: { expiresIn: 600 } });
    // The access token issued before the snapshot (90 s ago) expires when it would have: 3600 s
    // after issue, not 3600 s after the restore.
    copy.advanceClock(3600 - 90 - 1);
    expect(copy.authenticate(alive)).toBeDefined();
    copy.advanceClock(2);
    expect(copy.authenticate(alive)).toBeUndefined();
  });

  it('replaces what the world had, and counts restored tokens as secrets for leak checks', () => {
    const { world, alive, refreshToken } = busyWorld();
    const copy = newWorld();
    copy.addPerson({ email: 'extra@demo.example', orgId: copy.listOrgs()[0]?.id ?? '' });
    copy.restore(world.snapshot());
    expect(copy.findPersonByEmail('extra@demo.example')).toBeUndefined();
    expect(copy.listSecrets().all).toEqual(expect.arrayContaining([alive, refreshToken]));
  });

  it('keeps an integration registered before the restore over the one of the snapshot', () => {
    const { world } = busyWorld();
    const copy = newWorld({ integrations: [{ ...integration, clientSecret: 'rotated' }] });
    copy.restore(world.snapshot());
    expect(copy.authenticateClient(integration.clientId, 'rotated')).toBeDefined();
    expect(copy.authenticateClient(integration.clientId, integration.clientSecret)).toBeUndefined();
  });
});

describe('state file', () => {
  async function withDir(test: (dir: string) => Promise<void>): Promise<void> {
    const dir = await mkdtemp(join(tmpdir(), 'webex-sim-unit-'));
    try {
      await test(dir);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  it('reads nothing when the file does not exist', async () => {
    await withDir(async (dir) => {
      expect(await readStateFile(join(dir, 'missing.json'))).toBeUndefined();
    });
  });

  it('refuses a directory in place of the file with the same one-line error', async () => {
    await withDir(async (dir) => {
      const error: unknown = await readStateFile(dir).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(SimStateFileError);
      expect((error as Error).message).toMatch(/cannot be read: EISDIR\)\. Fix: delete it or start/);
    });
  });

  it('writes on close what readStateFile gives back, creating the directory', async () => {
    await withDir(async (dir) => {
      const { world } = busyWorld();
      const path = join(dir, 'nested', 'state.json');
      await new StateFileWriter(path, () => world.snapshot()).close();
      expect(await readStateFile(path)).toEqual(world.snapshot());
    });
  });

  it('does not rewrite a state that has not changed since its last write', async () => {
    await withDir(async (dir) => {
      const world = newWorld();
      const path = join(dir, 'state.json');
      const writer = new StateFileWriter(path, () => world.snapshot());
      writer.schedule();
      await expect.poll(() => readFile(path, 'utf8').catch(() => '')).toContain('"version": 1');
      await writeFile(path, 'marker');
      await writer.close();
      expect(await readFile(path, 'utf8')).toBe('marker');
    });
  });
});
