import { describe, expect, it } from 'vitest';
import { DEFAULT_VALIDATOR_CONFIG, type ValidatorConfig } from '#domain/validator-config.js';
import { checkPhase, scheduleNextCheck } from '#domain/validator-schedule.js';
import { TEST_START } from '#test-support/fakes/index.js';

const MINUTE = 60_000;
const DAY = 1440 * MINUTE;
const INTERVAL = 15 * MINUTE;

/** The next check of a healthy authorization with tokens far from their ends. */
function healthyNext(input: {
  config: Partial<ValidatorConfig>;
  now: number;
  key: { tenantId: string; integration: string };
  previousDue?: number;
  random?: () => number;
}): number {
  const now = new Date(input.now);
  const next = scheduleNextCheck({
    deps: { config: { ...DEFAULT_VALIDATOR_CONFIG, ...input.config }, random: input.random ?? (() => 0.5) },
    now,
    verdict: { kind: 'healthy' },
    consecutiveFailures: 0,
    material: {
      accessToken: 'a',
      refreshToken: 'r',
      accessTokenExpiresAt: new Date(input.now + 14 * DAY).toISOString(),
      refreshTokenExpiresAt: new Date(input.now + 90 * DAY).toISOString(),
    },
    issued: { accessToken: now, refreshToken: now },
    expiry: undefined,
    key: input.key,
    previousDue: input.previousDue === undefined ? undefined : new Date(input.previousDue),
  });
  if (next === undefined) throw new Error('a healthy authorization got no next check');
  return next.getTime();
}

/** 5,000 authorizations of one org (1,000 tenants bound to it, five integrations each). */
const ONE_ORG = Array.from({ length: 5_000 }, (_, index) => ({
  tenantId: `tenant-${Math.floor(index / 5)}`,
  integration: ['users-sync', 'presence', 'call-control', 'cdr', 'sso'][index % 5] ?? 'sso',
}));

describe('the next check of a healthy authorization', () => {
  const now = TEST_START.getTime();

  it('spreads 5,000 authorizations of one org, checked together, over the whole interval when the sweep runs every minute', () => {
    const config = { checkIntervalSeconds: 900, sweepRateSeconds: 60 };
    const perMinute = Array.from({ length: 15 }, () => 0);
    for (const key of ONE_ORG) {
      const offset = healthyNext({ config, now, key, previousDue: now }) - now;
      expect(offset).toBeGreaterThan(0);
      // A slot within a second of now is taken an interval later (never a check right after a check).
      expect(offset).toBeLessThanOrEqual(INTERVAL + 1_000);
      const minute = Math.min(14, Math.floor(offset / MINUTE));
      perMinute[minute] = (perMinute[minute] ?? 0) + 1;
    }
    // Even: each minute of the interval gets its share (333) within 15 %, so each sweep queues
    // a fifteenth of the org instead of all of it.
    for (const count of perMinute) {
      expect(count).toBeGreaterThan((5_000 / 15) * 0.85);
      expect(count).toBeLessThan((5_000 / 15) * 1.15);
    }
  });

  it('keeps its slot: one interval after the due time it was checked for, however late the check within it', () => {
    const config = { checkIntervalSeconds: 900, sweepRateSeconds: 60 };
    const key = { tenantId: 'acme', integration: 'presence' };
    const slot = healthyNext({ config, now, key, previousDue: now });
    for (const delay of [0, 40_000, 5 * MINUTE, 14 * MINUTE]) {
      expect(healthyNext({ config, now: slot + delay, key, previousDue: slot })).toBe(slot + INTERVAL);
    }
  });

  it('takes the slot after now when the check came more than an interval late', () => {
    const config = { checkIntervalSeconds: 900, sweepRateSeconds: 60 };
    const key = { tenantId: 'acme', integration: 'presence' };
    const slot = healthyNext({ config, now, key, previousDue: now });
    const late = slot + 2 * INTERVAL + 30_000;
    expect(healthyNext({ config, now: late, key, previousDue: slot })).toBe(slot + 3 * INTERVAL);
  });

  it('gives each authorization its own phase, the same on every run', () => {
    const phases = ONE_ORG.slice(0, 50).map(checkPhase);
    expect(new Set(phases).size).toBe(50);
    expect(ONE_ORG.slice(0, 50).map(checkPhase)).toEqual(phases);
    for (const phase of phases) expect(phase >= 0 && phase < 1).toBe(true);
  });

  it('with one sweep an interval, stays 5-20 % short of the interval, so the next sweep finds it due', () => {
    const config = { checkIntervalSeconds: 900 };
    const key = { tenantId: 'acme', integration: 'presence' };
    expect(healthyNext({ config, now, key, previousDue: now, random: () => 0 })).toBe(now + INTERVAL * 0.95);
    expect(healthyNext({ config, now, key, previousDue: now, random: () => 0.999_999 })).toBeCloseTo(
      now + INTERVAL * 0.8,
      -1,
    );
  });
});
