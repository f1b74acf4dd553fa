import type { Authorization } from './model.js';

const DAY_MS = 86_400_000;

/** Days before the password deadline at which a non-SSO tenant is warned, each once. */
export const PASSWORD_WARNING_DAYS = [30, 7, 1] as const;

/** Default organization `maxPasswordAge` (Webex allows 90 to 1825 days; 1825 is the usual default). */
export const DEFAULT_PASSWORD_MAX_AGE_DAYS = 1825;

/**
 * The refresh-token warning window: the smaller of 7 days and 10 % of the token's lifetime, from
 * when it got its expiry. The keep-alive refresh already runs from 25 % (refresh-policy.ts), so a
 * refresh token still this close to its end was not extended by Webex and will expire before a
 * later refresh can renew it. The lifetime must not restart at a refresh that left the expiry in
 * place, or the window would shrink with every keep-alive refresh and never open.
 */
export const REFRESH_WARNING_MARGIN_MS = 7 * DAY_MS;
export const REFRESH_WARNING_SHARE = 0.1;

/** One deadline a person should hear about before it kills the authorization. */
export interface ExpiryWarning {
  /** The `warningsSent` key: `password:30`, `password:7`, `password:1` or `refresh:<refreshTokenIssuedAt>`. */
  key: string;
  kind: 'password' | 'refresh_token';
  deadline: string;
  /** Whole days left, rounded up (0 once the deadline has passed). */
  daysLeft: number;
  /**
   * Keys to add to `warningsSent` once this warning is sent: its own and, for the password, the
   * larger thresholds it makes moot (after a 7-day warning, a late 30-day one would mislead).
   */
  marks: string[];
}

/** What the expiry windows say about an authorization at one moment. */
export interface ExpiryAssessment {
  /** Inside at least one warning window: the status is `expiring`. */
  expiring: boolean;
  /** The warning to send now, if one is due and was not sent: the most urgent one. */
  warning?: ExpiryWarning;
  /**
   * `warningsSent` without the keys of closed windows, so that a later window (e.g. after a
   * re-authorization) warns again. The caller adds `warning.marks` when it sends the warning.
   */
  warningsSent: string[];
  /** When the next threshold is crossed, so the next check happens no later. */
  nextThresholdAt?: Date;
}

export interface ExpiryInput {
  now: Date;
  /** SSO tenants sign in through their IdP: Webex password age does not apply. */
  sso: boolean;
  grantedAt: string | undefined;
  passwordMaxAgeDays: number;
  refreshTokenExpiresAt: string;
  /** When the refresh token got that expiry (`refreshTokenIssuedAt`). */
  refreshTokenIssuedAt: Date;
  warningsSent: readonly string[];
}

function daysLeft(deadline: number, now: Date): number {
  return Math.max(0, Math.ceil((deadline - now.getTime()) / DAY_MS));
}

interface WindowState {
  open: boolean;
  /** Due and not sent yet. */
  warning?: ExpiryWarning;
  /** The keys this window may hold in `warningsSent` (crossed thresholds); others are stale. */
  keys: string[];
  nextThresholdAt?: number;
}

function passwordWindow(input: ExpiryInput): WindowState {
  if (input.sso || input.grantedAt === undefined) return { open: false, keys: [] };
  const deadline = Date.parse(input.grantedAt) + input.passwordMaxAgeDays * DAY_MS;
  const now = input.now.getTime();
  const crossed = PASSWORD_WARNING_DAYS.filter((days) => now >= deadline - days * DAY_MS);
  const upcoming = PASSWORD_WARNING_DAYS.filter((days) => now < deadline - days * DAY_MS);
  const nextThresholdAt = upcoming.length > 0 ? deadline - Math.max(...upcoming) * DAY_MS : undefined;
  const threshold = crossed.length > 0 ? Math.min(...crossed) : undefined;
  if (threshold === undefined) return { open: false, keys: [], nextThresholdAt };
  const keys = crossed.map((days) => `password:${days}`);
  const key = `password:${threshold}`;
  return {
    open: true,
    keys,
    nextThresholdAt,
    ...(input.warningsSent.includes(key)
      ? {}
      : {
          warning: {
            key,
            kind: 'password',
            deadline: new Date(deadline).toISOString(),
            daysLeft: daysLeft(deadline, input.now),
            marks: keys,
          },
        }),
  };
}

function refreshWindow(input: ExpiryInput): WindowState {
  const expires = Date.parse(input.refreshTokenExpiresAt);
  const lifetime = Math.max(0, expires - input.refreshTokenIssuedAt.getTime());
  const opensAt = expires - Math.min(REFRESH_WARNING_MARGIN_MS, lifetime * REFRESH_WARNING_SHARE);
  if (input.now.getTime() < opensAt) return { open: false, keys: [], nextThresholdAt: opensAt };
  // Keyed by when the token got its expiry, which repeats to the second in every answer until
  // Webex extends the token: then a later window warns afresh.
  const key = `refresh:${input.refreshTokenIssuedAt.toISOString()}`;
  return {
    open: true,
    keys: [key],
    ...(input.warningsSent.includes(key)
      ? {}
      : {
          warning: {
            key,
            kind: 'refresh_token',
            deadline: new Date(expires).toISOString(),
            daysLeft: daysLeft(expires, input.now),
            marks: [key],
          },
        }),
  };
}

/**
 * Whether a password warning may be due at `now` (for a tenant that does not sign in through SSO):
 * from the first threshold before the deadline on. Before it, the tenant's SSO flag cannot change
 * what `assessExpiry` says, except that a non-SSO tenant's first threshold is a later check time.
 */
export function passwordWarningsMayBeDue(
  grantedAt: string | undefined,
  passwordMaxAgeDays: number,
  now: Date,
): boolean {
  if (grantedAt === undefined) return false;
  const deadline = Date.parse(grantedAt) + passwordMaxAgeDays * DAY_MS;
  return now.getTime() >= deadline - Math.max(...PASSWORD_WARNING_DAYS) * DAY_MS;
}

/**
 * An expiry that moved by less than this did not move: Webex gives `refresh_token_expires_in` in
 * whole seconds from when it answered, so one unchanged expiry comes back a second or so apart.
 */
export const UNCHANGED_EXPIRY_TOLERANCE_MS = 60_000;

/**
 * When the refresh token got `refreshTokenExpiresAt`: `now` when it is not (within the tolerance)
 * the recorded one, i.e. Webex extended the token or a new one was issued; else as recorded.
 */
export function refreshTokenIssuedAt(
  record: Pick<
    Authorization,
    'refreshTokenExpiresAt' | 'refreshTokenIssuedAt' | 'refreshedAt' | 'grantedAt' | 'updatedAt'
  >,
  refreshTokenExpiresAt: string,
  now: Date,
): Date {
  const recorded = record.refreshTokenExpiresAt ? Date.parse(record.refreshTokenExpiresAt) : Number.NaN;
  const moved = !(Math.abs(Date.parse(refreshTokenExpiresAt) - recorded) < UNCHANGED_EXPIRY_TOLERANCE_MS);
  if (moved) return now;
  return new Date(record.refreshTokenIssuedAt ?? record.refreshedAt ?? record.grantedAt ?? record.updatedAt);
}

/**
 * Assesses the password deadline (non-SSO tenants: `grantedAt + passwordMaxAgeDays`, warned 30, 7
 * and 1 days ahead) and the refresh token's expiry (warned once it is inside its window). Each
 * threshold warns once; one warning per run, the earliest deadline first (the other follows on
 * the next check).
 */
export function assessExpiry(input: ExpiryInput): ExpiryAssessment {
  const windows = [passwordWindow(input), refreshWindow(input)];
  const due = windows
    .map((window) => window.warning)
    .filter((warning): warning is ExpiryWarning => warning !== undefined)
    .sort((a, b) => Date.parse(a.deadline) - Date.parse(b.deadline));
  const warning = due[0];
  const warningsSent = windows
    .flatMap((window) => window.keys)
    .filter((key) => input.warningsSent.includes(key))
    .sort();
  const thresholds = windows
    .map((window) => window.nextThresholdAt)
    .filter((time): time is number => time !== undefined);
  return {
    expiring: windows.some((window) => window.open),
    ...(warning ? { warning } : {}),
    warningsSent,
    ...(thresholds.length > 0 ? { nextThresholdAt: new Date(Math.min(...thresholds)) } : {}),
  };
}
