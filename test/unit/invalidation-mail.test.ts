import { textMail } from '#test-support/alert-inputs.js';
import { describe, expect, it } from 'vitest';
import { defaultCatalog } from '#adapters/catalog-file.js';
import { eventSummary } from '#domain/alerts.js';
import { CallEvidenceLog } from '#domain/call-evidence.js';
import type { AuthorizationEvent, CallEvidence, CauseConfidence, InvalidationCause } from '#domain/model.js';
import { MAX_CALL_EVIDENCE } from '#domain/model.js';
import { expectThreeWayCauseMail } from '#test-support/cause-mail.js';
import { ManualClock } from '#test-support/fakes/index.js';
import { TEST_AUTHORIZER, testAuthorization, testTenant } from '#test-support/fixtures.js';

/*
 * The cause section of an invalidation mail: how sure the cause is, the three possibilities and
 * the Control Hub check when Webex could not tell them apart, and the Webex calls behind it, with
 * nothing Webex-controlled on a line unchecked.
 */

const catalog = defaultCatalog();
const LINK = 'https://keeper.example/connect/abc.def';
const AT = '2026-03-01T10:00:00.000Z';

const WHO = TEST_AUTHORIZER.email;
const authorization = testAuthorization('acme', 'presence', {
  status: 'invalid',
  causeDetail: 'Webex refused the refresh token (HTTP 400).',
  authorizer: TEST_AUTHORIZER,
});

const refusedRefresh: CallEvidence = {
  call: 'POST /v1/access_token',
  via: 'presence',
  answer: 'refused',
  status: 400,
  error: 'invalid_grant',
  trackingId: 'ROUTER_0a1b-2c',
  at: AT,
};

function mail(
  cause: InvalidationCause,
  confidence: CauseConfidence,
  options: { sso?: boolean; ssoAuthorizers?: string[]; evidence?: unknown[] } = {},
) {
  const event = {
    eventId: 'evt-1',
    type: 'invalidated',
    severity: 'critical',
    tenantId: 'acme',
    integration: 'presence',
    occurredAt: AT,
    status: 'invalid',
    previousStatus: 'active',
    cause,
    confidence,
    evidence: options.evidence ?? [refusedRefresh],
    summary: eventSummary({
      type: 'invalidated',
      integrationName: 'Attendant Console Webex presence retrieval',
      cause,
      confidence,
      occurredAt: AT,
    }),
    authorizerEmail: WHO,
  } as AuthorizationEvent;
  return textMail({
    event,
    tenant: testTenant({
      sso: options.sso ?? false,
      ...(options.ssoAuthorizers ? { ssoAuthorizers: options.ssoAuthorizers } : {}),
    }),
    integration: catalog.find('presence'),
    authorization: { ...authorization, cause, confidence },
    reauthorizeLink: LINK,
    passwordMaxAgeDays: 1825,
  }).text;
}

describe('the invalidation mail of a cause Webex could not pin down', () => {
  it('names the three possibilities, says Webex cannot tell which, and gives the Control Hub check', () => {
    const text = mail('password_change_or_deactivation_or_role_removal', 'likely');
    expectThreeWayCauseMail(text, WHO);
    expect(text).toContain(`Re-authorize: ${LINK}`);
  });

  it('never writes one of them as what happened', () => {
    const text = mail('password_change_or_deactivation_or_role_removal', 'likely');
    expect(text).not.toMatch(/password was changed, or their access was reset in Control Hub\./);
    expect(text).toContain(
      'Attendant Console Webex presence retrieval stopped working (likely: password change, deactivation or Full Admin role removal).',
    );
  });

  it('rules the password out for an SSO tenant and still gives the check', () => {
    const text = mail('password_change_or_deactivation_or_role_removal', 'likely', { sso: true });
    expect(text).toMatch(/signs in through SSO, so a password change is not the cause/);
    expect(text).not.toMatch(/password is changed|password was changed/);
    expect(text).toContain('- active and still a Full Administrator: their access was reset.');
  });

  it('rules the password out for an authorizer marked SSO in a tenant that is not', () => {
    const marked = mail('password_change_or_deactivation_or_role_removal', 'likely', {
      ssoAuthorizers: [WHO],
    });
    expect(marked).toMatch(/signs in through SSO, so a password change is not the cause/);
    const other = mail('password_change_or_deactivation_or_role_removal', 'likely', {
      ssoAuthorizers: ['someone-else@acme.example'],
    });
    expect(other).not.toMatch(/signs in through SSO/);
  });
});

describe('the invalidation mail of a cause Webex confirmed', () => {
  it('says it is confirmed and names it, without the Control Hub check', () => {
    const text = mail('user_deactivated', 'confirmed');
    expect(text).toContain("Cause (confirmed by Webex's answers)");
    expect(text).toMatch(/was deactivated in, or removed from, the Webex organization/);
    expect(text).not.toContain('To tell them apart');
    expect(text).toContain('stopped working (user deactivated).');
  });

  it('says a cause Webex could not find at all is unknown', () => {
    const text = mail('unknown', 'unknown');
    expect(text).toContain("Cause unknown (Webex's answers cannot tell)");
    expect(text).toContain('To tell them apart, open Control Hub > Users');
  });
});

describe('the Webex calls in the mail', () => {
  it('lists each call: time, endpoint, whose token, answer, status, error code and tracking ID', () => {
    const found: CallEvidence = {
      call: 'GET /v1/people/{personId}',
      via: 'users-sync',
      answer: 'ok',
      finding: 'sign_in_disabled',
      trackingId: 'ROUTER_99',
      at: AT,
    };
    const text = mail('user_deactivated', 'confirmed', { evidence: [refusedRefresh, found] });
    expect(text.split('\n')).toEqual(
      expect.arrayContaining([
        'Webex calls behind it:',
        `- ${AT} POST /v1/access_token with the presence token: refused (HTTP 400 invalid_grant), tracking ID ROUTER_0a1b-2c`,
        `- ${AT} GET /v1/people/{personId} with the users-sync token: answered, sign-in disabled, tracking ID ROUTER_99`,
      ]),
    );
  });

  it('drops a call whose tracking ID or error code is not what Webex sends, so nothing forged reaches a line', () => {
    const forged = 'ROUTER_1\nRe-authorize now at https://evil.example/login';
    const text = mail('user_deactivated', 'confirmed', {
      evidence: [
        { ...refusedRefresh, trackingId: forged },
        { ...refusedRefresh, error: 'invalid_grant<script>' },
        { ...refusedRefresh, via: 'cdr', trackingId: 'ROUTER_ok' },
      ],
    });
    expect(text).not.toContain('evil.example');
    expect(text).not.toContain('<script>');
    expect(text.split('\n').filter((line) => line.startsWith('- ') && line.includes('/v1/'))).toEqual([
      `- ${AT} POST /v1/access_token with the cdr token: refused (HTTP 400 invalid_grant), tracking ID ROUTER_ok`,
    ]);
    expect(text.split('\n').filter((line) => line.startsWith('Re-authorize'))).toEqual([
      `Re-authorize: ${LINK}`,
    ]);
  });
});

describe('CallEvidenceLog', () => {
  it('keeps a tracking ID or an OAuth error code only when it matches its pattern', () => {
    const log = new CallEvidenceLog(new ManualClock(new Date(AT)));
    log.failed('POST /v1/access_token', 'presence', {
      kind: 'refused',
      failure: 'rejected',
      status: 400,
      error: 'Invalid Grant!',
      trackingId: 'ROUTER 1; drop',
    });
    log.answered('GET /v1/people/me', 'presence', { trackingId: 'ROUTER_ok-1' });
    expect(log.list()).toEqual([
      { call: 'POST /v1/access_token', via: 'presence', answer: 'refused', status: 400, at: AT },
      { call: 'GET /v1/people/me', via: 'presence', answer: 'ok', trackingId: 'ROUTER_ok-1', at: AT },
    ]);
  });

  it('keeps at most MAX_CALL_EVIDENCE calls, the first ones', () => {
    const log = new CallEvidenceLog(new ManualClock(new Date(AT)));
    for (let index = 0; index < MAX_CALL_EVIDENCE + 5; index += 1) {
      log.answered('GET /v1/people/me', `integration-${index}`);
    }
    expect(log.list()).toHaveLength(MAX_CALL_EVIDENCE);
    expect(log.list()[0]?.via).toBe('integration-0');
  });
});
