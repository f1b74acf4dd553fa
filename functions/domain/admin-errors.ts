/* The admin use cases' typed errors; the admin API maps each to its problem document. */

/**
 * The class of an error about one tenant, named by a literal (the bundles are minified, so a
 * class's own name does not survive into the logs).
 */
function tenantError(errorName: string, describe: (tenantId: string) => string) {
  return class extends Error {
    override readonly name = errorName;
    constructor(readonly tenantId: string) {
      super(describe(tenantId));
    }
  };
}

export class TenantNotFoundError extends tenantError('TenantNotFoundError', (id) => `No tenant ${id}`) {}

export class TenantExistsError extends tenantError(
  'TenantExistsError',
  (id) => `Tenant ${id} already exists`,
) {}

/** The tenant was offboarded: it keeps its history but accepts no change and no new link. */
export class TenantOffboardedError extends tenantError(
  'TenantOffboardedError',
  (id) => `Tenant ${id} is offboarded`,
) {}

/** The catalog has no integration with this key. */
export class IntegrationNotFoundError extends Error {
  override readonly name = 'IntegrationNotFoundError';
  constructor(readonly integration: string) {
    super(`No integration ${integration} in the catalog`);
  }
}

/** The tenant never started authorizing this integration. */
export class AuthorizationNotFoundError extends Error {
  override readonly name = 'AuthorizationNotFoundError';
  constructor(
    readonly tenantId: string,
    readonly integration: string,
  ) {
    super(`Tenant ${tenantId} has no authorization for ${integration}`);
  }
}

/**
 * The tenant's Webex org would change (or be unbound) while authorizations of the old org are
 * live; `?revokeAuthorizations=true` revokes them first.
 */
export class LiveAuthorizationsError extends Error {
  override readonly name = 'LiveAuthorizationsError';
  constructor(
    readonly tenantId: string,
    readonly integrations: string[],
  ) {
    super(`Tenant ${tenantId} has live authorizations: ${integrations.join(', ')}`);
  }
}

/** Reactivating or purging needs an offboarded tenant; this one is active. */
export class TenantNotOffboardedError extends Error {
  override readonly name = 'TenantNotOffboardedError';
  constructor(readonly tenantId: string) {
    super(`Tenant ${tenantId} is not offboarded`);
  }
}

/** The tenant is not the version the caller read (`If-Match` on PATCH): nothing was changed. */
export class TenantVersionMismatchError extends Error {
  override readonly name = 'TenantVersionMismatchError';
  constructor(readonly tenantId: string) {
    super(`Tenant ${tenantId} changed since the version the request names`);
  }
}
