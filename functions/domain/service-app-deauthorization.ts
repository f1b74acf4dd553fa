import { randomUUID } from 'node:crypto';
import { eventSummary } from './alerts.js';
import { CallEvidenceLog } from './call-evidence.js';
import type { ServiceApp } from './catalog.js';
import { withoutCheckErrors } from './check-failures.js';
import type { CallOutcome } from './classification.js';
import { AUTHORIZATION_EVENT_VERSION, type Authorization, type AuthorizationEvent } from './model.js';
import { publishAndClear } from './onboarding-grant.js';
import type { OnboardingDependencies } from './onboarding.js';
import { saveWithEvent } from './outbox.js';
import { TOKEN_ENDPOINT_CALL } from './service-app-token-endpoint.js';
import { isCheckable, nextStatus } from './status-machine.js';

/*
 * A Service App deauthorization confirmed by Webex's own word: the token endpoint's 403 for the
 * org, asked because its webhook said so. The record becomes `invalid` with the cause
 * `service_app_deauthorized` (confirmed), written and announced as the validator writes one: the
 * `invalidated` event (critical) in the record's outbox and the history, then on the bus, from
 * which the notifier mails the tenant's contacts.
 */

/** What recording a confirmed deauthorization changed. */
export type DeauthorizationRecorded =
  | { kind: 'invalidated'; saved: Authorization; event: AuthorizationEvent }
  /** The record is gone or no longer checked (invalid, revoked, pending) by the time of the write. */
  | { kind: 'unchanged' };

/**
 * Marks the Service App's record invalid with `service_app_deauthorized` (confirmed), the token
 * endpoint's refusal as its evidence.
 * 1. Compose the invalid record and its `invalidated` event from the record as it stands; a record
 *    that is gone or not checkable is left alone.
 * 2. Save both in one write under the record's version; on a conflict (a check or a
 *    re-authorization wrote meanwhile) compose again from the newer record.
 * 3. Publish the event and clear it from the outbox (a failed publish is left for the validator).
 */
export async function recordServiceAppDeauthorized(
  deps: OnboardingDependencies,
  input: {
    record: Authorization;
    serviceApp: ServiceApp;
    /** The token endpoint's 403, as `outcomeOf` read it. */
    refusal: Exclude<CallOutcome, { kind: 'ok' }>;
    /** Why it was asked, in the record's words (the cause detail starts with it). */
    reason: string;
  },
): Promise<DeauthorizationRecorded> {
  const { serviceApp, refusal } = input;
  const key = { tenantId: input.record.tenantId, integration: input.record.integration };
  const calls = new CallEvidenceLog(deps.clock);
  calls.failed(TOKEN_ENDPOINT_CALL, serviceApp.key, refusal);
  const evidence = calls.list();
  const written = await saveWithEvent(deps, key, input.record, (current) => {
    if (!current || !isCheckable(current.status)) return { settled: current ?? input.record };
    const nowIso = deps.clock.now().toISOString();
    const change = nextStatus({
      previous: { status: current.status, consecutiveFailures: current.consecutiveFailures },
      outcome: 'invalid',
    });
    const event: AuthorizationEvent = {
      version: AUTHORIZATION_EVENT_VERSION,
      eventId: randomUUID(),
      type: 'invalidated',
      severity: change.event?.severity ?? 'critical',
      tenantId: key.tenantId,
      integration: key.integration,
      occurredAt: nowIso,
      status: change.status,
      previousStatus: current.status,
      cause: 'service_app_deauthorized',
      confidence: 'confirmed',
      evidence,
      summary: eventSummary({
        type: 'invalidated',
        integrationName: serviceApp.name,
        cause: 'service_app_deauthorized',
        confidence: 'confirmed',
        occurredAt: nowIso,
      }),
      ...(refusal.trackingId !== undefined ? { trackingId: refusal.trackingId } : {}),
    };
    const record: Authorization = {
      ...withoutCheckErrors(current),
      status: change.status,
      cause: 'service_app_deauthorized',
      confidence: 'confirmed',
      evidence,
      causeDetail: `${input.reason} The Service App token endpoint answered 403: the organization no longer authorizes ${serviceApp.name}.`,
      consecutiveFailures: change.consecutiveFailures,
      validatedAt: nowIso,
      updatedAt: nowIso,
    };
    return { record, event };
  });
  if ('settled' in written) return { kind: 'unchanged' };
  await publishAndClear(deps, written.saved, written.event);
  return { kind: 'invalidated', ...written };
}
