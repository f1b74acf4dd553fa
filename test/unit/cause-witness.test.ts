import { notifierPreview } from '#test-support/notifier-harness.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultCatalog } from '#adapters/catalog-file.js';
import { adminActionOf, confirmWithAuditLog } from '#domain/cause-witness.js';
import { WITNESS_SCOPES } from '#domain/catalog.js';
import type { Classification } from '#domain/classification.js';
import {
  ADMIN_ACTIONS,
  authorizationEventSchema,
  CAUSE_CONFIDENCES,
  INVALIDATION_CAUSES,
  type AdminAuditEvent,
} from '#domain/model.js';
import { WebexError, type WebexAdminAudit, type WebexAuditEvent } from '#domain/ports.js';
import type { ValidatorDependencies } from '#domain/validator-config.js';
import { validateAuthorization } from '#domain/validator.js';
import { AUDITED_ACTIONS } from '#local/webex-simulator/admin-audit.js';
import {
  FakeWebex,
  InMemoryAuthorizationRepository,
  InMemoryTenantRepository,
  ManualClock,
  MemoryTokenVault,
  RecordingLog,
  RecordingPublisher,
} from '#test-support/fakes/index.js';
import { grantedAuthorization, TEST_AUTHORIZER, testTenant } from '#test-support/fixtures.js';
import { unwatchedValidatorPorts } from '#test-support/validator-ports.js';

const catalog = defaultCatalog();
const WITNESS_KEY = catalog.witness?.key ?? '';

/** The org's admin audit log as Webex keeps it: filtered by org and time, newest first; failures injectable. */
class FakeAdminAudit implements WebexAdminAudit {
  readonly events: WebexAuditEvent[] = [];
  readonly failures: WebexError[] = [];
  readonly queries: Array<{ orgId: string; from: Date; to: Date }> = [];

  async listAdminAuditEvents(
    _accessToken: string,
    query: { orgId: string; from: Date; to: Date; max: number; offset: number },
  ): Promise<{ items: WebexAuditEvent[]; trackingId?: string }> {
    this.queries.push(query);
    const failure = this.failures.shift();
    if (failure) throw failure;
    const items = this.events
      .filter((event) => {
        const at = Date.parse(event.created);
        return at >= query.from.getTime() && at <= query.to.getTime();
      })
      .reverse()
      .slice(query.offset, query.offset + query.max);
    return { items, trackingId: 'ROUTER_audit' };
  }
}

/** A single-admin tenant (p-admin authorized everything), another admin (the actor) and the witness's machine account. */
function setup() {
  const clock = new ManualClock();
  const repo = new InMemoryAuthorizationRepository();
  const vault = new MemoryTokenVault();
  const tenants = new InMemoryTenantRepository();
  const webex = new FakeWebex(clock);
  const audit = new FakeAdminAudit();
  const log = new RecordingLog();
  const events = new RecordingPublisher((event) =>
    notifierPreview({ ...deps, passwordMaxAgeDays: deps.config.passwordMaxAgeDays })(event),
  );
  const created = clock.now().toISOString();
  tenants.put(testTenant({ orgId: 'org-1', createdAt: created, updatedAt: created }));
  webex.addPerson('p-admin', 'admin@acme.example');
  webex.addPerson('p-other', 'other@acme.example');
  webex.addPerson('p-witness', 'witness@serviceapp.invalid', { type: 'machine' });
  const deps: ValidatorDependencies = {
    ...unwatchedValidatorPorts(),
    authorizations: repo,
    tenants,
    vault,
    webex,
    adminAudit: audit,
    events,
    clock,
    random: () => 0.5,
    log,
  };

  /** Stores the person's grant of the integration as onboarding would, due now; the witness's without an authorizer. */
  async function store(integration: string, personId: string, scopes: readonly string[]): Promise<void> {
    const material = webex.grant(personId, integration);
    const now = clock.now();
    const sealedTokens = await vault.seal({ tenantId: 'acme', integration }, material);
    const { authorizer: _none, ...granted } = grantedAuthorization(
      { tenantId: 'acme', integration, material, sealedTokens, now },
      { scopes: [...scopes], validatedAt: now.toISOString(), version: 1, nextCheckAt: now.toISOString() },
    );
    const email = webex.people.get(personId)?.email ?? '';
    repo.put(
      integration === WITNESS_KEY
        ? granted
        : {
            ...granted,
            authorizer: { ...TEST_AUTHORIZER, personId, email, displayName: email, orgId: 'org-1' },
          },
    );
  }

  /** The admin authorizes three integrations; an hour later, they are due. */
  async function authorizeAll(): Promise<void> {
    for (const key of ['users-sync', 'presence', 'call-control']) {
      await store(key, 'p-admin', catalog.find(key)?.scopes ?? []);
    }
  }

  /** The tenant authorized the vendor's witness Service App (its machine account's org token). */
  const authorizeWitness = () => store(WITNESS_KEY, 'p-witness', WITNESS_SCOPES);

  /** Another admin's action on the admin, in the audit log now. */
  function audited(description: string, targetId = 'p-admin'): void {
    audit.events.push({
      id: `audit-${audit.events.length}`,
      created: clock.now().toISOString(),
      actorId: 'p-other',
      actorEmail: 'other@acme.example',
      actorName: 'Other Admin',
      eventCategory: 'USERS',
      eventDescription: description,
      targetId,
    });
  }

  /**
   * With the witness authorized, ten minutes after the grants an admin action on the admin is
   * audited (unless `description` is undefined) and `kill` ends the admin's tokens; the audit time.
   */
  async function killWithWitness(description: string | undefined, kill: () => void): Promise<string> {
    await authorizeAll();
    await authorizeWitness();
    clock.advance(600);
    if (description !== undefined) audited(description);
    kill();
    return clock.now().toISOString();
  }

  /** Checks presence (the first to die) and returns its outcome, record and published event. */
  async function checkPresence() {
    clock.advance(60);
    const outcome = await validateAuthorization(
      deps,
      { tenantId: 'acme', integration: 'presence' },
      { force: true },
    );
    const record = await repo.get('acme', 'presence');
    const published = events.published.find((entry) => entry.event.integration === 'presence');
    if (!record || !published) throw new Error('presence was not invalidated');
    return {
      outcome,
      record,
      event: authorizationEventSchema.parse(published.event),
      mail: published.alert?.text ?? '',
    };
  }

  function expectNoToken(): void {
    const published = JSON.stringify(events.published);
    const logged = JSON.stringify(log.lines);
    for (const token of webex.issuedTokens()) {
      expect(published).not.toContain(token);
      expect(logged).not.toContain(token);
    }
  }

  return {
    killWithWitness,
    clock,
    webex,
    audit,
    log,
    deps,
    authorizeAll,
    authorizeWitness,
    audited,
    checkPresence,
    expectNoToken,
  };
}

describe('causes with and without the witness', () => {
  it('without a witness, a single admin deactivated keeps the three-way cause, likely, and no witness field', async () => {
    const world = setup();
    await world.authorizeAll();
    world.clock.advance(600);
    world.audited('User deactivated');
    world.webex.deactivate('p-admin');

    const { event } = await world.checkPresence();
    expect(event).toMatchObject({
      cause: 'password_change_or_deactivation_or_role_removal',
      confidence: 'likely',
    });
    expect(event.witness).toBeUndefined();
    expect(event.adminAuditEvent).toBeUndefined();
    expect(world.audit.queries).toEqual([]);
  });

  it('with a witness, the deactivation is confirmed with the audit event’s actor and time', async () => {
    const world = setup();
    const at = await world.killWithWitness('User deactivated', () => world.webex.deactivate('p-admin'));

    const { event, mail, record, outcome } = await world.checkPresence();
    expect(outcome).toMatchObject({ kind: 'checked', event: 'invalidated', witness: 'answered' });
    expect(record).toMatchObject({ status: 'invalid', cause: 'user_deactivated', confidence: 'confirmed' });
    expect(event).toMatchObject({
      cause: 'user_deactivated',
      confidence: 'confirmed',
      witness: 'answered',
      adminAuditEvent: {
        action: 'user_deactivated',
        at,
        actorId: 'p-other',
        actorEmail: 'other@acme.example',
      },
    });
    expect(event.evidence).toContainEqual(
      expect.objectContaining({
        call: 'GET /v1/adminAudit/events',
        via: WITNESS_KEY,
        answer: 'ok',
        finding: 'admin_action_found',
      }),
    );
    expect(mail).toContain("Cause (confirmed by Webex's answers)");
    expect(mail).toContain('- action: user deactivated');
    expect(mail).toContain(`- at: ${at}`);
    expect(mail).toContain('- by: Other Admin <other@acme.example>');
    world.expectNoToken();
  });

  it('with a witness, a Full Admin removal is confirmed "Full Admin role removed" with its actor and time', async () => {
    const world = setup();
    const at = await world.killWithWitness('Full Administrator role removed', () =>
      world.webex.removeFullAdmin('p-admin'),
    );

    const { event, mail } = await world.checkPresence();
    expect(event).toMatchObject({
      cause: 'admin_role_removed',
      confidence: 'confirmed',
      adminAuditEvent: { action: 'full_admin_removed', at, actorEmail: 'other@acme.example' },
    });
    expect(event.summary).toContain(
      `Full Admin role removed; by other@acme.example at ${at}, per the admin audit log`,
    );
    expect(mail).toContain('- action: Full Administrator role removed');
    expect(mail).toContain(
      `other@acme.example removed the Full Administrator role from admin@acme.example at ${at}`,
    );
  });

  it('with a witness, an admin’s password reset is confirmed as a password change with its actor and time', async () => {
    const world = setup();
    const at = await world.killWithWitness('Password reset by an admin', () =>
      world.webex.revokeAllOf('p-admin'),
    );

    const { event, mail } = await world.checkPresence();
    expect(event).toMatchObject({
      cause: 'password_changed_or_revoked',
      confidence: 'confirmed',
      adminAuditEvent: { action: 'password_reset', at, actorEmail: 'other@acme.example' },
    });
    expect(mail).toContain('- action: password reset by an admin');
  });

  it('with a witness but no admin action, a password change stays likely: the person active and an admin prove no cause', async () => {
    const world = setup();
    await world.killWithWitness(undefined, () => world.webex.revokeAllOf('p-admin'));

    const { event } = await world.checkPresence();
    expect(event).toMatchObject({
      cause: 'password_changed_or_revoked',
      confidence: 'likely',
      witness: 'answered',
    });
    expect(event.adminAuditEvent).toBeUndefined();
    expect(event.evidence).toContainEqual(
      expect.objectContaining({ call: 'GET /v1/adminAudit/events', finding: 'no_admin_action' }),
    );
  });

  it('ignores audit events from before the last healthy check, about someone else, or in a wording it does not know', async () => {
    const world = setup();
    world.audited('Password reset by an admin');
    world.clock.advance(3600);
    await world.authorizeAll();
    await world.authorizeWitness();
    world.clock.advance(600);
    world.audited('Password reset by an admin', 'p-other');
    world.audited('User settings changed');
    world.webex.revokeAllOf('p-admin');

    const { event } = await world.checkPresence();
    expect(event).toMatchObject({ cause: 'password_changed_or_revoked', confidence: 'likely' });
    expect(event.adminAuditEvent).toBeUndefined();
  });

  it.each([
    ['its token is refused (401)', 'token'],
    ['the people API fails (503)', 'people'],
    ['the audit log is rate-limited (429)', 'audit'],
  ] as const)(
    'a witness that fails because %s leaves the cause as without it, and tells ops',
    async (_case, failing) => {
      const world = setup();
      await world.killWithWitness('Password reset by an admin', () => world.webex.revokeAllOf('p-admin'));
      if (failing === 'token') world.webex.revokeAllOf('p-witness');
      if (failing === 'people') {
        world.webex.fail('getPerson', new WebexError('transient', 'Webex failed', { status: 503 }));
      }
      if (failing === 'audit') {
        world.audit.failures.push(
          new WebexError('transient', 'Webex rate-limited', { status: 429, retryAfterSeconds: 30 }),
        );
      }

      const { event, record, outcome } = await world.checkPresence();
      expect(outcome).toMatchObject({ kind: 'checked', event: 'invalidated', witness: 'failed' });
      // An admin answered as active and a Full Admin by the witness, before the audit failed, rules out the other two.
      const expected =
        failing === 'audit'
          ? { cause: 'password_changed_or_revoked', confidence: 'likely' }
          : { cause: 'password_change_or_deactivation_or_role_removal', confidence: 'likely' };
      expect(record).toMatchObject({ status: 'invalid', ...expected });
      expect(event).toMatchObject({ ...expected, witness: 'failed' });
      expect(event.adminAuditEvent).toBeUndefined();
      const warning = world.log.lines.find((line) =>
        line.message.startsWith('The witness could not be read'),
      );
      expect(warning?.level).toBe('warn');
      expect(warning?.attributes).toMatchObject({
        tenantId: 'acme',
        integration: 'presence',
        witness: WITNESS_KEY,
        failure: failing === 'token' ? 'refused' : 'transient',
      });
      world.expectNoToken();
    },
  );

  it('a witness whose access token has expired is a failed witness, not a silent one', async () => {
    const world = setup();
    world.webex.accessLifetimeSeconds = 3600;
    await world.authorizeWitness();
    world.webex.accessLifetimeSeconds = 14 * 86_400;
    await world.authorizeAll();
    world.clock.advance(2 * 3600);
    world.webex.deactivate('p-admin');

    const { event } = await world.checkPresence();
    expect(event).toMatchObject({
      cause: 'password_change_or_deactivation_or_role_removal',
      confidence: 'likely',
      witness: 'failed',
    });
    expect(world.log.lines.some((line) => line.attributes['failure'] === 'token_expired')).toBe(true);
  });
});

describe('confirmWithAuditLog', () => {
  const threeWay: Classification = {
    cause: 'password_change_or_deactivation_or_role_removal',
    confidence: 'likely',
    detail: 'All at once.',
  };
  const action = (kind: AdminAuditEvent['action'], at: string): AdminAuditEvent => ({
    action: kind,
    at,
    actorId: 'p-other',
    actorEmail: 'other@acme.example',
  });

  it('names the cause of the first admin action since the last healthy check', () => {
    const confirmed = confirmWithAuditLog(
      threeWay,
      [
        action('password_reset', '2026-01-01T10:00:00.000Z'),
        action('user_deactivated', '2026-01-01T11:00:00.000Z'),
      ],
      'admin@acme.example',
    );
    expect(confirmed).toMatchObject({ cause: 'password_changed_or_revoked', confidence: 'confirmed' });
    expect(confirmed.adminAuditEvent?.action).toBe('password_reset');
  });

  it('gives a cause the person’s record confirmed the audit event of that action, and keeps it without one', () => {
    const deactivated: Classification = {
      cause: 'user_deactivated',
      confidence: 'confirmed',
      detail: 'Sign-in disabled.',
    };
    const reset = action('password_reset', '2026-01-01T10:00:00.000Z');
    const deactivation = action('user_deactivated', '2026-01-01T11:00:00.000Z');
    const withEvent = confirmWithAuditLog(deactivated, [reset, deactivation], 'admin@acme.example');
    expect(withEvent).toMatchObject({ cause: 'user_deactivated', adminAuditEvent: deactivation });
    expect(withEvent.detail).toMatch(/^Sign-in disabled\. Webex's admin audit log shows/);
    expect(confirmWithAuditLog(deactivated, [reset], 'admin@acme.example')).toEqual(deactivated);
  });

  it('never overrides an expired refresh token or a revocation a working sibling points to', () => {
    const events = [action('user_deactivated', '2026-01-01T10:00:00.000Z')];
    for (const base of [
      { cause: 'refresh_token_expired', confidence: 'confirmed', detail: 'Expired.' },
      { cause: 'integration_revoked', confidence: 'likely', detail: 'One alone.' },
    ] satisfies Classification[]) {
      expect(confirmWithAuditLog(base, events, 'admin@acme.example')).toEqual(base);
    }
  });

  it('confirms only with a proof among its inputs: the classification’s own, or an admin action naming the cause', () => {
    const causeOf = {
      user_deactivated: 'user_deactivated',
      full_admin_removed: 'admin_role_removed',
      password_reset: 'password_changed_or_revoked',
    } as const;
    const baseArbitrary = fc.record({
      cause: fc.constantFrom(...INVALIDATION_CAUSES),
      confidence: fc.constantFrom(...CAUSE_CONFIDENCES),
      detail: fc.constant('Base.'),
    });
    const actionArbitrary = fc.record({
      action: fc.constantFrom(...ADMIN_ACTIONS),
      at: fc.date({ noInvalidDate: true }).map((date) => date.toISOString()),
      actorId: fc.constant('p-other'),
    });
    fc.assert(
      fc.property(baseArbitrary, fc.array(actionArbitrary, { maxLength: 4 }), (base, actions) => {
        const result = confirmWithAuditLog(base, actions, 'admin@acme.example');
        if (result.adminAuditEvent === undefined) {
          expect(result).toEqual(base);
          return;
        }
        expect(actions).toContainEqual(result.adminAuditEvent);
        expect(result.cause).toBe(causeOf[result.adminAuditEvent.action]);
        expect(result.confidence).toBe('confirmed');
        if (base.confidence === 'confirmed') expect(result.cause).toBe(base.cause);
      }),
    );
  });

  it('without an admin action returns the classification unchanged', () => {
    expect(confirmWithAuditLog(threeWay, [], 'admin@acme.example')).toEqual(threeWay);
  });
});

describe('adminActionOf', () => {
  it('reads each admin action the simulator writes to the audit log', () => {
    expect(adminActionOf(AUDITED_ACTIONS.deactivated.description)).toBe('user_deactivated');
    expect(adminActionOf(AUDITED_ACTIONS.fullAdminRemoved.description)).toBe('full_admin_removed');
    expect(adminActionOf(AUDITED_ACTIONS.passwordReset.description)).toBe('password_reset');
  });

  it('reads nothing into other admin actions or a missing description', () => {
    for (const description of [
      'An Admin logged in',
      'User settings changed',
      'Full Administrator role assigned',
      undefined,
    ]) {
      expect(adminActionOf(description)).toBeUndefined();
    }
  });
});
