import { describe, expect, it } from 'vitest';
import { alertContent } from '#domain/alerts.js';
import { renderAlertMail } from '#domain/alert-html.js';
import { alertCatalog, alertInputFor, REAUTHORIZE_LINK, textMail } from '#test-support/alert-inputs.js';

const UNSUBSCRIBE = 'https://keeper.example/unsubscribe/tok.sig';

function htmlText(html: string): string {
  return html.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');
}

describe('renderAlertMail', () => {
  it('writes the text part exactly as the text renderer does, from the same content', () => {
    const input = alertInputFor('presence');
    const mail = renderAlertMail(alertContent(input));
    expect(mail.text).toBe(textMail(input).text);
    expect(mail.subject).toBe(textMail(input).subject);
  });

  it('carries the tenant, the integration by name and Integration ID, the cause, what to do, the Control Hub path and one Re-authorize button', () => {
    const mail = renderAlertMail(alertContent(alertInputFor('presence')));
    const presence = alertCatalog.find('presence');
    const words = htmlText(mail.html);
    expect(words).toContain('Acme Corp (acme)');
    expect(words).toContain(presence?.name);
    expect(words).toContain(presence?.integrationId);
    expect(words).toContain('Likely cause');
    expect(words).toContain('What to do');
    expect(words).toContain('In Control Hub: Apps &gt; Integrations');
    expect(mail.html.match(/<a [^>]*>Re-authorize<\/a>/g)).toEqual([
      expect.stringContaining(`href="${REAUTHORIZE_LINK}"`),
    ]);
  });

  it('escapes every value from Webex, an admin or the catalog: none becomes markup', () => {
    const forged = '<script>alert(1)</script><a href="https://evil.example">x</a>';
    const mail = renderAlertMail(
      alertContent(alertInputFor('presence', {}, { causeDetail: forged }, { name: `Acme ${forged}` })),
    );
    expect(mail.html).not.toContain('<script');
    expect(mail.html).not.toContain('evil.example">');
    expect(mail.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('makes no link of a URL that is not http(s)', () => {
    const input = { ...alertInputFor('presence'), reauthorizeLink: 'javascript:alert(1)' };
    const mail = renderAlertMail(alertContent(input));
    expect(mail.html).not.toMatch(/href="javascript:/);
    expect(htmlText(mail.html)).toContain('Re-authorize: javascript:alert(1)');
  });

  it('adds the recipient’s unsubscribe link for this tenant to both parts when given', () => {
    const plain = renderAlertMail(alertContent(alertInputFor('presence')));
    expect(plain.html).not.toContain('Stop these alerts');
    const mail = renderAlertMail(alertContent(alertInputFor('presence')), { unsubscribeUrl: UNSUBSCRIBE });
    expect(mail.html).toContain(`href="${UNSUBSCRIBE}"`);
    expect(mail.text.split('\n').at(-1)).toContain(UNSUBSCRIBE);
  });

  it('renders a mail without an action (restored) with no button', () => {
    const mail = renderAlertMail(alertContent(alertInputFor('presence', { type: 'restored' })));
    expect(mail.html).not.toMatch(/<a [^>]*>Re-authorize/);
    expect(htmlText(mail.html)).toContain('Nothing: no action is needed.');
  });
});
