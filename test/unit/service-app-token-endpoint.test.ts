import { describe, expect, it, vi } from 'vitest';
import { defaultCatalog } from '#adapters/catalog-file.js';
import type { ServiceApp } from '#domain/catalog.js';
import {
  VendorTokenUnavailableError,
  WebexError,
  type WebexServiceAppTokens,
  type WebexTokenGrant,
} from '#domain/ports.js';
import {
  askServiceAppTokenEndpoint,
  type TokenEndpointDependencies,
} from '#domain/service-app-token-endpoint.js';
import { RecordingLog } from '#test-support/fakes/index.js';

/*
 * The one question to the Service App token endpoint that the portal, the `serviceApp` webhook and
 * the validator share: its answer says why the endpoint could not be asked, and with what outcome a
 * call failed, so that each caller explains it in its own words.
 */

function shippedWitness(): ServiceApp {
  const witness = defaultCatalog().witness;
  if (!witness) throw new Error('the shipped catalog has no witness Service App');
  return witness;
}
const WITNESS = shippedWitness();
const GRANT: WebexTokenGrant = {
  accessToken: 'org-access',
  refreshToken: 'org-refresh',
  expiresIn: 1_209_600,
  refreshTokenExpiresIn: 7_776_000,
};

function setup(options: { vendorToken?: () => Promise<string>; withoutVendorToken?: boolean } = {}) {
  const log = new RecordingLog();
  const tokenEndpoint = vi.fn<WebexServiceAppTokens['fetchServiceAppToken']>();
  const deps: TokenEndpointDependencies = {
    clientSecrets: { get: async (key) => `secret-of-${key}` },
    log,
    ...(options.withoutVendorToken
      ? {}
      : {
          serviceAppTokens: {
            webex: { fetchServiceAppToken: tokenEndpoint },
            vendorToken: { accessToken: options.vendorToken ?? (async () => 'vendor-access-token') },
          },
        }),
  };
  const ask = (tenant: { orgId: string | undefined } = { orgId: 'org-1' }) =>
    askServiceAppTokenEndpoint(deps, { tenantId: 'acme', orgId: tenant.orgId, serviceApp: WITNESS });
  return { log, tokenEndpoint, ask };
}

describe('askServiceAppTokenEndpoint', () => {
  it('answers granted with the pair the endpoint gave for the org', async () => {
    const { tokenEndpoint, ask } = setup();
    tokenEndpoint.mockResolvedValueOnce(GRANT);

    const answer = await ask();

    expect(answer).toEqual({ kind: 'granted', grant: GRANT });
    expect(tokenEndpoint).toHaveBeenCalledWith('vendor-access-token', {
      applicationId: WITNESS.applicationId,
      clientId: WITNESS.clientId,
      clientSecret: 'secret-of-witness',
      targetOrgId: 'org-1',
    });
  });

  it('answers not_authorized with the outcome of the 403, without a warning', async () => {
    const { log, tokenEndpoint, ask } = setup();
    tokenEndpoint.mockRejectedValueOnce(
      new WebexError('forbidden', 'not authorized', { status: 403, trackingId: 'ROUTER_403' }),
    );

    const answer = await ask();

    expect(answer).toEqual({
      kind: 'not_authorized',
      outcome: { kind: 'refused', failure: 'forbidden', status: 403, trackingId: 'ROUTER_403' },
    });
    expect(log.lines).toEqual([]);
  });

  it('answers unavailable because the call failed, with its outcome, and warns', async () => {
    const { log, tokenEndpoint, ask } = setup();
    tokenEndpoint.mockRejectedValueOnce(
      new WebexError('transient', 'slow down', {
        status: 429,
        retryAfterSeconds: 30,
        trackingId: 'ROUTER_429',
      }),
    );

    const answer = await ask();

    expect(answer).toEqual({
      kind: 'unavailable',
      reason: 'call_failed',
      outcome: { kind: 'transient', status: 429, retryAfterSeconds: 30, trackingId: 'ROUTER_429' },
    });
    expect(log.lines).toMatchObject([
      { level: 'warn', attributes: { tenantId: 'acme', integration: 'witness', status: 429 } },
    ]);
  });

  it('answers unavailable because no vendor token is configured, before looking at the org', async () => {
    const { log, ask } = setup({ withoutVendorToken: true });

    const answer = await ask({ orgId: undefined });

    expect(answer).toEqual({ kind: 'unavailable', reason: 'no_vendor_token' });
    expect(log.lines).toMatchObject([
      { level: 'error', message: expect.stringContaining('no vendor token') },
    ]);
  });

  it('answers unavailable because the tenant has no org, without using the vendor token', async () => {
    const vendorToken = vi.fn(async () => 'vendor-access-token');
    const { log, tokenEndpoint, ask } = setup({ vendorToken });

    const answer = await ask({ orgId: undefined });

    expect(answer).toEqual({ kind: 'unavailable', reason: 'no_org' });
    expect(vendorToken).not.toHaveBeenCalled();
    expect(tokenEndpoint).not.toHaveBeenCalled();
    expect(log.lines).toMatchObject([{ level: 'error', message: expect.stringContaining('no Webex org') }]);
  });

  it('answers unavailable because the vendor token is unusable, logging why for ops', async () => {
    const { log, tokenEndpoint, ask } = setup({
      vendorToken: async () => {
        throw new VendorTokenUnavailableError('the vendor token is invalid');
      },
    });

    const answer = await ask();

    expect(answer).toEqual({ kind: 'unavailable', reason: 'vendor_token_unusable' });
    expect(tokenEndpoint).not.toHaveBeenCalled();
    expect(log.lines).toMatchObject([
      { level: 'error', attributes: { reason: 'the vendor token is invalid' } },
    ]);
  });

  it('rethrows what is not a Webex answer, so it is retried rather than read as evidence', async () => {
    const { tokenEndpoint, ask } = setup();
    tokenEndpoint.mockRejectedValueOnce(new Error('a bug of our own'));

    await expect(ask()).rejects.toThrow('a bug of our own');
  });
});
