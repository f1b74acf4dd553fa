import type { Authorization } from './model.js';

const DAY_MS = 86_400_000;

/** Days before the password deadline at which a non-SSO tenant is warned, each once. */
export const PASSWORD_WARNING_DAYS = [30, 7, 1] as const;

/** Default organization `maxPasswordAge` (Webex allows 90 to 1825 days; 1825 is the usual default). */
export const DEFAULT_PASSWORD_MAX_AGE_DAYS = 1825;

/** Days before the refresh token's expiry at which it is warned, each once, as the password. */
export const REFRESH_WARNING_DAYS = [30, 7, 1] as const;

/**
 * A refresh token living less than this is warned at the same shares of its own lifetime (half of
 * it for the 30-day stage, 7/60 and 1/60 for the others), so a short-lived token gets its three
 * stages too instead of being inside all of them from the start.
 */
export const REFRESH_WARNING_FULL_LIFETIME_MS = 60 * DAY_MS;

/**
 * How long before the refresh token's expiry each stage of REFRESH_WARNING_DAYS is crossed, for a
 * token of `lifetimeMs` (from when it got its expiry). The keep-alive refresh runs from the first
 * stage on (refresh-policy.ts), so a token that reaches a stage was refreshed and Webex did not
 * extend it. The lifetime must not restart at a refresh that left the expiry in place, or the
 * stages would shrink with every keep-alive refresh and never be crossed.
 */
export function refreshWarningOffsetsMs(lifetimeMs: number): number[] {
  const scale = Math.min(1, Math.max(0, lifetimeMs) / REFRESH_WARNING_FULL_LIFETIME_MS);
  return REFRESH_WARNING_DAYS.map((days) => days * DAY_MS * scale);
}

/** One deadline a person should hear about before it kills the authorization. */
export interface ExpiryWarning {
  /**
   * The `warningsSent` key: `password:30`, `password:7`, `password:1`, or for the refresh token
   * `refresh:<refreshTokenIssuedAt>:30` (`:7`, `:1`), so a token that gets a new expiry warns anew.
   */
  key: string;
  kind: 'password' | 'refresh_token';
  deadline: string;
  /**
   * The deadline is the latest it can be, not the date: a password deadline is counted from the
   * grant, the latest moment the password can have been set, and Webex does not say when it was.
   */
  upperBound: boolean;
  /** Whole days left, rounded up (0 once the deadline has passed). */
  daysLeft: number;
  /**
   * Keys to add to `warningsSent` once this warning is sent: its own and the larger stages it
   * makes moot (after a 7-day warning, a late 30-day one would mislead).
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
  /** The authorizer signs in through their IdP (the tenant's or their own SSO flag): Webex password age does not apply. */
  sso: boolean;
  grantedAt: string | undefined;
  /** The tenant's `maxPasswordAge` (its own, else the deployment's default). */
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
  /** The keys this window may hold in `warningsSent` (crossed stages); others are stale. */
  keys: string[];
  nextThresholdAt?: number;
}

/** One stage of a deadline: its `warningsSent` key and when it is crossed. */
interface Stage {
  key: string;
  at: number;
}

/**
 * A deadline warned in stages, largest first. A check past several stages not yet warned sends
 * only the latest of them, and marks the earlier ones so they never follow late.
 */
function stagedWindow(
  input: ExpiryInput,
  deadline: { kind: ExpiryWarning['kind']; at: number; upperBound: boolean; stages: Stage[] },
): WindowState {
  const now = input.now.getTime();
  const crossed = deadline.stages.filter((stage) => now >= stage.at);
  const upcoming = deadline.stages.filter((stage) => now < stage.at).map((stage) => stage.at);
  const nextThresholdAt = upcoming.length > 0 ? Math.min(...upcoming) : undefined;
  const latest = crossed.reduce<Stage | undefined>(
    (last, stage) => (last === undefined || stage.at > last.at ? stage : last),
    undefined,
  );
  if (latest === undefined) return { open: false, keys: [], nextThresholdAt };
  const keys = crossed.map((stage) => stage.key);
  return {
    open: true,
    keys,
    nextThresholdAt,
    ...(input.warningsSent.includes(latest.key)
      ? {}
      : {
          warning: {
            key: latest.key,
            kind: deadline.kind,
            deadline: new Date(deadline.at).toISOString(),
            upperBound: deadline.upperBound,
            daysLeft: daysLeft(deadline.at, input.now),
            marks: keys,
          },
        }),
  };
}

function passwordWindow(input: ExpiryInput): WindowState {
  if (input.sso || input.grantedAt === undefined) return { open: false, keys: [] };
  const at = Date.parse(input.grantedAt) + input.passwordMaxAgeDays * DAY_MS;
  return stagedWindow(input, {
    kind: 'password',
    at,
    upperBound: true,
    stages: PASSWORD_WARNING_DAYS.map((days) => ({ key: `password:${days}`, at: at - days * DAY_MS })),
  });
}

/** The refresh token's stages, keyed by when it got its expiry (`refresh:<issuedAt>:<days>`). */
function refreshStages(input: ExpiryInput): Stage[] {
  const at = Date.parse(input.refreshTokenExpiresAt);
  // When the token got its expiry repeats to the second in every answer until Webex extends the
  // token: then the stages of the new expiry warn afresh.
  const issued = input.refreshTokenIssuedAt.toISOString();
  const offsets = refreshWarningOffsetsMs(at - input.refreshTokenIssuedAt.getTime());
  return REFRESH_WARNING_DAYS.map((days, index) => ({
    key: `refresh:${issued}:${days}`,
    at: at - (offsets[index] ?? 0),
  }));
}

function refreshWindow(input: ExpiryInput): WindowState {
  return stagedWindow(input, {
    kind: 'refresh_token',
    at: Date.parse(input.refreshTokenExpiresAt),
    upperBound: false,
    stages: refreshStages(input),
  });
}

/**
 * `warningsSent` with a key written before the stages existed (`refresh:<issuedAt>`, one per
 * window, sent once the token was inside its last days) read as every stage crossed by now, so a
 * deploy sends none of them again.
 */
function withStagedRefreshKeys(input: ExpiryInput): ExpiryInput {
  const legacy = `refresh:${input.refreshTokenIssuedAt.toISOString()}`;
  if (!input.warningsSent.includes(legacy)) return input;
  const crossed = refreshStages(input).filter((stage) => input.now.getTime() >= stage.at);
  return { ...input, warningsSent: [...input.warningsSent, ...crossed.map((stage) => stage.key)] };
}

/**
 * Whether a password warning may be due at `now` under a password age of `passwordMaxAgeDays`
 * (for an authorizer who does not sign in through SSO): from its first stage on. Before it, under
 * that age or any longer one, no password window is open whatever the SSO flags say.
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
 * Assesses the password deadline (non-SSO authorizers: `grantedAt + passwordMaxAgeDays`, an upper
 * bound) and the refresh token's expiry, each warned 30, 7 and 1 days ahead (a short-lived refresh
 * token at the same shares of its lifetime). Each stage warns once; one warning per run, the
 * earliest deadline first (the other follows on the next check).
 */
export function assessExpiry(given: ExpiryInput): ExpiryAssessment {
  const input = withStagedRefreshKeys(given);
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
