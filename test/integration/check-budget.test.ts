import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoDbCheckBudgetStore } from '#adapters/dynamodb/check-budget.store.js';
import { CheckBudget, type CheckBudgetLimits } from '#domain/check-budget.js';
import { systemClock, type Clock } from '#domain/ports.js';
import type { ValidatorDependencies } from '#domain/validator-config.js';
import { createTestTable, type TestTable } from '#test-support/dynamodb.js';
import { harnessPerTest } from '#test-support/validator-harness.js';

/** One worker's budget: its own instance (as in its own Lambda), on the shared table. */
function workerBudget(table: TestTable, limits: CheckBudgetLimits, clock: Clock = systemClock): CheckBudget {
  return new CheckBudget(new DynamoDbCheckBudgetStore(table.documentClient, table.tableName), limits, clock);
}

describe('the Webex call budget per org on DynamoDB Local', () => {
  it("gives two racing workers no more of one org's slots than its limit, paced, and frees what was in demand", async () => {
    const table = await createTestTable('budget');
    try {
      const limits: CheckBudgetLimits = { maxInFlight: 3, callsPerMinute: 3000, maxWaitMs: 30_000 };
      const stepMs = 2 * Math.ceil(60_000 / (limits.callsPerMinute * 0.9));
      const workers = [workerBudget(table, limits), workerBudget(table, limits)];
      let inFlight = 0;
      let most = 0;
      const begin = Date.now();
      const outcomes = await Promise.all(
        workers.flatMap((budget, worker) =>
          Array.from({ length: 8 }, async (_, index) => {
            const answer = await budget.acquire(
              'org:race',
              `w${worker}-${index}`,
              new Date(Date.now() + 60_000),
            );
            if (!('granted' in answer)) return answer.deferred;
            inFlight += 1;
            most = Math.max(most, inFlight);
            await systemClock.sleep(60);
            inFlight -= 1;
            await budget.release(answer.granted, 2);
            return 'checked';
          }),
        ),
      );
      expect(outcomes.filter((outcome) => outcome !== 'checked')).toEqual([]);
      expect(most).toBeLessThanOrEqual(limits.maxInFlight);
      // 16 starts, one pace step apart: the last cannot begin before 15 steps have passed.
      expect(Date.now() - begin).toBeGreaterThanOrEqual(15 * stepMs);
      const item = await table.documentClient.send(
        new GetCommand({ TableName: table.tableName, Key: { pk: 'BUDGET#org:race', sk: 'BUDGET' } }),
      );
      // Only a claim that found the org idle may leave its slot to free itself (at its hold time).
      const lingering = Object.keys(item.Item ?? {}).filter((name) => name.startsWith('slot'));
      expect(lingering.length).toBeLessThanOrEqual(Math.floor(limits.maxInFlight / 2));
    } finally {
      await table.drop();
    }
  }, 60_000);

  describe('a Retry-After one worker got', () => {
    const setup = harnessPerTest();

    it("holds the org's checks on every other worker until it ends, and fails none of them", async () => {
      const h = await setup();
      await h.authorize('presence');
      await h.authorize('cdr');
      h.advance(3600);
      const limits: CheckBudgetLimits = { maxInFlight: 10, callsPerMinute: 600, maxWaitMs: 0 };
      const worker = (): ValidatorDependencies => ({
        ...h.deps,
        checkBudget: workerBudget(h.table, limits, h.clock),
      });
      const [first, second] = [worker(), worker()];

      await h.control('faults', { next429: 1, retryAfterSeconds: 30 });
      expect(await h.validate('presence', first)).toMatchObject({ kind: 'checked', status: 'active' });

      const before = await h.record('cdr');
      expect(await h.validate('cdr', second)).toEqual({ kind: 'skipped', reason: 'deferred' });
      const after = await h.record('cdr');
      expect(after).toMatchObject({
        status: 'active',
        consecutiveFailures: 0,
        nextCheckAt: before.nextCheckAt,
        validatedAt: before.validatedAt,
      });

      h.advance(31);
      expect(await h.validate('cdr', second)).toMatchObject({ kind: 'checked', status: 'active' });
      const checked = await h.record('cdr');
      expect(checked.validatedAt).toBeDefined();
      expect(checked.validatedAt).not.toBe(before.validatedAt);
    }, 60_000);
  });
});
