import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { describe, expect, it, vi } from 'vitest';
import { createAdminApiHandler, type AdminApiDependencies } from '#functions/admin-api.app.js';
import { AUTHORIZATION_INVALIDATED_METRIC, WITNESS_FAILED_METRIC } from '#commons/validation-metrics.js';
import type { ValidationResult } from '#domain/admin.js';
import { defaultCatalog } from '#adapters/catalog-file.js';
import type { Authorization, Tenant } from '#domain/model.js';
import {
  UNOPENED_SEALED_TOKENS,
  adminEvent,
  fakeMaterial,
  grantedAuthorization,
  lambdaContext,
} from '#test-support/fixtures.js';

const NOW = '2026-11-25T10:00:00.000Z';

const TENANT: Tenant = {
  tenantId: 'acme',
  name: 'Acme',
  contacts: [],
  sso: false,
  linkVersion: 1,
  status: 'active',
  createdAt: NOW,
  updatedAt: NOW,
};

const RECORD: Authorization = grantedAuthorization(
  {
    tenantId: 'acme',
    integration: 'presence',
    material: fakeMaterial(new Date(NOW)),
    sealedTokens: UNOPENED_SEALED_TOKENS,
    now: new Date(NOW),
  },
  { version: 1, nextCheckAt: NOW },
);

/** The admin API over ports that only answer what validate-now reads; the check's result is given. */
function handlerValidating(result: ValidationResult) {
  const unused = () => {
    throw new Error('not used by validate-now');
  };
  const deps = {
    tenants: { get: async () => TENANT, create: unused, list: unused, replace: unused },
    authorizations: { get: async () => RECORD },
    catalog: defaultCatalog(),
    validateNow: async () => result,
  } as unknown as AdminApiDependencies;
  const metrics = new Metrics({ namespace: 'Test', serviceName: 'admin-api-test' });
  const addMetric = vi.spyOn(metrics, 'addMetric');
  const handler = createAdminApiHandler(deps, {
    logger: new Logger({ serviceName: 'admin-api-test', logLevel: 'SILENT' }),
    metrics,
  });
  const validate = async () => {
    const response = await handler(
      adminEvent('POST', '/admin/tenants/acme/authorizations/presence/validate'),
      lambdaContext({ functionName: 'admin-api' }),
    );
    expect(response.statusCode).toBe(200);
  };
  return { validate, addMetric };
}

const invalidatedCalls = (spy: ReturnType<typeof handlerValidating>['addMetric']) =>
  spy.mock.calls.filter(([name]) => name === AUTHORIZATION_INVALIDATED_METRIC);

describe('admin API validate-now metrics', () => {
  it('counts an invalidation found by validate-now, as the worker does, for the Invalidations alarm', async () => {
    const { validate, addMetric } = handlerValidating({
      outcome: { kind: 'checked', event: 'invalidated', refreshed: false },
      authorization: { ...RECORD, status: 'invalid', cause: 'password_changed_or_revoked', version: 2 },
    });
    await validate();
    expect(invalidatedCalls(addMetric)).toEqual([[AUTHORIZATION_INVALIDATED_METRIC, 'Count', 1]]);
  });

  it('counts an invalidation whose witness could not be read, for ops to look at the witness', async () => {
    const { validate, addMetric } = handlerValidating({
      outcome: { kind: 'checked', event: 'invalidated', witness: 'failed', refreshed: false },
      authorization: { ...RECORD, status: 'invalid', cause: 'unknown', version: 2 },
    });
    await validate();
    expect(addMetric.mock.calls.filter(([name]) => name === WITNESS_FAILED_METRIC)).toEqual([
      [WITNESS_FAILED_METRIC, 'Count', 1],
    ]);
  });

  it('counts no witness failure when the witness answered or the tenant has none', async () => {
    for (const outcome of [
      { kind: 'checked', event: 'invalidated', witness: 'answered', refreshed: false },
      { kind: 'checked', event: 'invalidated', refreshed: false },
    ] as const) {
      const { validate, addMetric } = handlerValidating({
        outcome,
        authorization: { ...RECORD, status: 'invalid', cause: 'unknown', version: 2 },
      });
      await validate();
      expect(addMetric.mock.calls.filter(([name]) => name === WITNESS_FAILED_METRIC)).toEqual([]);
    }
  });

  it('counts nothing when the check recorded no invalidation or was skipped', async () => {
    for (const outcome of [
      { kind: 'checked', refreshed: false },
      { kind: 'checked', event: 'refreshed', refreshed: true },
      { kind: 'skipped', reason: 'superseded' },
    ] as const) {
      const { validate, addMetric } = handlerValidating({ outcome, authorization: RECORD });
      await validate();
      expect(invalidatedCalls(addMetric)).toEqual([]);
    }
  });
});
