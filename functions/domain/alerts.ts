import type { Integration, ServiceApp } from './catalog.js';
import {
  CONTROL_HUB_INTEGRATIONS_PATH,
  CONTROL_HUB_SERVICE_APPS_PATH,
  type AlertAction,
  type AlertContent,
  type AlertSection,
} from './alert-content.js';
import { causeTitle, invalidationSections } from './invalidation-mail.js';
import type {
  AdminAuditEvent,
  Authorization,
  AuthorizationEvent,
  CauseConfidence,
  EventType,
  InvalidationCause,
  Tenant,
} from './model.js';
import { mailSentence, mailSubject, mailValue } from './mail-text.js';
import { passwordMaxAgeDaysOf, signsInWithSso } from './password-policy.js';
import { CHECK_FAILING_AFTER_ERRORS } from './status-machine.js';
import { plural } from './wording.js';

/** The display name of an integration, falling back to its key when the catalog no longer has it. */
function nameOf(entry: { name: string } | undefined, key: string): string {
  return entry?.name ?? key;
}

/** Whether an `expiring` event warns about the refresh token (its deadline is the token's expiry) or the password. */
export function warningKindOf(
  event: AuthorizationEvent,
  authorization: Pick<Authorization, 'refreshTokenExpiresAt'>,
): 'refresh_token' | 'password' {
  const refresh = authorization.refreshTokenExpiresAt;
  return event.deadline !== undefined &&
    refresh !== undefined &&
    Date.parse(event.deadline) === Date.parse(refresh)
    ? 'refresh_token'
    : 'password';
}

function daysUntil(deadline: string, from: string): number {
  return Math.max(0, Math.ceil((Date.parse(deadline) - Date.parse(from)) / 86_400_000));
}

/**
 * One line for people (the event's `summary`): what happened to which integration. Never holds
 * a token: it is built from names, statuses and causes only.
 */
export function eventSummary(input: {
  type: EventType;
  integrationName: string;
  cause?: InvalidationCause;
  confidence?: CauseConfidence;
  deadline?: string;
  /** The deadline is the latest it can be (a password deadline counted from the grant). */
  deadlineIsUpperBound?: boolean;
  /** For `invalidated`: the admin audit event that confirms the cause, named with its actor and time. */
  adminAuditEvent?: AdminAuditEvent;
  occurredAt: string;
}): string {
  const name = input.integrationName;
  switch (input.type) {
    case 'invalidated': {
      const audited = input.adminAuditEvent;
      const by = audited
        ? `; by ${audited.actorEmail ?? audited.actorName ?? audited.actorId} at ${audited.at}, per the admin audit log`
        : '';
      return `${name} stopped working (${causeTitle(input.cause ?? 'unknown', input.confidence)}${by}).`;
    }
    case 'expiring':
      return input.deadline !== undefined
        ? `${name} will stop working in ${input.deadlineIsUpperBound ? 'at most ' : ''}${plural(daysUntil(input.deadline, input.occurredAt), 'day')} unless it is renewed.`
        : `${name} will stop working soon unless it is renewed.`;
    case 'degraded':
      return `Webex has not answered the checks of ${name} normally several times in a row.`;
    case 'restored':
      return `${name} is working normally again.`;
    case 'refreshed':
      return `${name}'s access token was renewed.`;
    case 'granted':
      return `${name} was authorized.`;
    case 'denied':
      return `The authorization of ${name} was refused.`;
    case 'revoked':
      return `${name} was revoked (tenant offboarded).`;
    case 'org_bound':
      return `Authorizing ${name} bound the tenant to its Webex organization.`;
    case 'credential_incident':
      return `Webex refuses our client credentials for ${name}; its checks are paused.`;
    case 'credential_resolved':
      return `Webex accepts our client credentials for ${name} again.`;
    case 'recheck_failed':
      return `A recheck of ${name} did not restore it.`;
    case 'check_failing':
      return `The checks of ${name} keep failing on our side; it is no longer checked until rechecked.`;
  }
}

function subjectOf(event: AuthorizationEvent, tenantName: string, name: string): string {
  const where = `${tenantName} - ${name}`;
  switch (event.type) {
    case 'invalidated':
      return `Action needed: ${where} stopped working`;
    case 'expiring':
      return event.deadline !== undefined
        ? `Warning: ${where} expires in ${event.deadlineIsUpperBound ? 'at most ' : ''}${plural(daysUntil(event.deadline, event.occurredAt), 'day')}`
        : `Warning: ${where} expires soon`;
    case 'degraded':
      return `Webex not answering: ${where}`;
    case 'restored':
      return `Resolved: ${where} works again`;
    case 'refreshed':
      return `${where} renewed`;
    case 'granted':
      return `Authorized: ${where}`;
    case 'denied':
      return `Refused: ${where}`;
    case 'revoked':
      return `Revoked: ${where}`;
    case 'org_bound':
      return `Webex org bound: ${where}`;
    case 'credential_incident':
      return `Ops incident: Webex refuses the client secret of ${name}`;
    case 'credential_resolved':
      return `Resolved: Webex accepts the client secret of ${name} again`;
    case 'recheck_failed':
      return `Recheck: ${where} stays ${event.status ?? 'as it was'}`;
    case 'check_failing':
      return `Ops: the checks of ${where} keep failing`;
  }
}

/**
 * Why a password deadline is warned: the tenant's password age, and, when the deadline is an upper
 * bound, that it is counted from the grant because Webex does not say when the password was set.
 */
function passwordDeadlineWhy(input: AlertInput, who: string, deadline: string): string[] {
  const maxAgeDays = passwordMaxAgeDaysOf(input.tenant, input.passwordMaxAgeDays);
  const policy = `Your organization's password policy allows passwords up to ${maxAgeDays} days old.`;
  const grantedAt = input.authorization.grantedAt;
  if (!input.event.deadlineIsUpperBound) {
    return [
      `${policy} ${who}'s password reaches that age around ${deadline}. When it changes, Webex ends this authorization.`,
    ];
  }
  return [
    `${policy} ${who}'s password reaches that age by ${deadline} at the latest. When it changes, Webex ends this authorization.`,
    `That date is an upper bound, not the date: Webex does not tell when a password was last set, so it is counted from the authorization${grantedAt === undefined ? '' : ` on ${grantedAt}`}. If the password was set before that, the deadline comes sooner.`,
  ];
}

/** Everything an alert is written from: no token is ever among it. */
export interface AlertInput {
  event: AuthorizationEvent;
  tenant: Tenant;
  /** The catalog entry; absent when the catalog no longer lists the key. */
  integration: Integration | undefined;
  /** The catalog's Service App when the key names one (then `integration` is absent). */
  serviceApp?: ServiceApp;
  /** The record as saved with the event (cause, evidence, authorizer, expiries). */
  authorization: Authorization;
  /** A fresh onboarding link of the tenant. */
  reauthorizeLink: string;
  /** The deployment's PASSWORD_MAX_AGE_DAYS, for a tenant without a password age of its own. */
  passwordMaxAgeDays: number;
}

/** Where Control Hub lists the entry: a Service App under Service Apps, else Integrations. */
function controlHubPathOf(input: Pick<AlertInput, 'serviceApp'>): string {
  return input.serviceApp ? CONTROL_HUB_SERVICE_APPS_PATH : CONTROL_HUB_INTEGRATIONS_PATH;
}

/** The facts at the head of a mail about one authorization: tenant, integration, status, who, when. */
function singleFacts(input: AlertInput, tenantName: string, name: string, integrationId: string): string[] {
  const { event, tenant, authorization } = input;
  const authorizer = authorization.authorizer;
  return [
    `Tenant: ${tenantName} (${mailValue(tenant.tenantId)})`,
    `Integration: ${name}`,
    `${input.serviceApp ? 'Service App ID' : 'Integration ID'}: ${integrationId}`,
    `Control Hub: ${controlHubPathOf(input)}`,
    `Status: ${event.status ?? authorization.status}${event.previousStatus ? ` (was ${event.previousStatus})` : ''}`,
    ...(authorizer
      ? [`Authorized by: ${mailValue(authorizer.displayName)} <${mailValue(authorizer.email)}>`]
      : []),
    `When: ${event.occurredAt}`,
  ];
}

/** The sections an `expiring` event adds after "What happened": why, and what to do before the deadline. */
function expiringSections(input: AlertInput, name: string, who: string): AlertSection[] {
  const { event, authorization } = input;
  const deadline = event.deadline ?? authorization.refreshTokenExpiresAt ?? 'soon';
  if (warningKindOf(event, authorization) === 'refresh_token') {
    return [
      {
        heading: 'Why',
        lines: [
          `The refresh token expires at ${deadline} and Webex did not extend it when it was used, so it will expire before a later refresh can renew it.`,
        ],
      },
      {
        heading: 'What to do',
        lines: [
          `Before ${deadline}, ask a Full Administrator to open the re-authorize link below and authorize "${name}" again.`,
        ],
      },
    ];
  }
  return [
    { heading: 'Why', lines: passwordDeadlineWhy(input, who, deadline) },
    {
      heading: 'What to do',
      lines: [
        `Right after ${who} changes the password, open the re-authorize link below and authorize "${name}" again. To avoid any outage, a Full Administrator who signs in through SSO can authorize it now instead.`,
        `If ${who} signs in through SSO, the password age does not apply: tell the vendor's ops, and these warnings stop.`,
      ],
    },
  ];
}

/** The sections an event adds after "What happened", by its type. */
function eventSections(input: AlertInput, name: string, who: string): AlertSection[] {
  const { event, tenant, integration, authorization } = input;
  const causeDetail =
    authorization.causeDetail === undefined ? undefined : mailSentence(authorization.causeDetail);
  switch (event.type) {
    case 'invalidated':
      return invalidationSections({
        event,
        sso: signsInWithSso(tenant, authorization.authorizer),
        integration,
        ...(input.serviceApp ? { serviceApp: input.serviceApp } : {}),
        name,
        who,
        causeDetail,
      });
    case 'expiring':
      return expiringSections(input, name, who);
    case 'degraded':
      return [
        {
          heading: 'Why',
          lines: [
            causeDetail ?? 'Webex answered with errors or rate limits.',
            'This is a problem on the Webex side or the network: the authorization itself is most likely fine.',
          ],
        },
        {
          heading: 'What to do',
          lines: [
            'Nothing yet. The checks continue and you will get a "works again" message when Webex answers normally.',
          ],
        },
      ];
    case 'restored':
      return [{ heading: 'What to do', lines: ['Nothing: no action is needed.'] }];
    case 'check_failing':
      return [
        {
          heading: 'Why',
          lines: [
            `Its last ${CHECK_FAILING_AFTER_ERRORS} checks in a row threw an error in our own code or data, not a Webex answer. It has left the sweep: the validator neither checks nor refreshes it until it is rechecked. Its state at Webex is unknown and untouched, and the customer was not told.`,
          ],
        },
        {
          heading: 'What to do',
          lines: [
            `Find error ID ${mailValue(event.errorId ?? 'unknown')} in the validator's logs (the line with that errorId holds the error), fix the cause, then recheck the authorization.`,
          ],
        },
      ];
    default:
      return [];
  }
}

/** The mail's one action: re-authorize after a death or before a deadline, authorize again after a refusal. */
function actionOf(event: AuthorizationEvent, link: string): AlertAction | undefined {
  if (event.type === 'invalidated' || event.type === 'expiring') return { label: 'Re-authorize', url: link };
  if (event.type === 'denied') return { label: 'Authorize again', url: link };
  return undefined;
}

/** Webex's tracking ID (for Cisco support) when the event has one. */
export function trackingLine(event: Pick<AuthorizationEvent, 'trackingId'>): string[] {
  return event.trackingId ? [`Webex tracking ID (for Cisco support): ${mailValue(event.trackingId)}`] : [];
}

/**
 * Writes the content of the email for an event: tenant, integration (name and Integration ID),
 * where Control Hub lists it, what happened, the cause with how sure it is, in plain words with its
 * evidence (invalidation-mail.ts), what to do, and the re-authorize action. Every value from
 * Webex, an admin or the catalog enters through `mailValue`, so none adds a line.
 */
export function alertContent(input: AlertInput): AlertContent {
  const { event, tenant, integration, authorization } = input;
  const tenantName = mailValue(tenant.name);
  const name = mailValue(nameOf(integration ?? input.serviceApp, event.integration));
  const integrationId = mailValue(
    input.serviceApp?.applicationId ?? integration?.integrationId ?? 'unknown (no longer in the catalog)',
  );
  const who = mailValue(authorization.authorizer?.email ?? event.authorizerEmail ?? 'the authorizing user');
  const action = actionOf(event, input.reauthorizeLink);
  return {
    subject: mailSubject(subjectOf(event, tenantName, name)),
    // Our own fault, for ops to fix: the customer's contacts are not told.
    ...(event.type === 'check_failing' ? { audience: 'ops' as const } : {}),
    tenant: { name: tenantName, tenantId: mailValue(tenant.tenantId) },
    integrations: [{ name, integrationId }],
    controlHubPath: controlHubPathOf(input),
    facts: singleFacts(input, tenantName, name, integrationId),
    sections: [
      { heading: 'What happened', lines: [mailSentence(event.summary)] },
      ...eventSections(input, name, who),
    ],
    ...(action ? { action } : {}),
    footer: [...trackingLine(event), `Event ID: ${event.eventId}`],
  };
}
