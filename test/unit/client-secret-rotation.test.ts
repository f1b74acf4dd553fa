import { mkdtemp, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultCatalog } from '#adapters/catalog-file.js';
import { LocalSecrets } from '#local/adapters/local-secrets.js';
import { startWebexSimulator } from '#local/webex-simulator/index.js';
import { SimNotFoundError, SimWorld } from '#local/webex-simulator/world.js';

/*
 * A client secret regenerated as the developer portal does: the simulator refuses the old one at
 * once, and the local run picks the new one up from `.local/secrets/` without a restart.
 */

const integration = {
  clientId: 'Crotate',
  clientSecret: 'old-secret-0123456789',
  name: 'Rotate',
  redirectUris: ['http://127.0.0.1:9/cb'],
};

describe('the simulator regenerates a client secret', () => {
  it('refuses the old secret at once and accepts the new one', () => {
    const world = new SimWorld({
      accessTokenLifetimeSeconds: 3600,
      refreshTokenLifetimeSeconds: 86_400,
      extendRefreshTokens: true,
      seedDemoOrg: true,
      integrations: [integration],
    });
    const { clientSecret } = world.regenerateClientSecret('Crotate');
    expect(clientSecret).not.toBe(integration.clientSecret);
    expect(world.authenticateClient('Crotate', integration.clientSecret)).toBeUndefined();
    expect(world.authenticateClient('Crotate', clientSecret)?.clientId).toBe('Crotate');
    expect(() => world.regenerateClientSecret('Cnone')).toThrow(SimNotFoundError);
  });

  it('answers POST /_sim/integrations/{id}/regenerate-secret, and the token endpoint says invalid_client for the old secret', async () => {
    const sim = await startWebexSimulator({ port: 0, integrations: [integration] });
    try {
      const answer = await fetch(`${sim.url}/_sim/integrations/Crotate/regenerate-secret`, {
        method: 'POST',
      });
      expect(answer.status).toBe(200);
      const { clientSecret } = (await answer.json()) as { clientSecret: string };
      expect(clientSecret.length).toBeGreaterThanOrEqual(32);
      const token = await fetch(`${sim.url}/v1/access_token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          client_id: 'Crotate',
          client_secret: integration.clientSecret,
          refresh_token: 'whatever',
        }),
      });
      expect(token.status).toBe(401);
      expect(await token.json()).toMatchObject({ error: 'invalid_client' });
      const unknown = await fetch(`${sim.url}/_sim/integrations/Cnone/regenerate-secret`, { method: 'POST' });
      expect(unknown.status).toBe(404);
    } finally {
      await sim.close();
    }
  });
});

describe('LocalSecrets', () => {
  const catalog = defaultCatalog();

  it('reads a client secret changed in the file without a restart, and names the file when it is bad', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'local-secrets-'));
    const secrets = await LocalSecrets.open(dir, catalog);
    const first = await secrets.clientSecretSource.get('presence');
    const path = secrets.clientSecretsPath;

    await writeFile(path, JSON.stringify({ presence: 'the-new-secret-0123456789' }));
    const later = new Date(Date.now() + 5_000);
    await utimes(path, later, later);
    expect(first).not.toBe('the-new-secret-0123456789');
    expect(await secrets.clientSecretSource.get('presence')).toBe('the-new-secret-0123456789');

    await writeFile(path, JSON.stringify({ presence: 'short' }));
    const latest = new Date(Date.now() + 10_000);
    await utimes(path, latest, latest);
    await expect(secrets.clientSecretSource.get('presence')).rejects.toThrow(path);
  });
});
