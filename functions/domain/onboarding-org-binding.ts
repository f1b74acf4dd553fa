import { randomUUID } from 'node:crypto';
import type { Integration } from './catalog.js';
import { AUTHORIZATION_EVENT_VERSION, type AuthorizationEvent, type Tenant } from './model.js';
import { primaryEmail } from './onboarding-authorizer.js';
import { OrgMismatchError } from './onboarding-errors.js';
import { keepGrant } from './onboarding-grant.js';
import type { OnboardingDependencies } from './onboarding.js';
import { TenantOrgChangedError, type TenantOrgCondition, type WebexPerson } from './ports.js';

/*
 * A tenant created without an org is bound by its first successful consent, whoever holds the
 * link: ops hear of it at once, with the command that undoes it, so a squatter is caught early.
 * The binding is part of the grant's own transaction, as is the check that a bound tenant's org
 * is still the authorizer's, so no grant is stored for another org than the tenant's.
 */

/**
 * The `org_bound` event of `person`'s consent binding `tenant` (which has no org): kept in the
 * history by the grant's save, and published with a mail to ops only (never the tenant's
 * contacts: the binding may be a stranger's, and the undo is a vendor command).
 */
function orgBoundEvent(
  deps: Pick<OnboardingDependencies, 'clock'>,
  input: { tenant: Tenant; integration: Pick<Integration, 'key' | 'name'>; person: WebexPerson },
): AuthorizationEvent {
  const { tenant, integration, person } = input;
  const email = primaryEmail(person);
  return {
    version: AUTHORIZATION_EVENT_VERSION,
    eventId: randomUUID(),
    type: 'org_bound',
    severity: 'warning',
    tenantId: tenant.tenantId,
    integration: integration.key,
    occurredAt: deps.clock.now().toISOString(),
    summary: `${tenant.name} was bound to Webex org ${person.orgId} by ${email}, authorizing ${integration.name}.`,
    authorizerEmail: email,
    orgId: person.orgId,
  };
}

/**
 * Keeps a checked grant (keepGrant) while the tenant is bound to the authorizer's org: a tenant
 * read unbound is bound in the grant's transaction (of simultaneous first consents, exactly one
 * binds; the others find the org bound), a bound one is checked there. When the tenant changed
 * meanwhile it is read again: unbound or bound to the authorizer's org, the save is tried again;
 * gone or bound to another org, the grant is refused.
 */
export async function keepGrantInTenantOrg(
  deps: OnboardingDependencies,
  input: Omit<Parameters<typeof keepGrant>[1], 'tenantOrg'> & { person: WebexPerson },
): Promise<Awaited<ReturnType<typeof keepGrant>> | { refusal: OrgMismatchError }> {
  const { person, integration } = input;
  const conditionFor = (tenant: Tenant): TenantOrgCondition => ({
    tenantId: tenant.tenantId,
    orgId: person.orgId,
    ...(tenant.orgId === undefined ? { binding: orgBoundEvent(deps, { tenant, integration, person }) } : {}),
  });
  try {
    return await keepGrant(deps, {
      ...input,
      tenantOrg: {
        condition: conditionFor(input.tenant),
        reconsider: async () => {
          const current = await deps.tenants.get(input.tenant.tenantId);
          const ours = current !== undefined && (current.orgId ?? person.orgId) === person.orgId;
          return ours ? conditionFor(current) : undefined;
        },
      },
    });
  } catch (error) {
    if (!(error instanceof TenantOrgChangedError)) throw error;
    return { refusal: new OrgMismatchError(primaryEmail(person), input.retryUrl) };
  }
}
