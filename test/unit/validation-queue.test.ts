import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { SqsValidationQueue } from '#adapters/validation-queue.js';
import { EnqueueError } from '#domain/sweep.js';

const sqs = mockClient(SQSClient);
afterAll(() => sqs.restore());
const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/keeper-validation';

function keys(count: number) {
  return Array.from({ length: count }, (_, index) => ({ tenantId: `t${index}`, integration: 'presence' }));
}

function queue(): SqsValidationQueue {
  return new SqsValidationQueue(QUEUE_URL, new SQSClient({ region: 'eu-west-1' }), () => 0);
}

describe('SqsValidationQueue', () => {
  beforeEach(() => {
    sqs.reset();
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
  });

  it('sends keys as JSON bodies, ten per SendMessageBatch', async () => {
    await queue().enqueue(keys(23));
    const batches = sqs.commandCalls(SendMessageBatchCommand).map((call) => call.args[0].input);
    expect(batches.map((batch) => batch.Entries?.length)).toEqual([10, 10, 3]);
    expect(batches[0]?.QueueUrl).toBe(QUEUE_URL);
    expect(batches[0]?.Entries?.[0]).toEqual({
      Id: '0',
      MessageBody: '{"tenantId":"t0","integration":"presence"}',
    });
    expect(batches[2]?.Entries?.[2]?.MessageBody).toBe('{"tenantId":"t22","integration":"presence"}');
  });

  it('sends nothing for no keys', async () => {
    await queue().enqueue([]);
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
  });

  it('retries only the entries SQS reports as failed', async () => {
    sqs
      .on(SendMessageBatchCommand)
      .resolvesOnce({
        Successful: [],
        Failed: [
          { Id: '1', SenderFault: false, Code: 'InternalError' },
          { Id: '3', SenderFault: false, Code: 'InternalError' },
        ],
      })
      .resolves({ Successful: [], Failed: [] });
    await queue().enqueue(keys(4));
    const calls = sqs.commandCalls(SendMessageBatchCommand);
    expect(calls).toHaveLength(2);
    expect(calls[1]?.args[0].input.Entries).toEqual([
      { Id: '1', MessageBody: '{"tenantId":"t1","integration":"presence"}' },
      { Id: '3', MessageBody: '{"tenantId":"t3","integration":"presence"}' },
    ]);
  });

  it('gives up after its attempts and says how many keys were not sent', async () => {
    sqs
      .on(SendMessageBatchCommand)
      .resolves({ Successful: [], Failed: [{ Id: '0', SenderFault: false, Code: 'InternalError' }] });
    const attempt = queue().enqueue(keys(2));
    await expect(attempt).rejects.toThrow(EnqueueError);
    await expect(attempt).rejects.toMatchObject({ failedCount: 1 });
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(4);
  });

  it('does not retry a sender fault, which would fail again', async () => {
    sqs.on(SendMessageBatchCommand).resolvesOnce({
      Successful: [],
      Failed: [{ Id: '0', SenderFault: true, Code: 'InvalidMessageContents' }],
    });
    await expect(queue().enqueue(keys(1))).rejects.toMatchObject({ failedCount: 1 });
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(1);
  });
});
