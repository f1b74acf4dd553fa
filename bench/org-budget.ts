import {
  budgetedWebex,
  budgetScopeOf,
  CheckBudget,
  DEFAULT_CHECK_BUDGET_LIMITS,
  type CheckBudgetLimits,
} from '#domain/check-budget.js';
import { silentLog, WebexError, type WebexClient, type WebexPerson } from '#domain/ports.js';
import { InMemoryCheckBudgetStore, VirtualClock } from '#test-support/fakes/index.js';
import { seededRandom } from '#test-support/security-chaos.js';

/*
 * Issue 18 item 2's bench: one org with 5,000 authorizations, all due, drained by the deployed
 * worker concurrency through the real budget code (CheckBudget: slots, pace, Retry-After) in
 * simulated time, over the DynamoDB store's conditions held in memory (check-budget-store.ts;
 * test/integration/check-budget.test.ts races the DynamoDB adapter itself). Every Webex call is
 * timed where Webex would receive it, so what is measured is what the org's rate limit sees.
 */

const MINUTE_MS = 60_000;
/** The lease a worker takes before asking for budget (ValidatorConfig.leaseSeconds). */
const LEASE_MS = 300_000;
/** Lambda's concurrency on the validation queue: maxConcurrency 5 x batches of 10 (lib/validator.ts). */
const WORKERS = 50;
/** Webex answers the org's first call after this with 429 and a Retry-After, to see every worker hold. */
const RETRY_AFTER_AT_MS = 5 * MINUTE_MS;
const RETRY_AFTER_SECONDS = 60;

export interface OrgBudgetResult {
  authorizations: number;
  limits: CheckBudgetLimits;
  sweepRateMinutes: number;
  workers: number;
  /** Sweeps until every authorization was checked once. */
  sweeps: number;
  checked: number;
  /** Checks deferred (left due for the next sweep). */
  deferred: number;
  /** Most checks with a Webex call outstanding at once. */
  maxInFlight: number;
  /** Most Webex calls in any 60 seconds, sliding. */
  maxCallsPerMinute: number;
  /** Webex calls sent while the recorded Retry-After ran (must be none). */
  callsDuringRetryAfter: number;
  /** Simulated minutes until the last check ended. */
  minutes: number;
}

/** A Webex stand-in on the simulated clock: each call takes 80 to 600 ms (one in 50 three seconds). */
class TimedWebex {
  readonly sentAt: number[] = [];
  inFlight = 0;
  maxInFlight = 0;
  private retryAfterSent = false;
  /** When the 429 was answered and until when it asked to wait. */
  retryAfter: { from: number; until: number } | undefined;

  constructor(
    private readonly clock: VirtualClock,
    private readonly random: () => number,
  ) {}

  private async call<T>(answer: T): Promise<T> {
    const now = this.clock.now().getTime();
    this.sentAt.push(now);
    if (!this.retryAfterSent && now >= RETRY_AFTER_AT_MS) {
      this.retryAfterSent = true;
      this.retryAfter = { from: now, until: now + RETRY_AFTER_SECONDS * 1000 };
      throw new WebexError('transient', 'Webex answered 429', {
        status: 429,
        retryAfterSeconds: RETRY_AFTER_SECONDS,
      });
    }
    const draw = this.random();
    await this.clock.sleep(draw < 0.02 ? 3_000 : 80 + 520 * this.random());
    return answer;
  }

  /** The client one check uses: `people/me` and `/v1/roles`, as the probe sends them. */
  client(): WebexClient {
    const person: WebexPerson = {
      id: 'p',
      emails: [],
      displayName: 'p',
      orgId: 'o',
      roles: [],
      type: 'person',
    };
    const refuse = () => Promise.reject(new Error('not used by the probe'));
    return {
      exchangeCode: refuse,
      refresh: refuse,
      getPerson: refuse,
      revokeAuthorizations: refuse,
      getMe: () => this.call(person),
      listRoles: () => this.call([]),
    };
  }

  /** One check's probe: both calls together, counted as one check in flight. */
  async probe(webex: WebexClient): Promise<void> {
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await Promise.allSettled([webex.getMe('token'), webex.listRoles('token')]);
    } finally {
      this.inFlight -= 1;
    }
  }
}

/** Most timestamps within any window of `windowMs` (sorted input). */
function mostInWindow(sorted: readonly number[], windowMs: number): number {
  let most = 0;
  let first = 0;
  for (let last = 0; last < sorted.length; last += 1) {
    while ((sorted[last] ?? 0) - (sorted[first] ?? 0) >= windowMs) first += 1;
    most = Math.max(most, last - first + 1);
  }
  return most;
}

/**
 * Sweeps one org of `authorizations` due authorizations: each sweep queues every one still due
 * (as the dispatcher does, all at its start), `WORKERS` consumers take them one by one, ask the
 * org's budget, and probe or defer; deferred ones stay due for the next sweep, `sweepRateMinutes`
 * later. Ends when all were checked once.
 */
export async function simulateOrgBudget(input: {
  authorizations: number;
  sweepRateMinutes: number;
  limits?: CheckBudgetLimits;
  seed: number;
}): Promise<OrgBudgetResult> {
  const limits = input.limits ?? DEFAULT_CHECK_BUDGET_LIMITS;
  const clock = new VirtualClock(new Date(0));
  const random = seededRandom(input.seed);
  const budget = new CheckBudget(new InMemoryCheckBudgetStore(), limits, clock, random);
  const webex = new TimedWebex(clock, random);
  const scope = budgetScopeOf({ tenantId: 'bench', authorizer: { orgId: 'bench-org' } });
  let due = Array.from({ length: input.authorizations }, (_, index) => index);
  let sweeps = 0;
  let deferred = 0;
  let checked = 0;
  let lastEnd = 0;
  while (due.length > 0) {
    if (sweeps > 50) throw new Error(`the org was not checked in 50 sweeps: ${due.length} left`);
    const sweepAt = sweeps * input.sweepRateMinutes * MINUTE_MS;
    await clock.runUntil(clock.sleep(sweepAt - clock.now().getTime()));
    sweeps += 1;
    const queue = [...due];
    const left: number[] = [];
    const worker = async () => {
      for (let key = queue.shift(); key !== undefined; key = queue.shift()) {
        const owner = `check-${key}-${sweeps}`;
        const answer = await budget.acquire(scope, owner, new Date(clock.now().getTime() + LEASE_MS));
        if ('deferred' in answer) {
          deferred += 1;
          left.push(key);
          continue;
        }
        const counted = budgetedWebex(webex.client(), { budget, scope, clock, log: silentLog });
        await webex.probe(counted.webex);
        await budget.release(answer.granted, counted.calls());
        checked += 1;
        lastEnd = clock.now().getTime();
      }
    };
    await clock.runUntil(Promise.all(Array.from({ length: WORKERS }, worker)));
    due = left;
  }
  const sent = [...webex.sentAt].sort((a, b) => a - b);
  const hold = webex.retryAfter;
  return {
    authorizations: input.authorizations,
    limits,
    sweepRateMinutes: input.sweepRateMinutes,
    workers: WORKERS,
    sweeps,
    checked,
    deferred,
    maxInFlight: webex.maxInFlight,
    maxCallsPerMinute: mostInWindow(sent, MINUTE_MS),
    callsDuringRetryAfter: hold ? sent.filter((at) => at > hold.from && at < hold.until).length : 0,
    minutes: lastEnd / MINUTE_MS,
  };
}

const fixed = (value: number, digits = 2) => value.toFixed(digits);

/** The target row: in flight and calls per minute never above the org's budget, nothing lost. */
export function orgBudgetTarget(result: OrgBudgetResult): {
  name: string;
  pass: boolean;
  ratio: string;
  detail: string;
} {
  const inFlight = result.maxInFlight / result.limits.maxInFlight;
  const perMinute = result.maxCallsPerMinute / result.limits.callsPerMinute;
  return {
    name: `Per-org Webex budget: one org with ${result.authorizations.toLocaleString('en-US')} authorizations never exceeds its checks in flight or calls per minute, honours Retry-After, loses none`,
    pass:
      inFlight <= 1 &&
      perMinute <= 1 &&
      result.callsDuringRetryAfter === 0 &&
      result.checked === result.authorizations,
    ratio: `in flight ${fixed(inFlight)}, calls/min ${fixed(perMinute)} (limit 1)`,
    detail:
      `${result.maxInFlight}/${result.limits.maxInFlight} in flight, ${result.maxCallsPerMinute}/${result.limits.callsPerMinute} calls in any minute, ` +
      `${result.callsDuringRetryAfter} calls during a Retry-After, ${result.checked}/${result.authorizations} checked (see Webex call budget per org)`,
  };
}

/** The report's section on it. */
export function renderOrgBudgetSection(result: OrgBudgetResult): string {
  return (
    `## Webex call budget per org\n\n` +
    `One org with ${result.authorizations.toLocaleString('en-US')} authorizations, all due, swept every ${result.sweepRateMinutes} minutes ` +
    `by ${result.workers} concurrent checks (the worker's maxConcurrency times its batch), each asking the org's budget ` +
    `(bench/org-budget.ts: the real \`CheckBudget\` in simulated time, Webex answering in 80 to 600 ms, one call in 50 ` +
    `in 3 s; ${RETRY_AFTER_SECONDS} s Retry-After on one 429 five minutes in). Budget: ${result.limits.maxInFlight} checks in flight, ` +
    `${result.limits.callsPerMinute} calls per minute, ${fixed(result.limits.maxWaitMs / 1000, 0)} s longest wait.\n\n` +
    `| measured | value | budget |\n| --- | ---: | ---: |\n` +
    `| checks in flight at Webex, most | ${result.maxInFlight} | ${result.limits.maxInFlight} |\n` +
    `| Webex calls in any 60 s, most | ${result.maxCallsPerMinute} | ${result.limits.callsPerMinute} |\n` +
    `| calls sent during the Retry-After | ${result.callsDuringRetryAfter} | 0 |\n` +
    `| checks deferred to a later sweep | ${result.deferred} | |\n` +
    `| sweeps until all were checked | ${result.sweeps} | |\n` +
    `| minutes until the last check | ${fixed(result.minutes, 1)} | |\n`
  );
}
