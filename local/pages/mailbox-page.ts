import { formatTime, html, type SafeHtml } from '#http/pages/html.js';
import { CONTENT_SECURITY_POLICY, renderDocument } from '#http/pages/layout.js';
import type { Mail } from '#local/adapters/local-mailbox.js';

const URL_PATTERN = /https?:\/\/[^\s<>"']+/g;

/** The email text with its links made clickable; everything else escaped. */
function linkify(text: string): SafeHtml[] {
  const parts: SafeHtml[] = [];
  let last = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    parts.push(html`${text.slice(last, match.index)}`);
    parts.push(html`<a href="${match[0]}">${match[0]}</a>`);
    last = match.index + match[0].length;
  }
  parts.push(html`${text.slice(last)}`);
  return parts;
}

/**
 * The mailbox page's Content-Security-Policy: our pages' own, plus the inline style attributes of
 * the mails' HTML parts, which a `srcdoc` frame takes from the page that holds it. No script runs
 * in either: the frames are sandboxed without `allow-scripts`.
 */
export const MAILBOX_CONTENT_SECURITY_POLICY = `${CONTENT_SECURITY_POLICY}; style-src-attr 'unsafe-inline'`;

/**
 * One mail: its HTML part in a sandboxed frame (no script, no same origin, no navigation of the
 * page), with its text part below, as a mail client shows either; a text-only mail as its text.
 */
function mailBody(message: Mail): SafeHtml {
  if (message.html === undefined) return html`<pre class="mail-text">${linkify(message.text)}</pre>`;
  return html`<iframe
      class="mail-html"
      sandbox=""
      title="HTML part"
      srcdoc="${message.html}"
      style="width:100%;height:720px;border:1px solid #d1d5db;"
    ></iframe>
    <details class="mail-text-part">
      <summary>Text part</summary>
      <pre class="mail-text">${linkify(message.text)}</pre>
    </details>`;
}

/** The local mailbox: every alert email as it was sent, newest first; digests are of type `digest`. */
export function renderMailboxPage(mail: readonly Mail[]): string {
  // Stable: the mails of one alert (one per recipient) share a time and keep the sink's order.
  const newestFirst = [...mail].sort((a, b) => Date.parse(b.sentAt) - Date.parse(a.sentAt));
  const body = html`<h1>Mailbox</h1>
    <p class="small">
      Every alert email the local system sent, newest first, as it was sent: the HTML part (in a sandboxed
      frame) with its text part. JSON: <a href="/_local/mailbox.json">/_local/mailbox.json</a>
    </p>
    ${newestFirst.length === 0 ? html`<div class="card"><p>No email yet.</p></div>` : ''}
    ${newestFirst.map(
      (message) =>
        html`<article
          class="card mail"
          data-type="${message.type}"
          data-tenant="${message.tenantId}"
          data-integration="${message.integration}"
        >
          <p class="small">
            To <strong>${message.to}</strong> · ${formatTime(message.sentAt)} · ${message.type}
          </p>
          <h2>${message.subject}</h2>
          ${mailBody(message)}
        </article>`,
    )}`;
  return renderDocument({ title: 'Mailbox', body });
}
