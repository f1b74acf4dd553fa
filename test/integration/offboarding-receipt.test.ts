import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpWebexClient } from '#adapters/webex-client.js';
import type { TokenMaterial } from '#domain/model.js';
import type { WebexSimulator } from '#local/webex-simulator/index.js';
import { createAdminHarness, type AdminHarness } from '#test-support/admin-harness.js';
import { startAdminServer, type AdminServer } from '#test-support/admin-server.js';
import { runCli } from '#test-support/cli-process.js';
import { authorizeInSimulator, startCatalogSimulator } from '#test-support/sim-authorization.js';

interface ReceiptLine {
  integration: string;
  webexRevocation: string;
  atWebex: Record<string, unknown> & { outcome: string; statement: string };
  secretDestroyed: boolean;
  secretDestroyedAt: string;
}

/**
 * The offboarding receipt against DynamoDB Local and the Webex simulator: presence is granted with
 * identity:tokens_write (Webex lets us revoke it, and the simulator then refuses its token), cdr
 * without it (Webex refuses the revocation with 403).
 */
describe('the offboarding receipt (admin API and CLI, DynamoDB Local, Webex simulator)', () => {
  let sim: WebexSimulator;
  let h: AdminHarness;
  let server: AdminServer;

  beforeAll(async () => {
    sim = await startCatalogSimulator();
    h = await createAdminHarness({ webex: new HttpWebexClient({ baseUrl: sim.url }) });
    server = await startAdminServer(h.deps);
  });
  afterAll(async () => {
    await server?.close();
    await h?.close();
    await sim?.close();
  });

  /** A tenant whose presence may be revoked at Webex and whose cdr may not; answers their tokens. */
  async function tenantWithTwoGrants(tenantId: string): Promise<Record<string, TokenMaterial>> {
    const created = await h.call('POST', '/admin/tenants', { body: { tenantId, name: tenantId } });
    expect(created.status).toBe(201);
    const materials: Record<string, TokenMaterial> = {};
    for (const [integration, extraScopes] of [
      ['presence', ['identity:tokens_write']],
      ['cdr', []],
    ] as const) {
      const { material } = await authorizeInSimulator({
        sim,
        repos: h.repos,
        vault: h.vault,
        clock: h.clock,
        tenantId,
        integration,
        extraScopes: [...extraScopes],
      });
      materials[integration] = material;
    }
    return materials;
  }

  const meStatus = async (accessToken: string) =>
    (await fetch(`${sim.url}/v1/people/me`, { headers: { Authorization: `Bearer ${accessToken}` } })).status;

  it('says "verified" where Webex now refuses the token, and "not permitted" with its expiry and the Control Hub step where the scope is missing', async () => {
    const materials = await tenantWithTwoGrants('acme');
    const response = await h.call('DELETE', '/admin/tenants/acme');
    expect(response.status).toBe(200);
    const lines = (response.body as { authorizations: ReceiptLine[] }).authorizations;
    const of = (integration: string) => lines.find((line) => line.integration === integration);

    expect(of('presence')).toMatchObject({
      webexRevocation: 'revoked',
      atWebex: {
        outcome: 'revoked_verified',
        verifiedAt: h.clock.now().toISOString(),
        statement: `Revoked at Webex, verified at ${h.clock.now().toISOString()}: Webex now refuses the token (401).`,
      },
      secretDestroyed: true,
      secretDestroyedAt: h.clock.now().toISOString(),
    });
    // The receipt tells the truth: Webex refuses the revoked token and still accepts the other.
    expect(await meStatus(materials.presence!.accessToken)).toBe(401);
    expect(await meStatus(materials.cdr!.accessToken)).toBe(200);

    const cdr = h.deps.catalog.find('cdr')!;
    expect(of('cdr')).toMatchObject({
      webexRevocation: 'not_permitted',
      atWebex: {
        outcome: 'not_permitted',
        accessTokenValidUntil: materials.cdr!.accessTokenExpiresAt,
        refreshTokenValidUntil: materials.cdr!.refreshTokenExpiresAt,
        controlHubStep: expect.stringContaining(
          `Control Hub, Apps > Integrations, finds "${cdr.name}" by its Integration ID ${cdr.integrationId}`,
        ),
      },
      secretDestroyed: true,
    });
    const statement = of('cdr')!.atWebex.statement;
    expect(statement).toContain('identity:tokens_write');
    expect(statement).toContain(
      `Webex accepts the access token until ${materials.cdr!.accessTokenExpiresAt}`,
    );
    expect(statement).toContain('Users > admin@demo.example > Reset access');
    // Never a token in the receipt.
    const body = JSON.stringify(response.body);
    for (const material of Object.values(materials)) {
      expect(body).not.toContain(material.accessToken);
      expect(body).not.toContain(material.refreshToken);
    }
  });

  it('is printed readably by the CLI, and whole with --json', async () => {
    const api = ['--api', server.url];
    await tenantWithTwoGrants('beta');
    const printed = await runCli([...api, 'offboard', 'beta', '--yes']);
    expect(printed).toMatchObject({ code: 0, stderr: '' });
    const lines = printed.stdout.split('\n');
    expect(lines[0]).toBe('Offboarded beta.');
    expect(lines).toContainEqual(expect.stringMatching(/^presence\s+active\s+revoked_verified\s+yes$/));
    expect(lines).toContainEqual(expect.stringMatching(/^cdr\s+active\s+not_permitted\s+yes$/));
    expect(lines).toContain('Receipt:');
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^presence: Revoked at Webex, verified at \S+: Webex now refuses the token \(401\)\. Tokens deleted here at \S+\.$/,
      ),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^cdr: Not revoked at Webex: the token lacks the identity:tokens_write scope, so Webex refused \(403\)\. No copy remains here, but Webex accepts the access token until \S+ and the grant until \S+\. To end it at Webex now, .* Tokens deleted here at \S+\.$/,
      ),
    );

    await tenantWithTwoGrants('gamma');
    const json = await runCli([...api, '--json', 'offboard', 'gamma', '--yes']);
    expect(json).toMatchObject({ code: 0, stderr: '' });
    const report = JSON.parse(json.stdout) as { authorizations: ReceiptLine[] };
    expect(
      report.authorizations.map(({ integration, atWebex }) => [integration, atWebex.outcome]).sort(),
    ).toEqual([
      ['cdr', 'not_permitted'],
      ['presence', 'revoked_verified'],
    ]);
    const cdr = report.authorizations.find(({ integration }) => integration === 'cdr');
    expect(Object.keys(cdr?.atWebex ?? {}).sort()).toEqual([
      'accessTokenValidUntil',
      'controlHubStep',
      'outcome',
      'refreshTokenValidUntil',
      'statement',
      'trackingId',
    ]);
  });
});
