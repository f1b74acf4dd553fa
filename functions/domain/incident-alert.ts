import { alertContent, trackingLine, type AlertInput } from './alerts.js';
import type { AlertContent } from './alert-content.js';
import { invalidationSections } from './invalidation-mail.js';
import { mailSentence, mailSubject, mailValue } from './mail-text.js';
import type { CauseConfidence } from './model.js';
import { signsInWithSso } from './password-policy.js';

/*
 * One mail for an incident: the authorizations of one tenant that one person had granted and that
 * died together, for the same cause, in one sweep (alert-policy.ts collects them). The cause is
 * written once, for all of them, never surer than the least sure of them.
 */

/** From the least sure: an incident's cause is written with the weakest confidence among its authorizations. */
const CONFIDENCE_STRENGTH: readonly (CauseConfidence | undefined)[] = [
  'unknown',
  undefined,
  'likely',
  'confirmed',
];

function weakestConfidence(inputs: readonly AlertInput[]): CauseConfidence | undefined {
  return inputs
    .map((input) => input.event.confidence)
    .reduce((weakest, next) =>
      CONFIDENCE_STRENGTH.indexOf(next) < CONFIDENCE_STRENGTH.indexOf(weakest) ? next : weakest,
    );
}

/** "A", "A and B", "A, B and C". */
function listOf(names: readonly string[]): string {
  return names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

/**
 * The content of an incident's mail: one authorization's is its own alert (alerts.ts); several
 * are named each with its Integration ID and summary, then one cause section (the weakest
 * confidence, every call of evidence, each distinct evidence sentence), one list of what to do and
 * one Re-authorize action, since one visit of the onboarding link re-authorizes them all.
 * All inputs are `invalidated` events of the same tenant, cause and authorizer.
 */
export function incidentAlertContent(inputs: readonly AlertInput[]): AlertContent {
  const [first, ...others] = inputs;
  if (first === undefined) throw new RangeError('An incident has at least one authorization');
  if (others.length === 0) return alertContent(first);
  const lead = alertContent(first);
  const singles = [lead, ...others.map(alertContent)];
  const { tenant, authorization } = first;
  const tenantName = mailValue(tenant.name);
  const names = singles.map((single) => single.integrations[0]?.name ?? '');
  const who = mailValue(
    authorization.authorizer?.email ?? first.event.authorizerEmail ?? 'the authorizing user',
  );
  const details = [
    ...new Set(
      inputs.flatMap((input) =>
        input.authorization.causeDetail === undefined ? [] : [mailSentence(input.authorization.causeDetail)],
      ),
    ),
  ];
  const confidence = weakestConfidence(inputs);
  const sections = invalidationSections({
    event: {
      cause: first.event.cause ?? 'unknown',
      ...(confidence ? { confidence } : {}),
      // Each check called Webex for its siblings too: one timeline reads better than one list per check.
      evidence: inputs
        .flatMap((input) => input.event.evidence ?? [])
        .sort((a, b) => Date.parse(a.at) - Date.parse(b.at)),
      ...adminAuditEventOf(inputs),
    },
    sso: signsInWithSso(tenant, authorization.authorizer),
    integration: undefined,
    name: listOf(names),
    who,
    causeDetail: details.length > 0 ? details.join(' ') : undefined,
  });
  const authorizer = authorization.authorizer;
  return {
    subject: mailSubject(`Action needed: ${tenantName} - ${inputs.length} integrations stopped working`),
    tenant: { name: tenantName, tenantId: mailValue(tenant.tenantId) },
    integrations: singles.flatMap((single) => single.integrations),
    controlHubPath: lead.controlHubPath,
    facts: [
      `Tenant: ${tenantName} (${mailValue(tenant.tenantId)})`,
      ...singles.flatMap((single) =>
        single.integrations.map(
          (entry) => `Integration: ${entry.name} (Integration ID ${entry.integrationId})`,
        ),
      ),
      `Control Hub: ${lead.controlHubPath}`,
      `Status: invalid`,
      ...(authorizer
        ? [`Authorized by: ${mailValue(authorizer.displayName)} <${mailValue(authorizer.email)}>`]
        : []),
      `When: ${first.event.occurredAt}`,
    ],
    sections: [
      {
        heading: 'What happened',
        lines: [
          `${inputs.length} authorizations that ${who} granted stopped working together:`,
          ...inputs.map((input) => `- ${mailSentence(input.event.summary)}`),
        ],
      },
      ...sections,
    ],
    ...(lead.action ? { action: lead.action } : {}),
    footer: [
      ...inputs.flatMap((input, index) =>
        trackingLine(input.event).map((line) => line.replace(/^Webex tracking ID/, `$& of ${names[index]}`)),
      ),
      `Event IDs: ${inputs.map((input) => input.event.eventId).join(', ')}`,
    ],
  };
}

/** The admin audit event of an incident's deaths: all of one authorizer, so the first one found. */
function adminAuditEventOf(inputs: readonly AlertInput[]): Pick<AlertInput['event'], 'adminAuditEvent'> {
  const adminAuditEvent = inputs.find((input) => input.event.adminAuditEvent)?.event.adminAuditEvent;
  return adminAuditEvent ? { adminAuditEvent } : {};
}
