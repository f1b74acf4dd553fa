import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultDeployInputs } from '#lib/deploy-inputs.js';
import { resourceNamePrefix } from '#lib/names.js';
import { WebexAuthKeeperStack } from '#lib/webex-auth-keeper-stack.js';
import { render, testEntries } from './support.js';
import type { Synthesized } from './support.js';

/** The property holding the physical name, per resource type that has one. */
const NAME_PROPERTY: Readonly<Record<string, string>> = {
  'AWS::SecretsManager::Secret': 'Name',
  'AWS::KMS::Alias': 'AliasName',
  'AWS::Events::EventBus': 'Name',
  'AWS::Events::Rule': 'Name',
  'AWS::ApiGatewayV2::Api': 'Name',
  'AWS::DynamoDB::Table': 'TableName',
  'AWS::SQS::Queue': 'QueueName',
  'AWS::SNS::Topic': 'TopicName',
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::Logs::LogGroup': 'LogGroupName',
  'AWS::CloudWatch::Dashboard': 'DashboardName',
  'AWS::CloudWatch::Alarm': 'AlarmName',
  'AWS::IAM::Role': 'RoleName',
  'AWS::IAM::ManagedPolicy': 'ManagedPolicyName',
};

/** Environment variables whose value names something account-wide rather than a resource of the stack. */
const NAMING_VARIABLES = ['POWERTOOLS_METRICS_NAMESPACE'];

/**
 * The only actions granted on "*": they take no resource type in IAM. X-Ray's two, and SNS's
 * subscription calls (they take a subscription ARN, which IAM has no type for); the admin API calls
 * those only with subscription ARNs it stored itself, on its own topic.
 */
const ACTIONS_WITHOUT_RESOURCE_TYPE = [
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'sns:GetSubscriptionAttributes',
  'sns:SetSubscriptionAttributes',
  'sns:Unsubscribe',
];

interface ResourceJson {
  Type: string;
  Properties?: Record<string, unknown>;
}

function resources(synth: Synthesized): [string, ResourceJson][] {
  return Object.entries((synth.template.toJSON() as { Resources: Record<string, ResourceJson> }).Resources);
}

/** Every physical name the template sets, and every naming variable the functions get. */
function physicalNames(synth: Synthesized): string[] {
  const names: string[] = [];
  for (const [, resource] of resources(synth)) {
    const property = NAME_PROPERTY[resource.Type];
    const name = property === undefined ? undefined : resource.Properties?.[property];
    if (name !== undefined) names.push(render(name));
    if (resource.Type === 'AWS::Lambda::Function') {
      const variables = (resource.Properties?.Environment as { Variables: Record<string, unknown> })
        .Variables;
      for (const variable of NAMING_VARIABLES) {
        if (variables[variable] !== undefined) names.push(render(variables[variable]));
      }
    }
  }
  return names;
}

interface Statement {
  Action: string | string[];
  Resource: unknown;
}

/** Every resource an identity policy of the template grants on, rendered, with its actions. */
function grants(synth: Synthesized): { resource: string; actions: string[] }[] {
  const found: { resource: string; actions: string[] }[] = [];
  for (const [, resource] of resources(synth)) {
    if (resource.Type !== 'AWS::IAM::Policy' && resource.Type !== 'AWS::IAM::ManagedPolicy') continue;
    const document = resource.Properties?.PolicyDocument as { Statement: Statement[] };
    for (const statement of document.Statement) {
      const actions = Array.isArray(statement.Action) ? statement.Action : [statement.Action];
      const list = Array.isArray(statement.Resource)
        ? (statement.Resource as unknown[])
        : [statement.Resource];
      for (const granted of list) found.push({ resource: render(granted), actions });
    }
  }
  return found;
}

/** True when a rendered ARN refers to a resource of its own template (`${LogicalId}`, `${LogicalId.Arn}`). */
function refersToOwnResource(resource: string): boolean {
  return /\$\{(?!AWS::)[A-Za-z0-9]+(\.[A-Za-z]+)?\}/.test(resource);
}

/** An IAM resource pattern as a regular expression over concrete ARNs (pseudo parameters and `*` match anything). */
function patternOf(resource: string): RegExp {
  const escaped = resource
    .split(/\$\{AWS::[A-Za-z]+\}|\*/)
    .map((part) => part.replace(/[.?+^$()[\]{}|\\/]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${escaped}$`);
}

let staging: Synthesized;
let prod: Synthesized;

beforeAll(() => {
  // Both stacks in one app, as `cdk deploy staging prod` would build them; bundling skipped.
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const build = (id: string) =>
    new WebexAuthKeeperStack(app, id, {
      inputs: defaultDeployInputs({ stackName: id }),
      entries: testEntries(),
    });
  const stagingStack = build('staging');
  const prodStack = build('prod');
  staging = { app, stack: stagingStack, template: Template.fromStack(stagingStack) };
  prod = { app, stack: prodStack, template: Template.fromStack(prodStack) };
});

describe('two environments (staging and prod) in one account', () => {
  it('gives every named resource and naming variable a name under its own stack prefix', () => {
    for (const synth of [staging, prod]) {
      const prefix = resourceNamePrefix(synth.stack);
      const names = physicalNames(synth);
      expect(names.length).toBeGreaterThan(0);
      // Set by the stack (`<prefix>/...`, `alias/<prefix>/...`) or generated by CDK from the construct
      // path, which begins with the stack name (`stagingAlertsBus9EC2A2AF`).
      for (const name of names)
        expect(name).toMatch(new RegExp(`^(alias/)?(${prefix}/|${prefix}$|${synth.stack.stackName})`));
    }
  });

  it('shares no physical name between the two stacks', () => {
    const stagingNames = new Set(physicalNames(staging));
    expect(physicalNames(prod).filter((name) => stagingNames.has(name))).toEqual([]);
  });

  it('names the secrets, the token-key alias, the API, the alarms, the dashboard and the token prefix after the stack', () => {
    const named = (synth: Synthesized, type: string) =>
      resources(synth)
        .filter(([, resource]) => resource.Type === type)
        .map(([, resource]) => render(resource.Properties?.[NAME_PROPERTY[type] ?? '']))
        .sort();
    expect(named(staging, 'AWS::SecretsManager::Secret')).toEqual([
      'staging/client-secrets',
      'staging/link-signing-key',
      'staging/webhook-secret',
    ]);
    expect(named(prod, 'AWS::KMS::Alias')).toEqual(['alias/prod/token-key']);
    expect(named(prod, 'AWS::ApiGatewayV2::Api')).toEqual(['prod']);
    expect(named(prod, 'AWS::CloudWatch::Dashboard')).toEqual(['prod']);
    expect(named(staging, 'AWS::CloudWatch::Alarm')).toEqual([
      'staging-api-5xx',
      'staging-dead-letter-queue-not-empty',
      'staging-dynamodb-throttles',
      'staging-invalidations',
      'staging-kms-throttles',
      'staging-lambda-throttles',
      'staging-notifier-dead-letter-queue-not-empty',
      'staging-sweep-incomplete',
      'staging-sweep-missing',
      'staging-validation-queue-behind',
      'staging-validator-errors',
      'staging-worker-failure-rate',
    ]);
  });

  it('alarms on the metrics of its own stack only', () => {
    for (const synth of [staging, prod]) {
      const expressions = JSON.stringify(
        resources(synth).filter(([, resource]) => resource.Type === 'AWS::CloudWatch::Alarm'),
      ).match(/FROM \\"[^\\]+\\"/g);
      expect(expressions).not.toBeNull();
      for (const expression of expressions ?? []) {
        expect(expression).toBe(`FROM \\"${synth.stack.stackName}\\"`);
      }
    }
  });

  it('grants nothing in one stack that reaches the other stack’s resources', () => {
    const concreteArns = (synth: Synthesized) => {
      const prefix = resourceNamePrefix(synth.stack);
      const secret = (name: string) => `arn:aws:secretsmanager:us-east-1:111122223333:secret:${name}-AbCdEf`;
      return [
        secret(`${prefix}/client-secrets`),
        secret(`${prefix}/link-signing-key`),
        `arn:aws:kms:us-east-1:111122223333:alias/${prefix}/token-key`,
      ];
    };
    for (const [own, other] of [
      [staging, prod],
      [prod, staging],
    ] as const) {
      const ownGrants = grants(own);
      expect(JSON.stringify(ownGrants)).not.toContain('Fn::ImportValue');
      // A grant by reference names a resource of its own template; the rest are built from names.
      const byName = ownGrants.filter(({ resource }) => !refersToOwnResource(resource));
      for (const { resource, actions } of byName) {
        if (resource === '*') {
          expect(actions.filter((action) => !ACTIONS_WITHOUT_RESOURCE_TYPE.includes(action))).toEqual([]);
          continue;
        }
        expect(resource).toContain(`:${resourceNamePrefix(own.stack)}/`);
        for (const arn of concreteArns(other)) expect(arn).not.toMatch(patternOf(resource));
      }
      expect(
        byName.some(({ resource }) => concreteArns(own).some((arn) => patternOf(resource).test(arn))),
      ).toBe(true);
    }
  });
});
