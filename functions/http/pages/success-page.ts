import type { Branding } from '#domain/branding.js';
import { html } from './html.js';
import type { SuccessPageModel } from '#domain/onboarding-views.js';
import { renderDocument } from './layout.js';

/** Confirms the authorization, names the authorizer (none for a Service App), and states the warnings that apply. */
export function renderSuccessPage(model: SuccessPageModel, brand?: Branding): string {
  const body = html`<h1>${model.integrationName} is ${model.restored ? 'working again' : 'authorized'}</h1>
    <div class="card notice" id="authorized-by">
      ${
        model.authorizer
          ? html`<p>
              Authorized by <strong>${model.authorizer.displayName}</strong> (${model.authorizer.email}) for
              ${model.tenantName}.
            </p>`
          : html`<p>
              Authorized in Control Hub for ${model.tenantName}. Its tokens belong to your organization, not
              to a person: no password change ends it.
            </p>`
      }
    </div>
    ${model.warnings.map(
      (warning) =>
        html`<div class="card notice warning" data-warning="${warning.kind}"><p>${warning.text}</p></div>`,
    )}
    <div class="card">
      ${
        model.remaining.length > 0
          ? html`<p>Still to authorize: ${model.remaining.join(', ')}.</p>`
          : html`<p>Every integration is authorized. You can close this page.</p>`
      }
      <p><a class="button" id="back-to-portal" href="${model.portalUrl}">Back to all integrations</a></p>
    </div>`;
  return renderDocument({ title: `${model.integrationName} authorized`, body, brand });
}
