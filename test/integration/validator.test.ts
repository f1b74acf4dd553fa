import { tableDefinition } from '#adapters/table-definition.js';
import { isTransientAwsFailure } from '#commons/transient-failures.js';
import { DynamoDbFleetBoardStore } from '#adapters/dynamodb/fleet-board.store.js';
import { buildStatusBoard, statusBoardQuerySchema } from '#domain/status-board.js';
import { CHECK_FAILING_AFTER_ERRORS } from '#domain/status-machine.js';
import { dispatchDueAuthorizations } from '#domain/sweep.js';
import { validateAuthorization } from '#domain/validator.js';
import { createValidatorWorkerHandler } from '#functions/validator-worker.app.js';
import { describe, expect, it } from 'vitest';
import { RecordingValidationQueue } from '#test-support/fakes/index.js';
import { lambdaContext, silentObservability, sqsRecord } from '#test-support/fixtures.js';
import { catalog, harnessPerTest, type ValidatorHarness } from '#test-support/validator-harness.js';

/**
 * One end-to-end test per cause: real onboarding against the Webex simulator, the simulator's
 * switches, then sweeps of the real validator over DynamoDB Local.
 */
describe('validator against DynamoDB Local and the Webex simulator', () => {
  const setup = harnessPerTest();

  const statusOf = async (h: ValidatorHarness, integration: string) => {
    const record = await h.record(integration);
    return `${record.status}${record.cause ? `:${record.cause}` : ''}`;
  };

  it('keeps healthy authorizations active and sends nothing', async () => {
    const h = await setup();
    for (const key of ['users-sync', 'presence']) await h.authorize(key);
    const report = await h.sweep();
    expect(report.dispatched).toBe(2);
    expect(report.errors).toEqual([]);
    expect(await statusOf(h, 'presence')).toBe('active');
    expect((await h.record('presence')).validatedAt).toBeDefined();
    expect(h.types()).toEqual([]);
    expect((await h.sweep()).dispatched).toBe(2);
  });

  it('invalidates every authorization of a single admin whose password changed, in one sweep, with one alert each, naming no one cause as fact', async () => {
    const h = await setup();
    for (const key of ['users-sync', 'presence', 'call-control']) await h.authorize(key);
    await h.sweep();
    await h.control('people/admin@demo.example/password-change');
    const report = await h.sweep();
    expect(report.errors).toEqual([]);
    // Nobody is left to look the admin up with: a deactivation or a role removal looks the same.
    for (const key of ['users-sync', 'presence', 'call-control']) {
      expect(await statusOf(h, key)).toBe('invalid:password_change_or_deactivation_or_role_removal');
      expect((await h.record(key)).confidence).toBe('likely');
    }
    expect(h.types().sort()).toEqual([
      'call-control:invalidated',
      'presence:invalidated',
      'users-sync:invalidated',
    ]);
    for (const { alert } of h.events.published) {
      expect(alert?.text).toContain('All 3 authorizations that admin@demo.example granted for this tenant');
      expect(alert?.text).toMatch(/when a user's password is changed/);
      expect(alert?.text).toContain(
        'To tell them apart, open Control Hub > Users and find admin@demo.example:',
      );
      expect(alert?.text).toContain('Re-authorize: http://keeper.test/connect/');
    }
    const callControl = h.events.published.find((p) => p.event.integration === 'call-control');
    expect(callControl?.alert?.text).toContain(
      `Integration ID: ${catalog.find('call-control')?.integrationId}`,
    );
    expect(callControl?.alert?.text).toContain('Integration: Attendant Console call control');
    // Later sweeps do not check invalid authorizations and send nothing again.
    expect((await h.sweep()).dispatched).toBe(0);
    expect(h.events.published).toHaveLength(3);
    await h.expectNoSecretPublished();
  });

  it('does nothing when a person who signs in through SSO changes their password', async () => {
    const h = await setup({ sso: true });
    for (const key of ['presence', 'call-control']) await h.authorize(key, 'sso-admin@demo.example');
    await h.sweep();
    await h.control('people/sso-admin@demo.example/password-change');
    await h.sweep();
    expect(await statusOf(h, 'presence')).toBe('active');
    expect(await statusOf(h, 'call-control')).toBe('active');
    expect(h.types()).toEqual([]);
  });

  it('names a deactivation, found by looking the person up through another admin’s users-sync', async () => {
    const h = await setup();
    await h.authorize('users-sync', 'sso-admin@demo.example');
    for (const key of ['presence', 'call-control']) await h.authorize(key);
    await h.control('people/admin@demo.example/deactivate');
    await h.sweep();
    expect(await statusOf(h, 'presence')).toBe('invalid:user_deactivated');
    expect(await statusOf(h, 'call-control')).toBe('invalid:user_deactivated');
    expect(await statusOf(h, 'users-sync')).toBe('active');
    expect((await h.record('presence')).confidence).toBe('confirmed');
    const alert = h.events.published[0]?.alert;
    expect(alert?.text).toMatch(/deactivated in, or removed from, the Webex organization/);
    expect(alert?.text).toMatch(/another, active Full Administrator/);
  });

  it('names a removed Full Admin role when Webex revokes the tokens with it', async () => {
    const h = await setup();
    await h.authorize('users-sync', 'sso-admin@demo.example');
    await h.authorize('presence');
    await h.control('people/admin@demo.example/remove-full-admin', { revokeTokens: true });
    await h.sweep();
    expect(await statusOf(h, 'presence')).toBe('invalid:admin_role_removed');
    expect(h.events.published[0]?.alert?.text).toMatch(/no longer a Full Administrator/);
  });

  it('names a removed Full Admin role when the tokens keep working', async () => {
    const h = await setup();
    for (const key of ['presence', 'call-control']) await h.authorize(key);
    await h.control('people/admin@demo.example/remove-full-admin', { revokeTokens: false });
    await h.sweep();
    expect(await statusOf(h, 'presence')).toBe('invalid:admin_role_removed');
    expect(await statusOf(h, 'call-control')).toBe('invalid:admin_role_removed');
  });

  it('names an integration revoked in Control Hub when it dies alone, with the Control Hub steps', async () => {
    const h = await setup();
    for (const key of ['users-sync', 'presence', 'call-control']) await h.authorize(key);
    const integrationId = catalog.find('call-control')?.integrationId ?? '';
    await h.control(`orgs/${await h.demoOrgId()}/integrations/${integrationId}/revoke`);
    await h.sweep();
    expect(await statusOf(h, 'call-control')).toBe('invalid:integration_revoked');
    expect(await statusOf(h, 'presence')).toBe('active');
    expect(await statusOf(h, 'users-sync')).toBe('active');
    expect(h.types()).toEqual(['call-control:invalidated']);
    const text = h.events.published[0]?.alert?.text ?? '';
    expect(text).toContain(
      `Apps > Integrations and find "Attendant Console call control" by its Integration ID ${integrationId}`,
    );
  });

  it('names an expired refresh token after a long silence', async () => {
    const h = await setup();
    await h.control('settings', { refreshTokenLifetimeSeconds: 3 * 86_400 });
    for (const key of ['presence', 'call-control']) await h.authorize(key);
    h.advance(3 * 86_400 + 1);
    await h.sweep();
    expect(await statusOf(h, 'presence')).toBe('invalid:refresh_token_expired');
    expect(await statusOf(h, 'call-control')).toBe('invalid:refresh_token_expired');
    expect(h.events.published[0]?.alert?.text).toMatch(/refresh token reached its expiry/);
  });

  it('warns 30, 7 and 1 days (shares of a short lifetime) before a refresh token that Webex stops extending ends, once each, in order, then names its expiry', async () => {
    const h = await setup();
    await h.shortUnextendedRefreshTokens();
    await h.authorize('presence');
    const expiresAt = Date.parse((await h.record('presence')).refreshTokenExpiresAt ?? '');
    const warnedAt: number[] = [];
    for (let sweep = 0; sweep < 200 && (await h.record('presence')).status !== 'invalid'; sweep += 1) {
      const before = h.events.published.length;
      await h.sweepWhenDue();
      // A forced re-run of the check right away (as a second worker would) sends nothing again.
      await validateAuthorization(
        h.deps,
        { tenantId: h.tenant.tenantId, integration: 'presence' },
        { force: true },
      );
      const warned = h
        .types()
        .slice(before)
        .filter((type) => type === 'presence:expiring');
      expect(warned.length).toBeLessThanOrEqual(1);
      if (warned.length > 0) warnedAt.push(h.clock.now().getTime());
    }
    expect(await statusOf(h, 'presence')).toBe('invalid:refresh_token_expired');
    const alerted = h.types().filter((type) => type !== 'presence:refreshed');
    expect(alerted).toEqual([
      'presence:expiring',
      'presence:expiring',
      'presence:expiring',
      'presence:invalidated',
    ]);
    // The shares of a 2-day lifetime: half of it (1 day), 7/60 of it (5.6 h), 1/60 of it (48 min),
    // each warned by the first check after it is crossed (checks are pulled to the stage).
    const stages = [24, 5.6, 0.8].map((hours) => hours * 3600_000);
    expect(warnedAt).toHaveLength(3);
    stages.forEach((offset, index) => {
      const at = warnedAt[index] ?? 0;
      expect(at).toBeGreaterThanOrEqual(expiresAt - offset - 60_000);
      expect(at).toBeLessThanOrEqual(expiresAt - offset + h.deps.config.checkIntervalSeconds * 1000);
    });
    // Found dead by the first check after the end: a refresh is tried no later than the expiry.
    const invalidatedAt = Date.parse((await h.record('presence')).validatedAt ?? '');
    expect(invalidatedAt - expiresAt).toBeLessThan(h.deps.config.checkIntervalSeconds * 1000);
    for (const { event, alert } of h.events.published.filter((p) => p.event.type === 'expiring')) {
      // The same expiry, as Webex repeats it in whole seconds.
      expect(Math.abs(Date.parse(event.deadline ?? '') - expiresAt)).toBeLessThan(60_000);
      expect(event.deadlineIsUpperBound).toBeUndefined();
      expect(alert?.text).toMatch(/refresh token expires at/i);
    }
    await h.expectNoSecretPublished();
  }, 60_000);

  it('refreshes an access token before it ends and keeps the authorization alive for months', async () => {
    const h = await setup();
    await h.authorize('presence');
    // Four months of sweeps every two days: the access token (14 days) and the refresh token
    // (90 days) are renewed in time, so it never dies.
    for (let day = 0; day < 120; day += 2) {
      h.advance(2 * 86_400 - h.deps.config.checkIntervalSeconds);
      await h.sweep();
    }
    expect(await statusOf(h, 'presence')).toBe('active');
    expect(await h.tokenWorks('presence')).toBe(true);
    expect(h.types().every((type) => type === 'presence:refreshed')).toBe(true);
    expect(h.types().length).toBeGreaterThanOrEqual(8);
    expect(Date.parse((await h.record('presence')).refreshTokenExpiresAt ?? '')).toBeGreaterThan(
      h.clock.now().getTime(),
    );
    expect(h.events.published.every((p) => p.alert === undefined)).toBe(true);
  }, 60_000);

  it('never invalidates in a 429 storm: degraded after three, Retry-After honoured, restored after', async () => {
    const h = await setup();
    await h.authorize('presence');
    await h.sweep();
    await h.control('faults', { rate429: 1, retryAfterSeconds: 1200 });
    const statuses: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      const before = h.clock.now().getTime();
      expect((await h.sweepWhenDue()).errors).toEqual([]);
      statuses.push(await statusOf(h, 'presence'));
      const record = await h.record('presence');
      expect(Date.parse(record.nextCheckAt ?? '') - before).toBeGreaterThanOrEqual(1_200_000);
    }
    expect(statuses).toEqual(['active', 'active', 'degraded', 'degraded', 'degraded']);
    // A sweep before the Retry-After has passed leaves it alone.
    expect((await h.sweep()).dispatched).toBe(0);
    await h.control('faults', { rate429: 0 });
    await h.sweepWhenDue();
    expect(await statusOf(h, 'presence')).toBe('active');
    expect(h.types()).toEqual(['presence:degraded', 'presence:restored']);
    // Webex's trouble, not the customer's: the policy mails nobody a degraded or its restored.
    expect(h.events.published.map(({ alert }) => alert)).toEqual([undefined, undefined]);
  });

  it('degrades on a burst of 5xx and restores on the next success', async () => {
    const h = await setup();
    await h.authorize('presence');
    // A check sends its two probe calls together, so both meet the burst: six 5xx are three checks.
    await h.control('faults', { next5xx: 6 });
    const statuses: string[] = [];
    for (let i = 0; i < 4; i += 1) {
      await h.sweepWhenDue();
      statuses.push(await statusOf(h, 'presence'));
    }
    expect(statuses).toEqual(['active', 'active', 'degraded', 'active']);
    expect(h.types()).toEqual(['presence:degraded', 'presence:restored']);
    expect(await h.record('presence')).toMatchObject({ consecutiveFailures: 0 });
  });

  it(`makes an authorization whose check throws ${CHECK_FAILING_AFTER_ERRORS} times check_failing, out of the sweep, while the rest of the batch is checked`, async () => {
    const h = await setup();
    for (const key of ['users-sync', 'presence']) await h.authorize(key);
    // Bad data of ours: presence's record carries users-sync's sealed tokens, which do not open there.
    const presence = await h.record('presence');
    const usersSyncTokens = (await h.record('users-sync')).sealedTokens;
    await h.repos.authorizations.save({ ...presence, sealedTokens: usersSyncTokens }, presence.version);
    const handler = createValidatorWorkerHandler(
      { ...h.deps, isTransientFailure: isTransientAwsFailure },
      silentObservability('check-failing-test'),
    );
    const batch = {
      Records: ['presence', 'users-sync'].map((integration) =>
        sqsRecord(integration, JSON.stringify({ tenantId: h.tenant.tenantId, integration })),
      ),
    };

    const failedMessages: string[][] = [];
    for (let round = 1; round <= CHECK_FAILING_AFTER_ERRORS; round += 1) {
      h.advance(h.deps.config.checkIntervalSeconds);
      const roundStart = h.clock.now().getTime();
      const response = await handler(batch, lambdaContext());
      failedMessages.push(response.batchItemFailures.map((failure) => failure.itemIdentifier));
      // The other authorization of the batch is checked normally every time.
      const usersSync = await h.record('users-sync');
      expect(usersSync.status).toBe('active');
      expect(Date.parse(usersSync.validatedAt ?? '')).toBeGreaterThanOrEqual(roundStart);
    }
    // Retried by SQS until the status is written; then answered as done, so never dead-lettered.
    expect(failedMessages).toEqual([['presence'], ['presence'], []]);

    const failing = await h.record('presence');
    expect(failing).toMatchObject({ status: 'check_failing', checkErrors: CHECK_FAILING_AFTER_ERRORS });
    const errorId = failing.lastCheckError?.errorId ?? '';
    expect(errorId).toMatch(/^[0-9a-f-]{36}$/);

    // One ops-only alert naming the authorization and the error id.
    const alerts = h.events.published.filter(({ event }) => event.type === 'check_failing');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]?.event).toMatchObject({ integration: 'presence', errorId });
    expect(alerts[0]?.alert?.audience).toBe('ops');
    expect(alerts[0]?.alert?.text).toContain(errorId);
    await h.expectNoSecretPublished();

    // The status board counts it and lists it with its last error id.
    const board = await buildStatusBoard(
      {
        board: new DynamoDbFleetBoardStore(h.table.documentClient, h.table.tableName),
        tenants: h.repos.tenants,
        authorizations: h.repos.authorizations,
        catalog,
        passwordMaxAgeDays: 1825,
        now: h.clock.now(),
      },
      statusBoardQuerySchema.parse({}),
    );
    expect(board.totals.byStatus.check_failing).toBe(1);
    expect(board.checkFailing).toEqual([
      expect.objectContaining({ tenantId: h.tenant.tenantId, integration: 'presence', lastErrorId: errorId }),
    ]);

    // No longer dispatched by the sweep, however late; the healthy one still is.
    h.advance(86_400);
    const queue = new RecordingValidationQueue();
    await dispatchDueAuthorizations({
      authorizations: h.repos.authorizations,
      queue,
      clock: h.clock,
      shards: tableDefinition.dueShards,
      remainingTimeMs: () => 60_000,
    });
    expect(queue.all.map(({ integration }) => integration)).toEqual(['users-sync']);
  });
});
