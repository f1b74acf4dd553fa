import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../support/browser.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { freePort } from '../../local/dynamodb-local.js';
import { mailSchema } from '../../local/adapters/local-event-sink.js';
import { startLocalSystem, type LocalSystem } from '../../local/local-system.js';

const SCREENSHOTS = 'test-results';

/**
 * The whole local system as `npm start` runs it, driven in a real browser through the local
 * contract only (portal link, simulator consent form and /_sim switches, /_local routes).
 */
describe('the local system end to end', () => {
  let system: LocalSystem;
  let browser: Browser;
  let page: Page;
  let portalUrl: string;

  const mailbox = async () =>
    z.array(mailSchema).parse(await (await fetch(`${system.api.url}/_local/mailbox.json`)).json());
  const sweep = async () => {
    const response = await fetch(`${system.api.url}/_local/sweep`, { method: 'POST' });
    expect(response.status).toBe(200);
    return z.object({ dispatched: z.number(), errors: z.array(z.unknown()) }).parse(await response.json());
  };
  const simulatorControl = async (path: string) => {
    const response = await fetch(`${system.simulator.url}/_sim/${path}`, { method: 'POST' });
    expect(response.status).toBe(200);
  };
  const demoOrgId = async () => {
    const people = z
      .array(z.object({ email: z.string(), orgId: z.string() }))
      .parse(await (await fetch(`${system.simulator.url}/_sim/people`)).json());
    return people.find((person) => person.email === 'admin@demo.example')!.orgId;
  };

  /** Portal -> Authorize -> simulator consent as admin@demo.example -> our callback page. */
  async function consent(integration: string, decision: 'accept' | 'deny'): Promise<void> {
    await page.goto(portalUrl);
    await page.locator(`[data-integration="${integration}"] a.button`).click();
    await page.locator('select[name="person"], input[name="person"]').first().waitFor();
    const person = page.locator('select[name="person"]');
    if (await person.count()) await person.selectOption('admin@demo.example');
    else await page.fill('input[name="person"]', 'admin@demo.example');
    await page.click(`button[name="decision"][value="${decision}"]`);
  }

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    system = await startLocalSystem({
      port: await freePort(),
      simulatorPort: await freePort(),
      dataDir: mkdtempSync(join(tmpdir(), 'local-system-')),
      opsEmail: 'ops@vendor.example',
      sweepIntervalSeconds: 0,
      logLevel: 'ERROR',
    });
    portalUrl = await system.demoPortalUrl();
    browser = await launchChromium();
    page = await browser.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await system?.stop();
  });

  it('shows the troubleshooting page with the right Integration ID when the org blocks the integration', async () => {
    const cdrId = system.catalog.find('cdr')!.integrationId;
    const orgId = await demoOrgId();
    await simulatorControl(`orgs/${orgId}/integrations/${cdrId}/block`);
    await consent('cdr', 'accept');
    expect(await page.locator('body').innerText()).toContain(
      'Access denied - Your administrator denied access',
    );
    await page.getByText('Return to the application').click();
    expect(await page.locator('body').innerText()).toContain(cdrId);
    expect(await page.locator('body').innerText()).toContain('Control Hub');
    await page.screenshot({ path: `${SCREENSHOTS}/e2e-troubleshooting.png`, fullPage: true });
    await simulatorControl(`orgs/${orgId}/integrations/${cdrId}/unblock`);

    await consent('presence', 'deny');
    expect(await page.locator('body').innerText()).toContain(system.catalog.find('presence')!.integrationId);
    expect((await mailbox()).filter((mail) => mail.type === 'denied').length).toBeGreaterThanOrEqual(2);
  });

  it('onboards all five integrations and the portal shows them active', async () => {
    for (const integration of system.catalog.keys) {
      await consent(integration, 'accept');
      expect(await page.locator('body').innerText()).toContain('admin@demo.example');
    }
    await page.goto(portalUrl);
    const states = await page
      .locator('[data-integration][data-state]')
      .evaluateAll((nodes) => nodes.map((node) => node.getAttribute('data-state')));
    expect(states).toEqual(['active', 'active', 'active', 'active', 'active']);
    await page.screenshot({ path: `${SCREENSHOTS}/e2e-portal-active.png`, fullPage: true });
    const first = await sweep();
    expect(first.errors).toEqual([]);
    expect((await mailbox()).filter((mail) => mail.type === 'invalidated')).toEqual([]);
  });

  it('mails one alert per dead authorization after a password change, and nothing on the next sweep', async () => {
    await simulatorControl('people/admin@demo.example/password-change');
    const report = await sweep();
    expect(report.errors).toEqual([]);
    const invalidated = (await mailbox()).filter((mail) => mail.type === 'invalidated');
    // One email per dead authorization to each recipient: the ops address and the tenant's contact.
    for (const to of ['ops@vendor.example', 'it@demo.example']) {
      expect(
        invalidated
          .filter((mail) => mail.to === to)
          .map((mail) => mail.integration)
          .sort(),
      ).toEqual([...system.catalog.keys].sort());
    }
    for (const mail of invalidated) {
      expect(mail.text).toMatch(/password/i);
      expect(mail.text).toContain(system.catalog.find(mail.integration)!.integrationId);
    }
    await sweep();
    expect((await mailbox()).filter((mail) => mail.type === 'invalidated')).toHaveLength(invalidated.length);

    await page.goto(`${system.api.url}/_local/mailbox`);
    await page.screenshot({ path: `${SCREENSHOTS}/e2e-mailbox.png`, fullPage: true });
    await page.goto(`${system.api.url}/_local/status`);
    expect(await page.locator('td[data-state="invalid"]').count()).toBe(5);
    await page.screenshot({ path: `${SCREENSHOTS}/e2e-status-board.png`, fullPage: true });

    const reauthorize = invalidated[0]!.text.match(
      /http:\/\/127\.0\.0\.1:\d+\/connect\/[A-Za-z0-9._-]+/,
    )?.[0];
    expect(reauthorize).toBeDefined();
    await page.goto(reauthorize!);
    expect(await page.locator('[data-integration][data-state="invalid"]').count()).toBe(5);
  });

  it('restores an authorization when the admin re-authorizes it', async () => {
    await consent('presence', 'accept');
    await page.goto(portalUrl);
    expect(await page.locator('[data-integration="presence"]').getAttribute('data-state')).toBe('active');
    const restored = (await mailbox()).filter(
      (mail) => mail.type === 'restored' && mail.integration === 'presence',
    );
    expect(restored.length).toBeGreaterThan(0);
    await sweep();
    await page.goto(portalUrl);
    expect(await page.locator('[data-integration="presence"]').getAttribute('data-state')).toBe('active');
  });
});
