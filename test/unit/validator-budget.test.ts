import { describe, expect, it } from 'vitest';
import { CheckBudget, DEFAULT_CHECK_BUDGET_LIMITS, type CheckBudgetLimits } from '#domain/check-budget.js';
import { WebexError } from '#domain/ports.js';
import type { ValidatorDependencies } from '#domain/validator-config.js';
import { validateAuthorization } from '#domain/validator.js';
import {
  FakeWebex,
  InMemoryAuthorizationRepository,
  InMemoryCheckBudgetStore,
  InMemoryTenantRepository,
  MemoryTokenVault,
  VirtualClock,
} from '#test-support/fakes/index.js';
import { grantedAuthorization, TEST_AUTHORIZER, testTenant } from '#test-support/fixtures.js';
import { unwatchedValidatorPorts } from '#test-support/validator-ports.js';

const INTEGRATIONS = ['presence', 'cdr'] as const;

/** Two due authorizations of one tenant (one Webex org), checked by workers sharing one budget. */
async function world(limits: Partial<CheckBudgetLimits> = {}) {
  const clock = new VirtualClock();
  const authorizations = new InMemoryAuthorizationRepository();
  const tenants = new InMemoryTenantRepository();
  tenants.put(testTenant());
  const webex = new FakeWebex(clock);
  webex.addPerson(TEST_AUTHORIZER.personId, TEST_AUTHORIZER.email);
  const vault = new MemoryTokenVault();
  for (const integration of INTEGRATIONS) {
    const material = webex.grant(TEST_AUTHORIZER.personId, integration);
    const sealedTokens = await vault.seal({ tenantId: 'acme', integration }, material);
    authorizations.put({
      ...grantedAuthorization({ tenantId: 'acme', integration, material, sealedTokens, now: clock.now() }),
      version: 1,
      nextCheckAt: clock.now().toISOString(),
    });
  }
  const store = new InMemoryCheckBudgetStore();
  const budget = new CheckBudget(store, { ...DEFAULT_CHECK_BUDGET_LIMITS, ...limits }, clock, () => 0);
  const deps: ValidatorDependencies = {
    ...unwatchedValidatorPorts(),
    authorizations,
    tenants,
    vault,
    webex,
    clock,
    checkBudget: budget,
    random: () => 0.5,
  };
  const validate = (integration: string, options: { force?: boolean } = {}) =>
    clock.runUntil(validateAuthorization(deps, { tenantId: 'acme', integration }, options));
  const record = async (integration: string) => {
    const found = await authorizations.get('acme', integration);
    if (!found) throw new Error(`no record ${integration}`);
    return found;
  };
  return { clock, webex, store, budget, validate, record };
}

describe('validateAuthorization within the org budget', () => {
  it('defers a sweep check the org has no budget for: no Webex call, the record as it was and still due', async () => {
    const { clock, webex, budget, validate, record } = await world({ maxWaitMs: 0 });
    await budget.holdOff(`org:${TEST_AUTHORIZER.orgId}`, new Date(clock.now().getTime() + 60_000));
    const before = await record('presence');
    webex.calls.length = 0;

    expect(await validate('presence')).toEqual({ kind: 'skipped', reason: 'deferred' });

    expect(webex.calls).toEqual([]);
    const after = await record('presence');
    // The lease is taken and given back (version +2); nothing of the check itself is written.
    expect({ ...after, version: before.version }).toEqual(before);
    expect(Date.parse(after.nextCheckAt ?? '')).toBeLessThanOrEqual(clock.now().getTime());
  });

  it('checks with budget at the cost of one budget write when the org is idle', async () => {
    const { store, validate, record } = await world();
    expect(await validate('presence')).toMatchObject({ kind: 'checked', status: 'active' });
    expect((await record('presence')).status).toBe('active');
    expect(store.writes).toBe(1);
  });

  it("does not hold an operator's forced check", async () => {
    const { clock, budget, validate } = await world({ maxWaitMs: 0 });
    await budget.holdOff(`org:${TEST_AUTHORIZER.orgId}`, new Date(clock.now().getTime() + 60_000));
    expect(await validate('presence', { force: true })).toMatchObject({ kind: 'checked' });
  });

  it("holds the org's other checks until a 429's Retry-After ends, without failing them", async () => {
    const { clock, webex, validate, record } = await world({ maxWaitMs: 0 });
    webex.fail(
      'getMe',
      new WebexError('transient', 'Webex answered 429', { status: 429, retryAfterSeconds: 120 }),
    );
    expect(await validate('presence')).toMatchObject({ kind: 'checked', status: 'active' });
    const started = clock.now().getTime();

    // Another worker, the same org: it waits for the Retry-After, not for its own 429.
    webex.calls.length = 0;
    expect(await validate('cdr')).toEqual({ kind: 'skipped', reason: 'deferred' });
    expect(webex.calls).toEqual([]);
    expect(await record('cdr')).toMatchObject({ status: 'active', consecutiveFailures: 0 });

    await clock.runUntil(clock.sleep(started + 120_000 - clock.now().getTime()));
    expect(await validate('cdr')).toMatchObject({ kind: 'checked', status: 'active' });
  });
});
