import { describe, expect, it } from 'vitest';
import { defaultCatalog } from '#adapters/catalog-file.js';
import { revokeAtWebex, type WebexRevocationDependencies } from '#domain/offboarding-receipt.js';
import { WebexError, type WebexClient } from '#domain/ports.js';
import { ManualClock, MemoryTokenVault, RecordingLog } from '#test-support/fakes/index.js';
import { fakeMaterial, grantedAuthorization, testTenant } from '#test-support/fixtures.js';

type RevocationCalls = Pick<WebexClient, 'revokeAuthorizations' | 'getMe'>;

async function receiptWith(webex: RevocationCalls) {
  const clock = new ManualClock();
  const vault = new MemoryTokenVault();
  const material = fakeMaterial(clock.now(), 'presence');
  const sealedTokens = await vault.seal({ tenantId: 'acme', integration: 'presence' }, material);
  const record = grantedAuthorization({
    tenantId: 'acme',
    integration: 'presence',
    material,
    sealedTokens,
    now: clock.now(),
  });
  const log = new RecordingLog();
  const deps: WebexRevocationDependencies = { vault, webex, catalog: defaultCatalog(), clock, log };
  const result = await revokeAtWebex(deps, testTenant({ orgId: 'org-1' }), record);
  return { result, material, log };
}

const revoked = async () => undefined;
const person = async () => ({
  id: 'p',
  emails: ['admin@customer.example'],
  displayName: 'A',
  orgId: 'org-1',
  roles: [],
  type: 'person',
});

describe('the Webex line of the offboarding receipt', () => {
  it('says "not verified" when Webex still accepts the token after revoking it', async () => {
    const { result } = await receiptWith({ revokeAuthorizations: revoked, getMe: person });
    expect(result).toEqual({
      webexRevocation: 'revoked',
      atWebex: {
        outcome: 'revoked_unverified',
        statement: 'Revocation requested but not verified: Webex still accepts the token.',
      },
    });
  });

  it('says "not verified" with the reason when the follow-up call fails, never "verified"', async () => {
    const { result } = await receiptWith({
      revokeAuthorizations: revoked,
      getMe: async () => {
        throw new WebexError('transient', 'busy', { status: 503, trackingId: 'ROUTER_1' });
      },
    });
    expect(result.atWebex).toEqual({
      outcome: 'revoked_unverified',
      reason: 'Webex answered 503',
      trackingId: 'ROUTER_1',
      statement: 'Revocation requested but not verified: the follow-up call failed (Webex answered 503).',
    });
  });

  it('gives the reason, the expiries and the Control Hub step of a failed revocation, never a token', async () => {
    const { result, material, log } = await receiptWith({
      revokeAuthorizations: async () => {
        throw new WebexError('transient', 'Webex DELETE /v1/authorizations answered 502', { status: 502 });
      },
      getMe: person,
    });
    expect(result.webexRevocation).toBe('failed');
    expect(result.atWebex).toMatchObject({
      outcome: 'failed',
      reason: 'Webex answered 502',
      accessTokenValidUntil: material.accessTokenExpiresAt,
      refreshTokenValidUntil: material.refreshTokenExpiresAt,
    });
    expect(result.atWebex.controlHubStep).toContain('Users > admin@customer.example > Reset access');
    const said = JSON.stringify(result) + log.text;
    expect(said).not.toContain(material.accessToken);
    expect(said).not.toContain(material.refreshToken);
  });
});
