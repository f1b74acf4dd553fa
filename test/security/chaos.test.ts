import { Logger } from '@aws-lambda-powertools/logger';
import { openRecordTokens } from '#test-support/fakes/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tableDefinition } from '#adapters/table-definition.js';
import type { AuthorizationEvent } from '#domain/model.js';
import { runSweep } from '#domain/sweep.js';
import { AuthorizationDegradedError, createTokenAccess } from '#functions/token-access.js';
import { DEFAULT_ALERT_POLICY } from '#domain/alert-policy.js';
import { flushNotifications } from '#domain/notifier.js';
import { composeLocal, composeLocalNotifier } from '#local/local-api.js';
import { ManualClock } from '#test-support/fakes/index.js';
import {
  Chaos,
  InjectedFaultError,
  seededRandom,
  seedFromEnvironment,
  strikesAmong,
} from '#test-support/security-chaos.js';
import {
  accessTokenWorks,
  addOrgWithAdmin,
  linkTokenOf,
  onboardOverHttp,
  refreshTokenWorks,
  request,
  simControl,
  startTestLocalSystem,
  type TestLocalSystem,
} from '#test-support/security-local.js';
import { silentLog, systemClock } from '#domain/ports.js';

/** Replays a run: `SEED=<the seed in the test's name> npm run test:security`. */
const SEED = seedFromEnvironment();
/** Rounds of faults: each one sweep alongside waves of token reads. */
const ROUNDS = 12;
/** The round in which the doomed tenant's admin changes their password: a real death among the faults. */
const KILL_IN_ROUND = 4;
/** Waves of token reads (one per integration, at once) in each round, one after the other. */
const READ_WAVES_PER_ROUND = 3;
/** About how many Webex calls a round makes: the simulator's 429s and 5xx are drawn over these. */
const WEBEX_CALLS_PER_ROUND = 30;
/** Share of Webex calls answered 429, and again 5xx. */
const WEBEX_FAULT_RATE = 0.15;
const DEMO_ADMIN = 'admin@demo.example';
/** Short access tokens, so the validator and token access refresh (and write the vault) during the run. */
const ACCESS_TOKEN_SECONDS = 30;

/**
 * Rounds of one sweep alongside waves of on-demand token reads on the local system, while the
 * Webex simulator answers some of each round's calls 429/5xx with latency, the authorization
 * repository meets conditional conflicts and taken leases, and the vault fails writes and reads.
 * In one round one tenant's admin changes their password. Then the faults stop and clean sweeps
 * run. Every fault is drawn from the seed, and the run is counted in rounds, not in seconds.
 */
describe(`chaos (SEED=${SEED}): faults cost no valid authorization, no token and no second alert`, () => {
  let local: TestLocalSystem;
  let doomedAdmin = '';

  beforeAll(async () => {
    // CloudWatch metric lines mean nothing here and would bury the report (npm start does the same).
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';
    local = await startTestLocalSystem({ logLevel: 'ERROR' });
    const { system } = local;
    await simControl(system, 'settings', { accessTokenLifetimeSeconds: ACCESS_TOKEN_SECONDS });
    doomedAdmin = (await addOrgWithAdmin(system, 'Doomed Org')).email;
    const created = await request(`${system.api.url}/admin/tenants`, {
      method: 'POST',
      body: { tenantId: 'doomed', name: 'Doomed Inc', contacts: ['it@doomed.example'] },
    });
    expect(created.status).toBe(201);
    const link = await request(`${system.api.url}/admin/tenants/doomed/links`, { method: 'POST', body: {} });
    const doomedLink = linkTokenOf((JSON.parse(link.body) as { url: string }).url);
    const demoLink = linkTokenOf(await system.demoPortalUrl());
    for (const integration of system.catalog.keys) {
      expect((await onboardOverHttp(system, demoLink, integration, DEMO_ADMIN)).callback.status).toBe(200);
      expect((await onboardOverHttp(system, doomedLink, integration, doomedAdmin)).callback.status).toBe(200);
    }
  }, 60_000);

  afterAll(async () => {
    await local?.stop();
  });

  it('keeps every valid authorization and token, and sends one alert per real transition', async () => {
    const { system } = local;
    const chaos = new Chaos({ saveConflict: 0.2, leaseTaken: 0.1, vaultWrite: 0.25, vaultRead: 0.1 }, SEED);
    // A stream of its own: each round's Webex faults do not depend on how the last round's calls
    // interleaved (which decides how many draws the repository and the vault took).
    const webexFaults = seededRandom(SEED + 1);
    const logger = new Logger({ serviceName: 'chaos', logLevel: 'SILENT' });
    const base = composeLocal(
      system,
      { checkIntervalSeconds: 900, passwordMaxAgeDays: 1825, linkTtlDays: 14 },
      logger,
    ).validator;
    const deps = {
      ...base,
      authorizations: chaos.repository(base.authorizations),
      vault: chaos.vault(base.vault),
    };
    const tokens = createTokenAccess({
      authorizations: deps.authorizations,
      tenants: base.tenants,
      vault: deps.vault,
      webex: base.webex,
      clientSecrets: base.clientSecrets,
      catalog: system.catalog,
      clock: systemClock,
      log: silentLog,
      // Every read finds less than this left of its token, so it refreshes, racing the sweeps, and
      // writes the vault. With 28 s, a read within 2 s of the last refresh was served as it was:
      // the faster the engine, the fewer vault writes, and one CI run made too few to draw a fault.
      refreshMarginMs: ACCESS_TOKEN_SECONDS * 1000,
      cacheTtlMs: 0,
      leaseWaitMs: 500,
    });

    await simControl(system, 'faults', { latencyMs: 15, retryAfterSeconds: 0 });
    let sweeps = 0;
    let sweepErrors = 0;
    let reads = 0;
    let served = 0;
    const unexpected: string[] = [];

    const sweep = async () => {
      const report = await runSweep(deps, { shards: tableDefinition.dueShards, horizonSeconds: 3600 });
      sweeps += 1;
      sweepErrors += report.errors.length;
      for (const { error } of report.errors) {
        if (!(error instanceof InjectedFaultError)) unexpected.push(`sweep: ${String(error)}`);
      }
    };
    const readWave = async () => {
      await Promise.all(
        system.catalog.keys.map(async (integration) => {
          reads += 1;
          try {
            await tokens.getAccessToken('demo', integration);
            served += 1;
          } catch (error) {
            // Webex busy or the vault down: "retry later". Anything else (invalid!) is a defect.
            if (error instanceof AuthorizationDegradedError || error instanceof InjectedFaultError) return;
            unexpected.push(`token access ${integration}: ${String(error)}`);
          }
        }),
      );
    };
    const killDoomedAdmin = () => simControl(system, `people/${doomedAdmin}/password-change`);

    for (let round = 1; round <= ROUNDS; round += 1) {
      await simControl(system, 'faults', {
        next429: strikesAmong(webexFaults, WEBEX_CALLS_PER_ROUND, WEBEX_FAULT_RATE),
        next5xx: strikesAmong(webexFaults, WEBEX_CALLS_PER_ROUND, WEBEX_FAULT_RATE),
      });
      const reading = async () => {
        for (let wave = 1; wave <= READ_WAVES_PER_ROUND; wave += 1) {
          await readWave();
          // Once the first wave is served, so that the password changes while the round's sweep runs.
          if (round === KILL_IN_ROUND && wave === 1) await killDoomedAdmin();
        }
      };
      await Promise.all([sweep(), reading()]);
    }

    chaos.enabled = false;
    await simControl(system, 'faults', { next429: 0, next5xx: 0, latencyMs: 0 });
    const clean = [await system.api.sweep(3600), await system.api.sweep(3600)];
    console.log(
      `chaos SEED=${SEED}: ${sweeps} sweeps (${sweepErrors} failed checks), ${reads} token reads (${served} served), ` +
        `injected ${JSON.stringify(chaos.counts)}`,
    );

    expect(unexpected).toEqual([]);
    expect(clean.flatMap((report) => report.errors)).toEqual([]);
    // The run was chaotic: every kind of fault struck, repeatedly.
    expect(sweeps).toBe(ROUNDS);
    expect(served).toBeGreaterThan(10);
    for (const count of Object.values(chaos.counts)) expect(count).toBeGreaterThan(0);

    const events = await system.events.events();
    const byAuthorization = new Map<string, AuthorizationEvent[]>();
    for (const event of events) {
      const key = `${event.tenantId}/${event.integration}`;
      byAuthorization.set(key, [...(byAuthorization.get(key) ?? []), event]);
    }
    expect(new Set(events.map((event) => event.eventId)).size).toBe(events.length);

    for (const integration of system.catalog.keys) {
      const entry = system.catalog.find(integration);
      // demo: never marked invalid, active again, and its tokens work at Webex after all that.
      const demo = await system.repositories.authorizations.get('demo', integration);
      expect(demo, integration).toMatchObject({ status: 'active' });
      expect(demo?.leaseOwner, integration).toBeUndefined();
      const material = await openRecordTokens(system.vault, demo);
      expect(await accessTokenWorks(system, material.accessToken), `demo ${integration} access token`).toBe(
        true,
      );
      expect(
        await refreshTokenWorks(system, {
          clientId: entry?.integrationId ?? '',
          clientSecret: system.secrets.clientSecrets[integration] ?? '',
          refreshToken: material.refreshToken,
        }),
        `demo ${integration} refresh token`,
      ).toBe(true);
      const demoEvents = byAuthorization.get(`demo/${integration}`) ?? [];
      expect(
        demoEvents.filter((event) => event.type === 'invalidated'),
        integration,
      ).toEqual([]);

      // doomed: dead once, said once, and its record still holds its (dead) tokens.
      const doomed = await system.repositories.authorizations.get('doomed', integration);
      expect(doomed, integration).toMatchObject({ status: 'invalid' });
      await expect(openRecordTokens(system.vault, doomed)).resolves.toBeDefined();
      const doomedEvents = byAuthorization.get(`doomed/${integration}`) ?? [];
      expect(
        doomedEvents.filter((event) => event.type === 'invalidated'),
        integration,
      ).toHaveLength(1);

      // Every alerted status change is a real transition from the status the previous one left.
      // Events without a status (the tenant's `org_bound`, published beside the first grant in
      // either order) change no authorization's status.
      for (const [key, list] of [
        [`demo/${integration}`, demoEvents],
        [`doomed/${integration}`, doomedEvents],
      ] as const) {
        const changes = list.filter((event) => event.status !== undefined && event.type !== 'refreshed');
        let status = changes[0]?.status;
        for (const event of changes.slice(1)) {
          expect(event.previousStatus, `${key} ${event.type}`).toBe(status);
          expect(event.status, `${key} ${event.type}`).not.toBe(event.previousStatus);
          status = event.status;
        }
      }
    }

    // The incidents close after their window: the flush of a notifier that many seconds on mails them.
    const later = new ManualClock(
      new Date(Date.now() + (DEFAULT_ALERT_POLICY.incidentWindowSeconds + 1) * 1000),
    );
    await flushNotifications(
      composeLocalNotifier(
        system,
        { passwordMaxAgeDays: 1825, linkTtlDays: 14, alertPolicy: DEFAULT_ALERT_POLICY, clock: later },
        silentLog,
      ),
    );
    // Each dead authorization is said once to the doomed tenant's contact (in its incident's one
    // mail); the demo tenant, never invalid, mails nobody; ops get the two org bindings at once and
    // at most one digest.
    const mailbox = system.mailbox.mailbox();
    const doomedMail = mailbox.filter((mail) => mail.to === 'it@doomed.example');
    expect(doomedMail.map((mail) => mail.type).filter((type) => type !== 'invalidated')).toEqual([]);
    for (const integration of system.catalog.keys) {
      const integrationId = system.catalog.find(integration)?.integrationId ?? '';
      expect(
        doomedMail.filter((mail) => mail.text.includes(integrationId)),
        integration,
      ).toHaveLength(1);
    }
    expect(mailbox.filter((mail) => mail.to === 'it@demo.example')).toEqual([]);
    const opsMail = mailbox.filter((mail) => mail.to === 'ops@vendor.example');
    expect(
      opsMail
        .filter((mail) => mail.type !== 'digest')
        .map((mail) => `${mail.type} ${mail.tenantId}`)
        .sort(),
    ).toEqual(['org_bound demo', 'org_bound doomed']);
    expect(opsMail.filter((mail) => mail.type === 'digest').length).toBeLessThanOrEqual(1);
  }, 60_000);
});
