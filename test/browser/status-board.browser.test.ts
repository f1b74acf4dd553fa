import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultCatalog } from '#adapters/catalog-file.js';
import type { Authorization, Tenant } from '#domain/model.js';
import { buildStatusBoard, statusBoardQuerySchema } from '#domain/status-board.js';
import { htmlPage } from '#http/admin-answers.js';
import { sendApiGatewayResult } from '#local/http-adapter.js';
import { renderStatusBoardPage } from '#http/pages/status-board-page.js';
import { launchChromium } from '#test-support/browser.js';
import { InMemoryFleetBoard } from '#test-support/fakes/index.js';

const SCREENSHOTS = 'test-results';
const NOW = new Date('2026-02-01T00:00:00.000Z');
const DAY_MS = 86_400_000;

const tenants: Tenant[] = ['acme', 'beta', 'gamma'].map((tenantId) => ({
  tenantId,
  name: `${tenantId} <Corp>`,
  contacts: [],
  sso: false,
  linkVersion: 1,
  status: 'active',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
}));

/** A live authorization whose refresh token ends `days` from now. */
const record = (
  tenantId: string,
  integration: string,
  days: number,
  overrides: Partial<Authorization> = {},
) =>
  ({
    tenantId,
    integration,
    status: 'active',
    scopes: [],
    consecutiveFailures: 0,
    version: 1,
    warningsSent: [],
    updatedAt: '2026-01-01T00:00:00.000Z',
    grantedAt: '2026-01-01T00:00:00.000Z',
    refreshTokenExpiresAt: new Date(NOW.getTime() + days * DAY_MS).toISOString(),
    authorizer: {
      personId: 'p',
      email: `admin@${tenantId}.example`,
      displayName: 'A',
      orgId: 'o',
      fullAdmin: true,
    },
    ...overrides,
  }) satisfies Authorization;

const records: Authorization[] = [
  record('acme', 'presence', 3),
  record('acme', 'cdr', 10, { status: 'invalid', cause: 'user_deactivated', confidence: 'confirmed' }),
  record('beta', 'presence', 10, { status: 'degraded' }),
  record('gamma', 'sso', 40),
];

/*
 * The status board page in a real browser, under the admin API's Content-Security-Policy: the
 * chart draws, the filter form works without script (a GET to the same URL), and a screenshot is
 * kept under test-results/.
 */
describe('the status board in a real browser', () => {
  let server: Server;
  let browser: Browser;
  let boardUrl: string;

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    server = createServer((req, res) => {
      const query = statusBoardQuerySchema.parse(
        Object.fromEntries(new URL(req.url ?? '/', 'http://board').searchParams),
      );
      void buildStatusBoard(
        {
          board: new InMemoryFleetBoard(
            () => records,
            () => tenants.length,
          ),
          tenants: { get: async (tenantId) => tenants.find((tenant) => tenant.tenantId === tenantId) },
          authorizations: {
            get: async (tenantId, integration) =>
              records.find((known) => known.tenantId === tenantId && known.integration === integration),
          },
          catalog: defaultCatalog(),
          passwordMaxAgeDays: 1825,
          now: NOW,
        },
        query,
      ).then((board) => {
        // The admin API's own answer, headers and all: its policy must let the filter form submit.
        sendApiGatewayResult(res, htmlPage(200, renderStatusBoardPage(board)));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    boardUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/admin/status-board`;
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  it('shows the totals, the rows problems first and the weekly chart, and filters with the form', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 1000 } });
    const cspViolations: string[] = [];
    page.on('console', (message) => {
      if (/Content.Security.Policy/i.test(message.text())) cspViolations.push(message.text());
    });
    await page.goto(boardUrl);
    expect(await page.locator('[data-total-status="invalid"]').innerText()).toBe('Invalid: 1');
    const rows = page.locator('tbody tr[data-tenant]');
    expect(await rows.evaluateAll((found) => found.map((row) => row.getAttribute('data-state')))).toEqual([
      'invalid',
      'degraded',
      'active',
      'active',
    ]);
    expect(await page.getByText('acme <Corp>').first().isVisible()).toBe(true);

    const chart = page.locator('svg.deadline-chart');
    expect(await chart.isVisible()).toBe(true);
    expect(await chart.locator('g.week').count()).toBe(13);
    const refreshCounts = await chart
      .locator('rect.refresh')
      .evaluateAll((bars) => bars.map((bar) => Number(bar.getAttribute('data-count'))));
    // Week 1: acme/presence (3 days); week 2: beta/presence (10 days, the invalid one is not live); week 6: gamma/sso.
    expect(refreshCounts.slice(0, 6)).toEqual([1, 1, 0, 0, 0, 1]);
    const tallest = await chart.locator('rect.refresh').first().boundingBox();
    expect(tallest?.height).toBeGreaterThan(10);
    await page.screenshot({ path: `${SCREENSHOTS}/status-board.png`, fullPage: true });

    await page.selectOption('select[name="status"]', 'degraded');
    await Promise.all([
      page.waitForURL(/status=degraded/),
      page.getByRole('button', { name: 'Filter' }).click(),
    ]);
    expect(await rows.evaluateAll((found) => found.map((row) => row.getAttribute('data-tenant')))).toEqual([
      'beta',
    ]);
    expect(cspViolations).toEqual([]);
  }, 60_000);
});
