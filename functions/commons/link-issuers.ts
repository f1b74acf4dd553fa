import type { AdminDependencies } from '#domain/admin.js';
import { issueOnboardingLink } from '#domain/onboarding-link.js';
import type { Clock, LinkSigningKeySource } from '#domain/ports.js';
import type { ValidatorDependencies } from '#domain/validator-config.js';

/*
 * Apart from the composition root, which wires the AWS clients (and with them the X-Ray SDK,
 * whose async hooks tax every promise): the bench's sweep process signs links without them.
 */

/**
 * The re-authorize link of alerts: a fresh onboarding link of the tenant (its current link
 * version, so a revoked link is never mailed), signed with the deployment's key.
 */
export function reauthorizeLinkIssuer(input: {
  linkKeys: LinkSigningKeySource;
  clock: Clock;
  ttlDays: number;
  publicBaseUrl: string;
}): ValidatorDependencies['reauthorizeLink'] {
  return async (tenant) =>
    issueOnboardingLink({
      tenant,
      key: await input.linkKeys.get(),
      clock: input.clock,
      ttlDays: input.ttlDays,
      publicBaseUrl: input.publicBaseUrl,
    }).url;
}

/** Signs admin-issued links with the deployment's key, for the tenant's current link version. */
export function linkIssuerWith(input: {
  linkKeys: LinkSigningKeySource;
  clock: Clock;
  publicBaseUrl: string;
}): AdminDependencies['issueLink'] {
  return async (tenant, ttlDays) => {
    const { url, expiresAt } = issueOnboardingLink({
      tenant,
      key: await input.linkKeys.get(),
      clock: input.clock,
      ttlDays,
      publicBaseUrl: input.publicBaseUrl,
    });
    return { url, expiresAt };
  };
}
