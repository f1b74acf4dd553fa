import type { BudgetClaim, CheckBudgetState, CheckBudgetStore, ClaimAnswer } from '#domain/check-budget.js';

interface Item {
  paceAt?: number;
  retryAfterUntil?: number;
  slots: Map<number, { owner: string; until: number }>;
}

/**
 * The DynamoDB budget store's conditions in memory (check-budget.store.ts): each method is one
 * atomic step, as each conditional UpdateItem is. `writes` counts them, refused ones included; `reads` the consistent reads.
 */
export class InMemoryCheckBudgetStore implements CheckBudgetStore {
  readonly items = new Map<string, Item>();
  writes = 0;
  reads = 0;

  private item(scope: string): Item {
    let item = this.items.get(scope);
    if (!item) {
      item = { slots: new Map() };
      this.items.set(scope, item);
    }
    return item;
  }

  private stateOf(item: Item): CheckBudgetState {
    return {
      slots: new Map([...item.slots].map(([slot, hold]) => [slot, hold.until])),
      ...(item.paceAt !== undefined ? { paceAt: item.paceAt } : {}),
      ...(item.retryAfterUntil !== undefined ? { retryAfterUntil: item.retryAfterUntil } : {}),
    };
  }

  async claim(scope: string, claim: BudgetClaim): Promise<ClaimAnswer> {
    this.writes += 1;
    const item = this.item(scope);
    const noRetryAfter = item.retryAfterUntil === undefined || item.retryAfterUntil <= claim.now;
    const held = item.slots.get(claim.slot);
    const slotFree = held === undefined || held.until < claim.now;
    const pace =
      claim.mode === 'continue'
        ? item.paceAt !== undefined && item.paceAt >= claim.now && item.paceAt <= claim.latestStart
        : item.paceAt === undefined || item.paceAt < claim.now;
    if (!(noRetryAfter && slotFree && pace)) return { refused: this.stateOf(item) };
    const start = claim.mode === 'continue' && item.paceAt !== undefined ? item.paceAt : claim.now;
    const othersHeld = [...item.slots].filter(
      ([slot, hold]) => slot !== claim.slot && hold.until >= claim.now,
    ).length;
    item.paceAt = start + claim.costMs;
    item.slots.set(claim.slot, { owner: claim.owner, until: claim.holdUntil });
    return { start, othersHeld };
  }

  async release(scope: string, slot: number, owner: string, extraCostMs: number): Promise<void> {
    this.writes += 1;
    const item = this.item(scope);
    if (item.slots.get(slot)?.owner !== owner) return;
    item.slots.delete(slot);
    if (extraCostMs > 0) item.paceAt = (item.paceAt ?? 0) + extraCostMs;
  }

  async holdOff(scope: string, until: number): Promise<void> {
    this.writes += 1;
    const item = this.item(scope);
    if (item.retryAfterUntil === undefined || item.retryAfterUntil < until) item.retryAfterUntil = until;
  }

  async read(scope: string): Promise<CheckBudgetState> {
    this.reads += 1;
    return this.stateOf(this.item(scope));
  }
}
