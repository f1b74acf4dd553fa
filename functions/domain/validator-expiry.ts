import { assessExpiry, passwordWarningsMayBeDue, type ExpiryAssessment } from './expiry-warnings.js';
import type { Authorization, Tenant } from './model.js';
import { PASSWORD_MAX_AGE_DAYS_RANGE, passwordMaxAgeDaysOf, signsInWithSso } from './password-policy.js';
import type { ValidatorDependencies } from './validator-config.js';
import type { TenantOnce } from './validator-session.js';

/** The authorizer's password policy as a check read it from the tenant (`Authorization.passwordPolicy`). */
export type PasswordPolicySeen = NonNullable<Authorization['passwordPolicy']>;

/**
 * How long the password policy a check read stands in for the tenant's: a change of the tenant's
 * password age or SSO flags reaches the warnings within this, one tenant read a day at most.
 */
export const PASSWORD_POLICY_REREAD_MS = 86_400_000;

/** The expiry assessment of a check, and the password policy to record with it. */
export interface CheckExpiry extends ExpiryAssessment {
  /** Read from the tenant by this check: to save on the record. */
  passwordPolicy?: PasswordPolicySeen;
}

/**
 * The expiry warnings of a healthy check (expiry-warnings.ts), with the authorizer's password
 * policy: the tenant's `passwordMaxAgeDays` (else the deployment's) and its or the authorizer's
 * SSO flag. The tenant is read only when a step of the check read it already, or when a password
 * warning may be due under the policy known so far: the one recorded by a check less than a day
 * ago, else the shortest Control Hub allows (90 days, no SSO). Under it no password window is open
 * yet under any policy, and its first stage is the check time at which the tenant will be read.
 *
 * Returns `tenant_inactive` when the tenant had to be read and is gone or offboarded.
 */
export async function assessCheckExpiry(
  deps: Pick<ValidatorDependencies, 'config'>,
  input: {
    record: Authorization;
    tenant: TenantOnce;
    now: Date;
    refreshTokenExpiresAt: string;
    refreshTokenIssuedAt: Date;
  },
): Promise<CheckExpiry | 'tenant_inactive'> {
  const { record, now } = input;
  const read = (tenant: Tenant): PasswordPolicySeen => ({
    maxAgeDays: passwordMaxAgeDaysOf(tenant, deps.config.passwordMaxAgeDays),
    sso: signsInWithSso(tenant, record.authorizer),
    readAt: now.toISOString(),
  });
  const alreadyRead = await input.tenant.ifRead();
  let seen = alreadyRead === undefined ? undefined : read(alreadyRead);
  const recorded = record.passwordPolicy;
  const known =
    seen ??
    (recorded !== undefined && now.getTime() - Date.parse(recorded.readAt) < PASSWORD_POLICY_REREAD_MS
      ? recorded
      : { maxAgeDays: PASSWORD_MAX_AGE_DAYS_RANGE.min, sso: false });
  let policy = known;
  if (seen === undefined && !known.sso && passwordWarningsMayBeDue(record.grantedAt, known.maxAgeDays, now)) {
    const tenant = await input.tenant.active();
    if (tenant === undefined) return 'tenant_inactive';
    seen = read(tenant);
    policy = seen;
  }
  return {
    ...assessExpiry({
      now,
      sso: policy.sso,
      grantedAt: record.grantedAt,
      passwordMaxAgeDays: policy.maxAgeDays,
      refreshTokenExpiresAt: input.refreshTokenExpiresAt,
      refreshTokenIssuedAt: input.refreshTokenIssuedAt,
      warningsSent: record.warningsSent,
    }),
    ...(seen ? { passwordPolicy: seen } : {}),
  };
}
