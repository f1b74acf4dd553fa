import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '#test-support/browser.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { DEFAULT_ALERT_POLICY } from '#domain/alert-policy.js';
import { ManualClock } from '#test-support/fakes/index.js';
import { mailSchema } from '#local/adapters/local-mailbox.js';
import type { LocalSystem } from '#local/local-system.js';
import { startTestLocalSystem, type TestLocalSystem } from '#test-support/security-local.js';

const SCREENSHOTS = 'test-results';

/**
 * The whole local system as `npm start` runs it, driven in a real browser through the local
 * contract only (portal link, simulator consent form and /_sim switches, /_local routes).
 */
describe('the local system end to end', () => {
  let local: TestLocalSystem;
  let system: LocalSystem;
  let browser: Browser;
  let page: Page;
  let portalUrl: string;
  // The keeper's clock: the test moves it past an incident's window instead of waiting.
  const clock = new ManualClock(new Date());

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

  const mailOf = async (type: string) => (await mailbox()).filter((mail) => mail.type === type);
  const bodyText = () => page.locator('body').innerText();
  const portalStates = () =>
    page
      .locator('[data-integration][data-state]')
      .evaluateAll((nodes) =>
        Object.fromEntries(
          nodes.map((node) => [node.getAttribute('data-integration'), node.getAttribute('data-state')]),
        ),
      );
  /** The demo tenant's contact: customer mail goes there; ops get these events in their digest. */
  const CONTACT = 'it@demo.example';

  /** On a portal page already open: Authorize -> simulator consent as admin@demo.example -> our callback. */
  async function consentOnPortal(integration: string, decision: 'accept' | 'deny'): Promise<void> {
    await page.locator(`[data-integration="${integration}"] button.button`).click();
    await page.locator('select[name="person"], input[name="person"]').first().waitFor();
    const person = page.locator('select[name="person"]');
    if (await person.count()) await person.selectOption('admin@demo.example');
    else await page.fill('input[name="person"]', 'admin@demo.example');
    await page.click(`button[name="decision"][value="${decision}"]`);
  }

  /** Portal (the link `npm start` prints) -> Authorize -> consent -> our callback page. */
  async function consent(integration: string, decision: 'accept' | 'deny'): Promise<void> {
    await page.goto(portalUrl);
    await consentOnPortal(integration, decision);
  }

  /** The refusal page of our callback, not the portal (which also lists every Integration ID). */
  async function expectRefusalPage(integration: string): Promise<void> {
    const entry = system.catalog.find(integration)!;
    expect(new URL(page.url()).pathname).toBe('/oauth/callback');
    expect((await page.locator('h1').innerText()).trim()).toBe(`${entry.name}: authorization refused`);
    expect(await page.locator('#retry').count()).toBe(1);
    expect(await page.locator('form:has(#retry)').getAttribute('action')).toContain(
      `integration=${integration}`,
    );
    expect(await page.locator('[data-state]').count()).toBe(0);
    expect(await page.locator('#integration-id').inputValue()).toBe(entry.integrationId);
    expect(await bodyText()).toContain('Control Hub');
  }

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    local = await startTestLocalSystem({ logLevel: 'ERROR', clock });
    system = local.system;
    portalUrl = await system.demoPortalUrl();
    browser = await launchChromium();
    page = await browser.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await local?.stop();
  });

  it('shows the troubleshooting page with the right Integration ID when the org blocks the integration, and when the admin denies', async () => {
    const cdrId = system.catalog.find('cdr')!.integrationId;
    const orgId = await demoOrgId();
    await simulatorControl(`orgs/${orgId}/integrations/${cdrId}/block`);
    await consent('cdr', 'accept');
    expect(await bodyText()).toContain('Access denied - Your administrator denied access');
    await page.getByText('Return to the application').click();
    await expectRefusalPage('cdr');
    await page.screenshot({ path: `${SCREENSHOTS}/e2e-troubleshooting.png`, fullPage: true });
    await simulatorControl(`orgs/${orgId}/integrations/${cdrId}/unblock`);
    // One `denied` email to the contact, about cdr (the day's first denial of it).
    expect((await mailOf('denied')).map((mail) => `${mail.integration} ${mail.to}`)).toEqual([
      `cdr ${CONTACT}`,
    ]);

    await consent('presence', 'deny');
    await expectRefusalPage('presence');
    expect((await mailOf('denied')).map((mail) => `${mail.integration} ${mail.to}`).sort()).toEqual([
      `cdr ${CONTACT}`,
      `presence ${CONTACT}`,
    ]);
  });

  it('onboards all five integrations and the portal shows them active', async () => {
    for (const integration of system.catalog.keys) {
      await consent(integration, 'accept');
      expect(await bodyText()).toContain('admin@demo.example');
    }
    await page.goto(portalUrl);
    expect(Object.values(await portalStates())).toEqual(['active', 'active', 'active', 'active', 'active']);
    await page.screenshot({ path: `${SCREENSHOTS}/e2e-portal-active.png`, fullPage: true });
    const first = await sweep();
    expect(first.errors).toEqual([]);
    expect(await mailOf('invalidated')).toEqual([]);
  });

  it('mails the contact one alert naming every authorization a password change killed, once its incident closes, and nothing on the next sweep', async () => {
    await simulatorControl('people/admin@demo.example/password-change');
    const report = await sweep();
    expect(report.errors).toEqual([]);
    expect(report.dispatched).toBeGreaterThan(0);
    // The incident collects its siblings for its window before its one mail goes.
    expect(await mailOf('invalidated')).toEqual([]);
    clock.advance(DEFAULT_ALERT_POLICY.incidentWindowSeconds);
    expect((await sweep()).errors).toEqual([]);
    const invalidated = await mailOf('invalidated');
    // One mail, to the tenant's contact; ops count the deaths in their digest.
    expect(invalidated.map((mail) => mail.to)).toEqual([CONTACT]);
    for (const mail of invalidated) {
      // One admin authorized everything, so nothing tells a password change from a deactivation
      // or a role removal: the mail names all three and the Control Hub check
      // (functions/domain/invalidation-mail.ts), never one of them as fact.
      expect(mail.text).toContain(
        "All of admin@demo.example's authorizations stopped working at once. Webex does this when a user's " +
          'password is changed (or their access is reset in Control Hub), when the user is deactivated or ' +
          'removed from the organization, or when the user loses the Full Administrator role. ' +
          "Webex's answers cannot tell which of these happened.",
      );
      expect(mail.text).toContain(
        'To tell them apart, open Control Hub > Users and find admin@demo.example:',
      );
      for (const key of system.catalog.keys) {
        expect(mail.text).toContain(system.catalog.find(key)!.integrationId);
      }
      expect(mail.text).toMatch(new RegExp(`^Re-authorize: ${system.api.url}/connect/[A-Za-z0-9._-]+$`, 'm'));
    }
    const before = (await mailbox()).length;
    const second = await sweep();
    expect(second.errors).toEqual([]);
    expect(await mailbox()).toHaveLength(before);

    await page.goto(`${system.api.url}/_local/status`);
    expect(await page.locator('tr[data-state="invalid"]').count()).toBe(5);
    await page.screenshot({ path: `${SCREENSHOTS}/e2e-status-board.png`, fullPage: true });

    // The mailbox page's re-authorize link, clicked, opens the portal showing what died.
    await page.goto(`${system.api.url}/_local/mailbox`);
    await page.screenshot({ path: `${SCREENSHOTS}/e2e-mailbox.png`, fullPage: true });
    const article = page.locator('article[data-type="invalidated"]').first();
    // The text part, folded below the HTML part's sandboxed frame.
    await article.locator('summary').click();
    const link = article.locator('a[href*="/connect/"]');
    expect(await link.count()).toBe(1);
    await link.click();
    expect(new URL(page.url()).pathname).toMatch(/^\/connect\//);
    expect(Object.values(await portalStates())).toEqual(Array(5).fill('invalid'));
  });

  it('restores an authorization re-authorized from the emailed link', async () => {
    const emailed = (await mailOf('invalidated'))
      .find((mail) => mail.to === CONTACT)!
      .text.match(/^Re-authorize: (\S+)$/m)![1]!;
    expect(emailed).not.toBe(portalUrl);
    const mailsBefore = await mailbox();
    expect(mailsBefore.filter((mail) => mail.type === 'restored')).toEqual([]);

    await page.goto(emailed);
    await consentOnPortal('presence', 'accept');
    expect(new URL(page.url()).pathname).toBe('/oauth/callback');
    expect(await bodyText()).toContain('admin@demo.example');

    const restored = await mailOf('restored');
    expect(restored.map((mail) => `${mail.integration} ${mail.to}`)).toEqual([`presence ${CONTACT}`]);
    await page.goto(emailed);
    const expected = {
      ...Object.fromEntries(system.catalog.keys.map((key) => [key, 'invalid'])),
      presence: 'active',
    };
    expect(await portalStates()).toEqual(expected);
    await page.goto(`${system.api.url}/_local/status`);
    const board = await page
      .locator('tr[data-integration][data-state]')
      .evaluateAll((nodes) =>
        Object.fromEntries(
          nodes.map((node) => [node.getAttribute('data-integration'), node.getAttribute('data-state')]),
        ),
      );
    expect(board).toEqual(expected);

    const sweepAfter = await sweep();
    expect(sweepAfter.errors).toEqual([]);
    await page.goto(emailed);
    expect(await portalStates()).toEqual(expected);
    expect(await mailOf('restored')).toHaveLength(1);
  });
});
