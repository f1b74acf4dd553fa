import type { CauseConfidence, InvalidationCause } from './model.js';

/**
 * Why an authorization died, in words a customer's admin understands, saying so when Webex did not
 * confirm it. Shared by the portal and the status board.
 */
export function describeInvalidationCause(cause: InvalidationCause, confidence?: CauseConfidence): string {
  const words = causeInWords(cause);
  // The three-way cause and `unknown` say in their own words that Webex could not tell.
  const hedged = cause !== 'unknown' && cause !== 'password_change_or_deactivation_or_role_removal';
  return hedged && confidence === 'likely'
    ? `${words} This is the likely cause: Webex's answers did not confirm it.`
    : words;
}

function causeInWords(cause: InvalidationCause): string {
  switch (cause) {
    case 'password_changed_or_revoked':
      return 'The person who authorized it changed their Webex password, or the authorization was revoked.';
    case 'user_deactivated':
      return 'The person who authorized it was deactivated or left the organization.';
    case 'admin_role_removed':
      return 'The person who authorized it is no longer a Webex Full Administrator.';
    case 'integration_revoked':
      return 'The integration was revoked or its access turned off in Webex Control Hub.';
    case 'refresh_token_expired':
      return 'It was not used for too long and Webex let it expire.';
    case 'service_app_deauthorized':
      return 'The Service App was deauthorized in Webex Control Hub (Apps > Service Apps). A Full Administrator can authorize it there again, then press "I have authorized it".';
    case 'password_change_or_deactivation_or_role_removal':
      return 'The person who authorized it changed their Webex password, was deactivated, or lost the Full Administrator role: Webex did not say which. Control Hub > Users shows their status and roles.';
    case 'unknown':
      return 'Webex no longer accepts it; the cause could not be determined.';
  }
}

/** "five years" for 1825 days, "90 days" otherwise: how password policies are usually stated. */
export function describeDays(days: number): string {
  if (days % 365 === 0) {
    const years = days / 365;
    const names = ['', 'one', 'two', 'three', 'four', 'five'];
    return `${names[years] ?? String(years)} year${years === 1 ? '' : 's'}`;
  }
  return plural(days, 'day');
}

/** "1 tenant", "2 tenants": a count with its noun (regular plurals only). */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** The warning a non-SSO authorizer needs: their next password change kills the authorization. */
export function passwordExpiryWarning(passwordMaxAgeDays: number): string {
  return (
    'Your organization does not sign in to Webex through SSO, so this authorization stops working ' +
    "at this person's next Webex password change, and at the latest when the organization's password " +
    `policy forces one (by default every ${describeDays(passwordMaxAgeDays)}). We will warn you ahead of time; ` +
    'signing in through SSO avoids it.'
  );
}

/** The warning the presence integration needs: without presence sharing it sees nothing. */
export const PRESENCE_SHARING_WARNING =
  'Never disable presence status sharing in Webex Control Hub: the attendant console reads ' +
  "people's presence through this integration and goes blind without it.";

/** The portal's one sentence for an integration a Service App can replace: why to prefer it. */
export function serviceAppRecommendation(serviceAppName: string): string {
  return `We recommend the Service App "${serviceAppName}" instead: it survives password changes, because its tokens belong to your organization, not to a person.`;
}

/** Where a Full Admin authorizes a Service App in Control Hub. */
export const SERVICE_APP_CONTROL_HUB_PATH =
  'In Control Hub, open Apps, then Service Apps, find this app by its ID and authorize it.';
