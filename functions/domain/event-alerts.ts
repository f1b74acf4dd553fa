import { CONTROL_HUB_INTEGRATIONS_PATH, type AlertContent, type AlertSection } from './alert-content.js';
import { alertContent, trackingLine, type AlertInput } from './alerts.js';
import { mailSubject, mailValue } from './mail-text.js';

/*
 * The mails of the events whose producer sees more than the authorization record keeps: a refusal
 * at the callback, an org binding, a credential incident. The notifier writes them from the event
 * (and the tenant and catalog it reads), so the mail is the same wherever the event is handled.
 */

/** The CLI as ops run it (the package's binary). */
const CLI = 'npx webex-auth-keeper';

/** The integration's name and Integration ID as the mail shows them, whether or not the catalog still lists it. */
function integrationOf(input: AlertInput): { name: string; integrationId: string } {
  return {
    name: mailValue(input.integration?.name ?? input.event.integration),
    integrationId: mailValue(input.integration?.integrationId ?? 'unknown (no longer in the catalog)'),
  };
}

/** The reference lines: Webex's tracking ID when there is one, the event ID. */
function footerOf(input: AlertInput): string[] {
  return [...trackingLine(input.event), `Event ID: ${input.event.eventId}`];
}

/**
 * The mail of a `denied` event: Webex did not grant the integration (its RFC 6749 code), most
 * often because the org blocks it; how a Full Administrator allows it in Control Hub, by its
 * Integration ID; one Authorize again button.
 */
export function denialAlertContent(input: AlertInput): AlertContent {
  const { event, tenant } = input;
  const tenantName = mailValue(tenant.name);
  const { name, integrationId } = integrationOf(input);
  const refusal = mailValue(event.webexError ?? 'unknown_error');
  return {
    subject: mailSubject(`Webex authorization denied: ${name} (${tenantName})`),
    tenant: { name: tenantName, tenantId: mailValue(tenant.tenantId) },
    integrations: [{ name, integrationId }],
    controlHubPath: CONTROL_HUB_INTEGRATIONS_PATH,
    facts: [
      `Tenant: ${tenantName} (${mailValue(tenant.tenantId)})`,
      `Integration: ${name}`,
      `Integration ID: ${integrationId}`,
      `Control Hub: ${CONTROL_HUB_INTEGRATIONS_PATH}`,
      `Webex's answer: ${refusal}`,
      `When: ${event.occurredAt}`,
    ],
    sections: [
      {
        heading: 'What happened',
        lines: [
          `An administrator of ${tenantName} tried to authorize "${name}" and Webex did not grant it (${refusal}).`,
        ],
      },
      {
        heading: 'Why',
        lines: [
          'Most often the integration is blocked for the organization, or the administrator pressed Deny.',
        ],
      },
      {
        heading: 'What to do',
        lines: [
          'A Webex Full Administrator can allow it:',
          '1. Sign in to Webex Control Hub (https://admin.webex.com).',
          `2. Open ${CONTROL_HUB_INTEGRATIONS_PATH}.`,
          `3. Find the integration with ID ${integrationId}.`,
          '4. Authorize it for the organization, then authorize again from the onboarding link.',
        ],
      },
    ],
    action: { label: 'Authorize again', url: input.reauthorizeLink },
    footer: footerOf(input),
  };
}

/** Who consented, as the record of the same person names them; the event's email alone otherwise. */
function consentingPerson(input: AlertInput): string {
  const email = mailValue(input.event.authorizerEmail ?? 'unknown');
  const authorizer = input.authorization.authorizer;
  if (!authorizer || authorizer.email.toLowerCase() !== input.event.authorizerEmail?.toLowerCase())
    return email;
  return `${mailValue(authorizer.displayName)} <${email}> (person ID ${mailValue(authorizer.personId)})`;
}

/**
 * The ops mail of an `org_bound` event: which tenant the first consent bound to which Webex org,
 * by whom, and the commands that undo it (someone else may have held the onboarding link).
 */
export function orgBindingAlertContent(input: AlertInput): AlertContent {
  const { event, tenant } = input;
  const tenantName = mailValue(tenant.name);
  const tenantId = mailValue(tenant.tenantId);
  const { name, integrationId } = integrationOf(input);
  return {
    subject: mailSubject(`Webex org bound: ${tenantName} (${tenantId})`),
    audience: 'ops',
    tenant: { name: tenantName, tenantId },
    integrations: [{ name, integrationId }],
    facts: [
      `Tenant: ${tenantName} (${tenantId})`,
      `Integration: ${name}`,
      `Integration ID: ${integrationId}`,
      `When: ${event.occurredAt}`,
    ],
    sections: [
      {
        heading: 'What happened',
        lines: [
          `The first successful authorization of tenant ${tenantName} (${tenantId}) bound it to a Webex organization. From now on only Full Administrators of that organization can authorize its integrations.`,
          // An event published before events carried the org ID: the tenant item holds it now.
          `Webex org ID: ${event.orgId === undefined ? `not in the event (${CLI} tenants get ${tenantId})` : mailValue(event.orgId)}`,
          // The person answer carries only the org's id; reading the org's name needs a scope the
          // catalog's integrations do not ask for.
          'Webex org name: not known (Webex gives only the org ID with the person)',
          `Authorized by: ${consentingPerson(input)}`,
        ],
      },
      {
        heading: 'What to do',
        lines: [
          "If this is not the customer's organization (someone else held the onboarding link), bind the right one; this revokes the authorizations made meanwhile:",
          `${CLI} tenants update ${tenantId} --org <the customer's Webex org ID> --revoke-authorizations`,
          'or leave the tenant unbound until the customer authorizes:',
          `${CLI} tenants update ${tenantId} --no-org --revoke-authorizations`,
          'and revoke the onboarding links handed out so far, then send the customer a new one:',
          `${CLI} link ${tenantId} --revoke`,
        ],
      },
    ],
    footer: footerOf(input),
  };
}

/**
 * A credential incident's ops mail: the integration by name, key and Integration ID, and when, then
 * the given sections.
 */
function credentialMail(input: AlertInput, subject: string, sections: AlertSection[]): AlertContent {
  const { name, integrationId } = integrationOf(input);
  return {
    subject: mailSubject(subject),
    audience: 'ops',
    integrations: [{ name, integrationId }],
    facts: [
      `Integration: ${name} (${mailValue(input.event.integration)})`,
      `Integration ID: ${integrationId}`,
      `When: ${input.event.occurredAt}`,
    ],
    sections,
    footer: footerOf(input),
  };
}

/**
 * The ops mail of a `credential_incident`: Webex refuses our client credentials for an
 * integration; no customer is affected yet; where to put the current client secret.
 */
export function credentialIncidentAlertContent(
  input: AlertInput,
  clientSecretLocation: string,
): AlertContent {
  const { event } = input;
  const { name } = integrationOf(input);
  return credentialMail(input, `Ops incident: Webex refuses the client secret of ${name}`, [
    {
      heading: 'What happened',
      lines: [
        `Webex refused our client credentials (invalid_client, unauthorized_client or a 401 from the token endpoint) for the integration ${name}. The client secret we hold is wrong: mistyped, or regenerated in the Webex developer portal, which stops the old one at once.`,
      ],
    },
    {
      heading: 'Customers',
      lines: [
        'Customers are not affected yet and were not told: no authorization changed status. The checks of this integration are paused (with growing intervals) and no token can be renewed until the secret is right.',
      ],
    },
    {
      heading: 'What to do',
      lines: [
        `Put the integration's current client secret (developer portal > My Apps > ${name}) under the key "${mailValue(event.integration)}" in ${mailValue(clientSecretLocation)}. The functions read it again within minutes; the next checks then renew the tokens, every authorization stays active, and you get a "resolved" message.`,
      ],
    },
  ]);
}

/** The ops mail of a `credential_resolved`: the incident (opened when) is closed, the checks resume. */
export function credentialResolvedAlertContent(input: AlertInput): AlertContent {
  const { event } = input;
  const { name } = integrationOf(input);
  const incident =
    event.incidentOpenedAt === undefined
      ? 'the credential incident'
      : `the credential incident opened at ${event.incidentOpenedAt}`;
  return credentialMail(input, `Resolved: Webex accepts the client secret of ${name} again`, [
    {
      heading: 'What happened',
      lines: [
        `Webex accepted our client credentials for ${name} again: ${incident} is closed. The paused checks resume; no customer was told.`,
      ],
    },
  ]);
}

/**
 * The content of the mail about one event, written from the event and what the notifier reads
 * (tenant, record, catalog): the events above by their own writers, every other by `alertContent`.
 */
export function eventAlertContent(input: AlertInput, clientSecretLocation: string): AlertContent {
  switch (input.event.type) {
    case 'denied':
      return denialAlertContent(input);
    case 'org_bound':
      return orgBindingAlertContent(input);
    case 'credential_incident':
      return credentialIncidentAlertContent(input, clientSecretLocation);
    case 'credential_resolved':
      return credentialResolvedAlertContent(input);
    default:
      return alertContent(input);
  }
}
