import { randomUUID } from 'node:crypto';
import type { Integration } from './catalog.js';
import { publishQuietly } from './event-publishing.js';
import { AUTHORIZATION_EVENT_VERSION, type AuthorizationEvent, type Tenant } from './model.js';
import { primaryEmail } from './onboarding-authorizer.js';
import type { OnboardingDependencies } from './onboarding.js';
import type { WebexPerson } from './ports.js';

/*
 * A tenant created without an org is bound by its first successful consent, whoever holds the
 * link: ops hear of it at once, with the command that undoes it, so a squatter is caught early.
 */

/**
 * Records and announces that the consent of `person` just bound `tenant` (which had no org):
 * an `org_bound` history item, and the event on the bus with a mail to ops only (never the
 * tenant's contacts: the binding may be a stranger's, and the undo is a vendor command). Neither a
 * history nor a publish failure undoes the authorization: both are logged.
 */
export async function announceOrgBinding(
  deps: Pick<OnboardingDependencies, 'history' | 'events' | 'clock' | 'log'>,
  input: { tenant: Tenant; integration: Integration; person: WebexPerson },
): Promise<void> {
  const { tenant, integration, person } = input;
  const email = primaryEmail(person);
  const event: AuthorizationEvent = {
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
  try {
    await deps.history.append(event);
  } catch (error) {
    deps.log.error('Recording the org binding in the history failed', {
      tenantId: tenant.tenantId,
      error: error instanceof Error ? error.name : 'unknown',
    });
  }
  await publishQuietly(deps, event);
  deps.log.info('Tenant bound to a Webex org by its first consent', {
    tenantId: tenant.tenantId,
    integration: integration.key,
    orgId: person.orgId,
  });
}
