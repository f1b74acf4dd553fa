import * as z from 'zod';
import type { Authorizer, Tenant } from './model.js';

/*
 * A tenant's password policy as it bears on its authorizations: how old a password may grow
 * (Control Hub's `maxPasswordAge`), and who signs in through SSO, where Webex password age does
 * not apply.
 */

/** Control Hub's range for an org's `maxPasswordAge`, in days. */
export const PASSWORD_MAX_AGE_DAYS_RANGE = { min: 90, max: 1825 } as const;

/** A tenant's `passwordMaxAgeDays`: a whole number of days in Control Hub's range. */
export const passwordMaxAgeDaysSchema = z
  .number('must be a whole number of days')
  .int('must be a whole number of days')
  .min(
    PASSWORD_MAX_AGE_DAYS_RANGE.min,
    `at least ${PASSWORD_MAX_AGE_DAYS_RANGE.min} days (Control Hub's shortest password age)`,
  )
  .max(
    PASSWORD_MAX_AGE_DAYS_RANGE.max,
    `at most ${PASSWORD_MAX_AGE_DAYS_RANGE.max} days (Control Hub's longest password age)`,
  );

/** Most SSO authorizers a tenant lists; a tenant with more marks itself SSO as a whole. */
export const MAX_SSO_AUTHORIZERS = 50;

/** The emails of a tenant's authorizers who sign in through SSO: trimmed, lower-cased, de-duplicated. */
export const ssoAuthorizersSchema = z
  .array(z.string().trim().toLowerCase().pipe(z.email('must be an email address')))
  .max(MAX_SSO_AUTHORIZERS, `at most ${MAX_SSO_AUTHORIZERS} SSO authorizers`)
  .transform((emails) => [...new Set(emails)]);

/** The password age that bounds a tenant's password deadlines: its own, else the deployment's default. */
export function passwordMaxAgeDaysOf(
  tenant: Pick<Tenant, 'passwordMaxAgeDays'>,
  deploymentDefaultDays: number,
): number {
  return tenant.passwordMaxAgeDays ?? deploymentDefaultDays;
}

/**
 * Whether the authorizer signs in through SSO: the whole tenant does, or the tenant lists the
 * authorizer's email among its SSO authorizers. Such an authorizer's password age does not end
 * their authorizations, so they get no password deadline.
 */
export function signsInWithSso(
  tenant: Pick<Tenant, 'sso' | 'ssoAuthorizers'>,
  authorizer: Pick<Authorizer, 'email'> | undefined,
): boolean {
  if (tenant.sso) return true;
  if (authorizer === undefined) return false;
  return (tenant.ssoAuthorizers ?? []).includes(authorizer.email.trim().toLowerCase());
}
