import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  assessExpiry,
  refreshTokenIssuedAt,
  refreshWarningOffsetsMs,
  type ExpiryInput,
} from '#domain/expiry-warnings.js';
import { nextRefreshAt, refreshReason, refreshSchedule, tokenMaterialOf } from '#domain/refresh-policy.js';

const DAY = 86_400_000;
const GRANTED = '2021-03-01T00:00:00.000Z';
const DEADLINE = Date.parse(GRANTED) + 1825 * DAY;

function input(daysBeforeDeadline: number, overrides: Partial<ExpiryInput> = {}): ExpiryInput {
  const now = new Date(DEADLINE - daysBeforeDeadline * DAY);
  return {
    now,
    sso: false,
    grantedAt: GRANTED,
    passwordMaxAgeDays: 1825,
    refreshTokenExpiresAt: new Date(now.getTime() + 90 * DAY).toISOString(),
    refreshTokenIssuedAt: now,
    warningsSent: [],
    ...overrides,
  };
}

/** Runs the assessment day by day, recording what a caller that sends each warning would send. */
function simulate(fromDays: number, toDays: number, overrides: Partial<ExpiryInput> = {}): string[] {
  let warningsSent: string[] = [];
  const sent: string[] = [];
  for (let days = fromDays; days >= toDays; days -= 0.5) {
    const result = assessExpiry(input(days, { ...overrides, warningsSent }));
    warningsSent = result.warningsSent;
    if (result.warning) {
      sent.push(result.warning.key);
      warningsSent = [...new Set([...warningsSent, ...result.warning.marks])];
    }
  }
  return sent;
}

describe('assessExpiry: password deadline', () => {
  it('is not expiring before the 30-day window', () => {
    const result = assessExpiry(input(31));
    expect(result).toMatchObject({ expiring: false, warningsSent: [] });
    expect(result.warning).toBeUndefined();
    expect(result.nextThresholdAt?.toISOString()).toBe(new Date(DEADLINE - 30 * DAY).toISOString());
  });

  it.each([
    [30, 'password:30', 30],
    [29, 'password:30', 29],
    [7, 'password:7', 7],
    [1, 'password:1', 1],
    [0.5, 'password:1', 1],
  ])('%d days ahead warns with %s', (days, key, daysLeft) => {
    const result = assessExpiry(input(days));
    expect(result.expiring).toBe(true);
    expect(result.warning).toMatchObject({ key, kind: 'password', daysLeft });
    expect(result.warning?.deadline).toBe(new Date(DEADLINE).toISOString());
  });

  it('warns at 30, 7 and 1 days ahead, each once', () => {
    expect(simulate(40, 0)).toEqual(['password:30', 'password:7', 'password:1']);
  });

  it('does not send a late 30-day warning after a 7-day one', () => {
    const result = assessExpiry(input(6, { warningsSent: ['password:7'] }));
    expect(result.warning).toBeUndefined();
    expect(result.expiring).toBe(true);
  });

  it('never warns an SSO tenant about passwords', () => {
    expect(simulate(40, 0, { sso: true })).toEqual([]);
    expect(assessExpiry(input(3, { sso: true })).expiring).toBe(false);
  });

  it('forgets the sent warnings once the window is gone (re-authorized), so the next window warns again', () => {
    const reauthorized = assessExpiry(
      input(5, {
        grantedAt: new Date(DEADLINE - 5 * DAY).toISOString(),
        warningsSent: ['password:30', 'password:7'],
      }),
    );
    expect(reauthorized).toMatchObject({ expiring: false, warningsSent: [] });
  });

  it('schedules the next check at the next threshold', () => {
    expect(assessExpiry(input(20, { warningsSent: ['password:30'] })).nextThresholdAt?.toISOString()).toBe(
      new Date(DEADLINE - 7 * DAY).toISOString(),
    );
  });
});

describe('assessExpiry: refresh token', () => {
  const now = new Date('2026-03-01T00:00:00.000Z');
  const base = {
    now,
    sso: true,
    grantedAt: undefined,
    passwordMaxAgeDays: 1825,
    refreshTokenIssuedAt: new Date(now.getTime() - 85 * DAY),
    warningsSent: [],
  };

  it('warns once when the refresh token is inside its window (Webex did not extend it)', () => {
    const expires = new Date(now.getTime() + 5 * DAY).toISOString();
    const first = assessExpiry({ ...base, refreshTokenExpiresAt: expires });
    expect(first.warning).toMatchObject({ kind: 'refresh_token', deadline: expires, daysLeft: 5 });
    const again = assessExpiry({
      ...base,
      refreshTokenExpiresAt: expires,
      warningsSent: first.warning?.marks ?? [],
    });
    expect(again.expiring).toBe(true);
    expect(again.warning).toBeUndefined();
  });

  it('is not expiring once a refresh extended the token', () => {
    const extended = assessExpiry({
      ...base,
      refreshTokenIssuedAt: now,
      refreshTokenExpiresAt: new Date(now.getTime() + 90 * DAY).toISOString(),
      warningsSent: [`refresh:${base.refreshTokenIssuedAt.toISOString()}`],
    });
    expect(extended).toMatchObject({ expiring: false, warningsSent: [] });
  });

  it('warns once while refreshes bring the same expiry back a second apart', () => {
    const expires = now.getTime() + 5 * DAY;
    const first = assessExpiry({ ...base, refreshTokenExpiresAt: new Date(expires).toISOString() });
    const later = assessExpiry({
      ...base,
      now: new Date(now.getTime() + DAY),
      refreshTokenExpiresAt: new Date(expires - 900).toISOString(),
      warningsSent: first.warning?.marks ?? [],
    });
    expect(first.warning?.kind).toBe('refresh_token');
    expect(later).toMatchObject({ expiring: true });
    expect(later.warning).toBeUndefined();
  });

  it('sends the earlier deadline first when both windows are open', () => {
    const result = assessExpiry({
      ...input(20),
      refreshTokenExpiresAt: new Date(DEADLINE - 19 * DAY).toISOString(),
      refreshTokenIssuedAt: new Date(DEADLINE - 100 * DAY),
    });
    expect(result.warning?.kind).toBe('refresh_token');
  });
});

describe('assessExpiry: refresh token stages', () => {
  const issued = new Date('2026-03-01T00:00:00.000Z');
  const key = (days: number) => `refresh:${issued.toISOString()}:${days}`;

  /** Checks at `times` (ms after `issued`), sending each warning as the validator does. */
  function checks(lifetimeMs: number, times: number[], start: string[] = []) {
    const expires = new Date(issued.getTime() + lifetimeMs).toISOString();
    let warningsSent = start;
    const sent: { key: string; at: number }[] = [];
    for (const time of times) {
      const result = assessExpiry({
        now: new Date(issued.getTime() + time),
        sso: true,
        grantedAt: undefined,
        passwordMaxAgeDays: 1825,
        refreshTokenExpiresAt: expires,
        refreshTokenIssuedAt: issued,
        warningsSent,
      });
      warningsSent = result.warningsSent;
      if (result.warning) {
        sent.push({ key: result.warning.key, at: time });
        warningsSent = [...new Set([...warningsSent, ...result.warning.marks])];
      }
    }
    return { sent, warningsSent };
  }
  const halfDays = (lifetimeMs: number) =>
    Array.from({ length: Math.floor(lifetimeMs / (DAY / 2)) + 1 }, (_, index) => (index * DAY) / 2);

  it('warns a 90-day token 30, 7 and 1 days before its end, in order, each once', () => {
    const { sent } = checks(90 * DAY, halfDays(90 * DAY));
    expect(sent).toEqual([
      { key: key(30), at: 60 * DAY },
      { key: key(7), at: 83 * DAY },
      { key: key(1), at: 89 * DAY },
    ]);
  });

  it('warns a token living less than 60 days at the same shares of its lifetime', () => {
    const short = refreshWarningOffsetsMs(2 * DAY);
    [DAY, (7 / 30) * DAY, DAY / 30].forEach((offset, stage) => expect(short[stage]).toBeCloseTo(offset, 3));
    expect(refreshWarningOffsetsMs(90 * DAY)).toEqual([30 * DAY, 7 * DAY, DAY]);
    const hourly = Array.from({ length: 49 }, (_, hour) => hour * 3_600_000);
    expect(checks(2 * DAY, hourly).sent.map((warning) => warning.key)).toEqual([key(30), key(7), key(1)]);
  });

  it('sends only the latest stage to a check past two unsent ones, and never the earlier one after', () => {
    const { sent, warningsSent } = checks(90 * DAY, [10 * DAY, 84 * DAY, 85 * DAY, 89.5 * DAY]);
    expect(sent.map((warning) => warning.key)).toEqual([key(7), key(1)]);
    expect([...warningsSent].sort()).toEqual([key(1), key(30), key(7)].sort());
  });

  it('is armed again by a refresh that moves the expiry (new refresh token)', () => {
    const before = checks(90 * DAY, [61 * DAY]);
    expect(before.sent.map((warning) => warning.key)).toEqual([key(30)]);
    const moved = new Date(issued.getTime() + 61.5 * DAY);
    const extended = assessExpiry({
      now: moved,
      sso: true,
      grantedAt: undefined,
      passwordMaxAgeDays: 1825,
      refreshTokenExpiresAt: new Date(moved.getTime() + 90 * DAY).toISOString(),
      refreshTokenIssuedAt: moved,
      warningsSent: before.warningsSent,
    });
    expect(extended).toMatchObject({ expiring: false, warningsSent: [] });
    const later = assessExpiry({
      now: new Date(moved.getTime() + 60 * DAY),
      sso: true,
      grantedAt: undefined,
      passwordMaxAgeDays: 1825,
      refreshTokenExpiresAt: new Date(moved.getTime() + 90 * DAY).toISOString(),
      refreshTokenIssuedAt: moved,
      warningsSent: extended.warningsSent,
    });
    expect(later.warning?.key).toBe(`refresh:${moved.toISOString()}:30`);
  });

  it('reads a warning sent before the stages existed as every stage crossed by then, and sends none again', () => {
    const { sent, warningsSent } = checks(
      90 * DAY,
      [85 * DAY, 86 * DAY],
      [`refresh:${issued.toISOString()}`],
    );
    expect(sent).toEqual([]);
    expect(warningsSent).toEqual([key(30), key(7)].sort());
    expect(checks(90 * DAY, [89.5 * DAY], warningsSent).sent.map((warning) => warning.key)).toEqual([key(1)]);
  });

  it('sends at most one mail per stage, in stage order, and the latest stage crossed, whatever the check times', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 3_600_000, max: 400 * DAY }),
        fc.array(fc.double({ min: 0, max: 1.2, noNaN: true }), { minLength: 1, maxLength: 40 }),
        (lifetimeMs, shares) => {
          const times = shares.map((share) => Math.floor(share * lifetimeMs)).sort((a, b) => a - b);
          const { sent } = checks(lifetimeMs, times);
          const keys = sent.map((warning) => warning.key);
          expect(new Set(keys).size).toBe(keys.length);
          const order = [key(30), key(7), key(1)];
          const ranks = keys.map((sentKey) => order.indexOf(sentKey));
          expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
          const offsets = refreshWarningOffsetsMs(lifetimeMs);
          const last = times[times.length - 1] ?? 0;
          const expires = issued.getTime() + lifetimeMs;
          const crossed = offsets.filter((offset) => issued.getTime() + last >= expires - offset).length;
          if (crossed > 0) expect(keys[keys.length - 1]).toBe(order[crossed - 1]);
        },
      ),
    );
  });
});

describe('refresh policy', () => {
  const issued = new Date('2026-03-01T00:00:00.000Z');
  const material = {
    accessToken: 'a',
    refreshToken: 'r',
    accessTokenExpiresAt: new Date(issued.getTime() + 14 * DAY).toISOString(),
    refreshTokenExpiresAt: new Date(issued.getTime() + 90 * DAY).toISOString(),
  };

  it('refreshes a 14-day access token when less than 2 days are left', () => {
    expect(
      refreshReason(
        material,
        { accessToken: issued, refreshToken: issued },
        new Date(issued.getTime() + 11.9 * DAY),
      ),
    ).toBeUndefined();
    expect(
      refreshReason(
        material,
        { accessToken: issued, refreshToken: issued },
        new Date(issued.getTime() + 12 * DAY),
      ),
    ).toBe('access_token_ending');
  });

  it('scales the margin for short-lived tokens (25 % of the lifetime)', () => {
    const short = { ...material, accessTokenExpiresAt: new Date(issued.getTime() + 3_600_000).toISOString() };
    expect(
      refreshSchedule(short, { accessToken: issued, refreshToken: issued }).accessRefreshAt.toISOString(),
    ).toBe(new Date(issued.getTime() + 2_700_000).toISOString());
  });

  it('keeps the refresh token alive from its first warning stage (30 days before its end), at most about daily', () => {
    const longAccess = {
      ...material,
      accessTokenExpiresAt: new Date(issued.getTime() + 365 * DAY).toISOString(),
    };
    expect(
      refreshReason(
        longAccess,
        { accessToken: issued, refreshToken: issued },
        new Date(issued.getTime() + 59.9 * DAY),
      ),
    ).toBeUndefined();
    expect(
      refreshReason(
        longAccess,
        { accessToken: issued, refreshToken: issued },
        new Date(issued.getTime() + 60 * DAY),
      ),
    ).toBe('keep_refresh_token_alive');
    expect(refreshSchedule(longAccess, { accessToken: issued, refreshToken: issued }).minIntervalMs).toBe(
      DAY,
    );
  });

  it('gives the next refresh time so the next check is not later', () => {
    expect(nextRefreshAt(material, { accessToken: issued, refreshToken: issued }).toISOString()).toBe(
      new Date(issued.getTime() + 12 * DAY).toISOString(),
    );
  });
});

describe('refreshTokenIssuedAt', () => {
  const granted = '2026-03-01T00:00:00.000Z';
  const refreshed = '2026-03-20T00:00:00.000Z';
  const recorded = '2026-05-30T00:00:00.000Z';
  const now = new Date('2026-04-01T00:00:00.000Z');
  const record = { refreshTokenExpiresAt: recorded, grantedAt: granted, updatedAt: refreshed };

  it('keeps the recorded time while the expiry comes back within a minute of the recorded one', () => {
    const almost = new Date(Date.parse(recorded) - 1500).toISOString();
    expect(
      refreshTokenIssuedAt({ ...record, refreshTokenIssuedAt: granted }, almost, now).toISOString(),
    ).toBe(granted);
  });

  it('falls back to the last refresh, then the grant, for records written before the field', () => {
    expect(refreshTokenIssuedAt({ ...record, refreshedAt: refreshed }, recorded, now).toISOString()).toBe(
      refreshed,
    );
    expect(refreshTokenIssuedAt(record, recorded, now).toISOString()).toBe(granted);
  });

  it('is now when Webex moved the expiry, or none was recorded', () => {
    const extended = new Date(Date.parse(recorded) + 3 * DAY).toISOString();
    expect(refreshTokenIssuedAt({ ...record, refreshTokenIssuedAt: granted }, extended, now)).toEqual(now);
    expect(refreshTokenIssuedAt({ grantedAt: granted, updatedAt: granted }, recorded, now)).toEqual(now);
  });
});

describe('refresh policy for a refresh token Webex does not extend', () => {
  it('keeps refreshing at most daily to its end, and at the end itself, instead of ever more often', () => {
    const issued = new Date('2026-03-01T00:00:00.000Z');
    const material = {
      accessToken: 'a',
      refreshToken: 'r',
      accessTokenExpiresAt: new Date(issued.getTime() + 89.5 * DAY).toISOString(),
      refreshTokenExpiresAt: new Date(issued.getTime() + 90 * DAY).toISOString(),
    };
    // Refreshed 12 hours before its end, the token got its expiry 90 days ago.
    const lastRefresh = new Date(issued.getTime() + 89.5 * DAY);
    const schedule = refreshSchedule(material, { accessToken: lastRefresh, refreshToken: issued });
    expect(schedule.minIntervalMs).toBe(DAY);
    expect(schedule.keepAliveAt.getTime()).toBe(Date.parse(material.refreshTokenExpiresAt));
    const earlier = new Date(issued.getTime() + 80 * DAY);
    expect(refreshSchedule(material, { accessToken: earlier, refreshToken: issued }).keepAliveAt).toEqual(
      new Date(earlier.getTime() + DAY),
    );
  });
});

describe('tokenMaterialOf', () => {
  const now = new Date('2026-03-01T00:00:00.000Z');
  const grant = { accessToken: 'a2', refreshToken: 'r2', expiresIn: 3600, refreshTokenExpiresIn: 7200 };

  it('counts the lifetimes from now and keeps the replaced scope when the answer has none', () => {
    const replaced = {
      accessToken: 'a1',
      refreshToken: 'r1',
      accessTokenExpiresAt: now.toISOString(),
      refreshTokenExpiresAt: now.toISOString(),
      scope: 'spark:people_read',
    };
    expect(tokenMaterialOf(grant, now, replaced)).toEqual({
      accessToken: 'a2',
      refreshToken: 'r2',
      accessTokenExpiresAt: '2026-03-01T01:00:00.000Z',
      refreshTokenExpiresAt: '2026-03-01T02:00:00.000Z',
      scope: 'spark:people_read',
    });
    expect(tokenMaterialOf({ ...grant, scope: 'spark:calls_read' }, now, replaced).scope).toBe(
      'spark:calls_read',
    );
    expect(tokenMaterialOf(grant, now)).not.toHaveProperty('scope');
  });
});
