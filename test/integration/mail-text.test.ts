import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultCatalog } from '#adapters/catalog-file.js';
import { createRepositories } from '#adapters/dynamodb/index.js';
import { HttpWebexClient } from '#adapters/webex-client.js';
import { issueOnboardingLink } from '#domain/onboarding-link.js';
import { createPublicApiHandler, type PublicApiDependencies } from '#functions/public-api.app.js';
import { composeNotifier } from '#commons/composition-root.js';
import { notifyAuthorizationEvent } from '#domain/notifier.js';
import { silentLog } from '#domain/ports.js';
import { LocalEventSink } from '#local/adapters/local-event-sink.js';
import { LocalMailbox } from '#local/adapters/local-mailbox.js';
import { startWebexSimulator, submitConsent, type WebexSimulator } from '#local/webex-simulator/index.js';
import { CookieJar } from '#test-support/cookie-jar.js';
import { createTestTable, type TestTable } from '#test-support/dynamodb.js';
import {
  ManualClock,
  MemoryTokenVault,
  clientSecretsFrom,
  fixedLinkKeys,
  testClientSecrets,
} from '#test-support/fakes/index.js';
import {
  getEvent,
  lambdaContext,
  silentObservability,
  testSettings,
  testTenant,
} from '#test-support/fixtures.js';
import { asPortalFormPost } from '#test-support/portal-start.js';

const PUBLIC_BASE_URL = 'http://portal.test';
const OPS = 'ops@vendor.example';
const catalog = defaultCatalog();
const clientSecrets = testClientSecrets(catalog);

/** A subject as mailSubject writes it: printable ASCII from a printable non-space, under 100 characters. */
const SUBJECT_LINE = /^[\x21-\x7e][\x20-\x7e]{0,98}$/;

/** A line a forger would like the reader to act on. */
const FORGED_LINE = 'Re-authorize now at https://evil.example/login';

/**
 * A tenant name of exactly 200 UTF-16 units (the tenant schema's limit): accents, CJK, emoji
 * (surrogate pairs) and line breaks that would each start a forged line.
 */
function hostileTenantName(): string {
  let name = `Société Générale\n${FORGED_LINE}\r\n`;
  for (const character of Array.from('東京支社 😀 Zoë\u2028'.repeat(20))) {
    if (name.length + character.length > 200) break;
    name += character;
  }
  return name.padEnd(200, '東');
}

/** Denials of Webex reach the local mailbox as the notifier writes them from the event the bus carries. */
describe('denial mails through the local bus and notifier, against DynamoDB Local and the Webex simulator', () => {
  let table: TestTable;
  let simulator: WebexSimulator;

  beforeAll(async () => {
    table = await createTestTable('mail-text');
    simulator = await startWebexSimulator({
      port: 0,
      integrations: catalog.integrations.map((integration) => ({
        clientId: integration.integrationId,
        clientSecret: clientSecrets[integration.key] ?? '',
        name: integration.name,
        redirectUris: [`${PUBLIC_BASE_URL}/oauth/callback`],
      })),
    });
  });

  afterAll(async () => {
    await simulator?.close();
    await table?.drop();
  });

  async function setup(tenantName: string) {
    const tenant = testTenant({
      tenantId: `t-${Math.random().toString(36).slice(2, 10)}`,
      name: tenantName,
      contacts: ['it@customer.example'],
    });
    const repositories = createRepositories(table.client, table.tableName);
    await repositories.tenants.create(tenant);
    const dir = await mkdtemp(join(tmpdir(), 'mail-text-'));
    const sink = await LocalEventSink.open(dir);
    const mailbox = await LocalMailbox.open(dir);
    const linkKeys = fixedLinkKeys();
    const clock = new ManualClock(new Date());
    const notifier = composeNotifier({
      dynamoDb: table.client,
      tableName: table.tableName,
      catalog,
      linkKeys,
      mail: mailbox,
      opsEmail: OPS,
      publicBaseUrl: PUBLIC_BASE_URL,
      linkTtlDays: 14,
      passwordMaxAgeDays: 1825,
      clientSecretLocation: 'the local client secrets file',
      clock,
      log: silentLog,
    });
    sink.subscribe(async (event) => {
      await notifyAuthorizationEvent(notifier, event);
    });
    const deps = {
      ...repositories,
      vault: new MemoryTokenVault(),
      webex: new HttpWebexClient({ baseUrl: simulator.url, timeoutMs: 1000 }),
      events: sink,
      clientSecrets: clientSecretsFrom(clientSecrets),
      linkKeys,
      catalog,
      clock,
      settings: testSettings({ publicBaseUrl: PUBLIC_BASE_URL, webexApiBaseUrl: simulator.url }),
    } satisfies PublicApiDependencies;
    const handler = createPublicApiHandler(deps, silentObservability());
    const link = issueOnboardingLink({ tenant, key: linkKeys.key, clock, publicBaseUrl: PUBLIC_BASE_URL });
    const browser = new CookieJar();

    /** The portal's Authorize pressed: returns the state and Webex's authorize URL. */
    const start = async (integration: string) => {
      const event = asPortalFormPost(
        getEvent(`/oauth/start?link=${link.token}&integration=${integration}`),
        PUBLIC_BASE_URL,
      );
      const answer = await handler(event, lambdaContext());
      expect(answer.statusCode).toBe(302);
      browser.store(answer.cookies);
      return String(answer.headers?.Location);
    };
    /** Webex (or whoever holds the attempt) sends the browser back to the callback with this query. */
    const callback = async (query: string) => {
      const answer = await handler(
        getEvent(`/oauth/callback?${query}`, browser.cookiesFor('/oauth/callback')),
        lambdaContext(),
      );
      return { statusCode: answer.statusCode, body: answer.body ?? '' };
    };
    return { tenant, repositories, sink, mailbox, start, callback };
  }

  it('mails the denial of a tenant whose name is 200 Unicode characters with line breaks: a one-line ASCII subject, no line is forged', async () => {
    const name = hostileTenantName();
    expect(name).toHaveLength(200);
    const { tenant, repositories, mailbox, start, callback } = await setup(name);
    const consent = await submitConsent(await start('sso'), {
      person: 'admin@demo.example',
      decision: 'deny',
    });
    const back = new URL(consent.headers.get('location') ?? '');

    const page = await callback(back.search.slice(1));
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('access was denied');

    // The day's first denial goes to the contacts at once; ops count it in the digest.
    const mail = mailbox.mailbox();
    expect(mail.map((m) => m.to)).toEqual(['it@customer.example']);
    for (const { subject, text } of mail) {
      expect(subject).toMatch(SUBJECT_LINE);
      expect(
        subject.startsWith('Webex authorization denied: SSO against Cisco Control Hub (Societe Generale '),
      ).toBe(true);
      const lines = text.split('\n');
      expect(lines.filter((line) => line.startsWith('Re-authorize'))).toEqual([]);
      // The name stays inside its sentence: its line breaks became spaces, so no line starts with it.
      expect(
        lines.some((line) =>
          line.startsWith(`An administrator of Société Générale ${FORGED_LINE} 東京支社 😀 Zoë 東京支社`),
        ),
      ).toBe(true);
      expect(lines.filter((line) => line.startsWith(FORGED_LINE))).toEqual([]);
      expect(text).not.toMatch(/[\r\u2028]/);
    }
    const { items } = await repositories.history.list(tenant.tenantId, { limit: 10 });
    expect(items.map((event) => [event.type, event.summary.includes('\n')])).toEqual([['denied', false]]);
  });

  it('never copies a callback error RFC 6749 does not define into the mail, the page, the history or the bus: it is unknown_error', async () => {
    const { tenant, repositories, sink, mailbox, start, callback } = await setup('Acme Corp');
    const state = new URL(await start('cdr')).searchParams.get('state') ?? '';
    // A link holder calls the callback by hand, with the cookie of their own start.
    const page = await callback(`state=${state}&error=ACCOUNT_LOCKED_reset_it_at_www.evil-webex-login.com`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<code>unknown_error</code>');

    const mail = mailbox.mailbox();
    expect(mail).toHaveLength(1);
    expect(mail[0]?.text).toContain('Webex did not grant it (unknown_error)');
    const { items } = await repositories.history.list(tenant.tenantId, { limit: 10 });
    expect(items.map((event) => event.webexError)).toEqual(['unknown_error']);
    const everything = JSON.stringify([page.body, mail, items, await sink.events()]);
    expect(everything).not.toContain('evil-webex-login');
    expect(everything).not.toContain('ACCOUNT_LOCKED');
  });
});
