import { expect } from 'vitest';
import type { Authorization, CallEvidence } from '#domain/model.js';

/**
 * Expects a Service App record invalidated as deauthorized on the token endpoint's 403: cause
 * `service_app_deauthorized`, confirmed, with that one call as its evidence (and `call` fields given).
 */
export function expectDeauthorizedOn403(
  record: Authorization | undefined,
  call: Partial<CallEvidence> = {},
): void {
  expect(record).toMatchObject({
    status: 'invalid',
    cause: 'service_app_deauthorized',
    confidence: 'confirmed',
  });
  expect(record?.evidence).toEqual([
    expect.objectContaining({
      call: 'POST /v1/applications/{applicationId}/token',
      answer: 'refused',
      status: 403,
      ...call,
    }),
  ]);
}
