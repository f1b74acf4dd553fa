import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Match } from 'aws-cdk-lib/assertions';
import type { CfnAlarm } from 'aws-cdk-lib/aws-cloudwatch';
import { beforeAll, describe, expect, it } from 'vitest';
import { tableIndexes } from '#adapters/table-definition.js';
import {
  AUTHORIZATION_INVALIDATED_METRIC,
  KMS_THROTTLED_METRIC,
  SWEEP_INCOMPLETE_METRIC,
} from '#commons/validation-metrics.js';
import { resourceNamePrefix } from '#lib/names.js';
import { FUNCTION_METRICS } from '#lib/observability.js';
import { defaultStack, logicalId, render, synthesize } from './support.js';
import type { Synthesized } from './support.js';

let synth: Synthesized;
beforeAll(() => {
  synth = defaultStack();
});

interface AlarmProperties {
  AlarmActions: unknown[];
  MetricName?: string;
  Namespace?: string;
  Dimensions?: { Name: string; Value: unknown }[];
  Metrics?: {
    Id: string;
    Expression?: string;
    MetricStat?: { Metric: { MetricName: string; Dimensions: unknown[] } };
  }[];
  Threshold: number;
  ComparisonOperator: string;
}

function alarm(construct: { node: unknown }): AlarmProperties {
  const resources = synth.template.toJSON().Resources as Record<string, { Properties: AlarmProperties }>;
  const found = resources[logicalId(construct as Parameters<typeof logicalId>[0])];
  if (!found) throw new Error('alarm not found');
  return found.Properties;
}

describe('alarms', () => {
  it('has exactly twelve alarms, each notifying the alarm topic, which is not the event topic', () => {
    const alarms = Object.values(synth.template.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms).toHaveLength(12);
    expect(synth.stack.observability.alarms()).toHaveLength(12);
    expect(logicalId(synth.stack.alerts.alarmTopic)).not.toBe(logicalId(synth.stack.alerts.topic));
    for (const resource of alarms) {
      expect((resource.Properties as AlarmProperties).AlarmActions).toEqual([
        { Ref: logicalId(synth.stack.alerts.alarmTopic) },
      ]);
    }
  });

  it("fires when the notifier's dead-letter queue holds a message", () => {
    const properties = alarm(synth.stack.observability.notifierDeadLetterAlarm);
    expect(properties).toMatchObject({ MetricName: 'ApproximateNumberOfMessagesVisible', Threshold: 1 });
    expect(render(properties.Dimensions?.[0]?.Value)).toBe(
      `\${${logicalId(synth.stack.mail.deadLetterQueue)}.QueueName}`,
    );
  });

  it('fires when the dead-letter queue holds a message', () => {
    const properties = alarm(synth.stack.observability.deadLetterAlarm);
    expect(properties).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    expect(render(properties.Dimensions?.[0]?.Value)).toBe(
      `\${${logicalId(synth.stack.validator.deadLetterQueue)}.QueueName}`,
    );
  });

  it('fires on any error of the sweep dispatcher or the validator worker', () => {
    const properties = alarm(synth.stack.observability.validatorErrorsAlarm);
    const functions = (properties.Metrics ?? [])
      .filter((metric) => metric.MetricStat?.Metric.MetricName === 'Errors')
      .map((metric) => render((metric.MetricStat?.Metric.Dimensions[0] as { Value: unknown }).Value))
      .sort();
    expect(functions).toEqual(
      [
        `\${${logicalId(synth.stack.validator.dispatcher)}}`,
        `\${${logicalId(synth.stack.validator.worker)}}`,
      ].sort(),
    );
    expect(properties.Threshold).toBe(1);
  });

  it('fires on a wave of AuthorizationInvalidated, whatever dimensions the functions add', () => {
    const properties = alarm(synth.stack.observability.invalidationsAlarm);
    expect(properties.Metrics).toEqual([
      expect.objectContaining({
        Expression: 'SELECT SUM(AuthorizationInvalidated) FROM "WebexAuthKeeper"',
        Period: 3600,
        ReturnData: true,
      }),
    ]);
    expect(properties.Threshold).toBeGreaterThan(1);
  });

  it("fires when more than a tenth of the worker's messages fail for three periods in a row", () => {
    const properties = alarm(synth.stack.observability.workerFailureRateAlarm) as AlarmProperties & {
      EvaluationPeriods: number;
      DatapointsToAlarm: number;
    };
    const byId = Object.fromEntries((properties.Metrics ?? []).map((metric) => [metric.Id, metric]));
    expect((properties.Metrics ?? []).find((metric) => metric.Expression)?.Expression).toBe(
      'IF(received > 0, 100 * FILL(failed, 0) / received, 0)',
    );
    expect(byId.failed?.MetricStat?.Metric).toMatchObject({
      MetricName: 'ValidationErrors',
      Namespace: 'WebexAuthKeeper',
      Dimensions: [{ Name: 'service', Value: 'validator-worker' }],
    });
    expect(byId.received?.MetricStat?.Metric.MetricName).toBe('NumberOfMessagesReceived');
    expect(render(byId.received?.MetricStat?.Metric.Dimensions[0])).toContain(
      logicalId(synth.stack.validator.queue),
    );
    expect(properties).toMatchObject({ Threshold: 10, EvaluationPeriods: 3, DatapointsToAlarm: 3 });
  });

  it("fires when the validation queue's oldest message is older than one sweep period", () => {
    const properties = alarm(synth.stack.observability.queueAgeAlarm);
    expect(properties).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateAgeOfOldestMessage',
      Threshold: 15 * 60,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    expect(render(properties.Dimensions?.[0]?.Value)).toBe(
      `\${${logicalId(synth.stack.validator.queue)}.QueueName}`,
    );
    const faster = synthesize({ sweepRateMinutes: 5 });
    const resources = faster.template.toJSON().Resources as Record<string, { Properties: AlarmProperties }>;
    expect(resources[logicalId(faster.stack.observability.queueAgeAlarm)]?.Properties.Threshold).toBe(300);
  });

  it('is a dead-man on the sweep: no dispatcher run for two sweep periods breaches, missing data included', () => {
    const properties = alarm(synth.stack.observability.sweepMissingAlarm) as AlarmProperties & {
      TreatMissingData: string;
    };
    expect(properties.Metrics).toEqual([
      expect.objectContaining({
        Expression: 'SELECT COUNT(SweepDispatched) FROM "WebexAuthKeeper"',
        Period: 2 * 15 * 60,
      }),
    ]);
    expect(properties).toMatchObject({
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
    });
  });

  it('fires when two sweeps in a row stop before queueing every due authorization', () => {
    const properties = alarm(synth.stack.observability.sweepIncompleteAlarm) as AlarmProperties & {
      EvaluationPeriods: number;
      DatapointsToAlarm: number;
    };
    expect(properties.Metrics).toEqual([
      expect.objectContaining({
        Expression: 'SELECT SUM(SweepIncomplete) FROM "WebexAuthKeeper"',
        Period: 900,
      }),
    ]);
    expect(properties).toMatchObject({ Threshold: 1, EvaluationPeriods: 2, DatapointsToAlarm: 2 });
    expect(FUNCTION_METRICS.sweepIncomplete).toBe(SWEEP_INCOMPLETE_METRIC);
  });

  it('fires on any 5xx the API answers', () => {
    const properties = alarm(synth.stack.observability.apiServerErrorsAlarm);
    expect(properties).toMatchObject({ Namespace: 'AWS/ApiGateway', MetricName: '5xx', Threshold: 1 });
    expect(render(properties.Dimensions?.find((dimension) => dimension.Name === 'ApiId')?.Value)).toBe(
      `\${${logicalId(synth.stack.api.httpApi)}}`,
    );
  });

  it('fires on throttled reads or writes of the table and of every index', () => {
    const properties = alarm(synth.stack.observability.dynamoDbThrottlesAlarm);
    const watched = (properties.Metrics ?? [])
      .filter((metric) => metric.MetricStat)
      .map((metric) => {
        const dimensions = metric.MetricStat?.Metric.Dimensions as { Name: string; Value: unknown }[];
        const index = dimensions.find((dimension) => dimension.Name === 'GlobalSecondaryIndexName');
        return `${metric.MetricStat?.Metric.MetricName} ${index ? String(index.Value) : 'table'}`;
      })
      .sort();
    const scopes = ['table', ...tableIndexes().map((index) => index.indexName)];
    expect(watched).toEqual(
      scopes.flatMap((scope) => [`ReadThrottleEvents ${scope}`, `WriteThrottleEvents ${scope}`]).sort(),
    );
    for (const metric of properties.Metrics ?? []) {
      if (!metric.MetricStat) continue;
      const table = (metric.MetricStat.Metric.Dimensions as { Name: string; Value: unknown }[]).find(
        (dimension) => dimension.Name === 'TableName',
      );
      expect(render(table?.Value)).toBe(`\${${logicalId(synth.stack.tokenStore.table)}}`);
    }
    expect(properties.Threshold).toBe(1);
  });

  it('fires on a KMS call throttled past its retries, counted by the functions', () => {
    const properties = alarm(synth.stack.observability.kmsThrottlesAlarm);
    expect(properties.Metrics).toEqual([
      expect.objectContaining({ Expression: 'SELECT SUM(KmsThrottled) FROM "WebexAuthKeeper"' }),
    ]);
    expect(FUNCTION_METRICS.kmsThrottled).toBe(KMS_THROTTLED_METRIC);
  });

  it('fires on a throttled invocation of any of the functions', () => {
    const properties = alarm(synth.stack.observability.lambdaThrottlesAlarm);
    const functions = (properties.Metrics ?? [])
      .filter((metric) => metric.MetricStat?.Metric.MetricName === 'Throttles')
      .map((metric) => render((metric.MetricStat?.Metric.Dimensions[0] as { Value: unknown }).Value))
      .sort();
    expect(functions).toEqual(
      [
        synth.stack.api.publicFunction,
        synth.stack.api.adminFunction,
        synth.stack.validator.dispatcher,
        synth.stack.validator.worker,
        synth.stack.mail.notifier,
      ]
        .map((fn) => `\${${logicalId(fn)}}`)
        .sort(),
    );
  });

  it('has each alarm listed, with what to do, in docs/deploy.md', () => {
    const guide = readFileSync(fileURLToPath(new URL('../../docs/deploy.md', import.meta.url)), 'utf8');
    const rows = guide.split('\n').filter((line) => line.trimStart().startsWith('| `'));
    const prefix = `${resourceNamePrefix(synth.stack)}-`;
    for (const created of synth.stack.observability.alarms()) {
      const name = String((created.node.defaultChild as CfnAlarm).alarmName).slice(prefix.length);
      expect(
        rows.some((row) => row.includes(`| \`${name}\``)),
        name,
      ).toBe(true);
    }
  });

  it('sums the metric the functions emit on every path that finds an invalidation', () => {
    // The worker and the admin API's validate-now both count through recordValidationOutcome.
    expect(FUNCTION_METRICS.invalidated).toBe(AUTHORIZATION_INVALIDATED_METRIC);
  });
});

describe('dashboard', () => {
  it('is one dashboard showing the three function metrics, the queues, the functions and the API', () => {
    synth.template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    const dashboard = Object.values(synth.template.findResources('AWS::CloudWatch::Dashboard'))[0];
    const body = render((dashboard?.Properties as { DashboardBody: unknown }).DashboardBody);
    for (const metric of ['AuthorizationInvalidated', 'ValidationErrors', 'SweepDispatched']) {
      expect(body).toContain(`SELECT SUM(${metric}) FROM \\"WebexAuthKeeper\\"`);
    }
    expect(body).toContain('ApproximateNumberOfMessagesVisible');
    expect(body).toContain('AWS/Lambda');
    expect(body).toContain('AWS/ApiGateway');
  });
});

describe('alerts', () => {
  it('encrypts the topic with the key and refuses plain-HTTP publishing', () => {
    synth.template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [logicalId(synth.stack.tokenStore.key), 'Arn'] },
    });
    synth.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('subscribes the ops e-mail to the alarm topic only: the event topic has no e-mail subscription', () => {
    const subscriptions = Object.values(synth.template.findResources('AWS::SNS::Subscription'));
    expect(subscriptions).toHaveLength(1);
    expect(subscriptions[0]?.Properties).toMatchObject({
      Protocol: 'email',
      TopicArn: { Ref: logicalId(synth.stack.alerts.alarmTopic) },
    });
  });

  it('asks for the ops e-mail as a required parameter when the context does not give it', () => {
    const parameters = synth.template.toJSON().Parameters as Record<
      string,
      { Default?: string; AllowedPattern?: string }
    >;
    expect(parameters.OpsAlertEmail).toBeDefined();
    expect(parameters.OpsAlertEmail).not.toHaveProperty('Default');
    expect(parameters.OpsAlertEmail?.AllowedPattern).toBeDefined();
    synth.template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: { Ref: 'OpsAlertEmail' },
      TopicArn: { Ref: logicalId(synth.stack.alerts.alarmTopic) },
    });
  });

  it('subscribes the context e-mail directly, with no parameter, when given', () => {
    const withEmail = synthesize({ opsAlertEmail: 'ops@vendor.example' });
    expect(withEmail.template.toJSON().Parameters).not.toHaveProperty('OpsAlertEmail');
    withEmail.template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@vendor.example',
    });
  });
});

describe('outputs', () => {
  it('gives the operator what docs/deploy.md asks for', () => {
    const outputs = synth.template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(Object.keys(outputs).sort()).toEqual(
      [
        'AdminApiInvokePolicyArn',
        'AlarmTopicArn',
        'AlertTopicArn',
        'ApiEndpoint',
        'ClientSecretsSecretArn',
        'DashboardUrl',
        'DeadLetterQueueUrl',
        'EventBusName',
        'IntegrationKeys',
        'KmsKeyArn',
        'LinkSigningSecretArn',
        'MailConfigurationSet',
        'MailIdentity',
        'NotifierDeadLetterQueueUrl',
        'NotifierQueueUrl',
        'OAuthCallbackUrl',
        'PublicBaseUrl',
        'TableName',
        'TokenAccessPolicyArn',
        'TokenReaderPolicyArn',
        'ValidationQueueUrl',
      ].sort(),
    );
    expect(outputs.ClientSecretsSecretArn?.Value).toEqual({
      Ref: logicalId(synth.stack.tokenStore.clientSecrets),
    });
    expect(outputs.IntegrationKeys?.Value).toBe(
      'users-sync,presence,call-control,cdr,sso,witness,service-app-token',
    );
    expect(outputs.TokenSecretPrefix).toBeUndefined();
    expect(render(outputs.OAuthCallbackUrl?.Value)).toMatch(/\/oauth\/callback$/);
  });

  it('exports every output as <stack name>-<output>', () => {
    const outputs = synth.template.toJSON().Outputs as Record<string, { Export?: { Name: unknown } }>;
    for (const [id, output] of Object.entries(outputs)) {
      expect(output.Export?.Name, id).toBe(`${synth.stack.stackName}-${id}`);
    }
  });

  it('documents every output, the custom-domain one included, in docs/deploy.md', () => {
    const guide = readFileSync(fileURLToPath(new URL('../../docs/deploy.md', import.meta.url)), 'utf8');
    const withDomain = synthesize({
      customDomain: {
        domainName: 'auth.example.com',
        certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/12345678-1234-1234-1234-123456789012',
      },
    });
    const outputs = Object.keys(withDomain.template.toJSON().Outputs as Record<string, unknown>);
    expect(outputs).toContain('CustomDomainTarget');
    const tableRows = guide.split('\n').filter((line) => line.startsWith('| `'));
    for (const output of outputs) {
      expect(
        tableRows.some((row) => row.includes(`\`${output}\``)),
        output,
      ).toBe(true);
    }
  });

  it('offers a managed policy limited to the admin routes', () => {
    synth.template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: {
        Statement: [
          {
            Action: 'execute-api:Invoke',
            Effect: 'Allow',
            Resource: {
              'Fn::Join': [
                '',
                Match.arrayWith([{ Ref: logicalId(synth.stack.api.httpApi) }, '/$default/*/admin/*']),
              ],
            },
          },
        ],
      },
    });
  });
});
