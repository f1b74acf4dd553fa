import type { Branding } from '#domain/branding.js';
import { html } from './html.js';
import type { TroubleshootingPageModel } from '#domain/onboarding-views.js';
import { renderDocument, startForm } from './layout.js';

/**
 * How to unblock an integration that Webex refuses: its Integration ID, ready to copy, and the
 * Control Hub steps, then a retry.
 */
export function renderTroubleshootingPage(model: TroubleshootingPageModel, brand?: Branding): string {
  const { integration } = model;
  const body = html`<h1>
      ${integration.name}: ${model.denial ? 'authorization refused' : 'fixing a refused authorization'}
    </h1>
    ${
      model.denial
        ? html`<div class="card notice error">
            <p>
              Webex did not grant the
              authorization${model.denial.error === 'access_denied' ? ': access was denied' : html` (<code>${model.denial.error}</code>)`}.
            </p>
            ${model.denial.description ? html`<p class="small">Webex said: ${model.denial.description}</p>` : ''}
          </div>`
        : ''
    }
    <div class="card">
      <p>
        When Webex says
        <em>"Access denied - Your administrator denied access to the integration you selected"</em>, the
        integration is blocked for your organization. A Full Administrator can allow it in Control Hub:
      </p>
      <label for="integration-id"><strong>Integration ID</strong> of ${integration.name}</label>
      <p>
        <input
          class="copy"
          id="integration-id"
          type="text"
          readonly
          value="${integration.integrationId}"
          aria-label="Integration ID"
        />
      </p>
      <ol class="steps">
        <li>
          Sign in to Webex Control Hub at
          <a href="https://admin.webex.com" rel="noreferrer">admin.webex.com</a> as a Full Administrator.
        </li>
        <li>Open <strong>Apps</strong>, then <strong>Integrations</strong>.</li>
        <li>Find the integration by the Integration ID above (<code>${integration.integrationId}</code>).</li>
        <li>Authorize it (allow it for your organization), then save.</li>
        <li>Come back here and retry the authorization.</li>
      </ol>
      ${startForm({ url: model.retryUrl, label: 'Retry authorization', id: 'retry' })}
    </div>
    <p><a class="small" href="${model.portalUrl}">Back to all integrations of ${model.tenantName}</a></p>`;
  return renderDocument({ title: `Troubleshooting - ${integration.name}`, body, brand });
}
