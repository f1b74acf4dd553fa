import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '#test-support/browser.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createRepositories } from '#adapters/dynamodb/index.js';
import { HttpWebexClient } from '#adapters/webex-client.js';
import { defaultCatalog } from '#adapters/catalog-file.js';
import { issueOnboardingLink, type IssuedOnboardingLink } from '#domain/onboarding-link.js';
import { systemClock } from '#domain/ports.js';
import { createPublicApiHandler } from '#functions/public-api.app.js';
import { startWebexSimulator, type WebexSimulator } from '#local/webex-simulator/index.js';
import { createTestTable, type TestTable } from '#test-support/dynamodb.js';
import {
  MemoryTokenVault,
  RecordingPublisher,
  clientSecretsFrom,
  fixedLinkKeys,
  testClientSecrets,
} from '#test-support/fakes/index.js';
import { silentObservability, testSettings, testTenant } from '#test-support/fixtures.js';
import { startPublicApiServer, type PublicApiServer } from '#test-support/public-api-server.js';

const SCREENSHOTS = 'test-results';
const catalog = defaultCatalog();
const clientSecrets = testClientSecrets(catalog);
const integrationIdOf = (key: string) => catalog.find(key)?.integrationId ?? '';

describe('onboarding in a real browser', () => {
  let table: TestTable;
  let simulator: WebexSimulator;
  let server: PublicApiServer;
  let browser: Browser;
  let publicBaseUrl: string;
  let link: IssuedOnboardingLink;
  let events: RecordingPublisher;
  let demoOrgId: string;
  let cspViolations: string[];

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    table = await createTestTable('browser');
    const repositories = createRepositories(table.client, table.tableName);
    const tenant = testTenant({ tenantId: 'browser-co', name: 'Browser Co' });
    await repositories.tenants.create(tenant);

    server = await startPublicApiServer();
    publicBaseUrl = server.publicBaseUrl;

    simulator = await startWebexSimulator({
      port: 0,
      integrations: catalog.integrations.map((integration) => ({
        clientId: integration.integrationId,
        clientSecret: clientSecrets[integration.key] ?? '',
        name: integration.name,
        redirectUris: [`${publicBaseUrl}/oauth/callback`],
      })),
    });
    const orgs = (await (await fetch(`${simulator.url}/_sim/orgs`)).json()) as Array<{ id: string }>;
    demoOrgId = orgs[0]?.id ?? '';

    const linkKeys = fixedLinkKeys();
    events = new RecordingPublisher();
    server.serve(
      createPublicApiHandler(
        {
          ...repositories,
          vault: new MemoryTokenVault(),
          webex: new HttpWebexClient({ baseUrl: simulator.url }),
          events,
          clientSecrets: clientSecretsFrom(clientSecrets),
          linkKeys,
          catalog,
          clock: systemClock,
          settings: testSettings({ publicBaseUrl, webexApiBaseUrl: simulator.url }),
        },
        silentObservability(),
      ),
    );
    link = issueOnboardingLink({
      tenant,
      key: linkKeys.key,
      clock: { now: () => new Date() },
      publicBaseUrl,
    });

    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await simulator?.close();
    await server?.close();
    await table?.drop();
  });

  beforeEach(() => {
    cspViolations = [];
  });

  async function newPage(): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    page.on('console', (message) => {
      if (/Content.Security.Policy/i.test(message.text())) cspViolations.push(message.text());
    });
    return page;
  }

  it('authorizes an integration: portal, Authorize, Webex consent, success, portal shows it active', async () => {
    const page = await newPage();
    await page.goto(link.url);
    await expect.poll(() => page.title()).toContain('Browser Co');
    await page.screenshot({ path: `${SCREENSHOTS}/onboarding-1-portal.png`, fullPage: true });

    await page.click('#integration-presence button.button');
    await page.waitForSelector('form[action="/v1/authorize"]');
    await page.selectOption('select[name="person"]', 'admin@demo.example');
    await page.screenshot({ path: `${SCREENSHOTS}/onboarding-2-consent.png`, fullPage: true });
    await page.click('button[name="decision"][value="accept"]');

    await page.waitForSelector('#authorized-by');
    expect(await page.textContent('h1')).toContain('is authorized');
    expect(await page.textContent('#authorized-by')).toContain('admin@demo.example');
    expect(await page.locator('[data-warning="presence_sharing"]').count()).toBe(1);
    expect(await page.locator('[data-warning="password_expiry"]').count()).toBe(1);
    await page.screenshot({ path: `${SCREENSHOTS}/onboarding-3-success.png`, fullPage: true });

    await page.click('#back-to-portal');
    await page.waitForSelector('#integration-presence');
    expect(await page.getAttribute('#integration-presence', 'data-state')).toBe('active');
    expect(await page.textContent('#integration-presence')).toContain('admin@demo.example');
    await page.screenshot({ path: `${SCREENSHOTS}/onboarding-4-portal-active.png`, fullPage: true });

    // The page is styled (the hashed stylesheet was allowed) and nothing broke the CSP.
    const headerColor = await page.$eval('header', (element) => getComputedStyle(element).backgroundColor);
    expect(headerColor).toBe('rgb(16, 36, 62)');
    expect(cspViolations).toEqual([]);
    expect(events.published.map(({ event }) => [event.type, event.integration])).toContainEqual([
      'granted',
      'presence',
    ]);
    await page.close();
  });

  it('leads a blocked integration from Webex "Access denied" to the troubleshooting page with its ID', async () => {
    const clientId = integrationIdOf('call-control');
    const blocked = await fetch(`${simulator.url}/_sim/orgs/${demoOrgId}/integrations/${clientId}/block`, {
      method: 'POST',
    });
    expect(blocked.status).toBe(200);
    const page = await newPage();
    await page.goto(link.url);
    await page.click('#integration-call-control button.button');
    await page.waitForSelector('form[action="/v1/authorize"]');
    await page.selectOption('select[name="person"]', 'admin@demo.example');
    await page.click('button[name="decision"][value="accept"]');

    await page.waitForSelector('#access-denied');
    expect(await page.textContent('#access-denied')).toContain('Your administrator denied access');
    await page.screenshot({ path: `${SCREENSHOTS}/onboarding-5-webex-access-denied.png`, fullPage: true });
    await page.click('text=Return to the application');

    await page.waitForSelector('#integration-id');
    expect(await page.inputValue('#integration-id')).toBe(clientId);
    expect(await page.getAttribute('#integration-id', 'readonly')).not.toBeNull();
    expect(await page.textContent('main')).toContain('admin.webex.com');
    // The retry is the portal's kind of button: a form that POSTs the start.
    const retry = new URL((await page.getAttribute('form:has(#retry)', 'action')) ?? '');
    expect(await page.getAttribute('form:has(#retry)', 'method')).toBe('post');
    expect(retry.pathname).toBe('/oauth/start');
    expect(retry.searchParams.get('integration')).toBe('call-control');
    await page.screenshot({ path: `${SCREENSHOTS}/onboarding-6-troubleshooting.png`, fullPage: true });

    // Once unblocked in "Control Hub", the retry button works.
    await fetch(`${simulator.url}/_sim/orgs/${demoOrgId}/integrations/${clientId}/unblock`, {
      method: 'POST',
    });
    await page.click('#retry');
    await page.waitForSelector('form[action="/v1/authorize"]');
    await page.selectOption('select[name="person"]', 'admin@demo.example');
    await page.click('button[name="decision"][value="accept"]');
    await page.waitForSelector('#authorized-by');
    expect(cspViolations).toEqual([]);
    await page.close();
  });

  it('shows the troubleshooting page when the admin presses Deny', async () => {
    const page = await newPage();
    await page.goto(link.url);
    await page.click('#integration-sso button.button');
    await page.waitForSelector('form[action="/v1/authorize"]');
    await page.click('button[name="decision"][value="deny"]');
    await page.waitForSelector('#integration-id');
    expect(await page.inputValue('#integration-id')).toBe(integrationIdOf('sso'));
    expect(await page.textContent('main')).toContain('access was denied');
    expect(events.published.map(({ event }) => [event.type, event.integration])).toContainEqual([
      'denied',
      'sso',
    ]);
    await page.close();
  });

  it('shows the blocked integration’s ID when the admin presses Deny on it', async () => {
    const clientId = integrationIdOf('presence');
    await fetch(`${simulator.url}/_sim/orgs/${demoOrgId}/integrations/${clientId}/block`, { method: 'POST' });
    const page = await newPage();
    await page.goto(link.url);
    await page.click('#integration-presence button.button');
    await page.waitForSelector('form[action="/v1/authorize"]');
    await page.click('button[name="decision"][value="deny"]');
    await page.waitForSelector('#integration-id');
    expect(new URL(page.url()).pathname).toBe('/oauth/callback');
    expect(await page.inputValue('#integration-id')).toBe(clientId);
    await fetch(`${simulator.url}/_sim/orgs/${demoOrgId}/integrations/${clientId}/unblock`, {
      method: 'POST',
    });
    await page.close();
  });

  it('opens the troubleshooting page of an integration from the portal’s "Refused? How to fix it"', async () => {
    const page = await newPage();
    await page.goto(link.url);
    await page.click('#integration-cdr >> text=Refused? How to fix it');
    await page.waitForSelector('#integration-id');
    expect(new URL(page.url()).pathname).toBe('/troubleshoot/cdr');
    expect(await page.inputValue('#integration-id')).toBe(integrationIdOf('cdr'));
    expect(await page.textContent('main')).toContain('Integrations');
    expect(cspViolations).toEqual([]);
    await page.close();
  });
});
