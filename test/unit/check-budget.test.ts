import { describe, expect, it } from 'vitest';
import {
  budgetedWebex,
  CheckBudget,
  PACE_SHARE,
  RESERVED_CALLS_PER_CHECK,
  type CheckBudgetLimits,
} from '#domain/check-budget.js';
import { silentLog, WebexError } from '#domain/ports.js';
import { FakeWebex, InMemoryCheckBudgetStore, VirtualClock } from '#test-support/fakes/index.js';

const LIMITS: CheckBudgetLimits = { maxInFlight: 3, callsPerMinute: 60, maxWaitMs: 10_000 };
/** The pace step of one check at LIMITS: two calls of a minute paced at 90 % of 60 calls. */
const CALL_STEP_MS = Math.ceil(60_000 / (LIMITS.callsPerMinute * PACE_SHARE));
const CHECK_STEP_MS = RESERVED_CALLS_PER_CHECK * CALL_STEP_MS;
const LEASE_MS = 300_000;
const BURST_MS = Math.floor(LIMITS.callsPerMinute * 0.05) * CALL_STEP_MS;

function world(limits: Partial<CheckBudgetLimits> = {}) {
  const clock = new VirtualClock();
  const store = new InMemoryCheckBudgetStore();
  let draw = 0;
  // Deterministic "random": a fixed cycle, so slot guesses and pauses repeat run to run.
  const random = () => (draw += 0.37) % 1;
  const budget = new CheckBudget(store, { ...LIMITS, ...limits }, clock, random);
  const holdUntil = () => new Date(clock.now().getTime() + LEASE_MS);
  return { clock, store, budget, holdUntil };
}

describe('CheckBudget', () => {
  it('starts a check at once when the org has budget, in one write: its slot frees itself at its hold time', async () => {
    const { clock, store, budget, holdUntil } = world();
    const started = clock.now().getTime();
    const answer = await clock.runUntil(budget.acquire('org:a', 'check-1', holdUntil()));
    expect(answer).toEqual({
      granted: { scope: 'org:a', slot: expect.any(Number), owner: 'check-1', contended: false },
    });
    expect(clock.now().getTime()).toBe(started);
    if (!('granted' in answer)) throw new Error('not granted');
    await budget.release(answer.granted, RESERVED_CALLS_PER_CHECK);
    expect(store.writes).toBe(1);
    expect([...(store.items.get('org:a')?.slots.values() ?? [])]).toEqual([
      { owner: 'check-1', until: started + LEASE_MS },
    ]);
  });

  it('frees the slot at once when the org is in demand, or when the check made more calls than it reserved', async () => {
    const { clock, store, budget, holdUntil } = world({ maxInFlight: 4 });
    const grants = [];
    for (const owner of ['a', 'b', 'c']) {
      const answer = await clock.runUntil(budget.acquire('org:a', owner, holdUntil()));
      if (!('granted' in answer)) throw new Error('not granted');
      grants.push(answer.granted);
    }
    // The first two found at most one other slot held; the third found two of four: in demand.
    expect(grants.map((grant) => grant.contended)).toEqual([false, false, true]);
    const [idle, alsoIdle, inDemand] = grants;
    if (!idle || !alsoIdle || !inDemand) throw new Error('three grants expected');
    await budget.release(inDemand, RESERVED_CALLS_PER_CHECK);
    await budget.release(idle, RESERVED_CALLS_PER_CHECK + 1);
    await budget.release(alsoIdle, RESERVED_CALLS_PER_CHECK);
    expect([...(store.items.get('org:a')?.slots.values() ?? [])].map((hold) => hold.owner)).toEqual(['b']);
  });

  it('paces the starts of one org to its calls per minute, whoever asks', async () => {
    const { clock, budget, holdUntil } = world({ maxInFlight: 100, maxWaitMs: 60_000 });
    const starts: number[] = [];
    const begin = clock.now().getTime();
    await clock.runUntil(
      Promise.all(
        Array.from({ length: 20 }, async (_, index) => {
          const answer = await budget.acquire('org:a', `check-${index}`, holdUntil());
          if (!('granted' in answer)) throw new Error(`check ${index} deferred: ${answer.deferred}`);
          starts.push(clock.now().getTime() - begin);
          await budget.release(answer.granted, RESERVED_CALLS_PER_CHECK);
        }),
      ),
    );
    starts.sort((a, b) => a - b);
    // A pace step apart, after a burst of 5 % of a minute's calls (3) that may go ahead of it.
    expect(starts).toEqual(starts.map((_, index) => Math.max(0, index * CHECK_STEP_MS - BURST_MS)));
    // 20 checks of 2 calls in the first minute would be 40 calls: the pace allows 27 (90 % of 60 / 2 * 2).
    const inFirstMinute = starts.filter((start) => start < 60_000).length;
    expect(inFirstMinute * RESERVED_CALLS_PER_CHECK).toBeLessThanOrEqual(LIMITS.callsPerMinute);
  });

  it('never lets more checks of one org hold a slot than its in-flight limit, across many workers', async () => {
    const { clock, budget, holdUntil } = world({ callsPerMinute: 100_000 });
    let inFlight = 0;
    let most = 0;
    const outcomes = await clock.runUntil(
      Promise.all(
        Array.from({ length: 40 }, async (_, index) => {
          const answer = await budget.acquire('org:a', `check-${index}`, holdUntil());
          if (!('granted' in answer)) return answer.deferred;
          inFlight += 1;
          most = Math.max(most, inFlight);
          await clock.sleep(1_000);
          inFlight -= 1;
          await budget.release(answer.granted, RESERVED_CALLS_PER_CHECK);
          return 'checked';
        }),
      ),
    );
    expect(most).toBe(LIMITS.maxInFlight);
    // Each check takes a second and the wait is ten: about 3 x 10 get a slot, the rest are deferred.
    const checked = outcomes.filter((outcome) => outcome === 'checked').length;
    // One slot lingers (the first claim found the org idle): two turn over, a second a check.
    expect(checked).toBeGreaterThanOrEqual(18);
    expect(checked).toBeLessThanOrEqual(33);
    expect(new Set(outcomes)).toEqual(new Set(['checked', 'in_flight']));
  });

  it('keeps orgs apart: one org out of budget does not hold another', async () => {
    const { clock, budget, holdUntil } = world({ maxInFlight: 1, maxWaitMs: 0 });
    const first = await clock.runUntil(budget.acquire('org:a', 'a-1', holdUntil()));
    expect('granted' in first).toBe(true);
    expect(await clock.runUntil(budget.acquire('org:a', 'a-2', holdUntil()))).toEqual({
      deferred: 'in_flight',
    });
    expect('granted' in (await clock.runUntil(budget.acquire('org:b', 'b-1', holdUntil())))).toBe(true);
  });

  it('defers a check whose turn would come after its longest wait', async () => {
    const { clock, budget, holdUntil } = world({ maxInFlight: 100, maxWaitMs: 2 * CHECK_STEP_MS });
    const answers = await clock.runUntil(
      Promise.all(
        Array.from({ length: 5 }, (_, index) => budget.acquire('org:a', `c-${index}`, holdUntil())),
      ),
    );
    // Starts at 0, 0, 1 and 3 calls' steps are within the wait of two checks' steps; the fifth's is not.
    expect(answers.filter((answer) => 'granted' in answer)).toHaveLength(4);
    expect(answers.filter((answer) => 'deferred' in answer)).toEqual([{ deferred: 'calls_per_minute' }]);
  });

  it('frees a slot whose check never released it once its hold time has passed', async () => {
    const { clock, budget } = world({ maxInFlight: 1, maxWaitMs: 0 });
    const crashed = await clock.runUntil(
      budget.acquire('org:a', 'crashed', new Date(clock.now().getTime() + 5_000)),
    );
    expect('granted' in crashed).toBe(true);
    expect(
      await clock.runUntil(budget.acquire('org:a', 'next', new Date(clock.now().getTime() + 5_000))),
    ).toEqual({
      deferred: 'in_flight',
    });
    await clock.runUntil(clock.sleep(5_001));
    const after = await clock.runUntil(
      budget.acquire('org:a', 'next', new Date(clock.now().getTime() + 5_000)),
    );
    expect('granted' in after).toBe(true);
  });

  it('charges the calls a check made beyond its reservation to the pace', async () => {
    const { clock, store, budget, holdUntil } = world();
    const answer = await clock.runUntil(budget.acquire('org:a', 'dying', holdUntil()));
    if (!('granted' in answer)) throw new Error('not granted');
    await budget.release(answer.granted, RESERVED_CALLS_PER_CHECK + 3);
    expect(store.items.get('org:a')?.paceAt).toBe(clock.now().getTime() + CALL_STEP_MS * 5);
  });

  it('holds every check of the org until a recorded Retry-After ends, and defers past the wait', async () => {
    const { clock, budget, holdUntil } = world();
    const begin = clock.now().getTime();
    await budget.holdOff('org:a', new Date(begin + 4_000));
    const waited = await clock.runUntil(budget.acquire('org:a', 'soon', holdUntil()));
    expect('granted' in waited).toBe(true);
    expect(clock.now().getTime()).toBe(begin + 4_000);

    await budget.holdOff('org:a', new Date(clock.now().getTime() + 60_000));
    expect(await clock.runUntil(budget.acquire('org:a', 'later', holdUntil()))).toEqual({
      deferred: 'retry_after',
    });
  });

  it('holds a check that waited for its turn when a Retry-After was recorded meanwhile', async () => {
    const { clock, store, budget, holdUntil } = world({ maxWaitMs: 60_000, maxInFlight: 10 });
    // Three checks take the burst: the fourth has a turn to wait for.
    for (const owner of ['first', 'next', 'third']) {
      expect('granted' in (await clock.runUntil(budget.acquire('org:a', owner, holdUntil())))).toBe(true);
    }
    const begin = clock.now().getTime();
    const waiting = budget.acquire('org:a', 'second', holdUntil());
    // The second reserves its turn one pace step on (its first guess refused, then the claim)...
    for (let turn = 0; turn < 3; turn += 1) await new Promise((resolve) => setImmediate(resolve));
    expect(store.items.get('org:a')?.slots.size).toBe(4);
    // ...and while it waits for it, the first check gets a 429.
    await budget.holdOff('org:a', new Date(begin + 20_000));
    const answer = await clock.runUntil(waiting);
    expect('granted' in answer).toBe(true);
    expect(clock.now().getTime()).toBeGreaterThanOrEqual(begin + 20_000);
    expect(store.reads).toBeGreaterThan(0);
  });

  it('never shortens a recorded Retry-After', async () => {
    const { clock, store, budget } = world();
    const begin = clock.now().getTime();
    await budget.holdOff('org:a', new Date(begin + 60_000));
    await budget.holdOff('org:a', new Date(begin + 1_000));
    expect(store.items.get('org:a')?.retryAfterUntil).toBe(begin + 60_000);
  });
});

describe('budgetedWebex', () => {
  it("records Webex's Retry-After on the org budget and hands the 429 to the check unchanged", async () => {
    const { clock, store, budget } = world();
    const webex = new FakeWebex(clock);
    const refusal = new WebexError('transient', 'Webex answered 429', { status: 429, retryAfterSeconds: 30 });
    webex.fail('getMe', refusal);
    const counted = budgetedWebex(webex, { budget, scope: 'org:a', clock, log: silentLog });
    await expect(counted.webex.getMe('token')).rejects.toBe(refusal);
    expect(counted.calls()).toBe(1);
    expect(store.items.get('org:a')?.retryAfterUntil).toBe(clock.now().getTime() + 30_000);
  });

  it('counts every call and records nothing for failures without a Retry-After', async () => {
    const { clock, store, budget } = world();
    const webex = new FakeWebex(clock);
    webex.fail('getMe', new WebexError('transient', 'Webex answered 503', { status: 503 }));
    const counted = budgetedWebex(webex, { budget, scope: 'org:a', clock, log: silentLog });
    await expect(counted.webex.getMe('token')).rejects.toThrow('503');
    await counted.webex.listRoles('token').catch(() => undefined);
    expect(counted.calls()).toBe(2);
    expect(store.items.get('org:a')).toBeUndefined();
  });
});
