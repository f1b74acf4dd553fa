/**
 * Why an onboarding step was refused. Each maps to one page of the public API (functions/http); none
 * carries a token, a code or a verifier. Errors raised after the OAuth state was consumed carry
 * a fresh `retryUrl` (the state cannot be reused, so the page offers a new start).
 */
export abstract class OnboardingError extends Error {
  constructor(
    message: string,
    readonly retryUrl?: string,
  ) {
    super(message);
  }
}

/**
 * The class of a refusal with a fixed message and no retry link. The name is a literal because
 * the bundles are minified: a class's own name does not survive into the logs.
 */
export function refusalWithoutRetry(errorName: string, message: string) {
  return class extends OnboardingError {
    override readonly name = errorName;
    constructor() {
      super(message);
    }
  };
}

/** The class of a refusal that carries nothing but its optional retry link (named as above). */
function refusalWithRetry(errorName: string, message: string) {
  return class extends OnboardingError {
    override readonly name = errorName;
    constructor(retryUrl?: string) {
      super(message, retryUrl);
    }
  };
}

/** The class of Webex's answer to the code exchange: the retry link and Webex's tracking id. */
function webexRefusal(errorName: string, message: string) {
  return class extends OnboardingError {
    override readonly name = errorName;
    constructor(
      retryUrl?: string,
      readonly trackingId?: string,
    ) {
      super(message, retryUrl);
    }
  };
}

/** The catalog has no integration with this key. */
export class UnknownIntegrationError extends OnboardingError {
  override readonly name = 'UnknownIntegrationError';
  constructor(readonly integration: string) {
    super(`Unknown integration ${integration}`);
  }
}

/** The callback's state is not one we issued, or it was already used (replay). */
export class StateUnknownError extends refusalWithoutRetry(
  'StateUnknownError',
  'The OAuth state is unknown or was already used',
) {}

/** The callback came back after the state's ten minutes. */
export class StateExpiredError extends refusalWithRetry('StateExpiredError', 'The OAuth state expired') {}

/** The callback has a valid state but neither a code nor an error. */
export class MissingCodeError extends refusalWithRetry(
  'MissingCodeError',
  'The callback has no authorization code',
) {}

/** Webex refused to exchange the code (expired, used, or issued to another client). */
export class CodeRefusedError extends webexRefusal(
  'CodeRefusedError',
  'Webex refused the authorization code',
) {}

/** Webex failed or did not answer in time (5xx, 429, timeout); nothing was stored. */
export class WebexUnavailableError extends webexRefusal('WebexUnavailableError', 'Webex is unavailable') {}

/**
 * The authorization is being refreshed or checked right now and did not come free in time;
 * the new tokens were not stored, so the admin starts again in a moment.
 */
export class AuthorizationBusyError extends refusalWithRetry(
  'AuthorizationBusyError',
  'The authorization is busy',
) {}

/** The person who signed in is not a Webex Full Administrator. */
export class NotFullAdminError extends OnboardingError {
  override readonly name = 'NotFullAdminError';
  constructor(
    readonly email: string,
    retryUrl?: string,
  ) {
    super('The person who signed in is not a Full Administrator', retryUrl);
  }
}

/** The account that signed in is not a person (a bot or an app user). */
export class NotAPersonError extends OnboardingError {
  override readonly name = 'NotAPersonError';
  constructor(
    readonly accountType: string,
    retryUrl?: string,
  ) {
    super(`The account that signed in is a ${accountType}, not a person`, retryUrl);
  }
}

/** The person belongs to another Webex organization than the one the tenant is bound to. */
export class OrgMismatchError extends OnboardingError {
  override readonly name = 'OrgMismatchError';
  constructor(
    readonly email: string,
    retryUrl?: string,
  ) {
    super('The person belongs to another Webex organization than this customer', retryUrl);
  }
}

/** Webex answered 403 to the Service App token call: no Full Admin of the org authorized it yet. */
export class ServiceAppNotAuthorizedError extends OnboardingError {
  override readonly name = 'ServiceAppNotAuthorizedError';
  constructor(
    readonly serviceAppName: string,
    retryUrl: string,
    readonly trackingId?: string,
  ) {
    super('The Service App is not authorized in Control Hub yet', retryUrl);
  }
}

/**
 * The Service App's tokens could not be fetched for a reason on our side or Webex's (the vendor
 * token is missing or refused, Webex failed or does not know the app); nothing was changed.
 */
export class ServiceAppUnavailableError extends webexRefusal(
  'ServiceAppUnavailableError',
  'The Service App token could not be fetched',
) {}

/** The tenant is not bound to a Webex org yet, so there is no org to fetch Service App tokens for. */
export class TenantOrgUnknownError extends refusalWithoutRetry(
  'TenantOrgUnknownError',
  'The tenant has no Webex organization yet',
) {}
