import type { Tenant } from './model.js';
import {
  NotAPersonError,
  NotFullAdminError,
  OrgMismatchError,
  WebexUnavailableError,
} from './onboarding-errors.js';
import type { OnboardingDependencies } from './onboarding.js';
import { WebexError, type WebexPerson, type WebexRole } from './ports.js';

/*
 * The callback's check of who authorized: a person, a Full Administrator, of the tenant's org
 * (bound on the first success, by the grant's save: onboarding-org-binding.ts).
 */

/** The Webex role a person needs to authorize for the whole organization. */
export const FULL_ADMIN_ROLE_NAME = 'Full Administrator';

/** The person checked against the tenant: who may authorize, and why not otherwise. */
export type Refusal = NotAPersonError | NotFullAdminError | OrgMismatchError;

/** The person's first email, as Webex lists it. */
export function primaryEmail(person: WebexPerson): string {
  return person.emails[0] ?? '';
}

/** What the new token says about who authorized: the person, and the org's roles as Webex answered. */
export interface AuthorizerAnswers {
  person: WebexPerson;
  /** Settled rather than awaited: a failure only matters once the person is known to be a person. */
  roles: PromiseSettledResult<WebexRole[]>;
}

/**
 * Reads the person the new token belongs to and the org's roles in one round trip (both requests
 * in flight together); WebexUnavailableError when Webex fails transiently on the person.
 */
export async function readAuthorizer(
  deps: OnboardingDependencies,
  accessToken: string,
  retryUrl: string,
): Promise<AuthorizerAnswers> {
  const [person, roles] = await Promise.allSettled([
    deps.webex.getMe(accessToken),
    deps.webex.listRoles(accessToken),
  ]);
  if (person.status === 'rejected') {
    const error: unknown = person.reason;
    if (error instanceof WebexError && error.kind === 'transient') {
      throw new WebexUnavailableError(retryUrl, error.details.trackingId);
    }
    throw error;
  }
  return { person: person.value, roles };
}

/** Whether the person holds the Full Administrator role; non-admins may not list roles at all. */
function isFullAdmin(answers: AuthorizerAnswers, retryUrl: string): boolean {
  const { person, roles } = answers;
  if (roles.status === 'fulfilled') {
    const fullAdmin = roles.value.find(
      (role) => role.name.trim().toLowerCase() === FULL_ADMIN_ROLE_NAME.toLowerCase(),
    );
    return fullAdmin !== undefined && person.roles.includes(fullAdmin.id);
  }
  const error: unknown = roles.reason;
  if (!(error instanceof WebexError)) throw error;
  if (error.kind === 'transient') throw new WebexUnavailableError(retryUrl, error.details.trackingId);
  if (error.kind === 'forbidden' || error.kind === 'unauthorized') return false;
  throw error;
}

/**
 * Why the person may not authorize for the tenant: not a person, not a Full Administrator, or of
 * another org than the one the tenant is bound to (an unbound tenant is bound by the grant's save).
 */
export function refusalOf(input: {
  tenant: Tenant;
  answers: AuthorizerAnswers;
  retryUrl: string;
}): Refusal | undefined {
  const { tenant, answers, retryUrl } = input;
  const { person } = answers;
  const email = primaryEmail(person);
  if (person.type !== 'person') return new NotAPersonError(person.type, retryUrl);
  if (!isFullAdmin(answers, retryUrl)) return new NotFullAdminError(email, retryUrl);
  if (tenant.orgId !== undefined && tenant.orgId !== person.orgId)
    return new OrgMismatchError(email, retryUrl);
  return undefined;
}
