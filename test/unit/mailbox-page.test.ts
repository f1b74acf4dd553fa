import { describe, expect, it } from 'vitest';
import type { Mail } from '#local/adapters/local-mailbox.js';
import { renderMailboxPage } from '#local/pages/mailbox-page.js';

const REAUTHORIZE = 'http://127.0.0.1:8787/connect/eyJ0IjoiZGVtbyJ9.c2lnbmF0dXJl?from=mail&x=1';

const mail = (overrides: Partial<Mail>): Mail => ({
  to: 'ops@vendor.example',
  subject: 'Action needed',
  text: 'Nothing to click.',
  tenantId: 'demo',
  integration: 'presence',
  type: 'invalidated',
  sentAt: '2026-03-01T10:00:00.000Z',
  ...overrides,
});

/** The `<article>` blocks of the page, in page order. */
function articles(page: string): string[] {
  return [...page.matchAll(/<article\b[\s\S]*?<\/article>/g)].map((match) => match[0]);
}

describe('mailbox page', () => {
  it('makes the re-authorize link a clickable <a href> to the exact URL', () => {
    const page = renderMailboxPage([
      mail({ text: `What to do\nOpen it.\n\nRe-authorize: ${REAUTHORIZE}\n` }),
    ]);
    const escaped = REAUTHORIZE.replaceAll('&', '&amp;');
    expect(page).toContain(`<a href="${escaped}">${escaped}</a>`);
    const href = /<a href="([^"]*\/connect\/[^"]*)"/.exec(page)?.[1];
    expect(href?.replaceAll('&amp;', '&')).toBe(REAUTHORIZE);
  });

  it('escapes markup in the subject, the text and the addresses', () => {
    const page = renderMailboxPage([
      mail({
        to: '"Eve" <eve@evil.example>',
        subject: '<img src=x onerror=alert(1)>',
        text: '<script>alert("x")</script> & http://127.0.0.1:8787/connect/a"onmouseover="alert(1)',
        tenantId: '"><b>t</b>',
      }),
    ]);
    expect(page).not.toContain('<script>alert');
    expect(page).not.toContain('<img src=x');
    expect(page).not.toContain('<eve@evil.example>');
    expect(page).not.toContain('"><b>t</b>');
    expect(page).not.toContain('onmouseover="alert');
    expect(page).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; ');
    expect(page).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(page).toContain('<a href="http://127.0.0.1:8787/connect/a">http://127.0.0.1:8787/connect/a</a>');
  });

  it('lists the newest email first, keeping the order of the emails of one alert', () => {
    const page = renderMailboxPage([
      mail({ subject: 'oldest', sentAt: '2026-03-01T09:00:00.000Z' }),
      mail({ subject: 'newest to ops', sentAt: '2026-03-01T11:00:00.000Z' }),
      mail({ subject: 'newest to it', to: 'it@demo.example', sentAt: '2026-03-01T11:00:00.000Z' }),
      mail({ subject: 'middle', sentAt: '2026-03-01T10:00:00.000Z' }),
    ]);
    expect(articles(page).map((article) => /<h2>([^<]*)<\/h2>/.exec(article)?.[1])).toEqual([
      'newest to ops',
      'newest to it',
      'middle',
      'oldest',
    ]);
  });

  it('says so when no email was sent yet', () => {
    expect(renderMailboxPage([])).toContain('No email yet.');
    expect(articles(renderMailboxPage([]))).toEqual([]);
  });
});

describe('mailbox page with HTML mail', () => {
  it('shows the HTML part in a sandboxed frame, escaped into srcdoc, with its text part', () => {
    const page = renderMailboxPage([
      mail({ html: '<p onclick="x()">Hi & <b>bye</b></p><script>alert(1)</script>', text: 'Hi and bye' }),
    ]);
    const [article = ''] = articles(page);
    expect(article).toMatch(/<iframe\s+class="mail-html"\s+sandbox=""\s+title="HTML part"\s+srcdoc="[^"]*"/);
    expect(article).toContain('srcdoc="&lt;p onclick=&quot;x()&quot;&gt;Hi &amp; &lt;b&gt;bye&lt;/b&gt;');
    expect(article).not.toContain('<script>');
    expect(article).toContain('<summary>Text part</summary>');
    expect(article).toContain('Hi and bye');
  });

  it('shows a digest as type digest', () => {
    const page = renderMailboxPage([mail({ type: 'digest', html: '<p>Digest</p>' })]);
    expect(articles(page)[0]).toContain('data-type="digest"');
  });
});
