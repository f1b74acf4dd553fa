import type { Clock, Log, WebexClient } from './ports.js';
import { WebexError } from './ports.js';

/*
 * The Webex call budget of one org (docs/validator.md, "Call budget per org"). The SaaS's own
 * product traffic uses the tokens we probe, so the checks of one org must not spend its Webex rate
 * limit: across every worker, at most `maxInFlight` of its checks hold a slot at once, their calls
 * are paced to `callsPerMinute`, and a Retry-After Webex gave one worker stops them all until it
 * ends. The state is one item per org, changed only by conditional writes, so any number of
 * workers share it without a coordinator.
 */

/** How much of one org's Webex rate limit its checks may use. */
export interface CheckBudgetLimits {
  /** Checks of one org holding a slot at once (waiting for their turn or running), across workers. */
  maxInFlight: number;
  /** Webex calls the checks of one org may make per minute, across workers. */
  callsPerMinute: number;
  /** Longest a check waits for its turn before it is deferred to the next sweep. */
  maxWaitMs: number;
}

/** The deployed limits unless the deploy inputs say otherwise; docs/scale.md gives the reasons. */
export const DEFAULT_CHECK_BUDGET_LIMITS: CheckBudgetLimits = {
  maxInFlight: 10,
  callsPerMinute: 600,
  maxWaitMs: 30_000,
};

/**
 * Checks are paced at this share of `callsPerMinute`: a check's calls land a little after the
 * start it reserved (a slow answer), and a dying token's extra calls (a refresh, a second probe,
 * look-ups) are charged only when its check ends; the rest of the minute absorbs both.
 */
export const PACE_SHARE = 0.9;

/** The share of a minute's calls that may go ahead of the pace at once (see CheckBudget.burstMs). */
const BURST_SHARE = 0.05;

/** The calls a check reserves: `people/me` and `/v1/roles`. A refresh or a death's look-ups are charged at its end. */
export const RESERVED_CALLS_PER_CHECK = 2;

/** How long a check waits before asking again for a slot when every slot is taken. */
const SLOT_POLL_MS = { min: 200, spread: 200 };

/** Refused attempts after which a check stops asking: a bound, never reached in practice. */
const MAX_ATTEMPTS = 1000;

/** The budget item of one org as it stood: times are epoch milliseconds. */
export interface CheckBudgetState {
  /** The earliest start the next check may reserve; the org's calls are paced by moving it. */
  paceAt?: number;
  /** Until when each held slot is held, by slot number; a slot past its time is free. */
  slots: ReadonlyMap<number, number>;
  /** Webex's Retry-After for the org: no check starts before it. */
  retryAfterUntil?: number;
}

/** What one claim did: the start it reserved and the other slots held, or the state that refused it. */
export type ClaimAnswer = { start: number; othersHeld: number } | { refused: CheckBudgetState };

/** One attempt to take a slot and reserve a start, as the store writes it. */
export interface BudgetClaim {
  slot: number;
  owner: string;
  /** When the slot frees itself if its check never releases it (the check's lease end). */
  holdUntil: number;
  now: number;
  /** How far the pace moves for this check: its reserved calls' share of a minute. */
  costMs: number;
  /**
   * `continue`: the pace is at or after `now` and this check starts at it, when that is no later
   * than `latestStart`. `restart`: the pace fell behind `now` (or was never set) and the check
   * starts now.
   */
  mode: 'continue' | 'restart';
  latestStart: number;
}

/**
 * Where the budgets live (one DynamoDB item per org when deployed). Each method is one write.
 */
export interface CheckBudgetStore {
  /**
   * Takes `claim.slot` and reserves the check's start in one conditional write, only when no
   * Retry-After is running, the slot is free (or past its `holdUntil`) and the pace is as
   * `claim.mode` says. Answers the reserved start and how many other slots were held at `now`,
   * or the state as it stood when refused.
   */
  claim(scope: string, claim: BudgetClaim): Promise<ClaimAnswer>;
  /**
   * Frees the slot when `owner` still holds it, and moves the pace by `extraCostMs` for the calls
   * the check made beyond its reservation.
   */
  release(scope: string, slot: number, owner: string, extraCostMs: number): Promise<void>;
  /** Records Webex's Retry-After for the org, unless a later one is recorded. */
  holdOff(scope: string, until: number): Promise<void>;
  /** The state as it stands (a strongly consistent read). */
  read(scope: string): Promise<CheckBudgetState>;
}

/** Why a check found no budget. */
export type DeferralReason = 'retry_after' | 'in_flight' | 'calls_per_minute';

/** A slot held by one check until it releases it, or, uncontended, until its hold time. */
export interface BudgetGrant {
  scope: string;
  slot: number;
  owner: string;
  /**
   * The org's budget was in demand when the slot was taken (half its slots held, or a turn to
   * wait for): the slot must be given back as soon as the check ends. Otherwise a check that made
   * only its reserved calls leaves its slot to free itself at its hold time, saving a write.
   */
  contended: boolean;
}

/** What asking for a budget gave: a slot (the turn already come), or a deferral and why. */
export type BudgetAnswer = { granted: BudgetGrant } | { deferred: DeferralReason };

/**
 * The budget scope of an authorization: its Webex org (the authorizer's, which the tenant is
 * bound to), or the tenant while no org is known.
 */
export function budgetScopeOf(record: { tenantId: string; authorizer?: { orgId: string } }): string {
  return record.authorizer ? `org:${record.authorizer.orgId}` : `tenant:${record.tenantId}`;
}

/** The slot a check asks for: one of the free ones, drawn, so racing workers seldom ask for the same. */
function slotToAsk(
  state: CheckBudgetState,
  now: number,
  maxInFlight: number,
  random: () => number,
): number | undefined {
  const free = Array.from({ length: maxInFlight }, (_, slot) => slot).filter((slot) => {
    const until = state.slots.get(slot);
    return until === undefined || until < now;
  });
  return free[Math.floor(random() * free.length)];
}

/** The budget of every org, shared by all workers through the store. */
export class CheckBudget {
  constructor(
    private readonly store: CheckBudgetStore,
    readonly limits: CheckBudgetLimits,
    private readonly clock: Clock,
    private readonly random: () => number = Math.random,
  ) {}

  /** The pace step of one call: a minute over the calls the pace allows in it, in whole milliseconds (rounded up). */
  private get callCostMs(): number {
    return Math.ceil(60_000 / (this.limits.callsPerMinute * PACE_SHARE));
  }

  /**
   * How far ahead of the pace a check may start: a small org's few checks, due together, go at
   * once instead of one pace step apart. The calls of one in-flight slot each, at most 5 % of a
   * minute's: with the pace at 90 %, any minute stays under the budget.
   */
  private get burstMs(): number {
    const calls = Math.min(
      this.limits.maxInFlight * RESERVED_CALLS_PER_CHECK,
      Math.floor(this.limits.callsPerMinute * BURST_SHARE),
    );
    return calls * this.callCostMs;
  }

  /**
   * Takes one of the scope's slots and waits for the check's turn (at most `maxWaitMs`), or
   * defers: a Retry-After that ends later, a pace already reserved past the wait, or every slot
   * taken for the whole wait. A check that had to wait for its turn reads the budget once more
   * before it goes, so a Retry-After recorded meanwhile holds it too. A deferred check writes nothing more: it stays due for the next
   * sweep. `holdUntil` is when the slot frees itself should the check never release it.
   */
  async acquire(scope: string, owner: string, holdUntil: Date): Promise<BudgetAnswer> {
    const deadline = this.clock.now().getTime() + this.limits.maxWaitMs;
    // A read first (a fifth of a write's price) so the claim asks for a free slot and the right
    // pace; a refused claim answers the state itself.
    let state = await this.store.read(scope);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
      const now = this.clock.now().getTime();
      const known = state;
      if (known.retryAfterUntil !== undefined && known.retryAfterUntil > now) {
        if (known.retryAfterUntil > deadline) return { deferred: 'retry_after' };
        await this.clock.sleep(known.retryAfterUntil - now);
        state = { ...known, retryAfterUntil: undefined };
        continue;
      }
      const slot = slotToAsk(known, now, this.limits.maxInFlight, this.random);
      if (slot === undefined) {
        const pause = SLOT_POLL_MS.min + SLOT_POLL_MS.spread * this.random();
        if (now + pause > deadline) return { deferred: 'in_flight' };
        await this.clock.sleep(pause);
        state = await this.store.read(scope);
        continue;
      }
      const continuing = known.paceAt !== undefined && known.paceAt >= now;
      if (continuing && known.paceAt !== undefined && known.paceAt - this.burstMs > deadline) {
        return { deferred: 'calls_per_minute' };
      }
      const answer = await this.store.claim(scope, {
        slot,
        owner,
        holdUntil: holdUntil.getTime(),
        now,
        costMs: RESERVED_CALLS_PER_CHECK * this.callCostMs,
        mode: continuing ? 'continue' : 'restart',
        latestStart: deadline + this.burstMs,
      });
      if ('refused' in answer) {
        state = answer.refused;
        continue;
      }
      const wait = answer.start - this.burstMs - this.clock.now().getTime();
      const contended = wait > 0 || answer.othersHeld + 1 > this.limits.maxInFlight / 2;
      const grant = { scope, slot, owner, contended };
      if (wait <= 0) return { granted: grant };
      await this.clock.sleep(wait);
      // A Retry-After another worker recorded while this one waited for its turn holds it too.
      const current = await this.store.read(scope);
      const turn = this.clock.now().getTime();
      if (current.retryAfterUntil === undefined || current.retryAfterUntil <= turn) return { granted: grant };
      await this.store.release(scope, slot, owner, 0);
      state = current;
    }
    return { deferred: 'in_flight' };
  }

  /**
   * Frees the grant's slot and charges the calls its check made beyond the reserved ones. An
   * uncontended grant whose check made only its reserved calls writes nothing: its slot frees
   * itself at its hold time. At most half the slots linger so (a claim that sees half held is
   * contended), so the other half always turn over.
   */
  async release(grant: BudgetGrant, callsMade: number): Promise<void> {
    const extraCalls = Math.max(0, callsMade - RESERVED_CALLS_PER_CHECK);
    if (!grant.contended && extraCalls === 0) return;
    await this.store.release(grant.scope, grant.slot, grant.owner, extraCalls * this.callCostMs);
  }

  /** Stops every check of the scope until `until` (Webex's Retry-After). */
  async holdOff(scope: string, until: Date): Promise<void> {
    await this.store.holdOff(scope, until.getTime());
  }
}

/**
 * The Webex client of one budgeted check: counts its calls (charged when the check ends) and,
 * when Webex answers with a Retry-After, records it on the scope's budget at once, so that every
 * other worker holds the org's checks until then. The answer itself goes to the check unchanged:
 * for that check it stays a transient failure.
 */
export function budgetedWebex(
  webex: WebexClient,
  input: { budget: CheckBudget; scope: string; clock: Clock; log: Log },
): { webex: WebexClient; calls: () => number } {
  let calls = 0;
  const counted =
    <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      calls += 1;
      try {
        return await call(...args);
      } catch (error) {
        const retryAfterSeconds = error instanceof WebexError ? error.details.retryAfterSeconds : undefined;
        if (retryAfterSeconds !== undefined) {
          const until = new Date(input.clock.now().getTime() + retryAfterSeconds * 1000);
          await input.budget.holdOff(input.scope, until).catch((holdOffError: unknown) =>
            input.log.warn('Could not record the Retry-After on the org budget', {
              scope: input.scope,
              error: String(holdOffError),
            }),
          );
        }
        throw error;
      }
    };
  return {
    webex: {
      exchangeCode: counted((request) => webex.exchangeCode(request)),
      refresh: counted((request) => webex.refresh(request)),
      getMe: counted((token) => webex.getMe(token)),
      getPerson: counted((token, personId) => webex.getPerson(token, personId)),
      listRoles: counted((token) => webex.listRoles(token)),
      revokeAuthorizations: counted((token, request) => webex.revokeAuthorizations(token, request)),
    },
    calls: () => calls,
  };
}
