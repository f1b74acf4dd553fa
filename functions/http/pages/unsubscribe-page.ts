import type { Branding } from '#domain/branding.js';
import type { UnsubscribeOutcome } from '#domain/unsubscribe-link.js';
import { html } from './html.js';
import { renderDocument } from './layout.js';

/**
 * The unsubscribe page: the confirm button (a POST to the same URL, as RFC 8058's one-click is),
 * what was done, or that the alerts were already stopped. It names the tenant, never the address.
 */
export function renderUnsubscribePage(
  outcome: UnsubscribeOutcome,
  actionPath: string,
  brand?: Branding,
): string {
  switch (outcome.kind) {
    case 'confirm':
      return renderDocument({
        brand,
        title: 'Stop these alerts',
        body: html`<h1>Stop the alerts of ${outcome.tenantName}?</h1>
          <div class="card">
            <p>
              This address will no longer get the Webex authorization alerts of ${outcome.tenantName}. The
              alerts of other tenants still reach it.
            </p>
            <form method="post" action="${actionPath}">
              <input type="hidden" name="List-Unsubscribe" value="One-Click" />
              <button class="button" id="unsubscribe" type="submit">Stop these alerts</button>
            </form>
          </div>`,
      });
    case 'unsubscribed':
      return notice(
        brand,
        'Alerts stopped',
        `This address gets no more alerts of ${outcome.tenantName}. ${RESTORE_BY_OPS}`,
      );
    case 'already_stopped':
      return notice(
        brand,
        'Alerts already stopped',
        `This address already gets no alerts of ${outcome.tenantName}, so nothing was changed. ${RESTORE_BY_OPS}`,
      );
    case 'access_ended':
      return notice(
        brand,
        'Nothing to stop',
        `${outcome.tenantName} no longer has access here, so its alerts have ended and nothing was changed.`,
      );
    case 'not_a_contact':
      return notice(
        brand,
        'Nothing to stop',
        'This address is not a contact of that tenant (any more): it gets none of its alerts.',
      );
  }
}

const RESTORE_BY_OPS = "To get them again, ask the vendor's ops to restore it.";

/** A page that only says what happened: its title as the heading, one paragraph (escaped). */
function notice(brand: Branding | undefined, title: string, text: string): string {
  return renderDocument({
    brand,
    title,
    body: html`<h1>${title}</h1>
      <div class="card notice">
        <p>${text}</p>
      </div>`,
  });
}
