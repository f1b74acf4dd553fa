import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { DEFAULT_ALERT_POLICY } from '#domain/alert-policy.js';
import { authorizationEventSchema, type AuthorizationEvent } from '#domain/model.js';
import { systemClock, type Clock } from '#domain/ports.js';
import { runCliHere } from '#test-support/cli-process.js';
import {
  linkTokenOf,
  localMailbox,
  onboardOverHttp,
  simControl,
  simSecrets,
  startTestLocalSystem,
  sweepLocal,
  type TestLocalSystem,
} from '#test-support/security-local.js';
import { seedWitness } from '#test-support/witness-seed.js';

/*
 * The witness end to end, in the local run (`npm start`'s system: DynamoDB Local, the Webex
 * simulator, the composition root's validator, notifier and mailbox): a single-admin tenant's Full
 * Admin removal by another admin. Without a witness nothing is left to look the admin up with,
 * so the cause stays the honest three-way one, likely; with the tenant's witness Service App, its
 * org token reads the admin's roles and the admin audit log, and the cause is confirmed with the
 * audit event's actor and time, in the event, the mail and the history.
 */

const CONTACT = 'it@demo.example';
const ACTOR = 'sso-admin@demo.example';
const KEYS = ['users-sync', 'presence', 'call-control'];

describe('the witness confirms causes in the local run', () => {
  let local: TestLocalSystem;
  // The keeper's clock is the simulator's, so both agree on when the audit event happened.
  let simNow: () => number = () => Date.now();
  const clock: Clock = { now: () => new Date(simNow()), sleep: systemClock.sleep };

  const mailbox = () => localMailbox(local.system);
  const sweep = () => sweepLocal(local.system);
  /** The demo tenant's invalidations by `admin`, as the admin API's history answers them. */
  const invalidationsBy = async (admin: string): Promise<AuthorizationEvent[]> => {
    const answer = await fetch(`${local.system.api.url}/admin/tenants/demo/history?limit=100`);
    expect(answer.status).toBe(200);
    const { items } = z.object({ items: z.array(z.unknown()) }).parse(await answer.json());
    return items
      .map((item) => authorizationEventSchema.parse(item))
      .filter((event) => event.type === 'invalidated' && event.authorizerEmail === admin);
  };
  /** The single admin authorizes every integration, and a sweep sees them healthy. */
  const onboardSingleAdmin = async (admin: string) => {
    const link = linkTokenOf(await local.system.demoPortalUrl());
    for (const key of KEYS) {
      expect((await onboardOverHttp(local.system, link, key, admin)).callback.status).toBe(200);
    }
    await sweep();
  };
  /** The incident window passes; the sweep's notifier flush mails the closed incidents. */
  const closeIncidents = async () => {
    local.system.simulator.world.advanceClock(DEFAULT_ALERT_POLICY.incidentWindowSeconds + 60);
    await sweep();
  };
  const invalidationMailTo = async (admin: string) =>
    (await mailbox()).find(
      (mail) => mail.type === 'invalidated' && mail.to === CONTACT && mail.text.includes(admin),
    );

  beforeAll(async () => {
    local = await startTestLocalSystem({ clock });
    const world = local.system.simulator.world;
    simNow = () => world.now();
  }, 60_000);

  afterAll(async () => {
    await local?.stop();
  });

  it('without a witness, a single-admin tenant’s Full Admin removal keeps the three-way cause, likely', async () => {
    const admin = 'admin@demo.example';
    await onboardSingleAdmin(admin);
    await simControl(local.system, `people/${admin}/remove-full-admin`, { actor: ACTOR });
    await sweep();

    const history = await invalidationsBy(admin);
    expect(history.map((event) => event.integration).sort()).toEqual([...KEYS].sort());
    for (const event of history) {
      expect(event).toMatchObject({
        cause: 'password_change_or_deactivation_or_role_removal',
        confidence: 'likely',
      });
      expect(event.witness).toBeUndefined();
      expect(event.adminAuditEvent).toBeUndefined();
    }
    await closeIncidents();
    const mail = await invalidationMailTo(admin);
    expect(mail?.text).toContain('Likely cause');
    expect(mail?.text).not.toContain("Webex's admin audit log");
  });

  it('with a witness, the same removal is confirmed "Full Admin role removed" with the audit event’s actor and time', async () => {
    const admin = 'second@demo.example';
    const orgId = local.system.simulator.world.listOrgs()[0]?.id ?? '';
    await simControl(local.system, 'people', {
      email: admin,
      orgId,
      fullAdmin: true,
      displayName: 'Sid Second',
    });
    await onboardSingleAdmin(admin);
    const witness = local.system.catalog.witness;
    if (!witness) throw new Error('the shipped catalog has no witness');
    await seedWitness({
      simUrl: local.system.simulator.url,
      orgId,
      witness,
      witnessSecret: local.system.secrets.clientSecrets[witness.key] ?? '',
      vendor: {
        clientId: local.system.catalog.find('cdr')?.integrationId ?? '',
        clientSecret: local.system.secrets.clientSecrets['cdr'] ?? '',
        redirectUri: `${local.system.publicBaseUrl}/oauth/callback`,
        person: ACTOR,
      },
      tenantId: 'demo',
      authorizations: local.system.repositories.authorizations,
      vault: local.system.vault,
      now: clock.now(),
    });

    await simControl(local.system, `people/${admin}/remove-full-admin`, { actor: ACTOR });
    const removal = local.system.simulator.world.auditLog
      .all()
      .find(
        (entry) => entry.action === 'fullAdminRemoved' && entry.parties.target.displayName === 'Sid Second',
      );
    if (!removal) throw new Error('the simulator wrote no audit event');
    await sweep();

    const expectedAudit = {
      action: 'full_admin_removed',
      at: removal.created,
      actorId: removal.parties.actor.id,
      actorEmail: ACTOR,
      actorName: 'Sam Sso-Admin',
    };
    for (const key of KEYS) {
      expect(await local.system.repositories.authorizations.get('demo', key)).toMatchObject({
        status: 'invalid',
        cause: 'admin_role_removed',
        confidence: 'confirmed',
      });
    }
    const history = await invalidationsBy(admin);
    expect(history.map((event) => event.integration).sort()).toEqual([...KEYS].sort());
    for (const event of history) {
      expect(event).toMatchObject({
        cause: 'admin_role_removed',
        confidence: 'confirmed',
        witness: 'answered',
        adminAuditEvent: expectedAudit,
      });
      expect(event.summary).toContain(`by ${ACTOR} at ${removal.created}`);
      expect(event.evidence).toContainEqual(
        expect.objectContaining({ call: 'GET /v1/roles', via: witness.key, finding: 'not_full_admin' }),
      );
      expect(event.evidence).toContainEqual(
        expect.objectContaining({
          call: 'GET /v1/adminAudit/events',
          via: witness.key,
          answer: 'ok',
          finding: 'admin_action_found',
        }),
      );
    }

    const cli = await runCliHere(['--api', local.system.api.url, 'history', 'demo', 'presence']);
    expect(cli.code).toBe(0);
    expect(cli.stdout).toContain(`Full Admin role removed; by ${ACTOR} at ${removal.created}`);

    await closeIncidents();
    const mail = await invalidationMailTo(admin);
    expect(mail?.text).toContain("Cause (confirmed by Webex's answers)");
    expect(mail?.text).toContain('- action: Full Administrator role removed');
    expect(mail?.text).toContain(`- at: ${removal.created}`);
    expect(mail?.text).toContain(`- by: Sam Sso-Admin <${ACTOR}>`);
    expect(mail?.html).toContain('Full Administrator role removed');
    // The actor reaches the HTML part as escaped text, never as markup.
    expect(mail?.html).toContain(ACTOR);
    expect(mail?.html).not.toContain(`<${ACTOR}>`);

    const published = JSON.stringify([await mailbox(), history]);
    for (const secret of (await simSecrets(local.system)).all) expect(published).not.toContain(secret);
  });
});
