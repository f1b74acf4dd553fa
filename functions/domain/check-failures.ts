import { randomUUID } from 'node:crypto';
import { eventSummary } from './alerts.js';
import { AUTHORIZATION_EVENT_VERSION, type Authorization, type AuthorizationEvent } from './model.js';
import { publishAndClear, saveWithEvent } from './outbox.js';
import { ConflictError, WebexError } from './ports.js';
import { CHECK_FAILING_AFTER_ERRORS, isCheckable } from './status-machine.js';
import type { AuthorizationKey, ValidatorDependencies } from './validator-config.js';

/*
 * A check that throws (not a Webex answer, which the validator classifies: our bug or bad data,
 * say token material that does not parse) is counted on the record. CHECK_FAILING_AFTER_ERRORS in
 * a row make it `check_failing`: out of the sweep until rechecked, with one ops alert that names
 * the error id. So a poison authorization neither loops through SQS into the DLQ nor blocks the
 * others of its batch. A failure of the platform itself (throttling, a 5xx of DynamoDB, KMS or
 * Secrets Manager, the network) says nothing about the authorization: it is not counted and the
 * message is retried by SQS as before.
 */

/** What became of a check that threw. */
export type CheckErrorHandling =
  /** Not counted (a platform failure, or nothing could be recorded): rethrow, so SQS retries it. */
  | { kind: 'retry' }
  /** Counted on the record, which stays due: rethrow, so SQS (or the next sweep) tries again. */
  | { kind: 'counted'; errorId: string; checkErrors: number }
  /** The record became `check_failing` (this call wrote it, and alerted ops). The message is done. */
  | { kind: 'check_failing'; errorId: string; checkErrors: number };

/** Whether the error is a passing failure: a race the next write settles, a Webex or platform outage. */
function isPassing(deps: Pick<ValidatorDependencies, 'isTransientFailure'>, error: unknown): boolean {
  if (error instanceof ConflictError) return true;
  if (error instanceof WebexError) return error.kind === 'transient';
  return deps.isTransientFailure?.(error) ?? false;
}

/** The record without the count of thrown checks: what a completed check saves. */
export function withoutCheckErrors(record: Authorization): Authorization {
  const cleared = { ...record };
  delete cleared.checkErrors;
  delete cleared.lastCheckError;
  return cleared;
}

/**
 * Handles a check of `key` that threw `error`:
 * 1. a passing failure (isPassing) is left to SQS's retries: `retry`;
 * 2. otherwise a new error id goes into the log line with the error (the record, the event and
 *    the alert carry the id only: an error's text may quote what it failed on);
 * 3. the record, when still checkable, counts the error and keeps the id and time; the
 *    CHECK_FAILING_AFTER_ERRORS-th makes it `check_failing` (out of the `due` index) with its
 *    history item and `check_failing` event in the outbox, then the event is published with an
 *    ops-only alert and cleared (a failed publish stays in the outbox for the next sweep);
 * 4. a record that could not be read or written (gone, corrupt, no longer checkable, changed
 *    meanwhile) answers `retry`: the message fails as it would have, and SQS's DLQ (alarmed)
 *    receives it if it keeps failing.
 */
export async function handleCheckError(
  deps: ValidatorDependencies,
  key: AuthorizationKey,
  error: unknown,
): Promise<CheckErrorHandling> {
  if (isPassing(deps, error)) return { kind: 'retry' };
  const errorId = randomUUID();
  deps.log.error('The check threw; counting it on the authorization', { ...key, errorId, error });
  try {
    return await countCheckError(deps, key, errorId);
  } catch (recordingError) {
    deps.log.error('Could not count the failed check on the authorization; the message will be retried', {
      ...key,
      errorId,
      recordingError,
    });
    return { kind: 'retry' };
  }
}

async function countCheckError(
  deps: ValidatorDependencies,
  key: AuthorizationKey,
  errorId: string,
): Promise<CheckErrorHandling> {
  const record = await deps.authorizations.get(key.tenantId, key.integration);
  if (!record || !isCheckable(record.status)) return { kind: 'retry' };
  const at = deps.clock.now().toISOString();
  const checkErrors = (record.checkErrors ?? 0) + 1;
  const counted: Authorization = { ...record, checkErrors, lastCheckError: { errorId, at }, updatedAt: at };
  if (checkErrors < CHECK_FAILING_AFTER_ERRORS) {
    await deps.authorizations.save(counted, record.version);
    return { kind: 'counted', errorId, checkErrors };
  }
  const { saved, event } = await saveWithEvent(deps, key, record, (current) => {
    // A reread that finds another state of things (checked meanwhile, re-authorized) is not ours to fail.
    if (current?.version !== record.version)
      throw new ConflictError(`${key.tenantId}/${key.integration} changed`);
    return {
      record: { ...counted, status: 'check_failing' },
      event: checkFailingEvent(deps, counted, errorId),
    };
  });
  deps.log.error('The authorization is check_failing: out of the sweep until rechecked', {
    ...key,
    errorId,
    checkErrors,
  });
  const publish = (_current: Authorization, pending: AuthorizationEvent) => deps.events.publish(pending);
  await publishAndClear(deps, saved, event, publish).catch((publishError: unknown) =>
    deps.log.warn('The check_failing event stays in the outbox; the next sweep publishes it', {
      ...key,
      eventId: event.eventId,
      publishError,
    }),
  );
  return { kind: 'check_failing', errorId, checkErrors };
}

function checkFailingEvent(
  deps: Pick<ValidatorDependencies, 'catalog'>,
  record: Authorization,
  errorId: string,
): AuthorizationEvent {
  const occurredAt = record.updatedAt;
  return {
    version: AUTHORIZATION_EVENT_VERSION,
    eventId: randomUUID(),
    type: 'check_failing',
    severity: 'critical',
    tenantId: record.tenantId,
    integration: record.integration,
    occurredAt,
    status: 'check_failing',
    previousStatus: record.status,
    summary: eventSummary({
      type: 'check_failing',
      integrationName: deps.catalog.find(record.integration)?.name ?? record.integration,
      occurredAt,
    }),
    ...(record.authorizer ? { authorizerEmail: record.authorizer.email } : {}),
    errorId,
  };
}
