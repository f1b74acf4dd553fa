import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { tableDefinition } from '../../functions/adapters/table-definition.js';
import { allow, defaultStack, logicalId, permissionsOf, sortPermissions, synthesize } from './support.js';
import type { Permission, Synthesized } from './support.js';

let synth: Synthesized;
let ids: {
  table: string;
  key: string;
  clientSecrets: string;
  linkKey: string;
  topic: string;
  bus: string;
  queue: string;
};

beforeAll(() => {
  synth = defaultStack();
  const { tokenStore, alerts, validator } = synth.stack;
  ids = {
    table: logicalId(tokenStore.table),
    key: logicalId(tokenStore.key),
    clientSecrets: logicalId(tokenStore.clientSecrets),
    linkKey: logicalId(tokenStore.linkSigningKey),
    topic: logicalId(alerts.topic),
    bus: logicalId(alerts.bus),
    queue: logicalId(validator.queue),
  };
});

const TOKEN_PREFIX_ARN =
  'arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:webex-auth-keeper/tokens/*';

function roleOf(fn: lambda.Function): string {
  if (fn.role === undefined) throw new Error('function without role');
  return logicalId(fn.role);
}

function basics(fn: lambda.Function): Permission[] {
  return [
    ...allow(['logs:CreateLogStream', 'logs:PutLogEvents'], [`\${${logicalId(fn.logGroup)}.Arn}`]),
    ...allow(['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], ['*']),
  ];
}

function via(...services: string[]) {
  const names = services.map((service) => `${service}.\${AWS::Region}.amazonaws.com`);
  return { StringEquals: { 'kms:ViaService': names.length === 1 ? names[0] : names } };
}

/** What every state-owning function (public API, admin API, worker) must hold, and nothing more. */
/** Token secret actions of a state owner; the public API writes them only. */
const TOKEN_READ_WRITE = [
  'secretsmanager:CreateSecret',
  'secretsmanager:TagResource',
  'secretsmanager:PutSecretValue',
  'secretsmanager:GetSecretValue',
  'secretsmanager:DeleteSecret',
  'secretsmanager:RestoreSecret',
];
const TOKEN_WRITE_ONLY = [
  'secretsmanager:CreateSecret',
  'secretsmanager:TagResource',
  'secretsmanager:PutSecretValue',
  'secretsmanager:RestoreSecret',
];

function stateOwner(tokenActions: string[] = TOKEN_READ_WRITE): Permission[] {
  const table = `\${${ids.table}.Arn}`;
  return [
    ...allow(
      [
        'dynamodb:GetItem',
        'dynamodb:Query',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:DeleteItem',
        'dynamodb:ConditionCheckItem',
      ],
      [
        table,
        `${table}/index/${tableDefinition.dueIndex.indexName}`,
        `${table}/index/${tableDefinition.tenantIndex.indexName}`,
      ],
    ),
    ...allow(tokenActions, [TOKEN_PREFIX_ARN]),
    ...allow(['secretsmanager:GetSecretValue'], [`\${${ids.clientSecrets}}`, `\${${ids.linkKey}}`]),
    ...allow(
      ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
      [`\${${ids.key}.Arn}`],
      via('dynamodb', 'secretsmanager'),
    ),
    ...allow(['sns:Publish'], [`\${${ids.topic}}`]),
    ...allow(['events:PutEvents'], [`\${${ids.bus}.Arn}`]),
    ...allow(['kms:Decrypt', 'kms:GenerateDataKey'], [`\${${ids.key}.Arn}`], via('sns')),
  ];
}

describe('function permissions', () => {
  it('gives the public API state access with write-only token secrets, alert publishing, logs and tracing', () => {
    const fn = synth.stack.api.publicFunction;
    const permissions = permissionsOf(synth.template, roleOf(fn));
    expect(permissions).toEqual(sortPermissions([...basics(fn), ...stateOwner(TOKEN_WRITE_ONLY)]));
    // The internet-facing function can neither read nor delete any tenant's tokens.
    const onTokens = permissions.filter((permission) => permission.resource === TOKEN_PREFIX_ARN);
    expect(onTokens.map((permission) => permission.action)).not.toContain('secretsmanager:GetSecretValue');
    expect(onTokens.map((permission) => permission.action)).not.toContain('secretsmanager:DeleteSecret');
  });

  it('gives the admin API the same plus contact subscription management on the alert topic', () => {
    const fn = synth.stack.api.adminFunction;
    expect(permissionsOf(synth.template, roleOf(fn))).toEqual(
      sortPermissions([
        ...basics(fn),
        ...stateOwner(),
        ...allow(['sns:Subscribe', 'sns:ListSubscriptionsByTopic'], [`\${${ids.topic}}`]),
        // No subscription resource type exists in IAM for these three.
        ...allow(
          ['sns:GetSubscriptionAttributes', 'sns:SetSubscriptionAttributes', 'sns:Unsubscribe'],
          ['*'],
        ),
      ]),
    );
  });

  it('gives the validator worker state access plus consuming the validation queue', () => {
    const fn = synth.stack.validator.worker;
    expect(permissionsOf(synth.template, roleOf(fn))).toEqual(
      sortPermissions([
        ...basics(fn),
        ...stateOwner(),
        ...allow(
          [
            'sqs:ReceiveMessage',
            'sqs:ChangeMessageVisibility',
            'sqs:GetQueueUrl',
            'sqs:DeleteMessage',
            'sqs:GetQueueAttributes',
          ],
          [`\${${ids.queue}.Arn}`],
        ),
      ]),
    );
  });

  it('lets the sweep dispatcher only query the due index and send to the queue', () => {
    const fn = synth.stack.validator.dispatcher;
    expect(permissionsOf(synth.template, roleOf(fn))).toEqual(
      sortPermissions([
        ...basics(fn),
        ...allow(['dynamodb:Query'], [`\${${ids.table}.Arn}/index/due`]),
        ...allow(['kms:Decrypt'], [`\${${ids.key}.Arn}`], via('dynamodb')),
        ...allow(['sqs:SendMessage'], [`\${${ids.queue}.Arn}`]),
      ]),
    );
  });

  it('grants "*" only for actions that have no resource type', () => {
    const functions = [
      synth.stack.api.publicFunction,
      synth.stack.api.adminFunction,
      synth.stack.validator.dispatcher,
      synth.stack.validator.worker,
    ];
    const starActions = new Set(
      functions.flatMap((fn) =>
        permissionsOf(synth.template, roleOf(fn))
          .filter((permission) => permission.resource === '*')
          .map((permission) => permission.action),
      ),
    );
    expect([...starActions].sort()).toEqual([
      'sns:GetSubscriptionAttributes',
      'sns:SetSubscriptionAttributes',
      'sns:Unsubscribe',
      'xray:PutTelemetryRecords',
      'xray:PutTraceSegments',
    ]);
  });

  it('attaches no AWS managed policy to any function role', () => {
    const roles = synth.template.findResources('AWS::IAM::Role');
    for (const role of Object.values(roles)) {
      expect(role.Properties).not.toHaveProperty('ManagedPolicyArns');
    }
  });
});

describe('token read grant', () => {
  it('lets another service read token secrets and decrypt them only through Secrets Manager', () => {
    let reader: iam.Role | undefined;
    const { stack, template } = synthesize(
      {},
      {
        extend: (target) => {
          reader = new iam.Role(target, 'SaasService', {
            assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
          });
          target.grantTokenRead(reader);
        },
      },
    );
    if (reader === undefined) throw new Error('reader not created');
    expect(permissionsOf(template, logicalId(reader))).toEqual(
      sortPermissions([
        ...allow(['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], [TOKEN_PREFIX_ARN]),
        ...allow(['kms:Decrypt'], [`\${${logicalId(stack.tokenStore.key)}.Arn}`], via('secretsmanager')),
      ]),
    );
  });
});

describe('token access grant', () => {
  it('lets a service of the SaaS read and refresh tokens: no index, no delete, no link key', () => {
    let service: iam.Role | undefined;
    const { stack, template } = synthesize(
      {},
      {
        extend: (target) => {
          service = new iam.Role(target, 'SaasService', {
            assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
          });
          target.grantTokenAccess(service);
        },
      },
    );
    if (service === undefined) throw new Error('service not created');
    const key = `\${${logicalId(stack.tokenStore.key)}.Arn}`;
    expect(permissionsOf(template, logicalId(service))).toEqual(
      sortPermissions([
        ...allow(
          ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
          [`\${${logicalId(stack.tokenStore.table)}.Arn}`],
        ),
        ...allow(
          [
            'secretsmanager:GetSecretValue',
            'secretsmanager:CreateSecret',
            'secretsmanager:TagResource',
            'secretsmanager:PutSecretValue',
            'secretsmanager:RestoreSecret',
          ],
          [TOKEN_PREFIX_ARN],
        ),
        ...allow(['secretsmanager:GetSecretValue'], [`\${${logicalId(stack.tokenStore.clientSecrets)}}`]),
        ...allow(
          ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
          [key],
          via('dynamodb', 'secretsmanager'),
        ),
      ]),
    );
  });
});
