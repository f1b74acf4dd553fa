import { KMSClient, GenerateDataKeyCommand } from '@aws-sdk/client-kms';
import { describe, expect, it, vi } from 'vitest';
import { countThrottledCalls, isThrottling } from '#commons/kms-throttles.js';
import { SWEEP_INCOMPLETE_METRIC } from '#commons/validation-metrics.js';
import type { Page } from '#domain/ports.js';
import { createSweepDispatcherHandler } from '#functions/sweep-dispatcher.app.js';
import { ManualClock, RecordingValidationQueue } from '#test-support/fakes/index.js';
import { lambdaContext, silentObservability } from '#test-support/fixtures.js';

/** A KMS client whose every call is answered by `status` with the error `type`, without retries. */
function kmsAnswering(status: number, type: string): KMSClient {
  return new KMSClient({
    region: 'eu-west-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'not-a-secret' },
    maxAttempts: 1,
    requestHandler: {
      handle: async () => ({
        response: {
          statusCode: status,
          reason: type,
          headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': type },
          body: new TextEncoder().encode(JSON.stringify({ __type: type, message: 'refused' })),
        },
      }),
    },
  });
}

const generate = new GenerateDataKeyCommand({ KeyId: 'alias/test', KeySpec: 'AES_256' });

describe('KMS throttle count', () => {
  it('counts a call KMS refused as throttled, and lets its error through unchanged', async () => {
    const onThrottled = vi.fn();
    const client = countThrottledCalls(kmsAnswering(400, 'ThrottlingException'), onThrottled);
    await expect(client.send(generate)).rejects.toMatchObject({ name: 'ThrottlingException' });
    expect(onThrottled).toHaveBeenCalledTimes(1);
  });

  it('counts nothing for any other refusal', async () => {
    const onThrottled = vi.fn();
    const client = countThrottledCalls(kmsAnswering(400, 'AccessDeniedException'), onThrottled);
    await expect(client.send(generate)).rejects.toMatchObject({ name: 'AccessDeniedException' });
    expect(onThrottled).not.toHaveBeenCalled();
  });

  it('takes a 429 of any name as throttling', () => {
    const tooMany = Object.assign(new Error('slow down'), { $metadata: { httpStatusCode: 429 } });
    expect(isThrottling(tooMany)).toBe(true);
    expect(isThrottling(new Error('ThrottlingException'))).toBe(false);
    expect(isThrottling('ThrottlingException')).toBe(false);
  });
});

describe('sweep dispatcher: incomplete-sweep metric', () => {
  /** One due key per shard. */
  const oneDuePerShard = {
    listDue: async (shard: number): Promise<Page<{ tenantId: string; integration: string }>> => ({
      items: [{ tenantId: `t${shard}`, integration: 'presence' }],
    }),
  };

  function dispatcher() {
    const tools = silentObservability('sweep-dispatcher-test');
    const addMetric = vi.spyOn(tools.metrics, 'addMetric');
    const handler = createSweepDispatcherHandler(
      {
        authorizations: oneDuePerShard,
        queue: new RecordingValidationQueue(),
        clock: new ManualClock(),
        shards: 4,
      },
      tools,
    );
    const incomplete = () =>
      addMetric.mock.calls.filter(([name]) => name === SWEEP_INCOMPLETE_METRIC).map(([, , value]) => value);
    return { handler, incomplete };
  }

  it('emits 1 when the sweep stopped at its time budget with due keys left', async () => {
    const { handler, incomplete } = dispatcher();
    await handler({}, lambdaContext({ remainingTimeMs: () => 5_000 }));
    expect(incomplete()).toEqual([1]);
  });

  it('emits 0 when the sweep queued every due key, so the metric is there on every run', async () => {
    const { handler, incomplete } = dispatcher();
    await handler({}, lambdaContext({ remainingTimeMs: () => 60_000 }));
    expect(incomplete()).toEqual([0]);
  });
});
