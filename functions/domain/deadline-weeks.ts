import type { Authorization, Tenant } from './model.js';
import { passwordMaxAgeDaysOf, signsInWithSso } from './password-policy.js';

const DAY_MS = 86_400_000;

/** How far ahead the board looks for deadlines, in weeks (13 weeks cover the next 90 days). */
export const DEADLINE_WEEKS = 13;

/** Deadlines that fall in one week from `weekStart` (inclusive) to the next week's start. */
export interface DeadlineWeek {
  weekStart: string;
  passwordDeadlines: number;
  refreshTokenExpiries: number;
}

/**
 * The password deadline of a non-SSO authorizer: the grant plus the tenant's password age (the
 * latest the password can change, as the expiry warnings count it); none for an SSO sign-in.
 */
export function passwordDeadlineOf(
  authorization: Authorization,
  tenant: Tenant,
  passwordMaxAgeDays: number,
): string | undefined {
  if (signsInWithSso(tenant, authorization.authorizer) || !authorization.grantedAt) return undefined;
  return new Date(
    Date.parse(authorization.grantedAt) + passwordMaxAgeDaysOf(tenant, passwordMaxAgeDays) * DAY_MS,
  ).toISOString();
}

/**
 * The weeks from `now`, each with the password deadlines and refresh-token expiries of the given
 * live authorizations that fall in it. A deadline already past, or beyond the last week, is left
 * out: it is not coming.
 */
export function deadlineWeeks(
  authorizations: { authorization: Authorization; tenant: Tenant }[],
  passwordMaxAgeDays: number,
  now: Date,
): DeadlineWeek[] {
  const weeks: DeadlineWeek[] = Array.from({ length: DEADLINE_WEEKS }, (_, index) => ({
    weekStart: new Date(now.getTime() + index * 7 * DAY_MS).toISOString(),
    passwordDeadlines: 0,
    refreshTokenExpiries: 0,
  }));
  const weekOf = (at: string | undefined): DeadlineWeek | undefined => {
    if (at === undefined) return undefined;
    const offset = Date.parse(at) - now.getTime();
    return offset < 0 ? undefined : weeks[Math.floor(offset / (7 * DAY_MS))];
  };
  for (const { authorization, tenant } of authorizations) {
    const password = weekOf(passwordDeadlineOf(authorization, tenant, passwordMaxAgeDays));
    if (password) password.passwordDeadlines += 1;
    const refresh = weekOf(authorization.refreshTokenExpiresAt);
    if (refresh) refresh.refreshTokenExpiries += 1;
  }
  return weeks;
}
