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
      return renderDocument({
        brand,
        title: 'Alerts stopped',
        body: html`<h1>Alerts stopped</h1>
          <div class="card notice">
            <p>
              This address gets no more alerts of ${outcome.tenantName}. To get them again, ask the vendor's
              ops to restore it.
            </p>
          </div>`,
      });
    case 'already_stopped':
      return renderDocument({
        brand,
        title: 'Alerts already stopped',
        body: html`<h1>Alerts already stopped</h1>
          <div class="card notice">
            <p>
              This address already gets no alerts of ${outcome.tenantName}, so nothing was changed. To get
              them again, ask the vendor's ops to restore it.
            </p>
          </div>`,
      });
    case 'access_ended':
      return renderDocument({
        brand,
        title: 'Nothing to stop',
        body: html`<h1>Nothing to stop</h1>
          <div class="card">
            <p>
              ${outcome.tenantName} no longer has access here, so its alerts have ended and nothing was
              changed.
            </p>
          </div>`,
      });
    case 'not_a_contact':
      return renderDocument({
        brand,
        title: 'Nothing to stop',
        body: html`<h1>Nothing to stop</h1>
          <div class="card">
            <p>This address is not a contact of that tenant (any more): it gets none of its alerts.</p>
          </div>`,
      });
  }
}
