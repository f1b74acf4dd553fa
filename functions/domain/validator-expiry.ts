import { assessExpiry, passwordWarningsMayBeDue, type ExpiryAssessment } from './expiry-warnings.js';
import type { Authorization } from './model.js';
import { PASSWORD_MAX_AGE_DAYS_RANGE, passwordMaxAgeDaysOf, signsInWithSso } from './password-policy.js';
import type { ValidatorDependencies } from './validator-config.js';
import type { TenantOnce } from './validator-session.js';

/**
 * The expiry warnings of a healthy check (expiry-warnings.ts), with the authorizer's password
 * policy from the tenant: its `passwordMaxAgeDays` (else the deployment's) and its or the
 * authorizer's SSO flag. The tenant is read only once a password warning may be due under the
 * shortest policy Control Hub allows (90 days), unless an earlier step of the check read it
 * already. Before that the shortest policy stands in: no password window is open yet under any
 * policy, and its first stage is the check time at which the tenant will be read.
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
): Promise<ExpiryAssessment | 'tenant_inactive'> {
  const { record, now } = input;
  let tenant = await input.tenant.ifRead();
  if (
    tenant === undefined &&
    passwordWarningsMayBeDue(record.grantedAt, PASSWORD_MAX_AGE_DAYS_RANGE.min, now)
  ) {
    tenant = await input.tenant.active();
    if (tenant === undefined) return 'tenant_inactive';
  }
  return assessExpiry({
    now,
    sso: tenant === undefined ? false : signsInWithSso(tenant, record.authorizer),
    grantedAt: record.grantedAt,
    passwordMaxAgeDays:
      tenant === undefined
        ? PASSWORD_MAX_AGE_DAYS_RANGE.min
        : passwordMaxAgeDaysOf(tenant, deps.config.passwordMaxAgeDays),
    refreshTokenExpiresAt: input.refreshTokenExpiresAt,
    refreshTokenIssuedAt: input.refreshTokenIssuedAt,
    warningsSent: record.warningsSent,
  });
}
