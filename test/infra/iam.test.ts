import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { tableDefinition } from '#adapters/table-definition.js';
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

/**
 * What a state-owning function holds besides its table access: its token secret actions, the
 * configuration secrets read, the key through DynamoDB and Secrets Manager (never kms:Encrypt),
 * and alert publishing.
 */
function stateOwner(tokenActions: string[]): Permission[] {
  return [
    ...allow(tokenActions, [TOKEN_PREFIX_ARN]),
    ...allow(['secretsmanager:GetSecretValue'], [`\${${ids.clientSecrets}}`, `\${${ids.linkKey}}`]),
    ...allow(
      ['kms:Decrypt', 'kms:GenerateDataKey'],
      [`\${${ids.key}.Arn}`],
      via('dynamodb', 'secretsmanager'),
    ),
    ...allow(['sns:Publish'], [`\${${ids.topic}}`]),
    ...allow(['events:PutEvents'], [`\${${ids.bus}.Arn}`]),
    ...allow(['kms:Decrypt', 'kms:GenerateDataKey'], [`\${${ids.key}.Arn}`], via('sns')),
  ];
}

const table = () => `\${${ids.table}.Arn}`;

/** What an SQS event source grants its function on the queue. */
function consumes(queueLogicalId: string): Permission[] {
  return allow(
    [
      'sqs:ReceiveMessage',
      'sqs:ChangeMessageVisibility',
      'sqs:GetQueueUrl',
      'sqs:DeleteMessage',
      'sqs:GetQueueAttributes',
    ],
    [`\${${queueLogicalId}.Arn}`],
  );
}

/** Every DynamoDB permission of a function, as `action on resource` lines. */
function tablePermissions(fn: lambda.Function): string[] {
  return permissionsOf(synth.template, roleOf(fn))
    .filter((permission) => permission.action.startsWith('dynamodb:'))
    .map((permission) => `${permission.action} on ${permission.resource}`)
    .sort();
}

describe('function permissions', () => {
  it('gives the public API its table calls on the table only, write-only token secrets, alert publishing, logs and tracing', () => {
    const fn = synth.stack.api.publicFunction;
    const permissions = permissionsOf(synth.template, roleOf(fn));
    expect(permissions).toEqual(
      sortPermissions([
        ...basics(fn),
        // Onboarding: tenants get/bindOrg, authorizations get/listForTenant/save/leases,
        // history append, OAuth state put and consume (a conditional delete).
        ...allow(
          [
            'dynamodb:GetItem',
            'dynamodb:PutItem',
            'dynamodb:UpdateItem',
            'dynamodb:DeleteItem',
            'dynamodb:Query',
          ],
          [table()],
        ),
        ...stateOwner(TOKEN_WRITE_ONLY),
      ]),
    );
    // The internet-facing function can neither read nor delete any tenant's tokens.
    const onTokens = permissions.filter((permission) => permission.resource === TOKEN_PREFIX_ARN);
    expect(onTokens.map((permission) => permission.action)).not.toContain('secretsmanager:GetSecretValue');
    expect(onTokens.map((permission) => permission.action)).not.toContain('secretsmanager:DeleteSecret');
  });

  it('gives the admin API its table calls, the tenants index query and token secrets, and no SNS subscription call', () => {
    const fn = synth.stack.api.adminFunction;
    expect(permissionsOf(synth.template, roleOf(fn))).toEqual(
      sortPermissions([
        ...basics(fn),
        // Tenants create/get/replace/setOrg, authorizations get/listForTenant/save/leases
        // (offboarding, validate-now), history list, and a purge's DeleteItem per item; tenants
        // are listed through the `tenants` index.
        ...allow(
          [
            'dynamodb:GetItem',
            'dynamodb:PutItem',
            'dynamodb:UpdateItem',
            'dynamodb:DeleteItem',
            'dynamodb:Query',
          ],
          [table()],
        ),
        ...allow(['dynamodb:Query'], [`${table()}/index/${tableDefinition.tenantIndex.indexName}`]),
        ...stateOwner(TOKEN_READ_WRITE),
      ]),
    );
  });

  it('gives the validator worker its table calls on the table only, token secrets and consuming the queue', () => {
    const fn = synth.stack.validator.worker;
    expect(permissionsOf(synth.template, roleOf(fn))).toEqual(
      sortPermissions([
        ...basics(fn),
        // Authorizations get/listForTenant/save/leases, tenants get.
        ...allow(
          ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query'],
          [table()],
        ),
        ...stateOwner(TOKEN_READ_WRITE),
        ...consumes(ids.queue),
      ]),
    );
  });

  it('lets the notifier read and mark tenants, claim sent-mail keys, keep the alert ledger, read the link key, consume its queue and send only from its identity and configuration set', () => {
    const fn = synth.stack.mail.notifier;
    const { mail } = synth.stack;
    expect(permissionsOf(synth.template, roleOf(fn))).toEqual(
      sortPermissions([
        ...basics(fn),
        ...allow(
          [
            'dynamodb:GetItem',
            'dynamodb:PutItem',
            'dynamodb:DeleteItem',
            'dynamodb:UpdateItem',
            'dynamodb:Query',
          ],
          [table()],
        ),
        ...allow(['secretsmanager:GetSecretValue'], [`\${${ids.linkKey}}`]),
        ...allow(
          ['kms:Decrypt', 'kms:GenerateDataKey'],
          [`\${${ids.key}.Arn}`],
          via('dynamodb', 'secretsmanager'),
        ),
        ...allow(
          ['ses:SendEmail'],
          [
            `arn:\${AWS::Partition}:ses:\${AWS::Region}:\${AWS::AccountId}:identity/\${${logicalId(mail.identity)}}`,
            `arn:\${AWS::Partition}:ses:\${AWS::Region}:\${AWS::AccountId}:configuration-set/\${${logicalId(mail.configurationSet)}}`,
          ],
          { StringEquals: { 'ses:FromAddress': 'alerts@${MailDomain}' } },
        ),
        ...consumes(logicalId(mail.queue)),
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

  it('lets only the public API (OAuth states), the admin API (purge) and the notifier (a sent-mail key given back) delete items, and neither the public API nor the worker reach an index', () => {
    const deleters = [
      synth.stack.api.publicFunction,
      synth.stack.api.adminFunction,
      synth.stack.validator.worker,
      synth.stack.validator.dispatcher,
      synth.stack.mail.notifier,
    ].filter((fn) => tablePermissions(fn).some((line) => line.startsWith('dynamodb:DeleteItem')));
    expect(deleters).toEqual([
      synth.stack.api.publicFunction,
      synth.stack.api.adminFunction,
      synth.stack.mail.notifier,
    ]);
    expect(
      tablePermissions(synth.stack.api.publicFunction).filter((line) => line.includes('/index/')),
    ).toEqual([]);
    expect(tablePermissions(synth.stack.validator.worker).filter((line) => line.includes('/index/'))).toEqual(
      [],
    );
  });

  it('grants no function ConditionCheckItem, Scan, batch calls or kms:Encrypt', () => {
    for (const fn of [
      synth.stack.api.publicFunction,
      synth.stack.api.adminFunction,
      synth.stack.validator.worker,
      synth.stack.validator.dispatcher,
      synth.stack.mail.notifier,
    ]) {
      const actions = permissionsOf(synth.template, roleOf(fn)).map((permission) => permission.action);
      for (const action of [
        'dynamodb:ConditionCheckItem',
        'dynamodb:Scan',
        'dynamodb:BatchGetItem',
        'dynamodb:BatchWriteItem',
        'kms:Encrypt',
      ]) {
        expect(actions).not.toContain(action);
      }
    }
  });

  it('grants "*" only for actions that have no resource type', () => {
    const functions = [
      synth.stack.api.publicFunction,
      synth.stack.api.adminFunction,
      synth.stack.validator.dispatcher,
      synth.stack.validator.worker,
      synth.stack.mail.notifier,
    ];
    const starActions = new Set(
      functions.flatMap((fn) =>
        permissionsOf(synth.template, roleOf(fn))
          .filter((permission) => permission.resource === '*')
          .map((permission) => permission.action),
      ),
    );
    expect([...starActions].sort()).toEqual(['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
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
    let grant: iam.Grant | undefined;
    const { stack, template } = synthesize(
      {},
      {
        extend: (target) => {
          reader = new iam.Role(target, 'SaasService', {
            assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
          });
          grant = target.grantTokenRead(reader);
        },
      },
    );
    if (reader === undefined || grant === undefined) throw new Error('reader not created');
    expect(grant.success).toBe(true);
    expect(() => grant?.assertSuccess()).not.toThrow();
    expect(grant.principalStatements).toHaveLength(2);
    expect(permissionsOf(template, logicalId(reader))).toEqual(
      sortPermissions([
        // DescribeSecret: metadata only, for the Secrets Manager caching clients (docs/token-access.md).
        ...allow(['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], [TOKEN_PREFIX_ARN]),
        ...allow(['kms:Decrypt'], [`\${${logicalId(stack.tokenStore.key)}.Arn}`], via('secretsmanager')),
      ]),
    );
  });

  it('reports a grant to a principal without a policy of its own as not applied', () => {
    let grant: iam.Grant | undefined;
    synthesize(
      {},
      {
        extend: (target) => {
          grant = target.grantTokenRead(new iam.AccountPrincipal('123456789012'));
        },
      },
    );
    if (grant === undefined) throw new Error('no grant');
    expect(grant.success).toBe(false);
    expect(() => grant?.assertSuccess()).toThrow(/could not be added/i);
  });

  it('adds no policy to an imported immutable role, whose owner the grant leaves it to', () => {
    let grant: iam.Grant | undefined;
    const { template } = synthesize(
      {},
      {
        extend: (target) => {
          const role = iam.Role.fromRoleArn(
            target,
            'Imported',
            'arn:aws:iam::123456789012:role/saas-reader',
            {
              mutable: false,
            },
          );
          grant = target.grantTokenRead(role);
        },
      },
    );
    if (grant === undefined) throw new Error('no grant');
    const policies = Object.values(template.findResources('AWS::IAM::Policy'));
    expect(JSON.stringify(policies)).not.toContain('saas-reader');
    // CDK's immutable role pretends every statement was added ("your own responsibility to make
    // sure the role has the required permissions"): the grant says success, with the statements
    // its owner must give the role.
    expect(grant.success).toBe(true);
    expect(grant.principalStatements.flatMap((statement) => statement.actions).sort()).toEqual([
      'kms:Decrypt',
      'secretsmanager:DescribeSecret',
      'secretsmanager:GetSecretValue',
    ]);
  });
});

describe('token access grant', () => {
  it('lets a service of the SaaS read, refresh and re-delete tokens: no index, no item delete, no link key', () => {
    let service: iam.Role | undefined;
    let grant: iam.Grant | undefined;
    const { stack, template } = synthesize(
      {},
      {
        extend: (target) => {
          service = new iam.Role(target, 'SaasService', {
            assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
          });
          grant = target.grantTokenAccess(service);
        },
      },
    );
    if (service === undefined || grant === undefined) throw new Error('service not created');
    expect(grant.success).toBe(true);
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
            // A refresh that raced offboarding brought the destroyed secret back: it deletes it again.
            'secretsmanager:DeleteSecret',
          ],
          [TOKEN_PREFIX_ARN],
        ),
        ...allow(['secretsmanager:GetSecretValue'], [`\${${logicalId(stack.tokenStore.clientSecrets)}}`]),
        ...allow(['kms:Decrypt', 'kms:GenerateDataKey'], [key], via('dynamodb', 'secretsmanager')),
      ]),
    );
  });

  it('puts the same statements in the TokenAccessPolicy managed policy, DeleteSecret included', () => {
    const policy = synth.template.toJSON().Resources[
      logicalId(synth.stack.node.findChild('TokenAccessPolicy') as iam.ManagedPolicy)
    ] as {
      Properties: { PolicyDocument: { Statement: { Action: string | string[]; Resource: unknown }[] } };
    };
    const onTokens = policy.Properties.PolicyDocument.Statement.filter((statement) =>
      JSON.stringify(statement.Resource).includes('webex-auth-keeper/tokens/*'),
    ).flatMap((statement) => (Array.isArray(statement.Action) ? statement.Action : [statement.Action]));
    expect(onTokens).toContain('secretsmanager:DeleteSecret');
  });
});
