import { randomUUID } from 'node:crypto';
import type { Integration } from './catalog.js';
import { publishQuietly } from './event-publishing.js';
import { mailSubject, mailValue } from './mail-text.js';
import { AUTHORIZATION_EVENT_VERSION, type AuthorizationEvent, type Tenant } from './model.js';
import { primaryEmail } from './onboarding-authorizer.js';
import type { OnboardingDependencies } from './onboarding.js';
import type { AlertMessage, WebexPerson } from './ports.js';

/*
 * A tenant created without an org is bound by its first successful consent, whoever holds the
 * link: ops hear of it at once, with the command that undoes it, so a squatter is caught early.
 */

/** The CLI as ops run it (the package's binary). */
const CLI = 'npx webex-auth-keeper';

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
  await publishQuietly(deps, event, orgBindingAlert(event, input));
  deps.log.info('Tenant bound to a Webex org by its first consent', {
    tenantId: tenant.tenantId,
    integration: integration.key,
    orgId: person.orgId,
  });
}

/** The ops mail: who bound which tenant to which org, and the commands that undo it. */
export function orgBindingAlert(
  event: AuthorizationEvent,
  input: { tenant: Tenant; integration: Integration; person: WebexPerson },
): AlertMessage {
  const { tenant, integration, person } = input;
  const tenantName = mailValue(tenant.name);
  const tenantId = mailValue(tenant.tenantId);
  return {
    audience: 'ops',
    subject: mailSubject(`Webex org bound: ${tenantName} (${tenantId})`),
    text: [
      `The first successful authorization of tenant ${tenantName} (${tenantId}) bound it to a Webex organization. From now on only Full Administrators of that organization can authorize its integrations.`,
      '',
      `Tenant: ${tenantName} (${tenantId})`,
      `Webex org ID: ${mailValue(person.orgId)}`,
      // The person answer carries only the org's id; reading the org's name needs a scope the
      // catalog's integrations do not ask for.
      'Webex org name: not known (Webex gives only the org ID with the person)',
      `Authorized by: ${mailValue(person.displayName)} <${mailValue(primaryEmail(person))}> (person ID ${mailValue(person.id)})`,
      `Integration: ${mailValue(integration.name)}`,
      `When: ${event.occurredAt}`,
      '',
      "If this is not the customer's organization (someone else held the onboarding link), bind the right one; this revokes the authorizations made meanwhile:",
      `  ${CLI} tenants update ${tenantId} --org <the customer's Webex org ID> --revoke-authorizations`,
      'or leave the tenant unbound until the customer authorizes:',
      `  ${CLI} tenants update ${tenantId} --no-org --revoke-authorizations`,
      'and revoke the onboarding links handed out so far, then send the customer a new one:',
      `  ${CLI} link ${tenantId} --revoke`,
      '',
      `Event ID: ${event.eventId}`,
    ].join('\n'),
  };
}
