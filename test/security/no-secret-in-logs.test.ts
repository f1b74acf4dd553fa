import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentClientFor } from '#adapters/dynamodb/index.js';
import { HttpWebexClient } from '#adapters/webex-client.js';
import type { SealedTokens } from '#domain/model.js';
import { systemClock } from '#domain/ports.js';
import { createPublicApiHandler, type PublicApiDependencies } from '#functions/public-api.app.js';
import { createTokenAccess } from '#functions/token-access.js';
import { submitConsent } from '#local/webex-simulator/index.js';
import { CookieJar } from '#test-support/cookie-jar.js';
import { getEvent, lambdaContext } from '#test-support/fixtures.js';
import { asPortalFormPost } from '#test-support/portal-start.js';
import {
  OutputCapture,
  accessTokenWorks,
  addOrgWithAdmin,
  linkTokenOf,
  onboardOverHttp,
  portalPress,
  request,
  simControl,
  simSecrets,
  startTestLocalSystem,
  type Exchanged,
  type SimSecrets,
  type TestLocalSystem,
} from '#test-support/security-local.js';

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
  /** Every envelope the run sealed: its wrapped data key and ciphertext must not be logged either. */
  const sealed: SealedTokens[] = [];

  beforeAll(async () => {
    capture.start();
    try {
      // An incident closes a second after its first death, so the run's next sweep mails it.
      local = await startTestLocalSystem({
        logLevel: 'DEBUG',
        opsEmail: 'ops@vendor.example',
        alertPolicy: { incidentWindowSeconds: 1 },
      });
      const { vault } = local.system;
      const seal = vault.seal.bind(vault);
      vault.seal = async (context, material) => {
        const envelope = await seal(context, material);
        sealed.push(envelope);
        return envelope;
      };
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
    await runRefusalAndFailureFlows(demoLink);

    // Token access with a margin longer than the tokens live: every call refreshes on demand.
    const logger = new Logger({ serviceName: 'token-access', logLevel: 'DEBUG' });
    const tokens = createTokenAccess({
      authorizations: system.repositories.authorizations,
      tenants: system.repositories.tenants,
      vault: system.vault,
      webex: new HttpWebexClient({ baseUrl: system.simulator.url, log: logger }),
      clientSecrets: system.secrets.clientSecretSource,
      catalog: system.catalog,
      clock: systemClock,
      refreshMarginMs: 30 * 86_400_000,
      cacheTtlMs: 0,
      log: logger,
    });
    for (const integration of ['users-sync', 'presence', 'cdr']) {
      const token = await tokens.getAccessToken('demo', integration);
      expect(token.accessToken.length).toBeGreaterThan(10);
    }
    // The HTTP token route: its answer is the one place a token goes, so it is not kept with the
    // answers scanned below; its log lines and events are.
    for (const integration of ['users-sync', 'presence']) {
      const answer = await request(`${api}/admin/tenants/demo/authorizations/${integration}/token`);
      expect(answer.status).toBe(200);
      const { accessToken } = JSON.parse(answer.body) as { accessToken: string };
      expect(await accessTokenWorks(system, accessToken)).toBe(true);
    }
    expect((await system.api.sweep(3600)).errors).toEqual([]);

    // Every authorization dies with the admin's password: one alert each, then one re-authorization.
    await simControl(system, `people/${DEMO_ADMIN}/password-change`);
    expect((await system.api.sweep(3600)).errors).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await system.api.sweep(3600)).errors).toEqual([]);
    expect(
      system.mailbox.mailbox().filter((mail) => mail.type === 'invalidated').length,
    ).toBeGreaterThanOrEqual(1);
    const refused = await admin('GET', '/admin/tenants/demo/authorizations/cdr/token');
    expect(refused.status).toBe(409);
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

  /**
   * Every refusal and failure of the callback, so the error paths' logging (the mapper's
   * `logger.error('Onboarding request failed', error)` included) is scanned too: not a Full Admin,
   * another org, a code Webex refuses and Webex 5xx on the exchange over HTTP on the local system;
   * then, through the same public handler in-process at DEBUG over the same ports, a bot (the
   * simulator has no bots: its answer for the person is passed on with `type: 'bot'`), a timeout on
   * the exchange, and vault and DynamoDB failures in the callback.
   */
  async function runRefusalAndFailureFlows(demoLink: string): Promise<void> {
    const { system } = local;
    const reasonOf = (answer: Exchanged) => /data-reason="([a-z_]+)"/.exec(answer.body)?.[1];

    const notAdmin = await onboardOverHttp(system, demoLink, 'users-sync', 'user@demo.example');
    keep(notAdmin.start);
    expect(reasonOf(keep(notAdmin.callback))).toBe('not_full_admin');

    const other = await addOrgWithAdmin(system, 'Other Customer');
    const mismatch = await onboardOverHttp(system, demoLink, 'users-sync', other.email);
    keep(mismatch.start);
    expect(reasonOf(keep(mismatch.callback))).toBe('org_mismatch');

    // A code Webex refuses: the real one, changed by one character, on its way back.
    const browser = new CookieJar();
    const start = keep(
      await request(`${system.api.url}/oauth/start?link=${demoLink}&integration=cdr`, {
        method: 'POST',
        headers: portalPress(system),
        browser,
      }),
    );
    const consented = await submitConsent(start.location ?? '', { person: DEMO_ADMIN, decision: 'accept' });
    const callbackUrl = new URL(consented.headers.get('location') ?? '');
    const code = callbackUrl.searchParams.get('code') ?? '';
    callbackUrl.searchParams.set('code', `${code.slice(0, -1)}${code.endsWith('x') ? 'y' : 'x'}`);
    expect(reasonOf(keep(await request(callbackUrl.href, { browser })))).toBe('code_refused');

    // Webex answering 5xx to the exchange (the consent page is not an API call, the exchange is).
    const unavailableBrowser = new CookieJar();
    const unavailableStart = keep(
      await request(`${system.api.url}/oauth/start?link=${demoLink}&integration=cdr`, {
        method: 'POST',
        headers: portalPress(system),
        browser: unavailableBrowser,
      }),
    );
    const unavailableConsent = await submitConsent(unavailableStart.location ?? '', {
      person: DEMO_ADMIN,
      decision: 'accept',
    });
    await simControl(system, 'faults', { next5xx: 1 });
    const unavailable = keep(
      await request(unavailableConsent.headers.get('location') ?? '', { browser: unavailableBrowser }),
    );
    expect(reasonOf(unavailable)).toBe('webex_unavailable');

    // The same handler in-process over the same ports, logging at DEBUG to the captured stdout.
    const logger = new Logger({ serviceName: 'public-api-error-paths', logLevel: 'DEBUG' });
    const http = new HttpWebexClient({ baseUrl: system.simulator.url, log: logger, timeoutMs: 300 });
    const ports: PublicApiDependencies = {
      ...system.repositories,
      vault: system.vault,
      webex: http,
      events: system.events,
      clientSecrets: system.secrets.clientSecretSource,
      linkKeys: system.secrets.linkSigningKeySource,
      catalog: system.catalog,
      clock: systemClock,
      settings: {
        publicBaseUrl: system.publicBaseUrl,
        webexApiBaseUrl: system.simulator.url,
        passwordMaxAgeDays: 1825,
        linkTtlDays: 14,
        firstCheckDelaySeconds: 0,
      },
    };
    const callbackWith = async (
      deps: PublicApiDependencies,
      integration: string,
      before?: () => Promise<void>,
    ) => {
      const handler = createPublicApiHandler(deps, {
        logger,
        metrics: new Metrics({ namespace: 'NoSecretTest', serviceName: 'public-api-error-paths' }),
      });
      const call = async (pathAndQuery: string, cookies: string[] = [], method: 'GET' | 'POST' = 'GET') => {
        const event = getEvent(pathAndQuery, cookies);
        const sent =
          method === 'POST' ? asPortalFormPost(event, new URL(system.publicBaseUrl).origin) : event;
        const answer = await handler(sent, lambdaContext());
        const location = answer.headers?.Location;
        return {
          exchanged: keep({
            url: pathAndQuery,
            status: answer.statusCode ?? 0,
            ...(typeof location === 'string' ? { location } : {}),
            body: answer.body ?? '',
          }),
          cookies: (answer.cookies ?? []).map((cookie) => cookie.split(';')[0] ?? ''),
        };
      };
      const started = await call(`/oauth/start?link=${demoLink}&integration=${integration}`, [], 'POST');
      const consent = await submitConsent(started.exchanged.location ?? '', {
        person: DEMO_ADMIN,
        decision: 'accept',
      });
      const back = new URL(consent.headers.get('location') ?? '');
      await before?.();
      return (await call(`/oauth/callback${back.search}`, started.cookies)).exchanged;
    };

    const bot: PublicApiDependencies['webex'] = Object.assign(Object.create(http) as typeof http, {
      getMe: async (accessToken: string) => ({ ...(await http.getMe(accessToken)), type: 'bot' }),
    });
    expect(reasonOf(await callbackWith({ ...ports, webex: bot }, 'users-sync'))).toBe('not_a_person');

    // Webex slower than the client's timeout on the exchange.
    const slow = await callbackWith(ports, 'cdr', () => simControl(system, 'faults', { latencyMs: 800 }));
    await simControl(system, 'faults', { latencyMs: 0 });
    expect(reasonOf(slow)).toBe('webex_unavailable');

    // Infrastructure failing inside the callback: the error mapper logs these at ERROR.
    const failure = (name: string, message: string) => Object.assign(new Error(message), { name });
    const vaultDown = Object.assign(Object.create(system.vault) as typeof system.vault, {
      seal: async () => {
        throw failure('KMSInternalException', 'KMS could not generate a data key');
      },
    });
    expect((await callbackWith({ ...ports, vault: vaultDown }, 'cdr')).status).toBe(500);
    const saveFails = Object.assign(
      Object.create(system.repositories.authorizations) as typeof ports.authorizations,
      {
        save: async () => {
          throw failure(
            'ProvisionedThroughputExceededException',
            'The level of configured provisioned throughput was exceeded',
          );
        },
      },
    );
    expect((await callbackWith({ ...ports, authorizations: saveFails }, 'cdr')).status).toBe(500);
    const consumeFails: PublicApiDependencies['oauthStates'] = {
      put: (state) => system.repositories.oauthStates.put(state),
      has: (stateHash) => system.repositories.oauthStates.has(stateHash),
      // The delete went through but its answer was lost: the state is spent, the callback fails.
      consume: async (stateHash) => {
        await system.repositories.oauthStates.consume(stateHash);
        throw failure('InternalServerError', 'DynamoDB could not delete the item');
      },
    };
    expect((await callbackWith({ ...ports, oauthStates: consumeFails }, 'cdr')).status).toBe(500);
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
      ...labelled('webhook secret', secrets.webhookSecrets),
      ...labelled('client secret (local)', Object.values(system.secrets.clientSecrets)),
      ...labelled('link-signing key', [
        linkKey.toString('base64'),
        linkKey.toString('base64url'),
        linkKey.toString('hex'),
      ]),
      ...labelled('vault key', [vaultKey, Buffer.from(vaultKey, 'base64').toString('hex')]),
      ...labelled(
        'sealed tokens',
        sealed.flatMap((envelope) => [envelope.wrappedKey, envelope.ciphertext]),
      ),
    ];
  }

  it('issued and saw real secrets of every kind during the run', () => {
    const integrations = local.system.catalog.keys.length;
    // Six grants (five, then presence again) and three on-demand refreshes at least.
    expect(secrets.codes.length).toBeGreaterThanOrEqual(integrations + 1);
    expect(secrets.codeVerifiers.length).toBeGreaterThanOrEqual(integrations + 1);
    expect(secrets.accessTokens.length).toBeGreaterThanOrEqual(integrations + 4);
    expect(secrets.refreshTokens.length).toBeGreaterThanOrEqual(integrations + 1);
    // The simulator knows the catalog's Service Apps too, with their client secrets.
    expect(secrets.clientSecrets.length).toBe(local.system.catalog.clientSecretKeys.length);
    expect(sealed.length).toBeGreaterThanOrEqual(integrations + 4);
  });

  it('captured the run: DEBUG logs of every part, events, emails and answers', async () => {
    const logs = capture.text;
    for (const message of [
      'Authorization granted',
      'Authorization denied by Webex',
      'Refreshed the access token on demand',
      'Authorization check found a problem',
      'Authorization refused',
      'Webex refused or failed the code exchange',
      'Onboarding request refused',
      'Onboarding request failed',
      'Access token handed out',
      'Admin request refused',
    ]) {
      expect(logs).toContain(message);
    }
    const events = await local.system.events.events();
    expect(new Set(events.map((event) => event.type))).toEqual(
      new Set(['org_bound', 'granted', 'denied', 'invalidated', 'restored', 'revoked']),
    );
    // Incidents group the deaths of one sweep into one mail per contact: mails to check, not a mail per death.
    expect(local.system.mailbox.mailbox().length).toBeGreaterThanOrEqual(5);
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
      mailbox: local.system.mailbox.mailbox(),
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
      new ScanCommand({ TableName: local.system.tableName }),
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
