import type { Branding } from '#domain/branding.js';
import { LinkExpiredError, LinkRevokedError, LinkTamperedError } from '#domain/onboarding-link.js';
import {
  AuthorizationBusyError,
  CodeRefusedError,
  MissingCodeError,
  NotAPersonError,
  NotFullAdminError,
  OrgMismatchError,
  ServiceAppNotAuthorizedError,
  ServiceAppUnavailableError,
  StateExpiredError,
  TenantOrgUnknownError,
  StateUnknownError,
  UnknownIntegrationError,
  WebexUnavailableError,
} from '#domain/onboarding-errors.js';
import {
  BrowserMismatchError,
  InvalidRequestError,
  PageNotFoundError,
  StartNotFromPortalError,
} from '#http/request-errors.js';
import { html } from './html.js';
import { renderDocument, startForm } from './layout.js';

/** A refusal as the admin reads it. */
export interface FailurePageModel {
  statusCode: number;
  title: string;
  message: string;
  /** Short machine-readable name of the refusal, put on the page for support and tests. */
  reason: string;
  retryUrl?: string;
  retryLabel?: string;
}

/** A rendered failure, and whether it is an expected refusal (logged as info) or our fault (error). */
export interface RenderedFailure {
  statusCode: number;
  html: string;
  reason: string;
  expected: boolean;
}

const NEW_LINK = 'Ask your vendor for a new onboarding link.';
const START_AGAIN = 'Start again from your onboarding link.';

/**
 * The one mapping from every onboarding error to its page. Unknown errors become a generic page
 * that reveals nothing of the cause (it is logged by the caller).
 */
export function describeOnboardingFailure(error: unknown): FailurePageModel & { expected: boolean } {
  const retry = (label: string, url?: string) => (url ? { retryUrl: url, retryLabel: label } : {});
  if (error instanceof InvalidRequestError) {
    return {
      statusCode: 400,
      reason: 'invalid_request',
      title: 'This request is not valid',
      message: `The address was changed or cut short. ${START_AGAIN}`,
      expected: true,
    };
  }
  if (error instanceof PageNotFoundError) {
    return {
      statusCode: 404,
      reason: 'not_found',
      title: 'Page not found',
      message: START_AGAIN,
      expected: true,
    };
  }
  if (error instanceof LinkTamperedError) {
    return {
      statusCode: 400,
      reason: 'link_invalid',
      title: 'This onboarding link is not valid',
      message: `The link was changed or copied incompletely. Open it again from the message you received, or ${NEW_LINK.toLowerCase()}`,
      expected: true,
    };
  }
  if (error instanceof LinkExpiredError) {
    return {
      statusCode: 410,
      reason: 'link_expired',
      title: 'This onboarding link has expired',
      message: `Onboarding links work for a limited time. ${NEW_LINK}`,
      expected: true,
    };
  }
  if (error instanceof LinkRevokedError && error.revocation === 'access_ended') {
    // The tenant was offboarded or purged (a purged one reads as never known): no newer link exists.
    return {
      statusCode: 410,
      reason: 'access_ended',
      title: 'This onboarding link no longer works',
      message:
        "The organization this link was issued for no longer has access here, so nothing can be authorized or changed through it. If you think this is a mistake, contact your vendor's support.",
      expected: true,
    };
  }
  if (error instanceof LinkRevokedError) {
    return {
      statusCode: 410,
      reason: 'link_revoked',
      title: 'This onboarding link was replaced',
      message: `A newer link was issued for your organization, so this one no longer works. Use the newest link, or ${NEW_LINK.toLowerCase()}`,
      expected: true,
    };
  }
  if (error instanceof UnknownIntegrationError) {
    return {
      statusCode: 404,
      reason: 'unknown_integration',
      title: 'Unknown integration',
      message: `There is no such integration to authorize. ${START_AGAIN}`,
      expected: true,
    };
  }
  if (error instanceof StateUnknownError) {
    return {
      statusCode: 400,
      reason: 'state_unknown',
      title: 'This authorization was already used',
      message:
        'An authorization attempt works once: this one was already completed or used, or it is no longer known here. Nothing new was changed. Open your onboarding link to see where each integration stands, and authorize from there if one still needs it.',
      expected: true,
    };
  }
  if (error instanceof BrowserMismatchError) {
    return {
      statusCode: 403,
      reason: 'browser_mismatch',
      title: 'Start this authorization from your own browser',
      message:
        'This authorization was started in another browser, or it was not completed in time, so nothing was changed. Open your onboarding link in this browser and click Authorize again.',
      expected: true,
    };
  }
  if (error instanceof StartNotFromPortalError) {
    return {
      statusCode: 403,
      reason: 'start_not_from_portal',
      title: 'Start this authorization from your onboarding portal',
      message:
        'An authorization starts only when you press Authorize on your onboarding portal, so nothing was started. Open your onboarding link and press Authorize there.',
      expected: true,
    };
  }
  if (error instanceof StateExpiredError) {
    return {
      statusCode: 400,
      reason: 'state_expired',
      title: 'This authorization attempt took too long',
      message: 'An authorization must be completed within ten minutes. Please start it again.',
      ...retry('Start again', error.retryUrl),
      expected: true,
    };
  }
  if (error instanceof MissingCodeError) {
    return {
      statusCode: 400,
      reason: 'missing_code',
      title: 'Webex did not complete the authorization',
      message: 'Webex sent you back without an authorization code. Please start again.',
      ...retry('Start again', error.retryUrl),
      expected: true,
    };
  }
  if (error instanceof CodeRefusedError) {
    return {
      statusCode: 400,
      reason: 'code_refused',
      title: 'Webex refused to complete the authorization',
      message:
        'The authorization code was refused (it may have been used already or expired). Please start again.',
      ...retry('Start again', error.retryUrl),
      expected: true,
    };
  }
  if (error instanceof WebexUnavailableError) {
    return {
      statusCode: 503,
      reason: 'webex_unavailable',
      title: 'Webex did not answer',
      message:
        'Webex is busy or unavailable right now; nothing was changed. Please try again in a few minutes.',
      ...retry('Try again', error.retryUrl),
      expected: true,
    };
  }
  if (error instanceof AuthorizationBusyError) {
    return {
      statusCode: 503,
      reason: 'authorization_busy',
      title: 'This integration is being checked right now',
      message:
        'We are refreshing or checking this authorization at this very moment, so the new one was not kept. Please try again in a minute.',
      ...retry('Try again', error.retryUrl),
      expected: true,
    };
  }
  if (error instanceof NotFullAdminError) {
    return {
      statusCode: 403,
      reason: 'not_full_admin',
      title: 'A Webex Full Administrator must authorize',
      message: `${error.email} is not a Full Administrator of your Webex organization, so the authorization was not kept. Sign in to Webex as a Full Administrator and try again.`,
      ...retry('Try again with another account', error.retryUrl),
      expected: true,
    };
  }
  if (error instanceof NotAPersonError) {
    return {
      statusCode: 403,
      reason: 'not_a_person',
      title: 'A person must authorize',
      message: `The account that signed in is a ${error.accountType}, not a person, so the authorization was not kept. Sign in as a Full Administrator and try again.`,
      ...retry('Try again with another account', error.retryUrl),
      expected: true,
    };
  }
  if (error instanceof OrgMismatchError) {
    return {
      statusCode: 403,
      reason: 'org_mismatch',
      title: 'Wrong Webex organization',
      message: `${error.email} belongs to another Webex organization than the one already authorized for this customer, so the authorization was not kept. Sign in with an administrator of your own organization.`,
      ...retry('Try again with another account', error.retryUrl),
      expected: true,
    };
  }
  if (error instanceof ServiceAppNotAuthorizedError) {
    return {
      statusCode: 403,
      reason: 'service_app_not_authorized',
      title: 'Not yet authorized in Control Hub',
      message: `Webex says ${error.serviceAppName} is not yet authorized for your organization, so nothing was changed. A Full Administrator must authorize it in Control Hub (Apps, then Service Apps); it can take a minute to take effect. Then press the button again.`,
      ...retry('I have authorized it', error.retryUrl),
      expected: true,
    };
  }
  if (error instanceof ServiceAppUnavailableError) {
    return {
      statusCode: 503,
      reason: 'service_app_unavailable',
      title: 'We could not ask Webex right now',
      message:
        // Not "our team has been told": a vendor token never configured raises no alert of its own.
        "We could not fetch the Service App tokens from Webex at the moment, so nothing was changed. Please try again later; if it keeps failing, contact your vendor's support.",
      ...retry('Try again', error.retryUrl),
      expected: true,
    };
  }
  if (error instanceof TenantOrgUnknownError) {
    return {
      statusCode: 409,
      reason: 'org_unknown',
      title: 'Your Webex organization is not known yet',
      message:
        'We do not know your Webex organization yet, so we cannot fetch the Service App tokens for it. Authorize one of the integrations first, or ask your vendor to record your organization.',
      expected: true,
    };
  }
  return {
    statusCode: 500,
    reason: 'internal_error',
    title: 'Something went wrong on our side',
    message:
      'Nothing was changed. Please try again in a few minutes; if it keeps failing, contact your vendor.',
    expected: false,
  };
}

/** Renders the page of a failure model. */
export function renderFailurePage(model: FailurePageModel, brand?: Branding): string {
  const body = html`<h1>${model.title}</h1>
    <div class="card notice error" data-reason="${model.reason}">
      <p>${model.message}</p>
    </div>
    ${model.retryUrl ? startForm({ url: model.retryUrl, label: model.retryLabel ?? 'Try again', id: 'retry' }) : ''}`;
  return renderDocument({ title: model.title, body, brand });
}

/** Maps an error to its page in one step: what the handler calls in its catch. */
export function renderOnboardingFailure(error: unknown, brand?: Branding): RenderedFailure {
  const { expected, ...model } = describeOnboardingFailure(error);
  return {
    statusCode: model.statusCode,
    html: renderFailurePage(model, brand),
    reason: model.reason,
    expected,
  };
}
