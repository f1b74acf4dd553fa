import type { ContactSubscriptions } from '#domain/ports.js';

/** Contact subscriptions in memory: the admin API's SNS side without AWS. */
export class MemoryContactSubscriptions implements ContactSubscriptions {
  readonly byTenant = new Map<string, string[]>();
  async sync(tenantId: string, contacts: string[]): Promise<void> {
    this.byTenant.set(tenantId, [...contacts]);
  }
}
