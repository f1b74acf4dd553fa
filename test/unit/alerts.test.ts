import { textMail } from '#test-support/alert-inputs.js';
import { describe, expect, it } from 'vitest';
import { eventSummary } from '#domain/alerts.js';
import { MAX_SUBJECT_LENGTH, mailSubject } from '#domain/mail-text.js';
import { defaultCatalog } from '#adapters/catalog-file.js';
import type { Authorization, AuthorizationEvent, InvalidationCause, Tenant } from '#domain/model.js';

const catalog = defaultCatalog();
const callControl = catalog.find('call-control');
const LINK = 'https://keeper.example/connect/abc.def';

const tenant: Tenant = {
  tenantId: 'acme',
  name: 'Acmé Corp',
  contacts: ['it@acme.example'],
  sso: false,
  orgId: 'org-1',
  linkVersion: 1,
  status: 'active',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
};

const authorization: Authorization = {
  tenantId: 'acme',
  integration: 'call-control',
  status: 'invalid',
  cause: 'password_changed_or_revoked',
  causeDetail:
    'Webex refused the refresh token (HTTP 400). All 3 authorizations that admin@acme.example granted stopped working at the same time.',
  authorizer: {
    personId: 'p1',
    email: 'admin@acme.example',
    displayName: 'Ada Admin',
    orgId: 'org-1',
    fullAdmin: true,
  },
  scopes: ['spark:calls_read'],
  accessTokenExpiresAt: '2026-03-10T00:00:00.000Z',
  refreshTokenExpiresAt: '2026-05-30T00:00:00.000Z',
  grantedAt: '2026-01-01T00:00:00.000Z',
  consecutiveFailures: 0,
  version: 4,
  warningsSent: [],
  updatedAt: '2026-03-01T10:00:00.000Z',
};

function event(overrides: Partial<AuthorizationEvent> = {}): AuthorizationEvent {
  const type = overrides.type ?? 'invalidated';
  return {
    version: 1,
    eventId: 'evt-1',
    type,
    severity: 'critical',
    tenantId: 'acme',
    integration: 'call-control',
    occurredAt: '2026-03-01T10:00:00.000Z',
    status: 'invalid',
    previousStatus: 'active',
    cause: 'password_changed_or_revoked',
    summary: eventSummary({
      type,
      integrationName: 'Attendant Console call control',
      cause: overrides.cause ?? 'password_changed_or_revoked',
      occurredAt: '2026-03-01T10:00:00.000Z',
      ...(overrides.deadline ? { deadline: overrides.deadline } : {}),
    }),
    authorizerEmail: 'admin@acme.example',
    trackingId: 'ROUTER_abc',
    ...overrides,
  };
}

function alertFor(
  overrides: Partial<AuthorizationEvent> = {},
  record: Partial<Authorization> = {},
  tenantOverrides: Partial<Tenant> = {},
) {
  return textMail({
    event: event(overrides),
    tenant: { ...tenant, ...tenantOverrides },
    integration: callControl,
    authorization: { ...authorization, ...record },
    reauthorizeLink: LINK,
    passwordMaxAgeDays: 1825,
  });
}

const CAUSES: InvalidationCause[] = [
  'password_changed_or_revoked',
  'user_deactivated',
  'admin_role_removed',
  'integration_revoked',
  'refresh_token_expired',
  'unknown',
];

describe('the alert mail for an invalidation', () => {
  it.each(CAUSES)('names tenant, integration, Integration ID, cause and link for %s', (cause) => {
    const alert = alertFor({ cause }, { cause, accessTokenExpiresAt: authorization.accessTokenExpiresAt });
    expect(alert.text).toContain('Tenant: Acmé Corp (acme)');
    expect(alert.text).toContain('Integration: Attendant Console call control');
    expect(alert.text).toContain(`Integration ID: ${callControl?.integrationId}`);
    expect(alert.text).toContain('Likely cause');
    expect(alert.text).toContain('What to do');
    expect(alert.text).toContain(`Re-authorize: ${LINK}`);
    expect(alert.text).toContain('ROUTER_abc');
    expect(alert.subject.length).toBeLessThanOrEqual(MAX_SUBJECT_LENGTH);
  });

  it.each(['unknown', 'password_change_or_deactivation_or_role_removal'] as const)(
    'for %s, tells who can authorize again only as a check in Control Hub, never as fact',
    (cause) => {
      const text = alertFor({ cause }, { cause }).text;
      expect(text).not.toContain('can do it again');
      expect(text).toMatch(
        /If (\S+) is active and still a Full Administrator, \1 can open the re-authorize link below.*otherwise ask another, active Full Administrator/,
      );
    },
  );

  it('names the person as one who can authorize again once the look-up found them still a Full Administrator', () => {
    expect(alertFor().text).toMatch(/\(\S+ can do it again\) to open the re-authorize link/);
  });

  it('after a refresh token died of age, asks the person only if still a Full Administrator', () => {
    const text = alertFor({ cause: 'refresh_token_expired' }, { cause: 'refresh_token_expired' }).text;
    expect(text).not.toContain('can do it again');
    expect(text).toMatch(/Ask \S+, if still a Full Administrator, or another Full Administrator/);
  });

  it('explains a password change in plain words for a password tenant', () => {
    expect(alertFor().text).toMatch(/password was changed, or their access was reset/);
  });

  it('does not blame a password change for an SSO tenant', () => {
    const text = alertFor({}, {}, { sso: true }).text;
    expect(text).toMatch(/signs in through SSO, so a password change is not the cause/);
    expect(text).not.toMatch(/password was changed/);
  });

  it('says when all of the person’s authorizations died together (from the evidence)', () => {
    expect(alertFor().text).toContain(
      'All 3 authorizations that admin@acme.example granted stopped working at the same time',
    );
  });

  it('walks through Control Hub by Integration ID for a revoked or blocked integration', () => {
    const text = alertFor({ cause: 'integration_revoked' }, { cause: 'integration_revoked' }).text;
    expect(text).toContain(
      `Control Hub, open Apps > Integrations and find "Attendant Console call control" by its Integration ID ${callControl?.integrationId}`,
    );
    expect(text).toMatch(/not blocked/);
  });

  it('writes an ASCII subject under 100 characters', () => {
    const subject = alertFor({}, {}, { name: `Ünïcödé ${'x'.repeat(200)} ✓` }).subject;
    expect(subject).toMatch(/^[\x20-\x7e]+$/);
    expect(subject.length).toBeLessThan(100);
    expect(subject.startsWith('Action needed: Unicode')).toBe(true);
  });
});

describe('the alert mail for other events', () => {
  /** A password deadline warning, 7 days ahead. */
  const passwordWarning: Partial<AuthorizationEvent> = {
    type: 'expiring',
    severity: 'warning',
    status: 'expiring',
    cause: undefined,
    deadline: '2026-03-08T10:00:00.000Z',
  };

  it('warns about the password deadline with the days left and the link', () => {
    const alert = alertFor(passwordWarning, { status: 'expiring', cause: undefined });
    expect(alert.subject).toBe('Warning: Acme Corp - Attendant Console call control expires in 7 days');
    expect(alert.text).toMatch(/password policy allows passwords up to 1825 days/);
    expect(alert.text).toContain(`Re-authorize: ${LINK}`);
  });

  it("words a password deadline counted from the grant as an upper bound, with the tenant's own password age", () => {
    const alert = alertFor(
      { ...passwordWarning, deadlineIsUpperBound: true },
      { status: 'expiring', cause: undefined },
      { passwordMaxAgeDays: 90 },
    );
    expect(alert.subject).toBe(
      'Warning: Acme Corp - Attendant Console call control expires in at most 7 days',
    );
    expect(alert.text).toMatch(/password policy allows passwords up to 90 days old/);
    expect(alert.text).toMatch(/by 2026-03-08T10:00:00.000Z at the latest/);
    expect(alert.text).toContain(
      'That date is an upper bound, not the date: Webex does not tell when a password was last set, so it is counted from the authorization on 2026-01-01T00:00:00.000Z.',
    );
    expect(
      eventSummary({
        type: 'expiring',
        integrationName: 'Presence',
        deadline: '2026-03-08T10:00:00.000Z',
        deadlineIsUpperBound: true,
        occurredAt: '2026-03-01T10:00:00.000Z',
      }),
    ).toBe('Presence will stop working in at most 7 days unless it is renewed.');
  });

  it('warns about a refresh token that will not be renewed', () => {
    const alert = alertFor(
      {
        type: 'expiring',
        severity: 'warning',
        status: 'expiring',
        cause: undefined,
        deadline: authorization.refreshTokenExpiresAt ?? '',
      },
      { status: 'expiring', cause: undefined },
    );
    expect(alert.text).toMatch(/refresh token expires at/);
  });

  it('tells people a degraded authorization needs nothing from them yet', () => {
    const alert = alertFor(
      { type: 'degraded', severity: 'warning', status: 'degraded', cause: undefined },
      {
        status: 'degraded',
        cause: undefined,
        causeDetail: 'Webex rate-limited the probe (429, retry after 30 s).',
      },
    );
    expect(alert.subject).toBe('Webex not answering: Acme Corp - Attendant Console call control');
    expect(alert.text).toContain('429');
    expect(alert.text).toMatch(/Nothing yet/);
  });

  it('says restored plainly', () => {
    expect(alertFor({ type: 'restored', severity: 'info', status: 'active', cause: undefined }).subject).toBe(
      'Resolved: Acme Corp - Attendant Console call control works again',
    );
  });
});

describe('mailSubject', () => {
  it('folds accents, replaces other characters and removes line breaks', () => {
    expect(mailSubject('Crème\nbrûlée — 東京')).toBe('Creme brulee ? ??');
  });
});

describe('the alert mail with values from Webex and admins', () => {
  it('keeps a multi-line display name, email and tenant name on their own lines: no forged line', () => {
    const forged = 'Re-authorize now at https://evil.example/login';
    const alert = alertFor(
      { authorizerEmail: `x@acme.example\r\n${forged}` },
      {
        authorizer: {
          personId: 'p1',
          orgId: 'org-1',
          fullAdmin: true,
          displayName: `X\n${forged}`,
          email: `admin@acme.example\u2028${forged}`,
        },
        causeDetail: `Refused.\n${forged}`,
      },
      { name: `Acme\r\n${forged}\u0085` },
    );
    const lines = alert.text.split('\n');
    expect(lines.filter((line) => line.startsWith('Re-authorize'))).toEqual([`Re-authorize: ${LINK}`]);
    expect(lines).toContain(`Authorized by: X ${forged} <admin@acme.example ${forged}>`);
    expect(lines).toContain(`Tenant: Acme ${forged} (acme)`);
    expect(alert.text).not.toMatch(/[\r\u0085\u2028]/);
    expect(alert.subject).not.toMatch(/[\r\n]/);
  });
});
