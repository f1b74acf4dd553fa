import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderAlertMail } from '#domain/alert-html.js';
import { eventAlertContent } from '#domain/event-alerts.js';
import { incidentAlertContent } from '#domain/incident-alert.js';
import { SECURITY_HEADERS } from '#functions/public-api.app.js';
import { MAILBOX_CONTENT_SECURITY_POLICY, renderMailboxPage } from '#local/pages/mailbox-page.js';
import { alertCatalog, alertInputFor, REAUTHORIZE_LINK } from '#test-support/alert-inputs.js';
import { launchChromium } from '#test-support/browser.js';

const SCREENSHOTS = 'test-results';
const FOUR = ['users-sync', 'presence', 'call-control', 'cdr'];

/*
 * The local mailbox in a real browser, showing an incident's HTML alert (four authorizations a
 * password change killed) as the notifier renders it, in its sandboxed frame, under the mailbox
 * page's own Content-Security-Policy; the screenshot is kept under test-results/.
 */
describe('an HTML alert in the local mailbox, in a real browser', () => {
  let server: Server;
  let browser: Browser;
  let mailboxUrl: string;

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    const rendered = renderAlertMail(incidentAlertContent(FOUR.map((key) => alertInputFor(key))), {
      unsubscribeUrl: 'https://keeper.example/unsubscribe/token.signature',
    });
    const page = renderMailboxPage([
      {
        to: 'it@acme.example',
        ...rendered,
        tenantId: 'acme',
        integration: 'users-sync',
        type: 'invalidated',
        sentAt: '2026-03-01T10:05:00.000Z',
      },
    ]);
    server = createServer((_req, res) => {
      res
        .writeHead(200, {
          ...SECURITY_HEADERS,
          'Content-Security-Policy': MAILBOX_CONTENT_SECURITY_POLICY,
          'Content-Type': 'text/html; charset=utf-8',
        })
        .end(page);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    mailboxUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/_local/mailbox`;
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  it('renders the mail with its integrations, one Re-authorize button and its styles, and keeps a screenshot', async () => {
    const page = await browser.newPage({ viewport: { width: 900, height: 1000 } });
    const cspViolations: string[] = [];
    page.on('console', (message) => {
      if (/Content.Security.Policy/i.test(message.text())) cspViolations.push(message.text());
    });
    await page.goto(mailboxUrl);
    const mail = page.frameLocator('iframe.mail-html');
    for (const key of FOUR) {
      const integrationId = alertCatalog.find(key)?.integrationId ?? 'missing';
      expect(await mail.getByText(integrationId).first().isVisible()).toBe(true);
    }
    const button = mail.getByRole('link', { name: 'Re-authorize', exact: true });
    expect(await button.count()).toBe(1);
    expect(await button.getAttribute('href')).toBe(REAUTHORIZE_LINK);
    // The button's table cell keeps its inline background: the frame's styles were not blocked.
    const background = await mail
      .locator('td[bgcolor]')
      .first()
      .evaluate((cell) => getComputedStyle(cell).backgroundColor);
    expect(background).toBe('rgb(11, 92, 173)');
    await page.screenshot({ path: `${SCREENSHOTS}/alert-mail-html.png`, fullPage: true });
    expect(cspViolations).toEqual([]);
  });

  it('fits every kind of mail on a phone: long Webex IDs wrap instead of widening the mail', async () => {
    // A Webex org ID as Webex writes it: base64 of its URI, one 90-character word.
    const orgId = Buffer.from('ciscospark://us/ORGANIZATION/1f61c937-fddd-5bf9-82b2-28cebc263401').toString(
      'base64url',
    );
    const mails = {
      incident: incidentAlertContent(FOUR.map((key) => alertInputFor(key))),
      org_bound: eventAlertContent(alertInputFor('users-sync', { type: 'org_bound', orgId }), 'secret'),
      denied: eventAlertContent(alertInputFor('cdr', { type: 'denied' }), 'secret'),
      credential_incident: eventAlertContent(
        alertInputFor('presence', { type: 'credential_incident' }),
        'arn:aws:secretsmanager:eu-west-1:123456789012:secret:webex-auth-keeper/client-secrets-AbCdEf',
      ),
    };
    const page = await browser.newPage({ viewport: { width: 360, height: 800 } });
    const overflowing: Record<string, number> = {};
    for (const [kind, content] of Object.entries(mails)) {
      await page.setContent(renderAlertMail(content).html);
      const { scrollWidth, clientWidth } = await page.evaluate(() => ({
        scrollWidth: document.documentElement.scrollWidth,
        clientWidth: document.documentElement.clientWidth,
      }));
      if (scrollWidth > clientWidth) overflowing[kind] = scrollWidth - clientWidth;
    }
    await page.close();
    expect(overflowing).toEqual({});
  });
});
