import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { tableDefinition } from '#adapters/table-definition.js';
import { isTransientAwsFailure } from '#commons/transient-failures.js';
import { tokenMaterialSchema } from '#domain/model.js';
import type { TokenVault } from '#domain/ports.js';
import { buildStatusBoard } from '#domain/status-board.js';
import { CHECK_FAILING_AFTER_ERRORS } from '#domain/status-machine.js';
import { dispatchDueAuthorizations } from '#domain/sweep.js';
import { createValidatorWorkerHandler } from '#functions/validator-worker.app.js';
import type { WebexSimulator } from '#local/webex-simulator/index.js';
import { RecordingValidationQueue } from '#test-support/fakes/index.js';
import { lambdaContext, silentObservability, sqsRecord } from '#test-support/fixtures.js';
import { catalog, startSimulator, ValidatorHarness } from '#test-support/validator-harness.js';

/**
 * A check that throws for our own reasons (token material that no longer parses) against DynamoDB
 * Local and the Webex simulator, through the validator worker's SQS handler as deployed.
 */
describe('failing checks do not loop', () => {
  let sim: WebexSimulator;
  let harness: ValidatorHarness | undefined;

  beforeAll(async () => {
    sim = await startSimulator();
  });
  afterAll(async () => {
    await sim?.close();
  });
  afterEach(async () => {
    await harness?.drop();
    harness = undefined;
  });

  it(`makes an authorization whose check throws ${CHECK_FAILING_AFTER_ERRORS} times check_failing, out of the sweep, while the rest of the batch is checked`, async () => {
    const h = (harness = await ValidatorHarness.create(sim));
    for (const key of ['users-sync', 'presence']) await h.authorize(key);
    // The vault parses what it reads, as the Secrets Manager vault does; presence's material is corrupt.
    const vault: TokenVault = {
      store: (tenantId, integration, material) => h.vault.store(tenantId, integration, material),
      read: async (secretId) => tokenMaterialSchema.parse(await h.vault.read(secretId)),
      destroy: (secretId) => h.vault.destroy(secretId),
      destroyFor: (tenantId, integration) => h.vault.destroyFor(tenantId, integration),
    };
    const presence = await h.record('presence');
    const material = await h.vault.read(presence.secretId ?? '');
    h.vault.put(presence.secretId ?? '', { ...material, refreshToken: '' });
    const handler = createValidatorWorkerHandler(
      { ...h.deps, vault, isTransientFailure: isTransientAwsFailure },
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
    const board = await buildStatusBoard({
      tenants: h.repos.tenants,
      authorizations: h.repos.authorizations,
      catalog,
      passwordMaxAgeDays: 1825,
      now: h.clock.now(),
    });
    expect(board.totals.check_failing).toBe(1);
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
