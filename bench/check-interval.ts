import type { TokenMaterial } from '#domain/model.js';
import { nextRefreshAt, type IssueTimes } from '#domain/refresh-policy.js';
import { DEFAULT_VALIDATOR_CONFIG } from '#domain/validator-config.js';
import { scheduleNextCheck, SECOND_MS } from '#domain/validator-schedule.js';
import { seededRandom } from '#test-support/security-chaos.js';
import { percentile } from './stats.js';

/**
 * How long a dead token goes unnoticed, and how many checks and refreshes an authorization costs,
 * for one check interval: a simulation driven by the validator's own scheduling code
 * (`scheduleNextCheck`, `nextRefreshAt`) under a moved clock. The dispatcher runs every
 * `sweepRateMinutes` and checks what is due; each authorization's token dies once at a uniformly
 * random moment, and its delay is the time to the first check after it. A check is taken to
 * finish as it starts (the queue's seconds are left out).
 */

const MINUTE_MS = 60 * SECOND_MS;
const DAY_MS = 24 * 60 * MINUTE_MS;
/** Webex's token lifetimes (developer.webex.com, "Integrations"): access 14 days, refresh 90. */
const ACCESS_TOKEN_LIFETIME_MS = 14 * DAY_MS;
const REFRESH_TOKEN_LIFETIME_MS = 90 * DAY_MS;
/** An average month, for checks and refreshes per month. */
export const MONTH_MS = 30.4375 * DAY_MS;

/** What one interval gave. */
export interface CheckIntervalResult {
  checkIntervalMinutes: number;
  sweepRateMinutes: number;
  authorizations: number;
  /** Minutes from a token's death to its first check, over the authorizations. */
  detectionDelayMinutes: { p50: number; p99: number; max: number };
  /** Checks of a healthy authorization per month (refreshes included). */
  checksPerMonth: number;
  /**
   * Refreshes per authorization and month: a month over the time from one refresh to the next
   * (`nextRefreshAt` of freshly issued tokens, plus half a check interval for the check that does it).
   */
  refreshesPerMonth: number;
}

function issuedAt(at: number): { material: TokenMaterial; issued: IssueTimes } {
  return {
    material: {
      accessToken: 'simulated',
      refreshToken: 'simulated',
      accessTokenExpiresAt: new Date(at + ACCESS_TOKEN_LIFETIME_MS).toISOString(),
      refreshTokenExpiresAt: new Date(at + REFRESH_TOKEN_LIFETIME_MS).toISOString(),
    },
    issued: { accessToken: new Date(at), refreshToken: new Date(at) },
  };
}

/** The first sweep at or after `at`: sweeps run at whole multiples of the rate. */
function nextSweep(at: number, sweepMs: number): number {
  return Math.ceil(at / sweepMs) * sweepMs;
}

/**
 * Simulates `authorizations` healthy authorizations over `days` days (granted at random in the
 * first interval, tokens dying at random between the third day and two days before the end).
 */
export function simulateCheckInterval(input: {
  checkIntervalMinutes: number;
  sweepRateMinutes: number;
  authorizations: number;
  days: number;
  seed: number;
}): CheckIntervalResult {
  const random = seededRandom(input.seed);
  const intervalMs = input.checkIntervalMinutes * MINUTE_MS;
  const sweepMs = input.sweepRateMinutes * MINUTE_MS;
  const end = input.days * DAY_MS;
  const config = {
    ...DEFAULT_VALIDATOR_CONFIG,
    checkIntervalSeconds: input.checkIntervalMinutes * 60,
    sweepRateSeconds: input.sweepRateMinutes * 60,
  };
  const delays: number[] = [];
  let checks = 0;
  for (let index = 0; index < input.authorizations; index += 1) {
    const grantedAt = random() * intervalMs;
    const diesAt = 3 * DAY_MS + random() * (end - 5 * DAY_MS);
    let tokens = issuedAt(grantedAt);
    let dueAt = grantedAt + random() * intervalMs;
    let detected: number | undefined;
    for (let at = nextSweep(dueAt, sweepMs); at < end; at = nextSweep(dueAt, sweepMs)) {
      checks += 1;
      if (at >= diesAt && detected === undefined) detected = at;
      const now = new Date(at);
      if (nextRefreshAt(tokens.material, tokens.issued).getTime() <= at) tokens = issuedAt(at);
      const next = scheduleNextCheck({
        deps: { config, random },
        now,
        verdict: { kind: 'healthy' },
        consecutiveFailures: 0,
        material: tokens.material,
        issued: tokens.issued,
        expiry: undefined,
        key: { tenantId: 'bench', integration: `authorization-${index}` },
        previousDue: new Date(dueAt),
      });
      if (next === undefined) throw new Error('a healthy authorization got no next check');
      dueAt = next.getTime();
    }
    if (detected === undefined)
      throw new Error('a dead token was never checked again: lengthen the simulation');
    delays.push((detected - diesAt) / MINUTE_MS);
  }
  const authorizationMonths = (input.authorizations * (end - intervalMs / 2)) / MONTH_MS;
  const fresh = issuedAt(0);
  const refreshPeriodMs = nextRefreshAt(fresh.material, fresh.issued).getTime() + intervalMs / 2;
  return {
    checkIntervalMinutes: input.checkIntervalMinutes,
    sweepRateMinutes: input.sweepRateMinutes,
    authorizations: input.authorizations,
    detectionDelayMinutes: {
      p50: percentile(delays, 50),
      p99: percentile(delays, 99),
      max: Math.max(...delays),
    },
    checksPerMonth: checks / authorizationMonths,
    refreshesPerMonth: MONTH_MS / refreshPeriodMs,
  };
}
