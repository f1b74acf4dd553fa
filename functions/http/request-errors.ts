import { OnboardingError, refusalWithoutRetry } from '#domain/onboarding-errors.js';

/*
 * Refusals of a request itself, before any use case runs: they belong to HTTP, not to the domain,
 * and map to their pages like the use cases' errors (pages/failure-page.ts).
 */

/** A query parameter is missing, repeated, oversized or malformed. */
export class InvalidRequestError extends OnboardingError {
  override readonly name = 'InvalidRequestError';
}

/** No page lives at this path. */
export class PageNotFoundError extends refusalWithoutRetry('PageNotFoundError', 'No page here') {}

/**
 * The callback did not come from the browser that started the attempt (it lacks the cookie
 * `/oauth/start` set, or the cookie expired). It may be someone else's attempt, consented to by a
 * victim who was sent its authorize URL, so it is refused before the state is consumed or Webex
 * called (only whether the state is still pending is read): nothing is consumed or written, and
 * the page offers no retry, since a retry link would carry on the attempt of whoever started it.
 * A state no longer pending gets StateUnknownError instead: a reload after the answer dropped the
 * cookie was the same browser, and "already used" is true whoever sends it.
 */
export class BrowserMismatchError extends refusalWithoutRetry(
  'BrowserMismatchError',
  'The callback did not come from the browser that started the authorization',
) {}

/**
 * A start that does not prove it was sent by the portal's own form: not a POST from our origin
 * (`Sec-Fetch-Site: same-origin` when the browser sends fetch metadata, else an `Origin` equal to the
 * public base URL's). It may be someone else's start URL or form aimed at a victim's browser, so
 * nothing is started.
 */
export class StartNotFromPortalError extends refusalWithoutRetry(
  'StartNotFromPortalError',
  'The start did not come from the onboarding portal',
) {}
