import type { Tenant } from './model.js';
import {
  NotAPersonError,
  NotFullAdminError,
  OrgMismatchError,
  WebexUnavailableError,
} from './onboarding-errors.js';
import type { OnboardingDependencies } from './onboarding.js';
import { WebexError, type OrgBinding, type WebexPerson } from './ports.js';

/*
 * The callback's check of who authorized: a person, a Full Administrator, of the tenant's org
 * (bound on the first success).
 */

/** The Webex role a person needs to authorize for the whole organization. */
export const FULL_ADMIN_ROLE_NAME = 'Full Administrator';

/** The person checked against the tenant: who may authorize, and why not otherwise. */
export type Refusal = NotAPersonError | NotFullAdminError | OrgMismatchError;

/** The person's first email, as Webex lists it. */
export function primaryEmail(person: WebexPerson): string {
  return person.emails[0] ?? '';
}

/** The person the new token belongs to; WebexUnavailableError when Webex fails transiently. */
export async function readPerson(
  deps: OnboardingDependencies,
  accessToken: string,
  retryUrl: string,
): Promise<WebexPerson> {
  try {
    return await deps.webex.getMe(accessToken);
  } catch (error) {
    if (error instanceof WebexError && error.kind === 'transient') {
      throw new WebexUnavailableError(retryUrl, error.details.trackingId);
    }
    throw error;
  }
}

/** Whether the person holds the Full Administrator role; non-admins may not list roles at all. */
async function isFullAdmin(
  deps: OnboardingDependencies,
  accessToken: string,
  person: WebexPerson,
  retryUrl: string,
) {
  try {
    const roles = await deps.webex.listRoles(accessToken);
    const fullAdmin = roles.find(
      (role) => role.name.trim().toLowerCase() === FULL_ADMIN_ROLE_NAME.toLowerCase(),
    );
    return fullAdmin !== undefined && person.roles.includes(fullAdmin.id);
  } catch (error) {
    if (!(error instanceof WebexError)) throw error;
    if (error.kind === 'transient') throw new WebexUnavailableError(retryUrl, error.details.trackingId);
    if (error.kind === 'forbidden' || error.kind === 'unauthorized') return false;
    throw error;
  }
}

/**
 * Why the person may not authorize for the tenant (not a person, not a Full Administrator, another
 * org than the tenant's), or, when they may, whether this check bound the tenant's org (its first
 * success: `bound`) or found it bound to theirs (`unchanged`).
 */
export async function checkAuthorizer(
  deps: OnboardingDependencies,
  input: { tenant: Tenant; person: WebexPerson; accessToken: string; retryUrl: string },
): Promise<{ refusal: Refusal } | { orgBinding: Exclude<OrgBinding, 'refused'> }> {
  const { tenant, person, retryUrl } = input;
  const email = primaryEmail(person);
  if (person.type !== 'person') return { refusal: new NotAPersonError(person.type, retryUrl) };
  if (!(await isFullAdmin(deps, input.accessToken, person, retryUrl)))
    return { refusal: new NotFullAdminError(email, retryUrl) };
  if (tenant.orgId !== undefined && tenant.orgId !== person.orgId)
    return { refusal: new OrgMismatchError(email, retryUrl) };
  // Binds the tenant on its first success; refused when another request bound another org meanwhile.
  const orgBinding = await deps.tenants.bindOrg(tenant.tenantId, person.orgId);
  if (orgBinding === 'refused') return { refusal: new OrgMismatchError(email, retryUrl) };
  return { orgBinding };
}
