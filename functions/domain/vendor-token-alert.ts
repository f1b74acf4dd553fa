import type { AlertContent } from './alert-content.js';
import { trackingLine, type AlertInput } from './alerts.js';
import { mailSubject, mailValue } from './mail-text.js';
import type { EventType } from './model.js';
import { describeInvalidationCause } from './wording.js';

/*
 * The vendor token (docs/service-apps.md) is the vendor's own authorization that fetches every
 * tenant's Service App tokens: when it stops working, ops must act at once, whoever its tenant's
 * contacts are. Its mail says what stops and how to restore it.
 */

/** The vendor token's transitions that put Service App tokens at risk: ops hear of each at once. */
export const VENDOR_TOKEN_OPS_EVENTS: readonly EventType[] = [
  'invalidated',
  'revoked',
  'degraded',
  'expiring',
  'check_failing',
];

/** How each of those events is named in the mail's subject. */
const HEADLINES: Partial<Record<EventType, string>> = {
  invalidated: 'is dead',
  revoked: 'was revoked',
  degraded: 'cannot be checked (Webex failing)',
  expiring: 'expires soon',
  check_failing: 'checks are failing on our side',
};

/** The ops mail of a vendor token event: what it puts at risk, the cause when there is one, and the fix. */
export function vendorTokenAlertContent(input: AlertInput): AlertContent {
  const { event, tenant } = input;
  const name = mailValue(input.integration?.name ?? event.integration);
  const tenantId = mailValue(tenant.tenantId);
  const cause =
    event.type === 'invalidated' && event.cause !== undefined
      ? [`Cause: ${describeInvalidationCause(event.cause, event.confidence)}`]
      : [];
  return {
    subject: mailSubject(`Ops incident: the vendor token ${HEADLINES[event.type] ?? `(${event.type})`}`),
    audience: 'ops',
    tenant: { name: mailValue(tenant.name), tenantId },
    integrations: [{ name, integrationId: mailValue(input.integration?.integrationId ?? 'unknown') }],
    facts: [
      `Vendor tenant: ${mailValue(tenant.name)} (${tenantId})`,
      `Integration: ${name} (${mailValue(event.integration)})`,
      `Status: ${mailValue(event.status ?? 'unknown')}`,
      `When: ${event.occurredAt}`,
    ],
    sections: [
      { heading: 'What happened', lines: [mailValue(event.summary), ...cause] },
      {
        heading: 'What it puts at risk',
        lines: [
          "This token (spark:applications_token) fetches every tenant's Service App tokens. While it does not work, no Service App can be confirmed from a portal, and a Service App authorization whose refresh token is gone cannot get a new pair: customers' Service Apps stop when their tokens run out.",
        ],
      },
      {
        heading: 'What to do',
        lines: [
          `A Full Administrator of the vendor's own Webex org re-authorizes the integration from the vendor tenant's onboarding link (below, or npx webex-auth-keeper link ${tenantId}).`,
        ],
      },
    ],
    action: { label: 'Re-authorize', url: input.reauthorizeLink },
    footer: [...trackingLine(event), `Event ID: ${event.eventId}`],
  };
}
