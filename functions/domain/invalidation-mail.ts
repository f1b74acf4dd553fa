import { CONTROL_HUB_SERVICE_APPS_PATH, type AlertSection } from './alert-content.js';
import type { Integration, ServiceApp } from './catalog.js';
import { ADMIN_ACTION_TITLES } from './cause-witness.js';
import {
  adminAuditEventSchema,
  callEvidenceSchema,
  type AuthorizationEvent,
  type CallEvidence,
  type CauseConfidence,
  type InvalidationCause,
} from './model.js';
import { mailValue } from './mail-text.js';

/*
 * The part of an invalidation mail that names the cause: how sure it is, what it means in plain
 * words, how to tell the possibilities apart in Control Hub when Webex could not, the Webex calls
 * behind it, and what to do. A cause Webex did not prove is never written as a fact.
 */

/** Each cause in a few words, for an event's summary. */
export const CAUSE_TITLES: Record<InvalidationCause, string> = {
  password_changed_or_revoked: 'password changed or access reset',
  user_deactivated: 'user deactivated',
  admin_role_removed: 'Full Admin role removed',
  integration_revoked: 'integration revoked in Control Hub',
  refresh_token_expired: 'refresh token expired',
  password_change_or_deactivation_or_role_removal: 'password change, deactivation or Full Admin role removal',
  service_app_deauthorized: 'Service App deauthorized in Control Hub',
  unknown: 'cause unknown',
};

/**
 * A cause in a few words with how sure it is: as it is when confirmed (or when an older event
 * carries no confidence), else `likely: ...` or `possibly: ...`.
 */
export function causeTitle(cause: InvalidationCause, confidence: CauseConfidence | undefined): string {
  if (cause === 'unknown' || confidence === undefined || confidence === 'confirmed')
    return CAUSE_TITLES[cause];
  return `${confidence === 'likely' ? 'likely' : 'possibly'}: ${CAUSE_TITLES[cause]}`;
}

const CONFIDENCE_HEADINGS: Record<CauseConfidence, string> = {
  confirmed: "Cause (confirmed by Webex's answers)",
  likely: "Likely cause (Webex's answers point to it but do not prove it)",
  unknown: "Cause unknown (Webex's answers cannot tell)",
};

/** The cause in plain words; an SSO tenant is never told about passwords. */
function causeInPlainWords(cause: InvalidationCause, sso: boolean, who: string): string {
  switch (cause) {
    case 'password_changed_or_revoked':
      return sso
        ? `${who} signs in through SSO, so a password change is not the cause: their access was most likely reset in Control Hub (Users > ${who} > Reset access), which ends all of their authorizations at once.`
        : `${who}'s Webex password was changed, or their access was reset in Control Hub. Webex ends all of a user's integration authorizations when either happens.`;
    case 'password_change_or_deactivation_or_role_removal':
      return sso
        ? `All of ${who}'s authorizations stopped working at once. ${who} signs in through SSO, so a password change is not the cause. Webex does this when a user is deactivated or removed from the organization, loses the Full Administrator role, or has their access reset in Control Hub. Webex's answers cannot tell which of these happened.`
        : `All of ${who}'s authorizations stopped working at once. Webex does this when a user's password is changed (or their access is reset in Control Hub), when the user is deactivated or removed from the organization, or when the user loses the Full Administrator role. Webex's answers cannot tell which of these happened.`;
    case 'user_deactivated':
      return `${who} was deactivated in, or removed from, the Webex organization. Webex ends the authorizations of a user who can no longer sign in.`;
    case 'admin_role_removed':
      return `${who} is no longer a Full Administrator of the Webex organization. These integrations need a Full Administrator's authorization.`;
    case 'integration_revoked':
      return `The integration's access was revoked in Control Hub, or the integration was blocked there, while ${who}'s other authorizations still work.`;
    case 'refresh_token_expired':
      return `The refresh token reached its expiry without being renewed, so Webex no longer issues access tokens for this authorization.`;
    case 'service_app_deauthorized':
      return `The Service App is no longer authorized for the Webex organization: its tokens were refused, and Webex's Service App token endpoint refused to issue new ones (403), as it does once the app is deauthorized in Control Hub (${CONTROL_HUB_SERVICE_APPS_PATH}). A Service App's tokens belong to no person: no password change, deactivation or role change ends them.`;
    case 'unknown':
      return sso
        ? `Webex refused the tokens without saying why. The usual causes are a reset of ${who}'s access, a deactivation, the loss of the Full Administrator role, or a revocation in Control Hub.`
        : `Webex refused the tokens without saying why. The usual causes are a change of ${who}'s password, a reset of their access, a deactivation, the loss of the Full Administrator role, or a revocation in Control Hub.`;
  }
}

/** Where Control Hub tells apart what Webex's answers could not: the user's status and roles. */
function controlHubCheck(sso: boolean, who: string): string[] {
  return [
    `To tell them apart, open Control Hub > Users and find ${who}:`,
    '- status Inactive, or not listed: the user was deactivated or removed;',
    '- active, but Roles no longer show Full Administrator: the Full Administrator role was removed;',
    sso
      ? '- active and still a Full Administrator: their access was reset.'
      : '- active and still a Full Administrator: the password was changed or their access was reset.',
  ];
}

/** Causes whose mail carries the Control Hub check: Webex could not say what happened to the user. */
const CHECK_IN_CONTROL_HUB: readonly InvalidationCause[] = [
  'password_change_or_deactivation_or_role_removal',
  'unknown',
];

function controlHubSteps(integration: Integration | undefined, name: string): string[] {
  const id = integration?.integrationId ?? '(see the catalog)';
  return [
    `1. In Control Hub, open Apps > Integrations and find "${name}" by its Integration ID ${id}.`,
    '2. Make sure it is allowed for your organization (not blocked), and allow it if needed.',
    '3. Open the re-authorize link below as a Full Administrator and authorize it again.',
  ];
}

/** How a Full Administrator authorizes a Service App again, and tells us. */
function serviceAppSteps(serviceApp: ServiceApp | undefined, name: string): string[] {
  const id = serviceApp ? ` by its Service App ID ${serviceApp.applicationId}` : '';
  return [
    `1. As a Full Administrator, open Control Hub > ${CONTROL_HUB_SERVICE_APPS_PATH} and find "${name}"${id}.`,
    '2. Authorize it for your organization again.',
    '3. Open the link below and press "I have authorized it" on its card: its tokens are fetched again, no other step is needed.',
  ];
}

function whatToDo(
  cause: InvalidationCause,
  entry: { integration: Integration | undefined; serviceApp: ServiceApp | undefined },
  name: string,
  who: string,
): string[] {
  switch (cause) {
    case 'integration_revoked':
      return controlHubSteps(entry.integration, name);
    case 'service_app_deauthorized':
      return serviceAppSteps(entry.serviceApp, name);
    case 'admin_role_removed':
      return [
        `Give ${who} the Full Administrator role back, or ask another Full Administrator to open the re-authorize link below and authorize "${name}" again.`,
      ];
    case 'user_deactivated':
      return [
        `Ask another, active Full Administrator of the Webex organization to open the re-authorize link below and authorize "${name}" again.`,
      ];
    // Webex could not say what happened to the person: whether they can authorize again is theirs
    // to check in Control Hub, never told as fact.
    case 'password_change_or_deactivation_or_role_removal':
    case 'unknown':
      return [
        `Check ${who} in Control Hub as above. If ${who} is active and still a Full Administrator, ${who} can open the re-authorize link below and authorize "${name}" again; otherwise ask another, active Full Administrator to do it.`,
      ];
    // The look-up found the person active and still a Full Administrator.
    case 'password_changed_or_revoked':
      return [
        `Ask a Full Administrator of the Webex organization (${who} can do it again) to open the re-authorize link below and authorize "${name}" again.`,
      ];
    // The token died of age: nothing was learned about the person.
    case 'refresh_token_expired':
      return [
        `Ask ${who}, if still a Full Administrator, or another Full Administrator of the Webex organization to open the re-authorize link below and authorize "${name}" again.`,
      ];
  }
}

const ANSWER_WORDS: Record<CallEvidence['answer'], string> = {
  ok: 'answered',
  refused: 'refused',
  client_refused: 'refused our client credentials',
  transient: 'failed for now',
};

const FINDING_WORDS: Record<NonNullable<CallEvidence['finding']>, string> = {
  sign_in_enabled: 'sign-in enabled',
  sign_in_disabled: 'sign-in disabled',
  full_admin: 'holds the Full Administrator role',
  not_full_admin: 'no Full Administrator role',
  person_not_found: 'no such user in the organization',
  admin_action_found: 'an admin action on the user',
  no_admin_action: 'no admin action on the user',
};

/** One Webex call as a mail line: our words, and only the values that match their schema. */
function evidenceLine(call: CallEvidence): string {
  const parts = [
    `${ANSWER_WORDS[call.answer]}${call.status !== undefined ? ` (HTTP ${call.status}${call.error ? ` ${call.error}` : ''})` : ''}`,
    ...(call.finding ? [FINDING_WORDS[call.finding]] : []),
    ...(call.trackingId ? [`tracking ID ${call.trackingId}`] : []),
  ];
  return mailValue(`- ${call.at} ${call.call} with the ${call.via} token: ${parts.join(', ')}`);
}

/**
 * The Webex calls behind a cause, one line each. Each call is parsed again with its schema and
 * dropped when it does not match, so nothing Webex-controlled reaches the mail unchecked.
 */
function evidenceLines(evidence: readonly unknown[]): string[] {
  const lines = evidence.flatMap((item) => {
    const call = callEvidenceSchema.safeParse(item);
    return call.success ? [evidenceLine(call.data)] : [];
  });
  return lines.length > 0 ? ['Webex calls behind it:', ...lines] : [];
}

/**
 * The admin audit event that confirms the cause, with its time and actor; parsed again with its
 * schema (dropped when it does not match) and written as a mail value.
 */
function auditLines(event: unknown): string[] {
  if (event === undefined) return [];
  const audited = adminAuditEventSchema.safeParse(event);
  if (!audited.success) return [];
  const { action, at, actorEmail, actorName, actorId } = audited.data;
  const actor =
    actorName !== undefined && actorEmail !== undefined
      ? `${mailValue(actorName)} <${mailValue(actorEmail)}>`
      : mailValue(actorEmail ?? actorName ?? `Webex id ${actorId}`);
  return [
    "Webex's admin audit log:",
    `- action: ${ADMIN_ACTION_TITLES[action]}`,
    `- at: ${at}`,
    `- by: ${actor}`,
  ];
}

/** What the cause section of an invalidation mail is written from; every string already mail-clean. */
export interface InvalidationMailInput {
  /** The cause, its confidence and its evidence: one event's, or the weakest of an incident's. */
  event: Pick<AuthorizationEvent, 'cause' | 'confidence' | 'evidence' | 'adminAuditEvent'>;
  sso: boolean;
  integration: Integration | undefined;
  /** The Service App whose authorization died, when it is one. */
  serviceApp?: ServiceApp;
  /** The integration's name, the authorizer (`who`) and the cause's sentence of evidence. */
  name: string;
  who: string;
  causeDetail: string | undefined;
}

/**
 * The cause sections of an invalidation mail: the heading says how sure the cause is (an event
 * from before confidences existed reads as likely), then the cause in plain words, the Control
 * Hub check where Webex could not tell, the evidence and its Webex calls; then what to do. The
 * re-authorize link follows them as the mail's action.
 */
export function invalidationSections(input: InvalidationMailInput): AlertSection[] {
  const { event, sso, who, name } = input;
  const cause = event.cause ?? 'unknown';
  return [
    {
      heading: CONFIDENCE_HEADINGS[event.confidence ?? 'likely'],
      lines: [
        causeInPlainWords(cause, sso, who),
        ...(CHECK_IN_CONTROL_HUB.includes(cause) ? controlHubCheck(sso, who) : []),
        ...(input.causeDetail ? [`Evidence: ${input.causeDetail}`] : []),
        ...auditLines(event.adminAuditEvent),
        ...evidenceLines(event.evidence ?? []),
      ],
    },
    {
      heading: 'What to do',
      lines: whatToDo(cause, { integration: input.integration, serviceApp: input.serviceApp }, name, who),
    },
  ];
}
