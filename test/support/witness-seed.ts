import { expect } from 'vitest';
import type { ServiceApp } from '#domain/catalog.js';
import type { Authorization, TokenMaterial } from '#domain/model.js';
import type { AuthorizationRepository, TokenVault } from '#domain/ports.js';
import { obtainTokens } from '#local/webex-simulator/index.js';

/**
 * Seeds a tenant's authorization of the witness Service App as the onboarding would store it: a
 * Full Admin authorizes the app in the simulator's org (`/_sim/orgs/{orgId}/service-apps/{id}/authorize`),
 * the vendor's token (`spark:applications_token`, from an integration of the vendor's) fetches the
 * org's pair from `POST /v1/applications/{applicationId}/token`, and the pair is sealed on an active
 * record under the witness's catalog key, with no authorizer (no person is involved).
 */
export async function seedWitness(input: {
  simUrl: string;
  orgId: string;
  witness: ServiceApp;
  witnessSecret: string;
  /** The vendor's integration that holds `spark:applications_token`, and who consents to it. */
  vendor: { clientId: string; clientSecret: string; redirectUri: string; person: string };
  tenantId: string;
  authorizations: Pick<AuthorizationRepository, 'save'>;
  vault: TokenVault;
  now: Date;
}): Promise<Authorization> {
  const { simUrl, witness, now } = input;
  const authorized = await fetch(
    `${simUrl}/_sim/orgs/${encodeURIComponent(input.orgId)}/service-apps/${encodeURIComponent(witness.applicationId)}/authorize`,
    { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' },
  );
  expect(authorized.status).toBe(200);
  const { person, ...vendor } = input.vendor;
  const vendorTokens = await obtainTokens(simUrl, {
    integration: vendor,
    person,
    scopes: ['spark:applications_token'],
  });
  const answer = await fetch(`${simUrl}/v1/applications/${encodeURIComponent(witness.applicationId)}/token`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${vendorTokens.access_token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({
      clientId: witness.clientId,
      clientSecret: input.witnessSecret,
      targetOrgId: input.orgId,
    }),
  });
  expect(answer.status).toBe(200);
  const pair = (await answer.json()) as {
    access_token: string;
    expires_in: number;
    refresh_token: string;
    refresh_token_expires_in: number;
  };
  const material: TokenMaterial = {
    accessToken: pair.access_token,
    refreshToken: pair.refresh_token,
    accessTokenExpiresAt: new Date(now.getTime() + pair.expires_in * 1000).toISOString(),
    refreshTokenExpiresAt: new Date(now.getTime() + pair.refresh_token_expires_in * 1000).toISOString(),
  };
  const context = { tenantId: input.tenantId, integration: witness.key };
  const at = now.toISOString();
  return input.authorizations.save(
    {
      ...context,
      status: 'active',
      scopes: [...witness.scopes],
      accessTokenExpiresAt: material.accessTokenExpiresAt,
      refreshTokenExpiresAt: material.refreshTokenExpiresAt,
      grantedAt: at,
      validatedAt: at,
      consecutiveFailures: 0,
      sealedTokens: await input.vault.seal(context, material),
      version: 0,
      nextCheckAt: new Date(now.getTime() + 86_400_000).toISOString(),
      warningsSent: [],
      updatedAt: at,
    },
    undefined,
  );
}
