import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpWebexClient } from '#adapters/webex-client.js';
import { tableDefinition } from '#adapters/table-definition.js';
import { callbackUrl } from '#domain/onboarding-portal.js';
import { systemClock } from '#domain/ports.js';
import { runSweep } from '#domain/sweep.js';
import type { ValidatorDependencies } from '#domain/validator-config.js';
import type { WebexSimulator } from '#local/webex-simulator/index.js';
import { MemoryAlertLedger } from '#local/adapters/memory-alert-ledger.js';
import { BenchOrgs, seedAuthorizations } from '#bench/seed.js';
import { inMemoryRepositories, MemoryTokenVault, RecordingPublisher } from '#test-support/fakes/index.js';
import { NotifierHarness, NOTIFIER_OPS } from '#test-support/notifier-harness.js';
import { PUBLIC_BASE_URL, startSimulator, validatorOnSimulator } from '#test-support/validator-harness.js';

const AUTHORIZATIONS = 1000;
const OUTAGE_MINUTES = 45;
/** How often the storm's simulated time sweeps and the notifier flushes: the default sweep period. */
const STEP_SECONDS = 900;

/*
 * An alert storm: Webex (the simulator, over HTTP) answers 5xx to every call for 45 minutes of
 * simulated time, then is healthy again, while the real validator checks 1,000 authorizations and
 * the notifier gets every event it publishes. The repositories are the in-memory ones (DynamoDB
 * Local would take minutes for the storm's writes; the DynamoDB adapters have their own tests).
 * The customers hear nothing; ops get digests, at most one per period.
 */
describe('an alert storm through the notifier', () => {
  let sim: WebexSimulator;
  beforeAll(async () => {
    sim = await startSimulator();
  });
  afterAll(async () => {
    await sim.close();
  });

  /** Sweeps every STEP_SECONDS of simulated time for `minutes`, handing every event to the notifier. */
  async function sweepFor(deps: ValidatorDependencies, notifier: NotifierHarness, minutes: number) {
    for (let elapsed = 0; elapsed < minutes * 60; elapsed += STEP_SECONDS) {
      sim.world.advanceClock(STEP_SECONDS);
      const report = await runSweep(deps, { shards: tableDefinition.dueShards, concurrency: 16 });
      expect(report.errors).toEqual([]);
      await notifier.notifyPublished();
      await notifier.flush();
    }
  }

  it(`${AUTHORIZATIONS} authorizations, Webex 5xx for ${OUTAGE_MINUTES} minutes, then healthy: zero customer mails, at most one ops digest per period`, async () => {
    const repos = inMemoryRepositories();
    const vault = new MemoryTokenVault();
    const events = new RecordingPublisher();
    const clock = { now: () => new Date(sim.world.now()), sleep: systemClock.sleep };
    const linkKey = randomBytes(32);
    const deps = validatorOnSimulator({
      repos,
      vault,
      webex: new HttpWebexClient({ baseUrl: sim.url, timeoutMs: 2000 }),
      events,
      clock,
      linkKeys: { get: async () => linkKey },
    });
    const notifier = new NotifierHarness({ deps, events }, new MemoryAlertLedger());
    const seeded = await seedAuthorizations({
      world: sim.world,
      orgs: new BenchOrgs(sim.world),
      repos,
      vault,
      tenantPrefix: 'storm',
      authorizations: AUTHORIZATIONS,
      dueFraction: 1,
      now: clock.now(),
      redirectUri: callbackUrl(PUBLIC_BASE_URL),
    });
    expect(seeded.authorizations).toBe(AUTHORIZATIONS);

    sim.world.faults.update({ rate5xx: 1 });
    await sweepFor(deps, notifier, OUTAGE_MINUTES);
    expect(events.countsByType().degraded).toBe(AUTHORIZATIONS);
    sim.world.faults.update({ rate5xx: 0 });
    await sweepFor(deps, notifier, 30);
    expect(events.countsByType().restored).toBe(AUTHORIZATIONS);
    expect(events.countsByType().invalidated).toBeUndefined();
    sim.world.advanceClock(notifier.deps.policy.digestPeriodSeconds);
    await notifier.flush();

    expect(notifier.mail.sent.filter((message) => message.to !== NOTIFIER_OPS)).toEqual([]);
    const digests = notifier.to(NOTIFIER_OPS);
    expect(digests.map((message) => message.tags.kind)).toEqual(digests.map(() => 'digest'));
    const periods = digests.map((message) => message.idempotencyKey.split('#')[0]);
    expect(periods.length).toBeGreaterThanOrEqual(1);
    expect(new Set(periods).size).toBe(periods.length);
    // Every authorization's degraded is counted in a digest, once.
    const counted = digests.map((message) => message.text).join('\n');
    const degraded = [...counted.matchAll(/^- degraded: (\d+)$/gm)].map((match) => Number(match[1]));
    expect(degraded.reduce((sum, count) => sum + count, 0)).toBe(AUTHORIZATIONS);
  }, 240_000);
});
