import type { AuthorizationEvent, EventType, InvalidationCause } from './model.js';

/*
 * What the alert policy (alert-policy.ts) keeps between events: the open incidents waiting for
 * their siblings, the ops digest of the running period, and when each authorization went degraded
 * and how often it flapped. A closed incident or digest is removed only after its mail went out, so
 * a flush that dies half-way is finished by the next; two flushes at once send the same mail with
 * the same idempotency key, which the sender sends once.
 */

/** One transition as the ops digest counts it. */
export interface DigestEntry {
  eventId: string;
  type: EventType;
  cause?: InvalidationCause;
  tenantId: string;
  integration: string;
  occurredAt: string;
  /** A `restored` that ended a `degraded` within the flap window: counted as a flap, not as two transitions. */
  flap?: boolean;
}

/** An ops digest period that has ended, with what it counted. */
export interface ClosedDigest {
  /** When the period ended (exclusive), ISO 8601. */
  periodEnd: string;
  entries: DigestEntry[];
}

/** An authorization that flapped (degraded, then restored within the window) on a day. */
export interface FlapCount {
  tenantId: string;
  integration: string;
  /** The UTC day, `YYYY-MM-DD`. */
  day: string;
  flaps: number;
}

/** The deaths of one incident (alert-policy.ts, `incidentKey`), collected until it closes. */
export interface Incident {
  key: string;
  /** When it closes, ISO 8601: with `key`, it names the incident. */
  closesAt: string;
  /** Its `invalidated` events, in the order they came. */
  events: AuthorizationEvent[];
}

/** The alert policy's state, keyed as alert-policy.ts names it. */
export interface AlertLedger {
  /**
   * Adds the event to the open incident `key` (one whose `closesAt` is after `now`), or opens one
   * closing at `closesAt`; an event already in it is not added twice.
   */
  addToIncident(key: string, event: AuthorizationEvent, now: Date, closesAt: Date): Promise<void>;
  /** The incidents closed at `now`, oldest first. */
  closedIncidents(now: Date): Promise<Incident[]>;
  /** Removes a closed incident once its mail went out. */
  removeIncident(incident: Pick<Incident, 'key' | 'closesAt'>): Promise<void>;
  /** Counts the entry into the digest of the period that ends at `periodEnd`; once per `eventId`. */
  addToDigest(periodEnd: Date, entry: DigestEntry): Promise<void>;
  /** The digests whose period has ended at `now`, oldest first. */
  closedDigests(now: Date): Promise<ClosedDigest[]>;
  /** Removes a closed digest once it went out. */
  removeDigest(periodEnd: string): Promise<void>;
  /** Records when the authorization went degraded. */
  noteDegraded(tenantId: string, integration: string, at: Date): Promise<void>;
  /** Answers and forgets when the authorization went degraded; undefined when it was not noted. */
  takeDegradedAt(tenantId: string, integration: string): Promise<Date | undefined>;
  /** Counts one flap of the authorization on `day` (UTC `YYYY-MM-DD`) and answers that day's count. */
  countFlap(tenantId: string, integration: string, day: string): Promise<number>;
  /** The authorizations that flapped more than `moreThan` times on `day`. */
  listFlapping(day: string, moreThan: number): Promise<FlapCount[]>;
}
