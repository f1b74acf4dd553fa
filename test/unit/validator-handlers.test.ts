import type { SQSEvent } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { defaultCatalog } from '#adapters/catalog-file.js';
import type { Authorization } from '#domain/model.js';
import { silentLog, type Page } from '#domain/ports.js';
import { dispatchDueAuthorizations, EnqueueError } from '#domain/sweep.js';
import {
  DEFAULT_VALIDATOR_CONFIG,
  type AuthorizationKey,
  type ValidatorDependencies,
} from '#domain/validator-config.js';
import { createSweepDispatcherHandler } from '#functions/sweep-dispatcher.app.js';
import { createValidatorWorkerHandler } from '#functions/validator-worker.app.js';
import {
  FakeWebex,
  InMemoryAuthorizationRepository,
  InMemoryTenantRepository,
  ManualClock,
  MemoryTokenVault,
  RecordingPublisher,
  RecordingValidationQueue,
} from '#test-support/fakes/index.js';
import { lambdaContext, silentObservability, sqsRecord } from '#test-support/fixtures.js';

/** A due index of `count` keys per shard, paged `limit` at a time; counts the pages read. */
function dueIndex(shards: number, perShard: number) {
  const reads: number[] = [];
  return {
    reads,
    async listDue(
      shard: number,
      _now: Date,
      options: { limit: number; cursor?: string },
    ): Promise<Page<AuthorizationKey>> {
      reads.push(shard);
      const start = Number(options.cursor ?? 0);
      const end = Math.min(perShard, start + options.limit);
      const items = Array.from({ length: end - start }, (_, i) => ({
        tenantId: `t${shard}`,
        integration: `i${start + i}`,
      }));
      return { items, ...(end < perShard ? { cursor: String(end) } : {}) };
    },
  };
}

describe('dispatchDueAuthorizations', () => {
  it('pages through every shard of the due index and queues each key once', async () => {
    const index = dueIndex(4, 5);
    const queue = new RecordingValidationQueue();
    const report = await dispatchDueAuthorizations({
      authorizations: index,
      queue,
      clock: new ManualClock(new Date('2026-03-01T10:02:00.000Z')),
      shards: 4,
      pageSize: 2,
      remainingTimeMs: () => 60_000,
    });
    expect(report).toEqual({ dispatched: 20, failed: 0, complete: true });
    expect(new Set(queue.all.map((k) => `${k.tenantId}/${k.integration}`)).size).toBe(20);
    expect(queue.batches.every((batch) => batch.length <= 2)).toBe(true);
    // Minutes since the epoch modulo 4 is 2: the sweep starts at shard 2 and wraps around.
    expect([...new Set(index.reads)]).toEqual([2, 3, 0, 1]);
  });

  it('stops before the time budget runs out; what is left stays due for the next run', async () => {
    const index = dueIndex(16, 3);
    const queue = new RecordingValidationQueue();
    let remaining = 30_000;
    const report = await dispatchDueAuthorizations({
      authorizations: {
        listDue: async (...args) => {
          remaining -= 5_000;
          return index.listDue(...args);
        },
      },
      queue,
      clock: new ManualClock(new Date('2026-03-01T10:00:00.000Z')),
      shards: 16,
      pageSize: 3,
      remainingTimeMs: () => remaining,
      timeReserveMs: 10_000,
    });
    // 30 s left, 5 s per page, 10 s kept in reserve: five pages, then stop.
    expect(report).toEqual({ dispatched: 15, failed: 0, complete: false });
    // The start rotates with the minute: minutes since the epoch modulo the shard count (8 here).
    expect(index.reads).toEqual([8, 9, 10, 11, 12]);
  });

  it('goes on past a page the queue refuses and counts what it did not take', async () => {
    const index = dueIndex(4, 4);
    const queue = new RecordingValidationQueue();
    let page = 0;
    const report = await dispatchDueAuthorizations({
      authorizations: index,
      queue: {
        enqueue: async (keys) => {
          page += 1;
          if (page === 1) throw new EnqueueError('3 of 4 could not be sent', 3);
          if (page === 2) throw new Error('queue unreachable');
          await queue.enqueue(keys);
        },
      },
      clock: new ManualClock(new Date('2026-03-01T10:00:00.000Z')),
      shards: 4,
      pageSize: 4,
      remainingTimeMs: () => 60_000,
    });
    // Page 1 lost 3 of its 4 keys, page 2 all 4; pages 3 and 4 (later shards) still went out.
    expect(report).toEqual({ dispatched: 9, failed: 7, complete: true });
    expect(queue.all).toHaveLength(8);
    expect(new Set(index.reads).size).toBe(4);
  });
});

describe('sweep dispatcher handler', () => {
  it('dispatches within the Lambda context’s remaining time and reports it', async () => {
    const queue = new RecordingValidationQueue();
    const handler = createSweepDispatcherHandler(
      { authorizations: dueIndex(16, 1), queue, clock: new ManualClock(), shards: 16 },
      silentObservability('sweep-dispatcher-test'),
    );
    const report = await handler({}, lambdaContext({ remainingTimeMs: () => 60_000 }));
    expect(report).toEqual({ dispatched: 16, failed: 0, complete: true });
    const starved = await handler({}, lambdaContext({ remainingTimeMs: () => 5_000 }));
    expect(starved).toEqual({ dispatched: 0, failed: 0, complete: false });
  });

  it('fails the invocation when the queue refused keys, after sending the rest', async () => {
    const sent: AuthorizationKey[] = [];
    const handler = createSweepDispatcherHandler(
      {
        authorizations: dueIndex(16, 1),
        queue: {
          enqueue: async (keys) => {
            if (keys[0]?.tenantId === 't3') throw new EnqueueError('1 of 1 could not be sent', 1);
            sent.push(...keys);
          },
        },
        clock: new ManualClock(),
        shards: 16,
      },
      silentObservability('sweep-dispatcher-test'),
    );
    await expect(handler({}, lambdaContext({ remainingTimeMs: () => 60_000 }))).rejects.toThrow(
      '1 due authorizations could not be queued (15 were)',
    );
    expect(sent).toHaveLength(15);
  });
});

describe('validator worker handler', () => {
  const message = sqsRecord;

  async function deps(): Promise<
    ValidatorDependencies & { authorizations: InMemoryAuthorizationRepository; vault: MemoryTokenVault }
  > {
    const clock = new ManualClock();
    const webex = new FakeWebex(clock);
    webex.addPerson('p1', 'admin@acme.example');
    const authorizations = new InMemoryAuthorizationRepository();
    const vault = new MemoryTokenVault();
    const tenants = new InMemoryTenantRepository();
    tenants.put({
      tenantId: 'acme',
      name: 'Acme',
      contacts: [],
      sso: false,
      orgId: 'org-1',
      linkVersion: 1,
      status: 'active',
      createdAt: clock.now().toISOString(),
      updatedAt: clock.now().toISOString(),
    });
    const material = webex.grant('p1', 'presence');
    const record: Authorization = {
      tenantId: 'acme',
      integration: 'presence',
      status: 'active',
      authorizer: {
        personId: 'p1',
        email: 'admin@acme.example',
        displayName: 'Ada',
        orgId: 'org-1',
        fullAdmin: true,
      },
      scopes: ['spark:people_read'],
      accessTokenExpiresAt: material.accessTokenExpiresAt,
      refreshTokenExpiresAt: material.refreshTokenExpiresAt,
      grantedAt: clock.now().toISOString(),
      consecutiveFailures: 0,
      sealedTokens: await vault.seal({ tenantId: 'acme', integration: 'presence' }, material),
      version: 1,
      nextCheckAt: clock.now().toISOString(),
      warningsSent: [],
      updatedAt: clock.now().toISOString(),
    };
    authorizations.put(record);
    // presence's tokens copied onto cdr's record: sealed for another item, they do not open there.
    authorizations.put({ ...record, integration: 'cdr' });
    return {
      authorizations,
      tenants,
      vault,
      webex,
      clientSecrets: { get: async () => 'secret' },
      events: new RecordingPublisher(),
      clock,
      catalog: defaultCatalog(),
      config: DEFAULT_VALIDATOR_CONFIG,
      reauthorizeLink: async () => 'https://keeper.example/connect/x',
      log: silentLog,
    };
  }

  it('validates each message and returns only the failed ones as batch item failures', async () => {
    const ports = await deps();
    const handler = createValidatorWorkerHandler(ports, silentObservability('validator-worker-test'));
    const event: SQSEvent = {
      Records: [
        message('ok', JSON.stringify({ tenantId: 'acme', integration: 'presence' })),
        message('not-json', '{tenant'),
        message('bad-shape', JSON.stringify({ tenant: 'acme' })),
        message('vault-missing', JSON.stringify({ tenantId: 'acme', integration: 'cdr' })),
        message('gone', JSON.stringify({ tenantId: 'acme', integration: 'sso' })),
      ],
    };
    const response = await handler(event, lambdaContext());
    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual([
      'bad-shape',
      'not-json',
      'vault-missing',
    ]);
    expect((await ports.authorizations.get('acme', 'presence'))?.validatedAt).toBeDefined();
  });
});

describe('the worker and dispatcher entry points', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  // A fresh module graph has its own ConfigError class: match on the name and the message.
  it('fail at load, naming every bad variable, when the environment is incomplete', async () => {
    vi.stubEnv('TABLE_NAME', '');
    vi.stubEnv('VALIDATION_QUEUE_URL', 'not a url');
    await expect(import('#functions/sweep-dispatcher.handler.js')).rejects.toMatchObject({
      name: 'ConfigError',
      message: expect.stringMatching(/TABLE_NAME is invalid.*VALIDATION_QUEUE_URL is invalid/),
    });
    await expect(import('#functions/validator-worker.handler.js')).rejects.toMatchObject({
      name: 'ConfigError',
      message: expect.stringMatching(/TABLE_NAME is invalid.*KMS_KEY_ID is not set/),
    });
  });

  it('build their handlers from the environment at load, without calling AWS', async () => {
    for (const [name, value] of Object.entries({
      TABLE_NAME: 'table',
      VALIDATION_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/validation',
      KMS_KEY_ID: 'arn:aws:kms:us-east-1:123456789012:key/k',
      CLIENT_SECRETS_SECRET_ID: 'client-secrets',
      LINK_SIGNING_SECRET_ID: 'link-key',
      EVENT_BUS_NAME: 'bus',
      ALERT_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:alerts',
      WEBEX_API_BASE_URL: 'https://webexapis.com',
      PUBLIC_BASE_URL: 'https://auth.example.com',
      AWS_REGION: 'us-east-1',
    })) {
      vi.stubEnv(name, value);
    }
    expect(typeof (await import('#functions/sweep-dispatcher.handler.js')).handler).toBe('function');
    expect(typeof (await import('#functions/validator-worker.handler.js')).handler).toBe('function');
  });
});
