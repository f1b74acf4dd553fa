import type { AuthorizationEvent } from '#domain/model.js';
import type { HistoryRepository, Page } from '#domain/ports.js';
import { pageBy } from './paging.js';

/** History in memory: every tenant's events, listed per tenant newest first, paged. */
export class InMemoryHistory implements HistoryRepository {
  /** Every event appended (directly or by an authorization save), in the order written. */
  readonly events: AuthorizationEvent[] = [];

  async append(event: AuthorizationEvent): Promise<void> {
    this.events.push(structuredClone(event));
  }

  async list(
    tenantId: string,
    options: { limit: number; cursor?: string },
  ): Promise<Page<AuthorizationEvent>> {
    return pageBy(
      this.events.filter((event) => event.tenantId === tenantId),
      (event) => `${event.occurredAt}#${event.eventId}`,
      { ...options, newestFirst: true },
    );
  }

  /** Deletes the tenant's events (its purge); answers how many. */
  deleteTenant(tenantId: string): number {
    const kept = this.events.filter((event) => event.tenantId !== tenantId);
    const deleted = this.events.length - kept.length;
    this.events.splice(0, this.events.length, ...kept);
    return deleted;
  }
}
