import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentClientFor } from '../../functions/adapters/dynamodb/index.js';
import { HttpWebexClient } from '../../functions/adapters/webex-client.js';
import { createTokenAccess } from '../../functions/token-access.js';
import { LOCAL_TABLE_NAME } from '../../local/local-system.js';
import {
  OutputCapture,
  linkTokenOf,
  onboardOverHttp,
  request,
  simControl,
  simSecrets,
  startTestLocalSystem,
  type Exchanged,
  type SimSecrets,
  type TestLocalSystem,
} from '../support/security-local.js';

const DEMO_ADMIN = 'admin@demo.example';

/**
 * The product's main flows on the local system at DEBUG, with every log line, event, email and
 * answer collected; then every secret the Webex simulator issued or saw, the client secrets, the
 * link-signing key and the local vault key are looked for in all of it.
 */
describe('no secret reaches a log, an event, an email or an answer', () => {
  let local: TestLocalSystem;
  const capture = new OutputCapture();
  /** The product's own answers: status, Location and body of every route it served. */
  const answers: Exchanged[] = [];
  let secrets: SimSecrets;

  beforeAll(async () => {
    capture.start();
    try {
      local = await startTestLocalSystem({ logLevel: 'DEBUG', opsEmail: 'ops@vendor.example' });
      await runMainFlows();
    } finally {
      capture.stop();
    }
    secrets = await simSecrets(local.system);
  }, 60_000);

  afterAll(async () => {
    capture.stop();
    await local?.stop();
  });

  const keep = (exchanged: Exchanged): Exchanged => {
    answers.push(exchanged);
    return exchanged;
  };

  /** Onboarding of every integration, a denial, token access with refreshes, a password change and its alerts, a re-authorization, admin reads, offboarding. */
  async function runMainFlows(): Promise<void> {
    const { system } = local;
    const api = system.api.url;
    const admin = (method: string, path: string, body?: unknown) =>
      request(`${api}${path}`, { method, ...(body !== undefined ? { body } : {}) }).then(keep);

    // A second tenant through the admin API, with a contact who gets the alerts.
    expect(
      (
        await admin('POST', '/admin/tenants', {
          tenantId: 'acme',
          name: 'Acme',
          contacts: ['it@acme.example'],
        })
      ).status,
    ).toBe(201);
    const acmeLink = JSON.parse((await admin('POST', '/admin/tenants/acme/links', {})).body) as {
      url: string;
    };
    keep(await request(acmeLink.url));

    const demoLink = linkTokenOf(await system.demoPortalUrl());
    for (const integration of system.catalog.keys) {
      const onboarding = await onboardOverHttp(system, demoLink, integration, DEMO_ADMIN);
      keep(onboarding.start);
      expect(keep(onboarding.callback).status, integration).toBe(200);
    }
    const denied = await onboardOverHttp(system, demoLink, 'presence', DEMO_ADMIN, 'deny');
    keep(denied.start);
    expect(keep(denied.callback).body).toContain('id="integration-id"');
    keep(await request(`${api}/connect/${demoLink}`));
    keep(await request(`${api}/troubleshoot/cdr?link=${demoLink}`));

    // Token access with a margin longer than the tokens live: every call refreshes on demand.
    const logger = new Logger({ serviceName: 'token-access', logLevel: 'DEBUG' });
    const tokens = createTokenAccess({
      repo: system.repositories.authorizations,
      tenants: system.repositories.tenants,
      vault: system.vault,
      webex: new HttpWebexClient({ baseUrl: system.simulator.url, log: logger }),
      clientSecrets: system.secrets.clientSecretSource,
      catalog: system.catalog,
      refreshMarginMs: 30 * 86_400_000,
      cacheTtlMs: 0,
      log: logger,
    });
    for (const integration of ['users-sync', 'presence', 'cdr']) {
      const token = await tokens.getAccessToken('demo', integration);
      expect(token.accessToken.length).toBeGreaterThan(10);
    }
    expect((await system.api.sweep(3600)).errors).toEqual([]);

    // Every authorization dies with the admin's password: one alert each, then one re-authorization.
    await simControl(system, `people/${DEMO_ADMIN}/password-change`);
    expect((await system.api.sweep(3600)).errors).toEqual([]);
    expect(
      system.events.mailbox().filter((mail) => mail.type === 'invalidated').length,
    ).toBeGreaterThanOrEqual(5);
    const again = await onboardOverHttp(system, demoLink, 'presence', DEMO_ADMIN);
    keep(again.start);
    expect(keep(again.callback).status).toBe(200);
    keep(await request(`${api}/_local/mailbox`));
    keep(await request(`${api}/_local/status`));

    await admin('GET', '/admin/tenants');
    await admin('GET', '/admin/tenants/demo');
    await admin('GET', '/admin/tenants/demo/authorizations');
    await admin('GET', '/admin/tenants/demo/history?limit=100');
    await admin('GET', '/admin/status-board');
    expect((await admin('POST', '/admin/tenants/demo/authorizations/presence/validate')).status).toBe(200);
    expect((await admin('DELETE', '/admin/tenants/demo')).status).toBe(200);
  }

  /** The secrets of the run, each with a label for the failure message. */
  async function allSecrets(): Promise<Array<{ label: string; value: string }>> {
    const { system, dataDir } = local;
    const labelled = (label: string, values: readonly string[]) => values.map((value) => ({ label, value }));
    const linkKey = await system.secrets.linkSigningKeySource.get();
    const vaultKey = (await readFile(join(dataDir, 'vault', 'vault.key'), 'utf8')).trim();
    return [
      ...labelled('access token', secrets.accessTokens),
      ...labelled('refresh token', secrets.refreshTokens),
      ...labelled('authorization code', secrets.codes),
      ...labelled('PKCE verifier', secrets.codeVerifiers),
      ...labelled('client secret', secrets.clientSecrets),
      ...labelled('client secret (local)', Object.values(system.secrets.clientSecrets)),
      ...labelled('link-signing key', [
        linkKey.toString('base64'),
        linkKey.toString('base64url'),
        linkKey.toString('hex'),
      ]),
      ...labelled('vault key', [vaultKey, Buffer.from(vaultKey, 'base64').toString('hex')]),
    ];
  }

  it('issued and saw real secrets of every kind during the run', () => {
    const integrations = local.system.catalog.keys.length;
    // Six grants (five, then presence again) and three on-demand refreshes at least.
    expect(secrets.codes.length).toBeGreaterThanOrEqual(integrations + 1);
    expect(secrets.codeVerifiers.length).toBeGreaterThanOrEqual(integrations + 1);
    expect(secrets.accessTokens.length).toBeGreaterThanOrEqual(integrations + 4);
    expect(secrets.refreshTokens.length).toBeGreaterThanOrEqual(integrations + 1);
    expect(secrets.clientSecrets.length).toBe(integrations);
  });

  it('captured the run: DEBUG logs of every part, events, emails and answers', async () => {
    const logs = capture.text;
    for (const message of [
      'Authorization granted',
      'Authorization denied by Webex',
      'Refreshed the access token on demand',
      'Authorization check found a problem',
    ]) {
      expect(logs).toContain(message);
    }
    const events = await local.system.events.events();
    expect(new Set(events.map((event) => event.type))).toEqual(
      new Set(['granted', 'denied', 'invalidated', 'restored', 'revoked']),
    );
    expect(local.system.events.mailbox().length).toBeGreaterThan(10);
    expect(answers.filter((answer) => answer.location).length).toBeGreaterThanOrEqual(7);
  });

  it('writes no secret to the logs', async () => {
    const logs = capture.text;
    for (const { label, value } of await allSecrets()) {
      expect(logs.includes(value), `${label} in the logs`).toBe(false);
    }
  });

  it('puts no secret in an event or an email', async () => {
    const published = JSON.stringify({
      events: await local.system.events.events(),
      mailbox: local.system.events.mailbox(),
    });
    for (const { label, value } of await allSecrets()) {
      expect(published.includes(value), `${label} in an event or an email`).toBe(false);
    }
  });

  it('answers no secret: no page, link or redirect of the product carries one', async () => {
    // The request URLs are left out: the callback's carries the code because Webex put it there.
    const served = JSON.stringify(answers.map(({ status, location, body }) => ({ status, location, body })));
    for (const { label, value } of await allSecrets()) {
      expect(served.includes(value), `${label} in an answer`).toBe(false);
    }
  });

  it('keeps no token, code or client secret in the table, and no verifier once its state is spent', async () => {
    const { Items = [] } = await documentClientFor(local.system.dynamoDb.client).send(
      new ScanCommand({ TableName: LOCAL_TABLE_NAME }),
    );
    expect(Items.length).toBeGreaterThan(10);
    // Every flow of the run completed or was refused, so no OAuth state (and no verifier) is left.
    expect(Items.filter((item) => String(item.pk).startsWith('STATE#'))).toEqual([]);
    const table = JSON.stringify(Items);
    for (const { label, value } of await allSecrets()) {
      expect(table.includes(value), `${label} in the table`).toBe(false);
    }
  });
});
