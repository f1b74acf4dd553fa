import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashOAuthState } from '#domain/oauth-state.js';
import { validateAuthorization } from '#domain/validator.js';
import type { PublicApiDependencies } from '#functions/public-api.app.js';
import { SecurityWorld, type SimAdmin } from '#test-support/security-harness.js';
import { crashing, type CrashPlan } from '#test-support/crash-plan.js';

function crashingDependencies(deps: PublicApiDependencies, plan: CrashPlan): PublicApiDependencies {
  return {
    ...deps,
    oauthStates: crashing(deps.oauthStates, 'oauthStates', plan),
    tenants: crashing(deps.tenants, 'tenants', plan),
    authorizations: crashing(deps.authorizations, 'authorizations', plan),
    history: crashing(deps.history, 'history', plan),
    vault: crashing(deps.vault, 'vault', plan),
    webex: crashing(deps.webex, 'webex', plan),
    events: crashing(deps.events, 'events', plan),
    clientSecrets: crashing(deps.clientSecrets, 'clientSecrets', plan),
    linkKeys: crashing(deps.linkKeys, 'linkKeys', plan),
  };
}

const INTEGRATION = 'presence';

/**
 * The OAuth callback killed at every port call in turn (the call fails, or it succeeds and the
 * callback dies right after), for a first authorization and for a re-authorization, against
 * DynamoDB Local and the Webex simulator. The validator's own crash tests are in
 * test/integration/validator-faults.test.ts.
 */
describe('a callback that dies at any step leaves a consistent state and a retry succeeds', () => {
  let world: SecurityWorld;
  let admin: SimAdmin;
  let tenants = 0;

  beforeAll(async () => {
    world = await SecurityWorld.start('callback-crash');
    admin = world.demoAdmin();
  });
  afterAll(async () => {
    await world?.stop();
  });

  /** Every record of the tenant holds sealed tokens that open and work at Webex. */
  async function expectConsistent(tenantId: string, where: string): Promise<void> {
    for (const record of await world.repos.authorizations.listForTenant(tenantId)) {
      expect(record.sealedTokens, where).toBeDefined();
      const material = await world.vault.tokensOf(record);
      expect(await world.accessTokenWorks(material.accessToken), `${where}: stored token works`).toBe(true);
      // A lease the dead callback held is gone or ends by itself within a minute.
      if (record.leaseUntil) {
        expect(Date.parse(record.leaseUntil) - world.clock.now().getTime(), where).toBeLessThanOrEqual(
          60_000,
        );
      }
    }
  }

  /**
   * Kills one callback per port call and mode; after each: the state is consistent, a retry with a
   * fresh state a minute later succeeds, the validator finds the result healthy, and no event was
   * published twice. Returns the steps that were hit.
   */
  async function crashEverywhere(reauthorize: boolean): Promise<string[]> {
    const steps: string[] = [];
    for (const mode of ['before', 'after'] as const) {
      for (let at = 1; ; at += 1) {
        tenants += 1;
        const tenantId = `crash-${tenants}`;
        await world.createTenant(tenantId);
        if (reauthorize)
          expect((await world.onboard(tenantId, INTEGRATION, admin.email)).statusCode).toBe(200);
        const before = await world.repos.authorizations.get(tenantId, INTEGRATION);

        const plan: CrashPlan = { at, mode, count: 0, completed: [], published: [] };
        const call = world.publicHandlerWith(crashingDependencies(world.publicDependencies, plan));
        const { authorizeUrl, state, cookie } = await world.start(
          await world.linkToken(tenantId),
          INTEGRATION,
        );
        const callback = await world.consent(authorizeUrl, admin.email);
        const answer = await call({ path: '/oauth/callback', query: callback, cookies: [cookie] });
        if (!plan.fired) {
          // Past the last port call: the callback ran to its end.
          expect(answer.statusCode).toBe(200);
          break;
        }
        const where = `${reauthorize ? 're-authorization' : 'first authorization'}, ${mode} ${plan.fired}`;
        steps.push(`${mode} ${plan.fired}`);
        // A failed publish is not a failed authorization (the outbox keeps the event), nor is a failed
        // record of the org binding (history.append: the first consent's org_bound, logged); anything
        // else is.
        const quiet = plan.fired === 'events.publish' || plan.fired === 'history.append';
        expect(answer.statusCode, where).toBe(quiet ? 200 : 500);
        expect(answer.body, where).not.toContain('Crash');

        await expectConsistent(tenantId, where);
        const after = await world.repos.authorizations.get(tenantId, INTEGRATION);
        // Either the new authorization was saved, or the old one (or none) is as it was.
        if (after?.version !== before?.version) expect(after?.status, where).toBe('active');
        const snapshot = await world.snapshot();
        const spent = !snapshot.states.includes(`STATE#${hashOAuthState(state)}|STATE`);
        expect(spent, where).toBe(!(mode === 'before' && plan.fired === 'oauthStates.consume'));

        // The admin tries again a minute later with a fresh state: it works.
        world.clock.advance(61);
        const retry = await world.onboard(tenantId, INTEGRATION, admin.email);
        expect(retry.statusCode, where).toBe(200);
        const record = await world.repos.authorizations.get(tenantId, INTEGRATION);
        expect(record, where).toMatchObject({ status: 'active', authorizer: { email: admin.email } });
        expect(record?.pendingEvent, where).toBeUndefined();
        expect(record?.leaseOwner, where).toBeUndefined();
        await expectConsistent(tenantId, where);
        expect((await world.repos.tenants.get(tenantId))?.orgId, where).toBe(admin.orgId);

        // The validator agrees: healthy, nothing to publish.
        const outcome = await validateAuthorization(
          world.validator,
          { tenantId, integration: INTEGRATION },
          { force: true },
        );
        expect(outcome, where).toMatchObject({ kind: 'checked', status: 'active' });

        const events = world.events.published
          .map(({ event }) => event)
          .filter((event) => event.tenantId === tenantId);
        expect(new Set(events.map((event) => event.eventId)).size, where).toBe(events.length);
        // One granted per successful save that went out: the retry's, and the dead callback's
        // only when it published before dying (then two authorizations really happened).
        const granted = events.filter((event) => event.type === 'granted' || event.type === 'restored');
        // Told by the event each publish carried: the org binding's is published beside the grant.
        const deadOnePublished = (plan.published ?? []).some(
          (type) => type === 'granted' || type === 'restored',
        );
        expect(granted.length, where).toBe((reauthorize ? 2 : 1) + (deadOnePublished ? 1 : 0));
        expect(
          events.filter((event) => event.type === 'invalidated'),
          where,
        ).toEqual([]);
      }
    }
    return steps;
  }

  it('keeps a first authorization consistent when the callback dies at any port call', async () => {
    const steps = await crashEverywhere(false);
    expect(steps).toEqual(
      expect.arrayContaining([
        'before oauthStates.consume',
        'after oauthStates.consume',
        'before webex.exchangeCode',
        'after webex.exchangeCode',
        'before webex.getMe',
        'before webex.listRoles',
        'after authorizations.listForTenant',
        'before vault.seal',
        'after vault.seal',
        'before authorizations.save',
        'after authorizations.save',
        'before events.publish',
        'after events.publish',
      ]),
    );
  }, 60_000);

  it('keeps a re-authorization consistent when the callback dies at any port call, the lease included', async () => {
    const steps = await crashEverywhere(true);
    expect(steps).toEqual(
      expect.arrayContaining([
        'before authorizations.acquireLease',
        'after authorizations.acquireLease',
        'before vault.seal',
        'after vault.seal',
        'before authorizations.save',
        'after authorizations.save',
        'before events.publish',
      ]),
    );
  }, 60_000);
});
