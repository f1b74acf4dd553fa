import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { LinkExpiredError, LinkRevokedError, LinkTamperedError } from '#domain/onboarding-link.js';
import {
  CodeRefusedError,
  MissingCodeError,
  NotAPersonError,
  NotFullAdminError,
  OrgMismatchError,
  ServiceAppNotAuthorizedError,
  ServiceAppUnavailableError,
  StateExpiredError,
  StateUnknownError,
  TenantOrgUnknownError,
  UnknownIntegrationError,
  WebexUnavailableError,
} from '#domain/onboarding-errors.js';
import type { PortalPageModel } from '#domain/onboarding-views.js';
import { passwordExpiryWarning, PRESENCE_SHARING_WARNING } from '#domain/wording.js';
import { renderOnboardingFailure } from '#http/pages/failure-page.js';
import { escapeHtml, html } from '#http/pages/html.js';
import { CONTENT_SECURITY_POLICY } from '#http/pages/layout.js';
import { renderPortalPage } from '#http/pages/portal-page.js';
import { renderSuccessPage } from '#http/pages/success-page.js';
import { renderTroubleshootingPage } from '#http/pages/troubleshooting-page.js';
import { InvalidRequestError, PageNotFoundError, StartNotFromPortalError } from '#http/request-errors.js';

const XSS = '<script>alert("x")</script>';
/** The page with runs of whitespace collapsed, so assertions do not depend on line wrapping. */
const flat = (page: string) => page.replace(/\s+/g, ' ').replace(/\s+>/g, '>').replace(/> </g, '><');

const integrationId = 'C1468e046a54f78620ca6d1b16eda8096165d0f960078c8e38c5ac09fb7f7f120';

function portalModel(overrides: Partial<PortalPageModel> = {}): PortalPageModel {
  return {
    tenantName: 'Acme Corp',
    sso: false,
    passwordMaxAgeDays: 1825,
    linkExpiresAt: '2026-03-15T10:00:00.000Z',
    integrations: [
      {
        key: 'presence',
        name: 'Attendant Console Webex presence retrieval',
        integrationId,
        state: 'active',
        authorizedBy: { displayName: 'Ada Admin', email: 'ada@acme.example' },
        authorizedAt: '2026-03-01T10:00:00.000Z',
        presenceSharing: true,
        authorizeUrl: 'https://portal.test/oauth/start?link=L&integration=presence',
        troubleshootUrl: 'https://portal.test/troubleshoot/presence?link=L',
      },
      {
        key: 'cdr',
        name: 'Call Analytics CDRs retrieval from Control Hub',
        integrationId: 'C2b09ee9cb8a3ae94ae0e6417d7dcf7e33351ae00bbb22fb9937a79796a8371b5',
        state: 'invalid',
        detail: 'The person who authorized it was deactivated or left the organization.',
        presenceSharing: false,
        authorizeUrl: 'https://portal.test/oauth/start?link=L&integration=cdr',
        troubleshootUrl: 'https://portal.test/troubleshoot/cdr?link=L',
      },
      {
        key: 'sso',
        name: 'SSO against Cisco Control Hub',
        integrationId: 'C287f727f93d20644fd10a5bd2d3c8b6796497bd21bd28d92e588f470ceb546c4',
        state: 'not_authorized',
        presenceSharing: false,
        authorizeUrl: 'https://portal.test/oauth/start?link=L&integration=sso',
        troubleshootUrl: 'https://portal.test/troubleshoot/sso?link=L',
      },
    ],
    serviceApps: [],
    ...overrides,
  };
}

describe('html helpers', () => {
  it('escapes every interpolated value, and leaves nested safe html alone', () => {
    expect(escapeHtml(`<a href="x" onclick='y'>&\``)).toBe(
      '&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&#96;',
    );
    const inner = html`<b>${XSS}</b>`;
    expect(html`<p>${inner}${[XSS, 1]}${undefined}${false}</p>`.toString()).toBe(
      '<p><b>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</b>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;1</p>',
    );
  });
});

describe('layout', () => {
  it('allows no script and exactly the inline stylesheet the pages carry', () => {
    const page = renderPortalPage(portalModel());
    const style = /<style>([\s\S]*?)<\/style>/.exec(page)?.[1] ?? '';
    const hash = createHash('sha256').update(style).digest('base64');
    expect(CONTENT_SECURITY_POLICY).toContain(`style-src 'sha256-${hash}'`);
    expect(CONTENT_SECURITY_POLICY).toContain("default-src 'none'");
    expect(CONTENT_SECURITY_POLICY).toContain("frame-ancestors 'none'");
    expect(CONTENT_SECURITY_POLICY).not.toContain('script-src');
    expect(page).not.toMatch(/<script|\son[a-z]+=/i);
  });
});

describe('portal page', () => {
  it('shows each integration with its state, cause, authorizer and action', () => {
    const page = flat(renderPortalPage(portalModel()));
    expect(page).toContain('1 of 3 integrations are active');
    expect(page).toMatch(/data-integration="presence" data-state="active"/);
    expect(page).toContain('Authorized by Ada Admin (ada@acme.example) on 1 Mar 2026, 10:00 UTC');
    expect(page).toContain('deactivated or left the organization');
    // Each action is a form posting to the start: a start URL opened by itself starts nothing.
    expect(page).toContain(
      '<form class="start" method="post" action="https://portal.test/oauth/start?link=L&amp;integration=cdr"><button class="button" type="submit">Re-authorize</button></form>',
    );
    expect(page).toContain(
      '<form class="start" method="post" action="https://portal.test/oauth/start?link=L&amp;integration=sso"><button class="button" type="submit">Authorize</button></form>',
    );
    expect(page).not.toContain('href="https://portal.test/oauth/start');
    expect(page).toContain(integrationId);
  });

  it('tells the admin up front: Full Administrator, SSO, presence sharing', () => {
    const page = flat(renderPortalPage(portalModel()));
    expect(page).toContain('Webex Full Administrator</strong> of your organization must authorize');
    expect(page).toMatch(/SSO<\/strong>.*keeps the authorization alive when a password changes/);
    expect(page).toContain('by default every five years');
    expect(page).toContain('Never disable presence status sharing');
  });

  it('escapes a tenant or integration name that holds markup', () => {
    const model = portalModel({ tenantName: XSS });
    const first = model.integrations[0];
    if (first) first.name = XSS;
    const page = flat(renderPortalPage(model));
    expect(page).not.toContain('<script>');
    expect(page).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
  });
});

describe('portal page, Service Apps', () => {
  const applicationId = 'Y2lzY29zcGFyazovL3VzL0FQUExJQ0FUSU9OL0NhYmM';
  const withWitness = (state: 'not_authorized' | 'active') =>
    portalModel({
      serviceApps: [
        {
          key: 'witness',
          name: 'Vendor witness',
          applicationId,
          state,
          ...(state === 'active' ? { authorizedAt: '2026-03-02T10:00:00.000Z' } : {}),
          confirmUrl: 'https://portal.test/service-apps/confirm?link=L&serviceApp=witness',
        },
      ],
    });

  it('shows the Service App card: Control Hub path, its ID to copy and the confirm button', () => {
    const page = flat(renderPortalPage(withWitness('not_authorized')));
    expect(page).toMatch(/data-service-app="witness" data-state="not_authorized"/);
    expect(page).toContain('In Control Hub, open Apps, then Service Apps');
    expect(page).toContain(`id="service-app-id-witness" type="text" readonly value="${applicationId}"`);
    expect(page).toContain(
      '<form class="start" method="post" action="https://portal.test/service-apps/confirm?link=L&amp;serviceApp=witness"><button class="button" type="submit">I have authorized it</button></form>',
    );
  });

  it('shows an authorized Service App as active, with no authorizer', () => {
    const page = flat(renderPortalPage(withWitness('active')));
    expect(page).toMatch(/data-service-app="witness" data-state="active"/);
    expect(page).toContain('Authorized in Control Hub, stored on 2 Mar 2026, 10:00 UTC');
  });

  it('recommends the Service App on the integration that names it, in one sentence', () => {
    const model = withWitness('not_authorized');
    const first = model.integrations[0];
    if (first) first.recommendedServiceApp = 'Vendor witness';
    const page = flat(renderPortalPage(model));
    expect(page).toContain(
      'We recommend the Service App &quot;Vendor witness&quot; instead: it survives password changes',
    );
    expect(page.match(/We recommend the Service App/g)).toHaveLength(1);
  });

  it('shows no Service App section when the catalog has none', () => {
    expect(flat(renderPortalPage(portalModel()))).not.toContain('Service App');
  });
});

describe('troubleshooting page', () => {
  it('gives the Integration ID in a read-only field, the Control Hub steps and a retry link', () => {
    const page = flat(
      renderTroubleshootingPage({
        tenantName: 'Acme Corp',
        integration: { key: 'presence', name: 'Attendant Console Webex presence retrieval', integrationId },
        retryUrl: 'https://portal.test/oauth/start?link=L&integration=presence',
        portalUrl: 'https://portal.test/connect/L',
      }),
    );
    expect(page).toContain(
      `<input class="copy" id="integration-id" type="text" readonly value="${integrationId}"`,
    );
    expect(page).toContain('admin.webex.com');
    expect(page).toMatch(/Apps<\/strong>, then <strong>Integrations/);
    expect(page).toContain('Find the integration by the Integration ID');
    expect(page).toContain(
      '<form class="start" method="post" action="https://portal.test/oauth/start?link=L&amp;integration=presence"><button class="button" id="retry" type="submit">Retry authorization</button></form>',
    );
  });

  it('escapes what Webex said about a denial', () => {
    const page = flat(
      renderTroubleshootingPage({
        tenantName: 'Acme Corp',
        integration: { key: 'presence', name: 'Presence', integrationId },
        retryUrl: 'https://portal.test/r',
        portalUrl: 'https://portal.test/p',
        denial: { error: 'access_denied', description: XSS },
      }),
    );
    expect(page).toContain('access was denied');
    expect(page).not.toContain('<script>');
  });
});

describe('success page', () => {
  it('names the authorizer and shows the warnings that apply', () => {
    const page = flat(
      renderSuccessPage({
        tenantName: 'Acme Corp',
        integrationName: 'Attendant Console Webex presence retrieval',
        restored: false,
        authorizer: { displayName: XSS, email: 'ada@acme.example' },
        warnings: [
          { kind: 'password_expiry', text: passwordExpiryWarning(1825) },
          { kind: 'presence_sharing', text: PRESENCE_SHARING_WARNING },
        ],
        remaining: ['SSO against Cisco Control Hub'],
        portalUrl: 'https://portal.test/connect/L',
      }),
    );
    expect(page).toContain('is authorized');
    expect(page).toContain('(ada@acme.example)');
    expect(page).not.toContain('<script>');
    expect(page).toContain('data-warning="password_expiry"');
    expect(page).toContain('at this person&#39;s next Webex password change');
    expect(page).toContain('by default every five years');
    expect(page).toContain('data-warning="presence_sharing"');
    expect(page).toContain('Still to authorize: SSO against Cisco Control Hub.');
  });

  it('names no person and warns of no password for a Service App', () => {
    const page = flat(
      renderSuccessPage({
        tenantName: 'Acme Corp',
        integrationName: 'Vendor witness',
        restored: false,
        warnings: [],
        remaining: [],
        portalUrl: 'https://portal.test/connect/L',
      }),
    );
    expect(page).toContain('Vendor witness is authorized');
    expect(page).toContain('Authorized in Control Hub for Acme Corp');
    expect(page).not.toContain('Authorized by');
    expect(page).not.toContain('data-warning');
  });
});

describe('failure pages', () => {
  const retry = 'https://portal.test/oauth/start?link=L&integration=presence';
  const cases: Array<[Error, number, string]> = [
    [new InvalidRequestError('x'), 400, 'invalid_request'],
    [new PageNotFoundError(), 404, 'not_found'],
    [new LinkTamperedError(), 400, 'link_invalid'],
    [new LinkExpiredError('2026-01-01T00:00:00.000Z'), 410, 'link_expired'],
    [new LinkRevokedError('acme', 'replaced'), 410, 'link_revoked'],
    [new LinkRevokedError('acme', 'access_ended'), 410, 'access_ended'],
    [new UnknownIntegrationError('x'), 404, 'unknown_integration'],
    [new StateUnknownError(), 400, 'state_unknown'],
    [new StartNotFromPortalError(), 403, 'start_not_from_portal'],
    [new StateExpiredError(retry), 400, 'state_expired'],
    [new MissingCodeError(retry), 400, 'missing_code'],
    [new CodeRefusedError(retry), 400, 'code_refused'],
    [new WebexUnavailableError(retry), 503, 'webex_unavailable'],
    [new NotFullAdminError('user@acme.example', retry), 403, 'not_full_admin'],
    [new NotAPersonError('bot', retry), 403, 'not_a_person'],
    [new OrgMismatchError('admin@other.example', retry), 403, 'org_mismatch'],
    [new ServiceAppNotAuthorizedError('Vendor witness', retry), 403, 'service_app_not_authorized'],
    [new ServiceAppUnavailableError(retry), 503, 'service_app_unavailable'],
    [new TenantOrgUnknownError(), 409, 'org_unknown'],
  ];

  it.each(cases)('maps %s to its page', (error, statusCode, reason) => {
    const failure = renderOnboardingFailure(error);
    expect(failure).toMatchObject({ statusCode, reason, expected: true });
    expect(failure.html).toContain(`data-reason="${reason}"`);
  });

  it("says a replaced link was replaced, and an ended tenant's link no longer works without claiming a newer one exists", () => {
    const replaced = flat(renderOnboardingFailure(new LinkRevokedError('acme', 'replaced')).html);
    expect(replaced).toContain('This onboarding link was replaced');
    expect(replaced).toContain('A newer link was issued for your organization');
    const ended = flat(renderOnboardingFailure(new LinkRevokedError('acme', 'access_ended')).html);
    expect(ended).toContain('This onboarding link no longer works');
    expect(ended).toContain('no longer has access here');
    expect(ended).toContain('contact your vendor');
    expect(ended).not.toContain('newer link');
    expect(ended).not.toContain('replaced');
  });

  it('offers a retry where the state was spent', () => {
    expect(renderOnboardingFailure(new WebexUnavailableError(retry)).html).toContain(
      'try again in a few minutes',
    );
    expect(flat(renderOnboardingFailure(new NotFullAdminError('u@x', retry)).html)).toContain(
      '<form class="start" method="post" action="https://portal.test/oauth/start?link=L&amp;integration=presence"><button class="button" id="retry" type="submit">Try again with another account</button></form>',
    );
  });

  it('reveals nothing of an unexpected error', () => {
    const failure = renderOnboardingFailure(new Error('secret internals at /var/task'));
    expect(failure).toMatchObject({ statusCode: 500, expected: false, reason: 'internal_error' });
    expect(failure.html).not.toContain('internals');
  });
});
