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

/** The catalog has no integration with this key. */
export class UnknownIntegrationError extends OnboardingError {
  override readonly name = 'UnknownIntegrationError';
  constructor(readonly integration: string) {
    super(`Unknown integration ${integration}`);
  }
}

/** The callback's state is not one we issued, or it was already used (replay). */
export class StateUnknownError extends OnboardingError {
  override readonly name = 'StateUnknownError';
  constructor() {
    super('The OAuth state is unknown or was already used');
  }
}

/** The callback came back after the state's ten minutes. */
export class StateExpiredError extends OnboardingError {
  override readonly name = 'StateExpiredError';
  constructor(retryUrl?: string) {
    super('The OAuth state expired', retryUrl);
  }
}

/** The callback has a valid state but neither a code nor an error. */
export class MissingCodeError extends OnboardingError {
  override readonly name = 'MissingCodeError';
  constructor(retryUrl?: string) {
    super('The callback has no authorization code', retryUrl);
  }
}

/** Webex refused to exchange the code (expired, used, or issued to another client). */
export class CodeRefusedError extends OnboardingError {
  override readonly name = 'CodeRefusedError';
  constructor(
    retryUrl?: string,
    readonly trackingId?: string,
  ) {
    super('Webex refused the authorization code', retryUrl);
  }
}

/** Webex failed or did not answer in time (5xx, 429, timeout); nothing was stored. */
export class WebexUnavailableError extends OnboardingError {
  override readonly name = 'WebexUnavailableError';
  constructor(
    retryUrl?: string,
    readonly trackingId?: string,
  ) {
    super('Webex is unavailable', retryUrl);
  }
}

/**
 * The authorization is being refreshed or checked right now and did not come free in time;
 * the new tokens were not stored, so the admin starts again in a moment.
 */
export class AuthorizationBusyError extends OnboardingError {
  override readonly name = 'AuthorizationBusyError';
  constructor(retryUrl?: string) {
    super('The authorization is busy', retryUrl);
  }
}

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
