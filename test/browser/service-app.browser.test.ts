import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultCatalog } from '#adapters/catalog-file.js';
import { createRepositories } from '#adapters/dynamodb/index.js';
import { HttpWebexClient } from '#adapters/webex-client.js';
import { issueOnboardingLink, type IssuedOnboardingLink } from '#domain/onboarding-link.js';
import { systemClock } from '#domain/ports.js';
import { createPublicApiHandler } from '#functions/public-api.app.js';
import { obtainTokens, startWebexSimulator, type WebexSimulator } from '#local/webex-simulator/index.js';
import { launchChromium } from '#test-support/browser.js';
import { createTestTable, type TestTable } from '#test-support/dynamodb.js';
import {
  MemoryTokenVault,
  RecordingPublisher,
  clientSecretsFrom,
  fixedLinkKeys,
  openRecordTokens,
} from '#test-support/fakes/index.js';
import { silentObservability, testSettings, testTenant } from '#test-support/fixtures.js';
import { startPublicApiServer, type PublicApiServer } from '#test-support/public-api-server.js';

const SCREENSHOTS = 'test-results';
const catalog = defaultCatalog();
const witness = catalog.findServiceApp('witness');
const secretOf = (key: string) => `sim-secret-of-${key}-0123456789`;
/** The vendor's own integration that holds `spark:applications_token` (the vendor token). */
const vendorIntegration = {
  clientId: `C${'d'.repeat(64)}`,
  clientSecret: secretOf('vendor-token'),
  name: 'Vendor token',
  redirectUris: ['https://vendor.example.test/oauth/callback'],
};

describe('the Service App card in a real browser', () => {
  let table: TestTable;
  let simulator: WebexSimulator;
  let server: PublicApiServer;
  let browser: Browser;
  let link: IssuedOnboardingLink;
  let repositories: ReturnType<typeof createRepositories>;
  let vault: MemoryTokenVault;
  let orgId: string;

  beforeAll(async () => {
    if (!witness) throw new Error('the shipped catalog has no witness');
    mkdirSync(SCREENSHOTS, { recursive: true });
    table = await createTestTable('browser-service-app');
    repositories = createRepositories(table.client, table.tableName);

    server = await startPublicApiServer();
    const { publicBaseUrl } = server;

    simulator = await startWebexSimulator({
      port: 0,
      integrations: [vendorIntegration],
      serviceApps: [
        {
          clientId: witness.clientId,
          clientSecret: secretOf(witness.key),
          name: witness.name,
          scopes: [...witness.scopes],
          applicationId: witness.applicationId,
        },
      ],
    });
    const orgs = (await (await fetch(`${simulator.url}/_sim/orgs`)).json()) as Array<{ id: string }>;
    orgId = orgs[0]?.id ?? '';
    const tenant = testTenant({ tenantId: 'service-co', name: 'Service Co', orgId });
    await repositories.tenants.create(tenant);

    const vendorTokens = await obtainTokens(simulator.url, {
      integration: {
        clientId: vendorIntegration.clientId,
        clientSecret: vendorIntegration.clientSecret,
        redirectUri: vendorIntegration.redirectUris[0] ?? '',
      },
      person: 'admin@demo.example',
      scopes: ['spark:applications_token'],
    });
    const linkKeys = fixedLinkKeys();
    const webex = new HttpWebexClient({ baseUrl: simulator.url });
    vault = new MemoryTokenVault();
    server.serve(
      createPublicApiHandler(
        {
          ...repositories,
          vault,
          webex,
          events: new RecordingPublisher(),
          clientSecrets: clientSecretsFrom(secretOf),
          linkKeys,
          catalog,
          clock: systemClock,
          settings: testSettings({ publicBaseUrl, webexApiBaseUrl: simulator.url }),
          serviceAppTokens: { webex, vendorToken: { accessToken: async () => vendorTokens.access_token } },
        },
        silentObservability(),
      ),
    );
    link = issueOnboardingLink({ tenant, key: linkKeys.key, clock: systemClock, publicBaseUrl });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await simulator?.close();
    await server?.close();
    await table?.drop();
  });

  async function newPage(): Promise<Page> {
    return browser.newPage({ viewport: { width: 1100, height: 900 } });
  }

  it('shows the card, refuses before Control Hub, then stores the org token pair once authorized', async () => {
    const page = await newPage();
    await page.goto(link.url);
    const card = '#service-app-witness';
    await page.waitForSelector(card);
    expect(await page.getAttribute(card, 'data-state')).toBe('not_authorized');
    const cardText = (await page.textContent(card)) ?? '';
    expect(cardText).toContain('Apps, then Service Apps');
    expect(await page.inputValue('#service-app-id-witness')).toBe(witness?.applicationId);
    expect(await page.getAttribute('#service-app-id-witness', 'readonly')).not.toBeNull();
    expect(await page.textContent('#integration-users-sync .recommendation')).toContain(
      'it survives password changes',
    );
    expect(await page.locator('.recommendation').count()).toBe(1);
    await page.screenshot({ path: `${SCREENSHOTS}/service-app-1-card.png`, fullPage: true });

    // Pressed before a Full Admin authorized it in Control Hub: a clear answer, nothing stored.
    await page.click(`${card} button:has-text("I have authorized it")`);
    await page.waitForSelector('[data-reason="service_app_not_authorized"]');
    expect(await page.textContent('h1')).toBe('Not yet authorized in Control Hub');
    expect(await repositories.authorizations.get('service-co', 'witness')).toBeUndefined();
    await page.screenshot({ path: `${SCREENSHOTS}/service-app-2-not-yet.png`, fullPage: true });

    const authorized = await fetch(
      `${simulator.url}/_sim/orgs/${encodeURIComponent(orgId)}/service-apps/${encodeURIComponent(witness?.applicationId ?? '')}/authorize`,
      { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' },
    );
    expect(authorized.status).toBe(200);
    await page.click('#retry');
    await page.waitForSelector('#authorized-by');
    expect(await page.textContent('#authorized-by')).toContain('Authorized in Control Hub for Service Co');
    expect(await page.locator('[data-warning]').count()).toBe(0);
    await page.screenshot({ path: `${SCREENSHOTS}/service-app-3-stored.png`, fullPage: true });

    await page.click('#back-to-portal');
    await page.waitForSelector(card);
    expect(await page.getAttribute(card, 'data-state')).toBe('active');

    const record = await repositories.authorizations.get('service-co', 'witness');
    expect(record).toMatchObject({ status: 'active' });
    expect(record?.authorizer).toBeUndefined();
    const material = await openRecordTokens(vault, record);
    const me = await new HttpWebexClient({ baseUrl: simulator.url }).getMe(material.accessToken);
    expect(me.orgId).toBe(orgId);
    await page.close();
  });
});
