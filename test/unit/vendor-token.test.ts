import { describe, expect, it } from 'vitest';
import { vendorTokenSource } from '#commons/vendor-token.js';
import { VendorTokenUnavailableError } from '#domain/ports.js';
import {
  AuthorizationDegradedError,
  AuthorizationInvalidError,
  NotAuthorizedError,
  type TokenAccess,
} from '#functions/token-access.js';

/** Token access that answers one token, or throws one error, and records what it was asked. */
function tokensAnswering(answer: string | Error) {
  const asked: string[] = [];
  const tokens: TokenAccess = {
    getAccessToken: async (tenantId, integration) => {
      asked.push(`${tenantId}/${integration}`);
      if (answer instanceof Error) throw answer;
      return { accessToken: answer, expiresAt: '2026-03-01T11:00:00.000Z', scopes: [], status: 'active' };
    },
  };
  return { asked, tokens };
}

async function refusalOf(promise: Promise<unknown>): Promise<VendorTokenUnavailableError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof VendorTokenUnavailableError))
    throw new Error(`expected a refusal, got ${String(error)}`);
  return error;
}

describe('the vendor token source', () => {
  it("reads the vendor tenant's authorization of the vendor token integration", async () => {
    const { asked, tokens } = tokensAnswering('vendor-token');
    const source = vendorTokenSource({ tokens, tenantId: 'vendor', integration: 'service-app-token' });
    expect(await source.accessToken()).toBe('vendor-token');
    expect(asked).toEqual(['vendor/service-app-token']);
  });

  it('says what is missing when no vendor tenant or no vendor token integration is configured', async () => {
    const { asked, tokens } = tokensAnswering('vendor-token');
    expect(
      (await refusalOf(vendorTokenSource({ tokens, tenantId: undefined, integration: 'x' }).accessToken()))
        .message,
    ).toContain('VENDOR_TENANT_ID');
    expect(
      (
        await refusalOf(
          vendorTokenSource({ tokens, tenantId: 'vendor', integration: undefined }).accessToken(),
        )
      ).message,
    ).toContain('spark:applications_token');
    expect(asked).toEqual([]);
  });

  it.each([
    new NotAuthorizedError('vendor', 'service-app-token', 'not_found'),
    new AuthorizationInvalidError('vendor', 'service-app-token', 'user_deactivated'),
    new AuthorizationDegradedError('vendor', 'service-app-token', 'webex_unavailable'),
  ])('turns %s into a refusal naming it', async (error) => {
    const { tokens } = tokensAnswering(error);
    const source = vendorTokenSource({ tokens, tenantId: 'vendor', integration: 'service-app-token' });
    expect((await refusalOf(source.accessToken())).message).toBe(error.message);
  });

  it('lets an infrastructure failure through as it is', async () => {
    const { tokens } = tokensAnswering(new Error('DynamoDB is down'));
    const source = vendorTokenSource({ tokens, tenantId: 'vendor', integration: 'service-app-token' });
    await expect(source.accessToken()).rejects.toThrow('DynamoDB is down');
  });
});
