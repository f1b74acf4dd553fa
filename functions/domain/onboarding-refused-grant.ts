import type { Integration } from './catalog.js';
import type { OnboardingDependencies } from './onboarding.js';
import { WebexError, type WebexPerson } from './ports.js';

/**
 * Revokes a refused grant at Webex, and only that grant. Webex's `DELETE /v1/authorizations?
 * clientId=&orgId=` revokes every authorization of the integration in the person's org, which for
 * an org mismatch is another tenant's live one: never used here. Instead the person's own
 * authorizations are listed and the refused grant deleted by its id, when it is the person's only
 * `refresh` authorization of this integration and was created during this attempt (so it is not an
 * older grant some tenant relies on that Webex handed back again). Anything else (several grants,
 * an older one, no Authorizations API client) is skipped. A 403 (the token lacks
 * `identity:tokens_read`/`_write`, or the person is not an admin) or any other Webex failure is
 * logged and ignored: the refused tokens are discarded either way and the refusal stands.
 */
export async function revokeRefusedGrant(
  deps: OnboardingDependencies,
  input: { integration: Integration; person: WebexPerson; accessToken: string; attemptStartedAt: Date },
): Promise<void> {
  const { integration, person, accessToken } = input;
  const { webex } = deps;
  if (!webex.listAuthorizations || !webex.deleteAuthorization) {
    deps.log.info('Refused grant not revoked: no way to revoke it alone', { integration: integration.key });
    return;
  }
  try {
    const grants = (await webex.listAuthorizations(accessToken, person.id)).filter(
      (item) =>
        item.type === 'refresh' && item.clientId === integration.integrationId && item.personId === person.id,
    );
    // Webex gives `created` in whole seconds: compare against the second the attempt started in.
    const startedAt = Math.floor(input.attemptStartedAt.getTime() / 1000) * 1000;
    const [grant] = grants;
    if (grants.length !== 1 || !grant || !(Date.parse(grant.created) >= startedAt)) {
      deps.log.info('Refused grant not revoked: it cannot be told apart from another grant', {
        integration: integration.key,
        grants: grants.length,
      });
      return;
    }
    await webex.deleteAuthorization(accessToken, grant.id);
    deps.log.info('Refused grant revoked at Webex', { integration: integration.key });
  } catch (error) {
    if (!(error instanceof WebexError)) throw error;
    deps.log.info('Refused grant could not be revoked at Webex', {
      integration: integration.key,
      kind: error.kind,
      status: error.details.status,
      trackingId: error.details.trackingId,
    });
  }
}
