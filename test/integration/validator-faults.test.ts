import type { SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ValidatorDependencies } from '#domain/validator-config.js';
import { createValidatorWorkerHandler } from '#functions/validator-worker.app.js';
import type { WebexSimulator } from '#local/webex-simulator/index.js';
import { createTestTable, type TestTable } from '#test-support/dynamodb.js';
import { lambdaContext, silentObservability, sqsRecord } from '#test-support/fixtures.js';
import { Crash, crashing, type CrashPlan } from '#test-support/crash-plan.js';
import { startSimulator, ValidatorHarness } from '#test-support/validator-harness.js';

const DAY = 86_400;

/**
 * The one window no outbox can close: the run died after the publish returned but before the
 * marker was cleared, so the retry publishes the same event (same eventId) a second time.
 */
function diedBetweenPublishAndClear(plan: CrashPlan): boolean {
  const published = plan.completed.lastIndexOf('events.publish');
  return published >= 0 && !plan.completed.slice(published).includes('authorizations.save');
}

function crashingDeps(deps: ValidatorDependencies, plan: CrashPlan): ValidatorDependencies {
  const link = crashing({ issue: deps.reauthorizeLink }, 'reauthorizeLink', plan);
  return {
    ...deps,
    authorizations: crashing(deps.authorizations, 'authorizations', plan),
    tenants: crashing(deps.tenants, 'tenants', plan),
    vault: crashing(deps.vault, 'vault', plan),
    webex: crashing(deps.webex, 'webex', plan),
    clientSecrets: crashing(deps.clientSecrets, 'clientSecrets', plan),
    events: crashing(deps.events, 'events', plan),
    reauthorizeLink: (tenant) => link.issue(tenant),
  };
}

describe('validator crash safety against DynamoDB Local and the Webex simulator', () => {
  let sim: WebexSimulator;
  let table: TestTable;
  let tenants = 0;

  beforeAll(async () => {
    sim = await startSimulator();
    await fetch(`${sim.url}/_sim/reset`, { method: 'POST' });
    table = await createTestTable('validator-faults');
  });
  afterAll(async () => {
    await sim?.close();
    await table?.drop();
  });

  /** A new tenant on the shared table, so each of the many runs starts clean. */
  async function tenant(): Promise<ValidatorHarness> {
    tenants += 1;
    return ValidatorHarness.create(sim, { table, tenant: { tenantId: `crash-${tenants}` } });
  }

  /**
   * Kills a run at every port call in turn (before it, and just after it returned), lets the
   * lease expire, runs again cleanly, and hands each outcome to `check`.
   */
  async function crashEverywhere(
    prepare: (h: ValidatorHarness) => Promise<void>,
    check: (h: ValidatorHarness, plan: CrashPlan) => Promise<void>,
  ): Promise<string[]> {
    const steps: string[] = [];
    for (const mode of ['before', 'after'] as const) {
      for (let at = 1; ; at += 1) {
        const h = await tenant();
        await prepare(h);
        const plan: CrashPlan = { at, mode, count: 0, completed: [] };
        await h.validate('presence', crashingDeps(h.deps, plan)).catch((error: unknown) => {
          if (!(error instanceof Crash)) throw error;
        });
        if (!plan.fired) break;
        steps.push(`${mode} ${plan.fired}`);
        h.advance(h.deps.config.leaseSeconds + 1);
        await h.validate('presence');
        await check(h, plan);
      }
    }
    return steps;
  }

  it('loses no token and records consistent expiries when a refresh run dies at any step', async () => {
    const steps = await crashEverywhere(
      async (h) => {
        await h.authorize('presence');
        h.advance(12.5 * DAY);
      },
      async (h, plan) => {
        const where = `${plan.mode} ${plan.fired}`;
        expect(await h.tokenWorks('presence'), where).toBe(true);
        const record = await h.record('presence');
        const material = await h.vault.tokensOf(record);
        expect(record, where).toMatchObject({
          status: 'active',
          accessTokenExpiresAt: material.accessTokenExpiresAt,
        });
        expect(record.pendingEvent, where).toBeUndefined();
        // A lease left by a run that died has expired: nobody is locked out.
        expect(Date.parse(record.leaseUntil ?? '1970-01-01T00:00:00Z'), where).toBeLessThanOrEqual(
          h.clock.now().getTime(),
        );
        const refreshed = h.events.published.filter((p) => p.event.type === 'refreshed');
        expect(refreshed, where).toHaveLength(diedBetweenPublishAndClear(plan) ? 2 : 1);
        expect(new Set(refreshed.map((p) => p.event.eventId)).size, where).toBe(1);
      },
    );
    // Every step of the run was hit: the seal, the save of the tokens, the check's own save.
    expect(steps).toEqual(
      expect.arrayContaining([
        'after webex.refresh',
        'after vault.seal',
        'before authorizations.save',
        'after authorizations.save',
      ]),
    );
    expect(steps.indexOf('before vault.seal')).toBeLessThan(steps.indexOf('before authorizations.save'));
  }, 120_000);

  it('sends the invalidation alert once when an invalidating run dies at any step', async () => {
    await crashEverywhere(
      async (h) => {
        await h.authorize('presence');
        h.advance(120);
        await h.control('people/admin@demo.example/password-change');
      },
      async (h, plan) => {
        const where = `${plan.mode} ${plan.fired}`;
        const record = await h.record('presence');
        expect(record, where).toMatchObject({ status: 'invalid' });
        expect(record.pendingEvent, where).toBeUndefined();
        const alerts = h.events.published.filter((p) => p.event.type === 'invalidated');
        expect(alerts, where).toHaveLength(diedBetweenPublishAndClear(plan) ? 2 : 1);
        expect(new Set(alerts.map((p) => p.event.eventId)).size, where).toBe(1);
        expect(
          alerts.every((p) => p.alert?.text.includes('Re-authorize: http://keeper.test/connect/')),
          where,
        ).toBe(true);
        const history = await h.repos.history.list(h.tenant.tenantId, { limit: 10 });
        expect(
          history.items.filter((e) => e.type === 'invalidated'),
          where,
        ).toHaveLength(1);
      },
    );
  }, 120_000);

  it('sends one alert when the same message is delivered twice, at once and later', async () => {
    const h = await tenant();
    await h.authorize('presence');
    h.advance(120);
    await h.control('people/admin@demo.example/password-change');
    const handler = createValidatorWorkerHandler(h.deps, silentObservability('validator-faults'));
    const body = JSON.stringify({ tenantId: h.tenant.tenantId, integration: 'presence' });
    const delivery = (id: string) => sqsRecord(id, body);
    const twice: SQSEvent = { Records: [delivery('a'), delivery('b')] };
    expect((await handler(twice, lambdaContext())).batchItemFailures).toEqual([]);
    expect((await handler({ Records: [delivery('c')] }, lambdaContext())).batchItemFailures).toEqual([]);
    expect(h.types()).toEqual(['presence:invalidated']);
  });

  it('lets one of two workers on the same authorizations do the work, with one alert per transition', async () => {
    const h = await tenant();
    for (const key of ['users-sync', 'presence', 'call-control']) await h.authorize(key);
    h.advance(120);
    await h.control('people/admin@demo.example/password-change');
    const keys = ['users-sync', 'presence', 'call-control'];
    const outcomes = await Promise.all([...keys, ...keys].map((key) => h.validate(key)));
    expect(outcomes.filter((o) => o.kind === 'checked')).toHaveLength(3);
    expect(h.types().sort()).toEqual([
      'call-control:invalidated',
      'presence:invalidated',
      'users-sync:invalidated',
    ]);
    for (const { event } of h.events.published) {
      expect(event).toMatchObject({
        cause: 'password_change_or_deactivation_or_role_removal',
        confidence: 'likely',
      });
    }
  });

  it('keeps the newer work when a worker outlives its lease', async () => {
    const h = await tenant();
    await h.authorize('presence');
    h.advance(12.5 * DAY);
    let resume: () => void = () => undefined;
    const paused = new Promise<void>((resolve) => {
      resume = resolve;
    });
    let stalled: () => void = () => undefined;
    const holdsLease = new Promise<void>((resolve) => {
      stalled = resolve;
    });
    // Worker A takes the lease, then stalls (a long GC pause, a slow network) past its end.
    const slowWebex = new Proxy(h.deps.webex, {
      get(target, property) {
        const value: unknown = Reflect.get(target, property);
        if (property !== 'refresh' || typeof value !== 'function') return value;
        return async (...args: unknown[]) => {
          // A refreshes only under its lease: from here on B may find that lease.
          stalled();
          await paused;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    const slow = h.validate('presence', { ...h.deps, webex: slowWebex });
    await holdsLease;
    h.advance(h.deps.config.leaseSeconds + 1);
    // Worker B finds the lease expired and does the whole check.
    expect(await h.validate('presence')).toMatchObject({ kind: 'checked', refreshed: true });
    const afterB = await h.record('presence');
    resume();
    expect(await slow).toEqual({ kind: 'skipped', reason: 'superseded' });
    const final = await h.record('presence');
    expect(final.version).toBe(afterB.version);
    expect(final.accessTokenExpiresAt).toBe((await h.vault.tokensOf(final)).accessTokenExpiresAt);
    expect(await h.tokenWorks('presence')).toBe(true);
    expect(h.types()).toEqual(['presence:refreshed']);
  });
});
