import type { AlertLedger, ClosedDigest, DigestEntry, FlapCount, Incident } from '#domain/alert-ledger.js';
import type { AuthorizationEvent } from '#domain/model.js';

function authorizationKey(tenantId: string, integration: string): string {
  return `${tenantId}#${integration}`;
}

/**
 * The alert ledger in memory, for the local run and the tests: one process holds it, so an open
 * incident or digest of a stopped local run is gone with it (the events stay in `events.jsonl`).
 */
export class MemoryAlertLedger implements AlertLedger {
  private incidents: Incident[] = [];
  private readonly digests = new Map<string, DigestEntry[]>();
  private readonly degradedAt = new Map<string, Date>();
  private readonly flaps = new Map<string, FlapCount>();

  addToIncident(key: string, event: AuthorizationEvent, now: Date, closesAt: Date): Promise<void> {
    const open = this.incidents.find(
      (incident) => incident.key === key && Date.parse(incident.closesAt) > now.getTime(),
    );
    if (!open) {
      this.incidents.push({ key, closesAt: closesAt.toISOString(), events: [event] });
    } else if (!open.events.some((known) => known.eventId === event.eventId)) {
      open.events.push(event);
    }
    return Promise.resolve();
  }

  closedIncidents(now: Date): Promise<Incident[]> {
    return Promise.resolve(
      this.incidents
        .filter((incident) => Date.parse(incident.closesAt) <= now.getTime())
        .sort((a, b) => a.closesAt.localeCompare(b.closesAt))
        .map((incident) => ({ ...incident, events: [...incident.events] })),
    );
  }

  removeIncident(incident: Pick<Incident, 'key' | 'closesAt'>): Promise<void> {
    this.incidents = this.incidents.filter(
      (open) => !(open.key === incident.key && open.closesAt === incident.closesAt),
    );
    return Promise.resolve();
  }

  addToDigest(periodEnd: Date, entry: DigestEntry): Promise<void> {
    const key = periodEnd.toISOString();
    const entries = this.digests.get(key) ?? [];
    if (!entries.some((known) => known.eventId === entry.eventId)) entries.push(entry);
    this.digests.set(key, entries);
    return Promise.resolve();
  }

  closedDigests(now: Date): Promise<ClosedDigest[]> {
    return Promise.resolve(
      [...this.digests.entries()]
        .filter(([periodEnd]) => Date.parse(periodEnd) <= now.getTime())
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([periodEnd, entries]) => ({ periodEnd, entries: [...entries] })),
    );
  }

  removeDigest(periodEnd: string): Promise<void> {
    this.digests.delete(periodEnd);
    return Promise.resolve();
  }

  noteDegraded(tenantId: string, integration: string, at: Date): Promise<void> {
    this.degradedAt.set(authorizationKey(tenantId, integration), at);
    return Promise.resolve();
  }

  takeDegradedAt(tenantId: string, integration: string): Promise<Date | undefined> {
    const key = authorizationKey(tenantId, integration);
    const at = this.degradedAt.get(key);
    this.degradedAt.delete(key);
    return Promise.resolve(at);
  }

  countFlap(tenantId: string, integration: string, day: string): Promise<number> {
    const key = `${authorizationKey(tenantId, integration)}#${day}`;
    const count = this.flaps.get(key) ?? { tenantId, integration, day, flaps: 0 };
    count.flaps += 1;
    this.flaps.set(key, count);
    return Promise.resolve(count.flaps);
  }

  listFlapping(day: string, moreThan: number): Promise<FlapCount[]> {
    return Promise.resolve(
      [...this.flaps.values()].filter((count) => count.day === day && count.flaps > moreThan),
    );
  }
}
