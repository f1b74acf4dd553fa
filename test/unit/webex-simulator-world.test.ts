import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FaultInjector } from '#local/webex-simulator/faults.js';
import { stableUuid, webexId } from '#local/webex-simulator/ids.js';
import { SimWorld, verifyPkce, type SimIntegration } from '#local/webex-simulator/world.js';

const integration: SimIntegration = {
  clientId: 'Cunit',
  clientSecret: 'unit-secret',
  name: 'Unit',
  redirectUris: ['http://127.0.0.1:9/cb'],
};
const verifier = 'v'.repeat(43);
const challenge = createHash('sha256').update(verifier).digest('base64url');

function newWorld(random?: () => number): SimWorld {
  return new SimWorld({
    accessTokenLifetimeSeconds: 3600,
    refreshTokenLifetimeSeconds: 86_400,
    extendRefreshTokens: true,
    seedDemoOrg: true,
    integrations: [integration],
    ...(random ? { random } : {}),
  });
}

function consent(world: SimWorld, email = 'admin@demo.example'): string {
  const person = world.findPersonByEmail(email);
  if (!person) throw new Error(`no ${email}`);
  return world.issueCode({
    clientId: integration.clientId,
    redirectUri: 'http://127.0.0.1:9/cb',
    personId: person.id,
    scopes: ['spark:people_read'],
    codeChallenge: challenge,
    codeChallengeMethod: 'S256',
  });
}

function redeem(world: SimWorld, code: string) {
  return world.exchangeCode({
    clientId: integration.clientId,
    code,
    redirectUri: 'http://127.0.0.1:9/cb',
    codeVerifier: verifier,
  });
}

describe('Webex-style ids', () => {
  it('encode ciscospark://us/<KIND>/<uuid> in unpadded base64, as the spec examples do', () => {
    const uuid = stableUuid('person:a@b.example');
    expect(uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const id = webexId('PEOPLE', uuid);
    expect(id).not.toContain('=');
    expect(Buffer.from(id, 'base64').toString()).toBe(`ciscospark://us/PEOPLE/${uuid}`);
    // The spec's own example person id decodes the same way.
    expect(
      Buffer.from(
        'Y2lzY29zcGFyazovL3VzL1BFT1BMRS9mNWIzNjE4Ny1jOGRkLTQ3MjctOGIyZi1mOWM0NDdmMjkwNDY',
        'base64',
      ).toString(),
    ).toBe('ciscospark://us/PEOPLE/f5b36187-c8dd-4727-8b2f-f9c447f29046');
    expect(webexId('PEOPLE', 'f5b36187-c8dd-4727-8b2f-f9c447f29046')).toBe(
      'Y2lzY29zcGFyazovL3VzL1BFT1BMRS9mNWIzNjE4Ny1jOGRkLTQ3MjctOGIyZi1mOWM0NDdmMjkwNDY',
    );
  });

  it('are the same for the demo org in two worlds, and differ between people', () => {
    const first = newWorld().listPeople();
    const second = newWorld().listPeople();
    expect(second).toEqual(first);
    expect(new Set(first.map((person) => person.id)).size).toBe(3);
  });
});

describe('PKCE', () => {
  it('checks S256 and plain challenges and refuses a verifier outside RFC 7636', () => {
    expect(verifyPkce('S256', challenge, verifier)).toBe(true);
    expect(verifyPkce('S256', challenge, 'w'.repeat(43))).toBe(false);
    expect(verifyPkce('plain', verifier, verifier)).toBe(true);
    expect(verifyPkce('plain', 'short', 'short')).toBe(false);
    expect(verifyPkce('plain', `${verifier} `, `${verifier} `)).toBe(false);
  });
});

describe('FaultInjector', () => {
  it('serves next429 first, then next5xx alternating 503 and 502, then nothing', () => {
    const faults = new FaultInjector(() => 0.99);
    faults.update({ next429: 1, next5xx: 3, retryAfterSeconds: 4 });
    expect(faults.nextFault()).toEqual({ status: 429, retryAfterSeconds: 4 });
    expect(faults.nextFault()).toEqual({ status: 503 });
    expect(faults.nextFault()).toEqual({ status: 502 });
    expect(faults.nextFault()).toEqual({ status: 503 });
    expect(faults.nextFault()).toBeUndefined();
  });

  it('applies rates against the random source', () => {
    const draws = [0.1, 0.6, 0.2, 0.9, 0.9];
    const faults = new FaultInjector(() => draws.shift() ?? 1);
    faults.update({ rate429: 0.5, rate5xx: 0.3 });
    expect(faults.nextFault()?.status).toBe(429); // 0.1 < 0.5
    expect(faults.nextFault()?.status).toBe(503); // 0.6 >= 0.5 for 429, then 0.2 < 0.3 for 5xx
    expect(faults.nextFault()).toBeUndefined(); // 0.9 and 0.9: neither
  });

  it('changes only the given settings and resets to none', () => {
    const faults = new FaultInjector();
    faults.update({ latencyMs: 20, rate429: 0.5 });
    expect(faults.update({ rate429: undefined, next5xx: 1 })).toMatchObject({
      latencyMs: 20,
      rate429: 0.5,
      next5xx: 1,
    });
    faults.reset();
    expect(faults.current()).toEqual({
      latencyMs: 0,
      rate429: 0,
      rate5xx: 0,
      retryAfterSeconds: 1,
      next429: 0,
      next5xx: 0,
    });
  });
});

describe('SimWorld', () => {
  it('expires codes after 60 seconds of simulator time', () => {
    const world = newWorld();
    const fresh = consent(world);
    world.advanceClock(59);
    expect(redeem(world, fresh).ok).toBe(true);
    const stale = consent(world);
    world.advanceClock(61);
    expect(redeem(world, stale)).toMatchObject({ ok: false, error: 'invalid_grant' });
  });

  it('judges token expiry on its own clock', () => {
    const world = newWorld();
    const result = redeem(world, consent(world));
    if (!result.ok) throw new Error(result.description);
    expect(world.authenticate(result.tokens.accessToken)).toBeDefined();
    world.advanceClock(3600);
    expect(world.authenticate(result.tokens.accessToken)).toBeUndefined();
    expect(
      world.refresh({ clientId: integration.clientId, refreshToken: result.tokens.refreshToken }).ok,
    ).toBe(true);
    world.advanceClock(86_400);
    expect(
      world.refresh({ clientId: integration.clientId, refreshToken: result.tokens.refreshToken }),
    ).toMatchObject({
      ok: false,
      error: 'invalid_request',
    });
  });

  it('extends a used refresh token, or with extendRefreshTokens off keeps its first expiry', () => {
    const world = newWorld();
    const grant = redeem(world, consent(world));
    if (!grant.ok) throw new Error(grant.description);
    const refresh = () => {
      const result = world.refresh({
        clientId: integration.clientId,
        refreshToken: grant.tokens.refreshToken,
      });
      if (!result.ok) throw new Error(result.description);
      return result.tokens.refreshTokenExpiresIn;
    };
    world.advanceClock(3600);
    expect(refresh()).toBe(86_400);
    world.updateSettings({ extendRefreshTokens: false });
    world.advanceClock(3600);
    // The same expiry, an hour nearer: whole seconds, so a millisecond of real time may round it down.
    expect(86_400 - 3600 - refresh()).toBeGreaterThanOrEqual(0);
    expect(86_400 - 3600 - refresh()).toBeLessThanOrEqual(1);
    world.advanceClock(86_400 - 3600);
    expect(
      world.refresh({ clientId: integration.clientId, refreshToken: grant.tokens.refreshToken }),
    ).toMatchObject({
      ok: false,
      error: 'invalid_request',
    });
  });

  it('counts the live tokens a switch kills and leaves other people alone', () => {
    const world = newWorld();
    const admin = redeem(world, consent(world));
    const user = redeem(world, consent(world, 'user@demo.example'));
    if (!admin.ok || !user.ok) throw new Error('consent failed');
    expect(world.deactivate('user@demo.example').revokedTokens).toBe(2);
    expect(world.deactivate('user@demo.example').revokedTokens).toBe(0);
    expect(world.authenticate(admin.tokens.accessToken)?.person.email).toBe('admin@demo.example');
    expect(world.authenticate(user.tokens.accessToken)).toBeUndefined();
  });

  it('keeps integrations and the secrets log across a reset, and nothing else', () => {
    const world = newWorld();
    const org = world.createOrg('Temp');
    world.addPerson({ email: 'x@temp.example', orgId: org.id });
    const result = redeem(world, consent(world));
    if (!result.ok) throw new Error(result.description);
    world.updateSettings({ accessTokenLifetimeSeconds: 5 });
    world.setIntegrationBlocked(world.listOrgs()[0]?.id ?? '', integration.clientId, true);
    world.reset();
    expect(world.listOrgs().map((candidate) => candidate.name)).toEqual(['Demo Org']);
    expect(world.listPeople()).toHaveLength(3);
    expect(world.listGrants()).toEqual([]);
    expect(world.currentSettings().accessTokenLifetimeSeconds).toBe(3600);
    expect(world.isBlocked(world.listOrgs()[0]?.id ?? '', integration.clientId)).toBe(false);
    expect(world.findIntegration(integration.clientId)).toEqual(integration);
    expect(world.listSecrets().all).toContain(result.tokens.accessToken);
  });
});
