import type { Branding } from '#domain/branding.js';
import { formatTime, html } from './html.js';
import { renderDocument, startForm } from './layout.js';
import type {
  PortalIntegrationState,
  PortalIntegrationView,
  PortalPageModel,
  PortalServiceAppView,
} from '#domain/onboarding-views.js';
import {
  PRESENCE_SHARING_WARNING,
  SERVICE_APP_CONTROL_HUB_PATH,
  describeDays,
  serviceAppRecommendation,
} from '#domain/wording.js';

const stateLabels: Record<PortalIntegrationState, string> = {
  not_authorized: 'Not authorized',
  active: 'Active',
  expiring: 'Expiring',
  degraded: 'Degraded',
  invalid: 'Invalid',
  revoked: 'Revoked',
};

/** The label shown in a state's badge. */
export function portalStateLabel(state: PortalIntegrationState): string {
  return stateLabels[state];
}

function renderIntegration(view: PortalIntegrationView) {
  const authorized = view.state !== 'not_authorized' && view.state !== 'revoked';
  const action = authorized ? 'Re-authorize' : 'Authorize';
  return html`<section
    class="card integration"
    id="integration-${view.key}"
    data-integration="${view.key}"
    data-state="${view.state}"
  >
    <div>
      <h2>${view.name}<span class="badge ${view.state}">${stateLabels[view.state]}</span></h2>
      <div class="meta">Integration ID <code>${view.integrationId}</code></div>
      ${view.detail ? html`<p class="detail">${view.detail}</p>` : ''}
      ${
        view.authorizedBy
          ? html`<p class="meta">
              Authorized by ${view.authorizedBy.displayName}
              (${view.authorizedBy.email})${
                view.authorizedAt ? html` on ${formatTime(view.authorizedAt)}` : ''
              }
            </p>`
          : ''
      }
      ${view.presenceSharing ? html`<p class="meta">${PRESENCE_SHARING_WARNING}</p>` : ''}
      ${
        view.recommendedServiceApp
          ? html`<p class="meta recommendation">${serviceAppRecommendation(view.recommendedServiceApp)}</p>`
          : ''
      }
    </div>
    <div class="actions">
      ${startForm({ url: view.authorizeUrl, label: action, secondary: authorized && view.state === 'active' })}
      <a class="small" href="${view.troubleshootUrl}">Refused? How to fix it</a>
    </div>
  </section>`;
}

function renderServiceApp(view: PortalServiceAppView) {
  const authorized = view.state !== 'not_authorized' && view.state !== 'revoked';
  return html`<section
    class="card integration service-app"
    id="service-app-${view.key}"
    data-service-app="${view.key}"
    data-state="${view.state}"
  >
    <div>
      <h2>${view.name}<span class="badge ${view.state}">${stateLabels[view.state]}</span></h2>
      <p>${SERVICE_APP_CONTROL_HUB_PATH}</p>
      <label class="meta" for="service-app-id-${view.key}">Service App ID</label>
      <input
        class="copy"
        id="service-app-id-${view.key}"
        type="text"
        readonly
        value="${view.applicationId}"
        aria-label="Service App ID of ${view.name}"
      />
      ${view.detail ? html`<p class="detail">${view.detail}</p>` : ''}
      ${view.authorizedAt ? html`<p class="meta">Authorized in Control Hub, stored on ${formatTime(view.authorizedAt)}</p>` : ''}
    </div>
    <div class="actions">
      ${startForm({ url: view.confirmUrl, label: 'I have authorized it', secondary: authorized && view.state === 'active' })}
    </div>
  </section>`;
}

/** The tenant's onboarding portal: every catalog integration and Service App with its state and an action. */
export function renderPortalPage(model: PortalPageModel, brand?: Branding): string {
  const done = model.integrations.filter((view) => view.state === 'active').length;
  const body = html`<h1>Authorize Webex integrations for ${model.tenantName}</h1>
    <p>${done} of ${model.integrations.length} integrations are active.</p>
    <div class="card notice">
      <p><strong>Before you start</strong></p>
      <ul>
        <li>
          A <strong>Webex Full Administrator</strong> of your organization must authorize each integration;
          other accounts are refused.
        </li>
        <li>
          Sign in through your organization's <strong>SSO</strong> when Webex offers it: an SSO sign-in keeps
          the authorization alive when a password changes. Without SSO an authorization stops at the
          authorizer's next password change, at the latest when the password policy forces one (by default
          every ${describeDays(model.passwordMaxAgeDays)}).
        </li>
        <li>
          <strong>Never disable presence status sharing</strong> in Control Hub: the presence integration
          needs it.
        </li>
      </ul>
    </div>
    ${model.sso ? '' : html`<div class="card notice warning"><p>Your organization is recorded as not using SSO for Webex sign-in, so these authorizations will need renewing when the authorizer's password changes. We will warn you ahead of time.</p></div>`}
    ${model.integrations.map(renderIntegration)}
    ${
      model.serviceApps.length > 0
        ? html`<h2>Service Apps</h2>
            <p>
              A Service App is authorized once in Control Hub and keeps working whoever's password changes.
            </p>
            ${model.serviceApps.map(renderServiceApp)}`
        : ''
    }
    <p class="small">
      This link works until ${formatTime(model.linkExpiresAt)}. Keep it among your Webex administrators:
      anyone holding it can start an authorization.
    </p>`;
  return renderDocument({ title: `Webex integrations - ${model.tenantName}`, body, brand });
}
