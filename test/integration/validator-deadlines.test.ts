import { describe, expect, it } from 'vitest';
import { harnessPerTest, type ValidatorHarness } from '#test-support/validator-harness.js';

const DAY_S = 86_400;
const DAY_MS = DAY_S * 1000;

/**
 * Password deadlines per tenant and authorizer, and the staged refresh-token warnings: real
 * onboarding against the Webex simulator, then sweeps of the real validator over DynamoDB Local
 * with the simulator's clock moved forward.
 */
describe('deadlines against DynamoDB Local and the Webex simulator', () => {
  const setup = harnessPerTest();

  /** Sweeps every two days up to `days` after now; the `expiring` events with the day each came. */
  async function sweepDays(h: ValidatorHarness, days: number) {
    const start = h.clock.now().getTime();
    const warnings: { integration: string; day: number; deadline?: string; upperBound?: boolean }[] = [];
    for (let day = 0; day < days; day += 2) {
      h.advance(2 * DAY_S - h.deps.config.checkIntervalSeconds);
      const before = h.events.published.length;
      const report = await h.sweep();
      expect(report.errors).toEqual([]);
      for (const { event } of h.events.published.slice(before)) {
        if (event.type !== 'expiring') continue;
        warnings.push({
          integration: event.integration,
          day: (h.clock.now().getTime() - start) / DAY_MS,
          ...(event.deadline !== undefined ? { deadline: event.deadline } : {}),
          ...(event.deadlineIsUpperBound !== undefined ? { upperBound: event.deadlineIsUpperBound } : {}),
        });
      }
    }
    return warnings;
  }

  it("moves the password warnings with the tenant's password age: 90 days warns about 60 days after the grant, 1825 does not", async () => {
    const short = await setup({ passwordMaxAgeDays: 90 });
    const grantedAt = Date.parse((await short.authorize('presence')).grantedAt ?? '');
    const shortWarnings = await sweepDays(short, 62);
    expect(shortWarnings).toHaveLength(1);
    expect(shortWarnings[0]?.day).toBeGreaterThanOrEqual(60);
    expect(shortWarnings[0]?.day).toBeLessThan(62);
    expect(shortWarnings[0]).toMatchObject({
      integration: 'presence',
      deadline: new Date(grantedAt + 90 * DAY_MS).toISOString(),
      upperBound: true,
    });
    const mail = short.events.published.find(({ event }) => event.type === 'expiring')?.alert?.text;
    expect(mail).toMatch(/allows passwords up to 90 days old/);
    expect(mail).toMatch(/upper bound, not the date/);
    expect(await short.record('presence')).toMatchObject({
      status: 'expiring',
      warningsSent: ['password:30'],
    });

    const long = await setup({ passwordMaxAgeDays: 1825 });
    await long.authorize('presence');
    expect(await sweepDays(long, 62)).toEqual([]);
    expect((await long.record('presence')).status).toBe('active');
  }, 120_000);

  it('gives an SSO authorizer no password warning while a password authorizer of the same tenant gets one', async () => {
    const h = await setup({ passwordMaxAgeDays: 90, ssoAuthorizers: ['sso-admin@demo.example'] });
    await h.authorize('presence', 'sso-admin@demo.example');
    await h.authorize('call-control', 'admin@demo.example');
    const warnings = await sweepDays(h, 62);
    expect(warnings.map(({ integration }) => integration)).toEqual(['call-control']);
    expect((await h.record('presence')).status).toBe('active');
    expect((await h.record('call-control')).status).toBe('expiring');
  }, 120_000);

  it('sends only the latest stage to a check past two, and a refresh that moves the expiry arms the stages again', async () => {
    const h = await setup();
    await h.shortUnextendedRefreshTokens();
    await h.authorize('presence');
    const expiresAt = Date.parse((await h.record('presence')).refreshTokenExpiresAt ?? '');
    // The refresh below issues a 2-hour access token, so the next one (its end near) comes before
    // the refresh token's end. The keep-alive alone would wait for that end itself (refreshed less
    // than its minimum interval before), where the refresh races Webex's expiry by its latency.
    await h.control('settings', { accessTokenLifetimeSeconds: 2 * 3600 });
    // Past the 1-day and the 5.6-hour stages, before the 48-minute one.
    h.advance((expiresAt - h.clock.now().getTime()) / 1000 - 3 * 3600);
    await h.sweepWhenDue();
    expect(h.types().filter((type) => type === 'presence:expiring')).toEqual(['presence:expiring']);
    const issuedAt = (await h.record('presence')).refreshTokenIssuedAt;
    expect((await h.record('presence')).warningsSent).toEqual(
      [`refresh:${issuedAt}:30`, `refresh:${issuedAt}:7`].sort(),
    );

    // Webex extends the token again: the next refresh moves the expiry, the window closes.
    await h.control('settings', { extendRefreshTokens: true });
    for (let sweep = 0; sweep < 20 && (await h.record('presence')).status !== 'active'; sweep += 1) {
      await h.sweepWhenDue();
    }
    const extended = await h.record('presence');
    expect(extended).toMatchObject({ status: 'active', warningsSent: [] });
    expect(Date.parse(extended.refreshTokenExpiresAt ?? '')).toBeGreaterThan(expiresAt);
    expect(Date.parse(extended.refreshTokenIssuedAt ?? '')).toBeLessThan(expiresAt);

    // It stops being extended: the new expiry's first stage warns afresh.
    await h.control('settings', { extendRefreshTokens: false });
    const before = h.events.published.length;
    for (let sweep = 0; sweep < 100 && !h.types().slice(before).includes('presence:expiring'); sweep += 1) {
      await h.sweepWhenDue();
    }
    const rearmed = await h.record('presence');
    expect(rearmed.warningsSent).toEqual([`refresh:${rearmed.refreshTokenIssuedAt}:30`]);
  }, 120_000);
});
