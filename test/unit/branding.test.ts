import { describe, expect, it } from 'vitest';
import { brandingOf } from '#commons/branding-environment.js';
import { ConfigError } from '#commons/config.js';
import { loadKeeperEnvironment, loadNotifierEnvironment } from '#commons/environment.js';
import { settingsFrom } from '#commons/composition-root.js';
import { parseLocalEnvironment } from '#local/local-config.js';
import { alertContent } from '#domain/alerts.js';
import { renderAlertMail } from '#domain/alert-html.js';
import type { Branding } from '#domain/branding.js';
import { issueOnboardingLink } from '#domain/onboarding-link.js';
import { createPublicApiHandler } from '#functions/public-api.app.js';
import { renderOnboardingFailure } from '#http/pages/failure-page.js';
import { renderDocument } from '#http/pages/layout.js';
import { html } from '#http/pages/html.js';
import { renderUnsubscribePage } from '#http/pages/unsubscribe-page.js';
import { alertInputFor } from '#test-support/alert-inputs.js';
import { inMemoryPublicApiDependencies } from '#test-support/public-api-harness.js';
import { getEvent, lambdaContext, silentObservability, testTenant } from '#test-support/fixtures.js';

const BRAND: Branding = {
  vendorName: 'Acme Attendant',
  supportEmail: 'support@acme-attendant.example',
  logoUrl: 'https://cdn.acme-attendant.example/logo.svg',
};
const HOSTILE: Branding = {
  vendorName: '<script>alert(1)</script>"><img src=x onerror=alert(2)>',
  supportEmail: 'help@vendor.example',
};

/** The public API over in-memory ports, with the given branding, and a link to its portal. */
function publicApi(branding?: Branding) {
  const deps = { ...inMemoryPublicApiDependencies(), ...(branding ? { branding } : {}) };
  const handler = createPublicApiHandler(deps, silentObservability());
  const link = issueOnboardingLink({
    tenant: testTenant(),
    key: deps.linkKeys.key,
    clock: deps.clock,
    publicBaseUrl: deps.settings.publicBaseUrl,
  });
  return { handler, link };
}

describe('vendor branding on the pages', () => {
  it('shows the vendor name, logo and support address in place of the generic header', () => {
    const page = renderDocument({ title: 'T', body: html`<p>x</p>`, brand: BRAND });
    expect(page).toContain('<span class="brand">Acme Attendant</span>');
    expect(page).toContain('<img class="logo" src="https://cdn.acme-attendant.example/logo.svg" alt="" />');
    expect(page).toContain('href="mailto:support@acme-attendant.example"');
    expect(page).not.toContain('Webex authorization portal');
  });

  it('keeps the generic header without branding', () => {
    const page = renderDocument({ title: 'T', body: html`<p>x</p>` });
    expect(page).toContain('Webex authorization portal');
    expect(page).not.toContain('mailto:');
  });

  it('escapes a hostile vendor name', () => {
    const page = renderDocument({ title: 'T', body: html`<p>x</p>`, brand: HOSTILE });
    expect(page).not.toContain('<script>');
    expect(page).not.toContain('<img src=x');
    expect(page).toContain(
      '&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(2)&gt;',
    );
  });

  it('brands the failure and unsubscribe pages too', () => {
    expect(renderOnboardingFailure(new Error('boom'), BRAND).html).toContain('Acme Attendant');
    expect(renderUnsubscribePage({ kind: 'not_a_contact' }, '/unsubscribe/x', BRAND)).toContain(
      'Acme Attendant',
    );
  });

  it('serves the branded portal with a CSP that lets only the logo origin load images', async () => {
    const { handler, link } = publicApi(BRAND);
    const answer = await handler(getEvent(`/connect/${link.token}`), lambdaContext());
    expect(answer.statusCode).toBe(200);
    expect(answer.body).toContain('<span class="brand">Acme Attendant</span>');
    const csp = String(answer.headers?.['Content-Security-Policy']);
    expect(csp).toContain('img-src https://cdn.acme-attendant.example;');
    expect(csp).toContain("default-src 'none'");
  });

  it("keeps img-src 'none' on an unbranded portal", async () => {
    const { handler, link } = publicApi();
    const answer = await handler(getEvent(`/connect/${link.token}`), lambdaContext());
    expect(String(answer.headers?.['Content-Security-Policy'])).toContain("img-src 'none'");
  });
});

describe('vendor branding in the alert mails', () => {
  it('shows the vendor name, logo and support address in the HTML part and the support line in the text', () => {
    const mail = renderAlertMail(alertContent(alertInputFor('presence')), { brand: BRAND });
    expect(mail.html).toContain('<img src="https://cdn.acme-attendant.example/logo.svg"');
    expect(mail.html).toContain('Acme Attendant');
    expect(mail.html).toContain('href="mailto:support@acme-attendant.example"');
    expect(mail.text).toContain('Questions? Write to Acme Attendant support: support@acme-attendant.example');
  });

  it('escapes a hostile vendor name in the HTML part', () => {
    const mail = renderAlertMail(alertContent(alertInputFor('presence')), { brand: HOSTILE });
    expect(mail.html).not.toContain('<script>');
    expect(mail.html).not.toContain('<img src=x');
    expect(mail.html).toContain('&lt;script&gt;');
  });

  it('has no branding without it', () => {
    const mail = renderAlertMail(alertContent(alertInputFor('presence')));
    expect(mail.html).not.toContain('mailto:');
    expect(mail.text).not.toContain('Questions?');
  });
});

describe('branding from the environment', () => {
  const base = {
    TABLE_NAME: 't',
    KMS_KEY_ID: 'k',
    CLIENT_SECRETS_SECRET_ID: 'c',
    LINK_SIGNING_SECRET_ID: 'l',
    EVENT_BUS_NAME: 'b',
    ALERT_TOPIC_ARN: 'arn:aws:sns:eu-west-1:111122223333:t',
    WEBEX_API_BASE_URL: 'https://webexapis.com',
    PUBLIC_BASE_URL: 'https://auth.example.com',
  };

  it('reads the vendor name, support address and logo into the public API settings', () => {
    const env = loadKeeperEnvironment({
      ...base,
      VENDOR_NAME: BRAND.vendorName,
      VENDOR_SUPPORT_EMAIL: BRAND.supportEmail,
      VENDOR_LOGO_URL: BRAND.logoUrl,
    });
    expect(settingsFrom(env).branding).toEqual(BRAND);
    expect(settingsFrom(loadKeeperEnvironment(base))).not.toHaveProperty('branding');
  });

  it('refuses a logo that is not https, naming the variable', () => {
    expect(() => loadKeeperEnvironment({ ...base, VENDOR_LOGO_URL: 'http://cdn.example/logo.png' })).toThrow(
      /VENDOR_LOGO_URL is invalid/,
    );
    expect(() =>
      loadNotifierEnvironment({
        TABLE_NAME: 't',
        LINK_SIGNING_SECRET_ID: 'l',
        PUBLIC_BASE_URL: 'https://auth.example.com',
        MAIL_FROM_ADDRESS: 'alerts@mail.example.com',
        MAIL_CONFIGURATION_SET: 'set',
        OPS_EMAIL: 'ops@example.com',
        VENDOR_LOGO_URL: 'javascript:alert(1)',
      }),
    ).toThrow(/VENDOR_LOGO_URL/);
  });

  it('reads the same variables on the local run, https logo only', () => {
    const env = parseLocalEnvironment({
      VENDOR_NAME: 'Acme Attendant',
      VENDOR_SUPPORT_EMAIL: BRAND.supportEmail,
    });
    expect(brandingOf(env)).toEqual({ vendorName: 'Acme Attendant', supportEmail: BRAND.supportEmail });
    expect(() => parseLocalEnvironment({ VENDOR_LOGO_URL: 'http://cdn.example/logo.png' })).toThrow(
      /VENDOR_LOGO_URL is invalid/,
    );
  });

  it('refuses a name without a support address, or a logo alone', () => {
    expect(() => brandingOf({ VENDOR_NAME: 'Acme' })).toThrow(ConfigError);
    expect(() => brandingOf({ VENDOR_NAME: 'Acme' })).toThrow(/VENDOR_SUPPORT_EMAIL/);
    expect(() => brandingOf({ VENDOR_LOGO_URL: BRAND.logoUrl ?? '' })).toThrow(/VENDOR_NAME/);
    expect(brandingOf({})).toBeUndefined();
  });
});
