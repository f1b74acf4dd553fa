import { formatTime, html, type SafeHtml } from '#http/pages/html.js';
import { renderDocument } from '#http/pages/layout.js';
import type { Mail } from '#local/adapters/local-event-sink.js';

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

/** The local mailbox: every alert email as SNS delivered it, newest first. */
export function renderMailboxPage(mail: readonly Mail[]): string {
  // Stable: the mails of one alert (one per recipient) share a time and keep the sink's order.
  const newestFirst = [...mail].sort((a, b) => Date.parse(b.sentAt) - Date.parse(a.sentAt));
  const body = html`<h1>Mailbox</h1>
    <p class="small">
      Every alert email the local system sent, newest first, exactly as the SNS email protocol delivers it.
      JSON: <a href="/_local/mailbox.json">/_local/mailbox.json</a>
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
          <pre class="mail-text">${linkify(message.text)}</pre>
        </article>`,
    )}`;
  return renderDocument({ title: 'Mailbox', body });
}
