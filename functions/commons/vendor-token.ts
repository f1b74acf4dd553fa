import { VendorTokenUnavailableError, type VendorTokenSource } from '#domain/ports.js';
import {
  AuthorizationDegradedError,
  AuthorizationInvalidError,
  NotAuthorizedError,
  type TokenAccess,
} from '#functions/token-access.js';

/**
 * The vendor token read like any service reads a token: the vendor tenant's authorization of the
 * catalog's vendor token integration, through token access (refreshed when near its end). The
 * validator checks and keeps that authorization alive like any other; here it is only read.
 * Each reason it gives no token becomes VendorTokenUnavailableError, whose message names the fix.
 */
export function vendorTokenSource(input: {
  tokens: TokenAccess;
  /** The vendor's own tenant (VENDOR_TENANT_ID); unset, there is no vendor token. */
  tenantId: string | undefined;
  /** The catalog's vendor token integration key; absent when the catalog has none. */
  integration: string | undefined;
}): VendorTokenSource {
  return {
    async accessToken() {
      if (input.tenantId === undefined) {
        throw new VendorTokenUnavailableError('VENDOR_TENANT_ID is not set');
      }
      if (input.integration === undefined) {
        throw new VendorTokenUnavailableError(
          'the catalog has no vendorOnly integration with spark:applications_token',
        );
      }
      try {
        return (await input.tokens.getAccessToken(input.tenantId, input.integration)).accessToken;
      } catch (error) {
        if (
          error instanceof NotAuthorizedError ||
          error instanceof AuthorizationInvalidError ||
          error instanceof AuthorizationDegradedError
        ) {
          throw new VendorTokenUnavailableError(error.message);
        }
        throw error;
      }
    },
  };
}
