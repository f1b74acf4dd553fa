import { refreshWarningOffsetsMs } from './expiry-warnings.js';
import type { TokenMaterial } from './model.js';
import type { WebexTokenGrant } from './ports.js';

const DAY_MS = 86_400_000;

/** Refresh the access token once less than this is left (Webex issues ~14-day tokens)... */
export const ACCESS_REFRESH_MARGIN_MS = 2 * DAY_MS;
/** ...or less than this share of its lifetime, whichever is smaller, so short-lived tokens scale. */
export const ACCESS_REFRESH_SHARE = 0.25;
/**
 * Webex often answers a refresh made less than a day after the last one with the same values, so
 * the keep-alive refresh runs at most about daily (less for very short-lived test tokens).
 */
export const MIN_REFRESH_INTERVAL_MS = DAY_MS;
/**
 * The refresh token is kept alive once less than this share of its lifetime is left, or once it
 * crosses its first warning stage if that comes sooner (expiry-warnings.ts): a token is never
 * warned about before a refresh has shown that Webex did not extend it.
 */
export const KEEP_ALIVE_SHARE = 0.25;

/** How long before its expiry a refresh token of `lifetimeMs` is kept alive. */
function keepAliveMarginMs(lifetimeMs: number): number {
  return Math.max(lifetimeMs * KEEP_ALIVE_SHARE, ...refreshWarningOffsetsMs(lifetimeMs));
}

/** Why a refresh is due now. */
export type RefreshReason = 'access_token_ending' | 'keep_refresh_token_alive';

/** The times that decide when an authorization's tokens must be refreshed. */
export interface RefreshSchedule {
  /** From here on the access token is near its end. */
  accessRefreshAt: Date;
  /** From here on the refresh token is refreshed to keep it alive. */
  keepAliveAt: Date;
  /** The smallest gap between two refreshes. */
  minIntervalMs: number;
}

/**
 * When the current tokens were issued: the access token at the grant or the last refresh; the
 * refresh token's expiry at the grant or the last refresh that moved it (`refreshTokenIssuedAt`).
 */
export interface IssueTimes {
  accessToken: Date;
  refreshToken: Date;
}

/**
 * The refresh schedule of `material` issued at `issued`. Lifetimes are measured from the material
 * itself, never assumed: Webex's vary and tests shorten them. The refresh token's is counted from
 * when it got its expiry, so a token Webex stops extending is refreshed at most every
 * `minIntervalMs` to its end, not ever more often as its end nears.
 */
export function refreshSchedule(material: TokenMaterial, issued: IssueTimes): RefreshSchedule {
  const lastRefresh = issued.accessToken.getTime();
  const accessExpires = Date.parse(material.accessTokenExpiresAt);
  const refreshExpires = Date.parse(material.refreshTokenExpiresAt);
  const accessLifetime = Math.max(0, accessExpires - lastRefresh);
  const refreshLifetime = Math.max(0, refreshExpires - issued.refreshToken.getTime());
  const minIntervalMs = Math.min(MIN_REFRESH_INTERVAL_MS, refreshLifetime * 0.1);
  return {
    accessRefreshAt: new Date(
      accessExpires - Math.min(ACCESS_REFRESH_MARGIN_MS, accessLifetime * ACCESS_REFRESH_SHARE),
    ),
    // Never later than the expiry itself: a refresh then tells at once whether the token died.
    keepAliveAt: new Date(
      Math.min(
        refreshExpires,
        Math.max(refreshExpires - keepAliveMarginMs(refreshLifetime), lastRefresh + minIntervalMs),
      ),
    ),
    minIntervalMs,
  };
}

/** Why the tokens should be refreshed at `now`, or undefined when they need not be. */
export function refreshReason(
  material: TokenMaterial,
  issued: IssueTimes,
  now: Date,
): RefreshReason | undefined {
  const schedule = refreshSchedule(material, issued);
  if (now.getTime() >= schedule.accessRefreshAt.getTime()) return 'access_token_ending';
  if (now.getTime() >= schedule.keepAliveAt.getTime()) return 'keep_refresh_token_alive';
  return undefined;
}

/** The next time a refresh will be due, so the next check can be scheduled no later. */
export function nextRefreshAt(material: TokenMaterial, issued: IssueTimes): Date {
  const schedule = refreshSchedule(material, issued);
  return new Date(Math.min(schedule.accessRefreshAt.getTime(), schedule.keepAliveAt.getTime()));
}

/**
 * The token material a grant (code exchange or refresh) describes, its lifetimes counted from
 * `now`. A refresh answer without a scope keeps the scope of the material it replaces.
 */
export function tokenMaterialOf(grant: WebexTokenGrant, now: Date, replaced?: TokenMaterial): TokenMaterial {
  const scope = grant.scope ?? replaced?.scope;
  return {
    accessToken: grant.accessToken,
    refreshToken: grant.refreshToken,
    accessTokenExpiresAt: new Date(now.getTime() + grant.expiresIn * 1000).toISOString(),
    refreshTokenExpiresAt: new Date(now.getTime() + grant.refreshTokenExpiresIn * 1000).toISOString(),
    ...(scope !== undefined ? { scope } : {}),
  };
}
