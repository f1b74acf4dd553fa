import { budgetedWebex, budgetScopeOf, type CheckBudget } from './check-budget.js';
import type { Authorization } from './model.js';
import type { ValidationOutcome, ValidatorDependencies } from './validator-config.js';

/**
 * Runs one sweep check inside its org's Webex call budget (check-budget.ts): takes a slot and
 * waits for the check's turn, runs it with a Webex client that counts its calls and records a
 * Retry-After for every worker, then frees the slot and charges the calls made beyond the
 * reservation. No budget within the wait: the check is deferred, not failed: nothing is written,
 * so the record keeps its status and stays due, and the next sweep queues it again.
 */
export async function withinCheckBudget(
  deps: ValidatorDependencies,
  budget: CheckBudget,
  check: { record: Authorization; owner: string; holdUntil: Date },
  run: (budgeted: ValidatorDependencies) => Promise<ValidationOutcome>,
): Promise<ValidationOutcome> {
  const { record, owner } = check;
  const key = { tenantId: record.tenantId, integration: record.integration };
  const scope = budgetScopeOf(record);
  const answer = await budget.acquire(scope, owner, check.holdUntil);
  if ('deferred' in answer) {
    deps.log.info('No Webex call budget left for the org now; the check stays due for the next sweep', {
      ...key,
      scope,
      reason: answer.deferred,
    });
    return { kind: 'skipped', reason: 'deferred' };
  }
  const counted = budgetedWebex(deps.webex, { budget, scope, clock: deps.clock, log: deps.log });
  try {
    return await run({ ...deps, webex: counted.webex });
  } finally {
    await budget.release(answer.granted, counted.calls()).catch((error: unknown) =>
      deps.log.warn('Could not free the check budget slot; it frees itself at the lease end', {
        ...key,
        scope,
        error: String(error),
      }),
    );
  }
}
