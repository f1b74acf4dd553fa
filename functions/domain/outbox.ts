import type { Authorization, AuthorizationEvent } from './model.js';
import { CHECKABLE_STATUSES } from './model.js';
import { ConflictError, type AuthorizationRepository, type Clock, type TenantOrgCondition } from './ports.js';

/**
 * The authorization's outbox: a transition's event is saved on the record (`pendingEvent`) in the
 * same transaction as the record and its history item, published, then cleared. A run that dies
 * between the save and the publish leaves the marker; whoever next holds the record publishes it
 * first. The callback, the validator and offboarding all write their events through here.
 */

/** How many writes an outbox step makes before a run of optimistic-locking conflicts wins. */
export const OUTBOX_SAVE_ATTEMPTS = 3;

/** What the outbox reads and writes. */
export interface OutboxDependencies {
  authorizations: Pick<AuthorizationRepository, 'get' | 'save'>;
  clock: Clock;
}

/** Which authorization an outbox step works on. */
export interface OutboxKey {
  tenantId: string;
  integration: string;
}

/** A record to save with its event as the outbox marker. */
export interface PendingWrite {
  record: Authorization;
  event: AuthorizationEvent;
  /** The tenant's org as the write requires it (a grant's), checked or bound in its transaction. */
  tenantOrg?: TenantOrgCondition;
}

/** The record as saved with its event. */
export interface SavedWithEvent {
  saved: Authorization;
  event: AuthorizationEvent;
}

/** The record a reread found already as the caller wanted it: nothing to write. */
export interface Settled {
  settled: Authorization;
}

/**
 * Saves a record with `event` as its outbox marker and, in the same transaction, the event's
 * history item, under the version of the record it was composed from.
 * 1. `compose` builds the record and event from the record as it stands (undefined: none yet).
 * 2. The write sets `pendingEvent` to the event and expects that record's version.
 * 3. On ConflictError the record is reread and composed again, up to OUTBOX_SAVE_ATTEMPTS writes;
 *    `compose` may answer `{ settled }` when the reread leaves nothing to write.
 */
export function saveWithEvent(
  deps: OutboxDependencies,
  key: OutboxKey,
  first: Authorization | undefined,
  compose: (current: Authorization | undefined) => PendingWrite,
): Promise<SavedWithEvent>;
export function saveWithEvent(
  deps: OutboxDependencies,
  key: OutboxKey,
  first: Authorization | undefined,
  compose: (current: Authorization | undefined) => PendingWrite | Settled,
): Promise<SavedWithEvent | Settled>;
export async function saveWithEvent(
  deps: OutboxDependencies,
  key: OutboxKey,
  first: Authorization | undefined,
  compose: (current: Authorization | undefined) => PendingWrite | Settled,
): Promise<SavedWithEvent | Settled> {
  let current = first;
  for (let attempt = 1; ; attempt += 1) {
    const write = compose(current);
    if ('settled' in write) return write;
    try {
      const saved = await deps.authorizations.save(
        { ...write.record, pendingEvent: write.event },
        current?.version,
        write.event,
        write.tenantOrg,
      );
      return { saved, event: write.event };
    } catch (error) {
      if (!(error instanceof ConflictError) || attempt >= OUTBOX_SAVE_ATTEMPTS) throw error;
      current = await deps.authorizations.get(key.tenantId, key.integration);
    }
  }
}

/** The record after a clear, and the record the clear was written over when it was. */
export interface ClearedOutbox {
  /** The record as saved by the clear, else as last read (undefined when it is gone). */
  record: Authorization | undefined;
  /** The record the clearing write replaced; absent when no write cleared the marker. */
  clearedFrom?: Authorization;
}

/**
 * Clears `event` from the record's outbox. A conflicting write that still carries the same event
 * (it copied the record) is cleared too, rereading up to OUTBOX_SAVE_ATTEMPTS times; any other
 * newer write has no marker of ours to clear. `change` adds the caller's own edits to the
 * clearing write (releasing a lease, forgetting a destroyed secret). A record that is no longer
 * checkable leaves the `due` index with its marker.
 */
export async function clearPendingEvent(
  deps: OutboxDependencies,
  record: Authorization,
  event: AuthorizationEvent,
  change: (record: Authorization) => Authorization = (unchanged) => unchanged,
): Promise<ClearedOutbox> {
  let current: Authorization | undefined = record;
  for (
    let attempt = 1;
    attempt <= OUTBOX_SAVE_ATTEMPTS && current?.pendingEvent?.eventId === event.eventId;
    attempt += 1
  ) {
    const cleared: Authorization = { ...change(current), updatedAt: deps.clock.now().toISOString() };
    delete cleared.pendingEvent;
    if (!CHECKABLE_STATUSES.includes(cleared.status)) delete cleared.nextCheckAt;
    try {
      return { record: await deps.authorizations.save(cleared, current.version), clearedFrom: current };
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      current = await deps.authorizations.get(record.tenantId, record.integration);
    }
  }
  return { record: current };
}

/**
 * Publishes an event saved in the record's outbox with `publish`, then clears the marker
 * (`clearPendingEvent`). A failed publish throws and leaves the marker for the next run.
 */
export async function publishAndClear(
  deps: OutboxDependencies,
  record: Authorization,
  event: AuthorizationEvent,
  publish: (record: Authorization, event: AuthorizationEvent) => Promise<void>,
  change?: (record: Authorization) => Authorization,
): Promise<ClearedOutbox> {
  await publish(record, event);
  return clearPendingEvent(deps, record, event, change);
}
