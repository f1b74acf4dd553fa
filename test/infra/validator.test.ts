import { beforeAll, describe, expect, it } from 'vitest';
import { tableDefinition } from '#adapters/table-definition.js';
import { dispatchEventSchema, shardsToRead } from '#domain/sweep.js';
import { defaultStack, logicalId, synthesize } from './support.js';
import type { Synthesized } from './support.js';

let synth: Synthesized;
beforeAll(() => {
  synth = defaultStack();
});

describe('sweep schedule', () => {
  it('runs the dispatcher every 15 minutes by default, once per shard group', () => {
    synth.template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(15 minutes)',
      State: 'ENABLED',
      Targets: [0, 1, 2, 3].map((shardGroup) => ({
        Arn: { 'Fn::GetAtt': [logicalId(synth.stack.validator.dispatcher), 'Arn'] },
        Id: `Target${shardGroup}`,
        Input: JSON.stringify({ shardGroup, shardGroups: 4 }),
        RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 900 },
      })),
    });
  });

  it('gives the dispatcher one full vCPU (1,769 MB): its sends are bound by CPU at fleet scale', () => {
    const dispatcher = synth.template.toJSON().Resources[logicalId(synth.stack.validator.dispatcher)] as {
      Properties: { MemorySize: number; Timeout: number };
    };
    expect(dispatcher.Properties).toMatchObject({ MemorySize: 1769, Timeout: 60 });
  });

  it("gives each shard group's input the shape the dispatcher accepts, covering every shard once", () => {
    const rule = Object.values(synth.template.findResources('AWS::Events::Rule')).find(
      (resource) =>
        (resource as { Properties: { ScheduleExpression?: string } }).Properties.ScheduleExpression,
    ) as { Properties: { Targets: { Input: string }[] } };
    const groups = rule.Properties.Targets.map((target) =>
      dispatchEventSchema.parse(JSON.parse(target.Input)),
    );
    const covered = groups.flatMap((group) =>
      shardsToRead(tableDefinition.dueShards, new Date(0), group ?? undefined),
    );
    expect(covered.sort((a, b) => a - b)).toEqual(
      Array.from({ length: tableDefinition.dueShards }, (_, shard) => shard),
    );
  });

  it('follows the sweep rate input', () => {
    const fast = synthesize({ sweepRateMinutes: 5 });
    fast.template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(5 minutes)' });
  });

  it('keeps the check interval apart from the sweep rate', () => {
    const { template, stack } = synthesize({ sweepRateMinutes: 5, checkIntervalMinutes: 30 });
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(5 minutes)' });
    const worker = template.toJSON().Resources[logicalId(stack.validator.worker)] as {
      Properties: { Environment: { Variables: Record<string, unknown> } };
    };
    expect(worker.Properties.Environment.Variables.CHECK_INTERVAL_SECONDS).toBe('1800');
    expect(worker.Properties.Environment.Variables.SWEEP_RATE_SECONDS).toBe('300');
  });

  it('puts the custom event bus next to the schedule, for authorization events', () => {
    synth.template.resourceCountIs('AWS::Events::EventBus', 1);
  });
});

interface QueueProperties {
  VisibilityTimeout?: number;
  RedrivePolicy?: { deadLetterTargetArn: unknown; maxReceiveCount: number };
  SqsManagedSseEnabled?: boolean;
}

describe('validation queue', () => {
  it('dead-letters a message after 5 receives', () => {
    const queue = synth.template.toJSON().Resources[logicalId(synth.stack.validator.queue)] as {
      Properties: QueueProperties;
    };
    expect(queue.Properties.RedrivePolicy).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': [logicalId(synth.stack.validator.deadLetterQueue), 'Arn'] },
      maxReceiveCount: 5,
    });
  });

  it('hides a received message for at least six times the worker timeout', () => {
    const resources = synth.template.toJSON().Resources as Record<
      string,
      { Properties: Record<string, unknown> }
    >;
    const queue = resources[logicalId(synth.stack.validator.queue)]?.Properties as QueueProperties;
    const workerTimeout = resources[logicalId(synth.stack.validator.worker)]?.Properties.Timeout as number;
    expect(queue.VisibilityTimeout).toBeGreaterThanOrEqual(6 * workerTimeout);
  });

  it('feeds the worker in batches of 10 with partial batch failures', () => {
    // One mapping reads the validation queue (the notifier's queue has its own, tested in mail.test.ts).
    const fromQueue = synth.template.findResources('AWS::Lambda::EventSourceMapping', {
      Properties: { EventSourceArn: { 'Fn::GetAtt': [logicalId(synth.stack.validator.queue), 'Arn'] } },
    });
    expect(Object.keys(fromQueue)).toHaveLength(1);
    synth.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [logicalId(synth.stack.validator.queue), 'Arn'] },
      FunctionName: { Ref: logicalId(synth.stack.validator.worker) },
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('encrypts both queues and refuses plain-HTTP requests', () => {
    for (const queue of [synth.stack.validator.queue, synth.stack.validator.deadLetterQueue]) {
      const resource = synth.template.toJSON().Resources[logicalId(queue)] as { Properties: QueueProperties };
      expect(resource.Properties.SqsManagedSseEnabled).toBe(true);
    }
    synth.template.resourcePropertiesCountIs(
      'AWS::SQS::QueuePolicy',
      {
        PolicyDocument: {
          Statement: [
            {
              Effect: 'Deny',
              Action: 'sqs:*',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
              Principal: { AWS: '*' },
              Resource: { 'Fn::GetAtt': [logicalId(synth.stack.validator.queue), 'Arn'] },
            },
          ],
        },
      },
      1,
    );
  });
});
