import { alertText } from '#domain/alert-content.js';
import { alertContent, eventSummary, type AlertInput } from '#domain/alerts.js';
import { defaultCatalog } from '#adapters/catalog-file.js';
import type { Authorization, AuthorizationEvent, Tenant } from '#domain/model.js';
import { testTenant } from './fixtures.js';

/** The shipped catalog, whose names and Integration IDs the mails carry. */
export const alertCatalog = defaultCatalog();

/** The re-authorize link the inputs below carry. */
export const REAUTHORIZE_LINK = 'https://keeper.example/connect/abc.def';

/** When the events below happen. */
export const ALERT_AT = '2026-03-01T10:00:00.000Z';

/** A customer tenant with two contacts. */
export const alertTenant: Tenant = testTenant({
  contacts: ['it@acme.example', 'noc@acme.example'],
  orgId: 'org-1',
});

/**
 * The input of an alert about one of the tenant's authorizations, all granted by the same admin:
 * by default its invalidation, `likely` a password change.
 */
export function alertInputFor(
  integration: string,
  event: Partial<AuthorizationEvent> = {},
  record: Partial<Authorization> = {},
  tenant: Partial<Tenant> = {},
): AlertInput {
  const entry = alertCatalog.find(integration);
  const type = event.type ?? 'invalidated';
  const cause = event.cause ?? 'password_changed_or_revoked';
  return {
    event: {
      version: 1,
      eventId: `evt-${integration}`,
      type,
      severity: type === 'invalidated' ? 'critical' : 'info',
      tenantId: alertTenant.tenantId,
      integration,
      occurredAt: ALERT_AT,
      status: type === 'invalidated' ? 'invalid' : 'active',
      previousStatus: 'active',
      ...(type === 'invalidated' ? { cause, confidence: 'likely' as const } : {}),
      summary: eventSummary({
        type,
        integrationName: entry?.name ?? integration,
        cause,
        confidence: 'likely',
        occurredAt: ALERT_AT,
      }),
      authorizerEmail: 'admin@acme.example',
      ...event,
    },
    tenant: { ...alertTenant, ...tenant },
    integration: entry,
    authorization: {
      tenantId: alertTenant.tenantId,
      integration,
      status: type === 'invalidated' ? 'invalid' : 'active',
      ...(type === 'invalidated' ? { cause, confidence: 'likely' as const } : {}),
      authorizer: {
        personId: 'p1',
        email: 'admin@acme.example',
        displayName: 'Ada Admin',
        orgId: 'org-1',
        fullAdmin: true,
      },
      scopes: [],
      grantedAt: '2026-01-01T00:00:00.000Z',
      consecutiveFailures: 0,
      version: 3,
      warningsSent: [],
      updatedAt: ALERT_AT,
      ...record,
    },
    reauthorizeLink: REAUTHORIZE_LINK,
    passwordMaxAgeDays: 1825,
  };
}

/** The mail `alertContent` writes for an input, as its subject, text part and audience. */
export function textMail(input: AlertInput): { subject: string; text: string; audience?: 'ops' } {
  const content = alertContent(input);
  return {
    subject: content.subject,
    text: alertText(content),
    ...(content.audience ? { audience: content.audience } : {}),
  };
}
