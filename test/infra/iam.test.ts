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
  webhookSecret: string;
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
    webhookSecret: logicalId(tokenStore.webhookSecret),
    topic: logicalId(alerts.topic),
    bus: logicalId(alerts.bus),
    queue: logicalId(validator.queue),
  };
});

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

/** The token vault's direct KMS use: only under this table's encryption context (and tenants when named). */
function inTable(tenants?: string[]) {
  return {
    StringEquals: {
      'kms:EncryptionContext:table': `\${${ids.table}}`,
      ...(tenants && { 'kms:EncryptionContext:tenantId': tenants }),
    },
  };
}

/** Token key actions of a state owner; the public API seals tokens only, never opens one. */
const SEAL_AND_OPEN = ['kms:GenerateDataKey', 'kms:Decrypt'];
const SEAL_ONLY = ['kms:GenerateDataKey'];

/**
 * What a state-owning function holds besides its table access: its token key actions under the
 * table's encryption context, the configuration secrets read, the key through DynamoDB and Secrets
 * Manager (never kms:Encrypt), and alert publishing.
 */
function stateOwner(tokenActions: string[]): Permission[] {
  return [
    ...allow(tokenActions, [`\${${ids.key}.Arn}`], inTable()),
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

/** The serviceApp webhook's secret, read (the public API verifies with it, the admin API registers). */
const webhookSecretRead = () => allow(['secretsmanager:GetSecretValue'], [`\${${ids.webhookSecret}}`]);

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
  it('gives the public API its table calls on the table only, token sealing only, alert publishing, logs and tracing', () => {
    const fn = synth.stack.api.publicFunction;
    const permissions = permissionsOf(synth.template, roleOf(fn));
    expect(permissions).toEqual(
      sortPermissions([
        ...basics(fn),
        // Onboarding: tenants get, authorizations get/listForTenant/save/leases (a grant's save
        // binds or checks the tenant's org: ConditionCheckItem), history append, OAuth state put
        // and consume (a conditional delete).
        ...allow(
          [
            'dynamodb:GetItem',
            'dynamodb:PutItem',
            'dynamodb:UpdateItem',
            'dynamodb:DeleteItem',
            'dynamodb:ConditionCheckItem',
            'dynamodb:Query',
          ],
          [table()],
        ),
        // The serviceApp webhook: the tenants bound to an org, and the secret it verifies with.
        ...allow(['dynamodb:Query'], [`${table()}/index/${tableDefinition.orgIndex.indexName}`]),
        ...webhookSecretRead(),
        ...stateOwner(SEAL_ONLY),
      ]),
    );
    // The internet-facing function cannot open any tenant's tokens: no kms:Decrypt but through a service.
    const directDecrypt = permissions.filter(
      (permission) =>
        permission.action === 'kms:Decrypt' && !permission.condition?.includes('kms:ViaService'),
    );
    expect(directDecrypt).toEqual([]);
  });

  it("lets the public API open the vendor tenant's tokens only (the vendor token), when the deployment names it", () => {
    const vendor = synthesize({ vendorTenantId: 'vendor' });
    const fn = vendor.stack.api.publicFunction;
    const decrypt = permissionsOf(vendor.template, roleOf(fn)).filter(
      (permission) =>
        permission.action === 'kms:Decrypt' && !permission.condition?.includes('kms:ViaService'),
    );
    const vendorTable = `\${${logicalId(vendor.stack.tokenStore.table)}}`;
    expect(decrypt).toEqual(
      allow(['kms:Decrypt'], [`\${${logicalId(vendor.stack.tokenStore.key)}.Arn}`], {
        StringEquals: {
          'kms:EncryptionContext:table': vendorTable,
          'kms:EncryptionContext:tenantId': ['vendor'],
        },
      }),
    );
    const env = vendor.template.findResources('AWS::Lambda::Function');
    const variables = Object.values(env).map(
      (resource) =>
        (resource.Properties as { Environment?: { Variables?: Record<string, unknown> } }).Environment
          ?.Variables ?? {},
    );
    expect(variables.filter((vars) => vars.VENDOR_TENANT_ID === 'vendor').length).toBeGreaterThanOrEqual(3);
  });

  it('gives the admin API its table calls, the tenants index query, token sealing and opening, and no SNS subscription call', () => {
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
        ...allow(
          ['dynamodb:Query'],
          [
            `${table()}/index/${tableDefinition.tenantIndex.indexName}`,
            // The status board's rows, problems first.
            `${table()}/index/${tableDefinition.boardIndex.indexName}`,
          ],
        ),
        ...webhookSecretRead(),
        ...stateOwner(SEAL_AND_OPEN),
      ]),
    );
  });

  it('gives the validator worker its table calls on the table only, token sealing and opening and consuming the queue', () => {
    const fn = synth.stack.validator.worker;
    expect(permissionsOf(synth.template, roleOf(fn))).toEqual(
      sortPermissions([
        ...basics(fn),
        // Authorizations get/listForTenant/save/leases, tenants get.
        ...allow(
          ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query'],
          [table()],
        ),
        ...stateOwner(SEAL_AND_OPEN),
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

  it('lets only the public API (OAuth states), the admin API (purge) and the notifier (a sent-mail key given back) delete items, the public API reach the orgs index only and the worker no index', () => {
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
    ).toEqual([`dynamodb:Query on ${table()}/index/${tableDefinition.orgIndex.indexName}`]);
    expect(tablePermissions(synth.stack.validator.worker).filter((line) => line.includes('/index/'))).toEqual(
      [],
    );
  });

  it("grants no function Scan, batch calls or kms:Encrypt, and ConditionCheckItem only to the public API (a grant's org check)", () => {
    for (const fn of [
      synth.stack.api.publicFunction,
      synth.stack.api.adminFunction,
      synth.stack.validator.worker,
      synth.stack.validator.dispatcher,
      synth.stack.mail.notifier,
    ]) {
      const actions = permissionsOf(synth.template, roleOf(fn)).map((permission) => permission.action);
      const conditionChecks = actions.filter((action) => action === 'dynamodb:ConditionCheckItem');
      expect(conditionChecks).toHaveLength(fn === synth.stack.api.publicFunction ? 1 : 0);
      for (const action of [
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
  it("lets another service read every tenant's items and open their tokens under the table's encryption context", () => {
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
    expect(grant.principalStatements).toHaveLength(3);
    const key = `\${${logicalId(stack.tokenStore.key)}.Arn}`;
    const tableName = `\${${logicalId(stack.tokenStore.table)}}`;
    expect(permissionsOf(template, logicalId(reader))).toEqual(
      sortPermissions([
        ...allow(['dynamodb:GetItem'], [`\${${logicalId(stack.tokenStore.table)}.Arn}`]),
        ...allow(['kms:Decrypt'], [key], via('dynamodb')),
        ...allow(['kms:Decrypt'], [key], { StringEquals: { 'kms:EncryptionContext:table': tableName } }),
      ]),
    );
  });

  it("lets a grant for tenant A read only A's items and open only A's tokens, never B's", () => {
    let reader: iam.Role | undefined;
    const { template } = synthesize(
      {},
      {
        extend: (target) => {
          reader = new iam.Role(target, 'TenantAService', {
            assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
          });
          target.grantTokenRead(reader, { tenants: ['tenant-a'] }).assertSuccess();
        },
      },
    );
    if (reader === undefined) throw new Error('reader not created');
    const permissions = permissionsOf(template, logicalId(reader));
    // Every item read is limited to tenant A's partition.
    const reads = permissions.filter((permission) => permission.action.startsWith('dynamodb:'));
    expect(reads.map((permission) => permission.action)).toEqual(['dynamodb:GetItem']);
    for (const read of reads) {
      expect(JSON.parse(read.condition ?? '{}')).toEqual({
        'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['TENANT#tenant-a'] },
      });
    }
    // Every kms:Decrypt a caller can make itself (not DynamoDB on its behalf) needs tenant A's
    // encryption context; KMS refuses B's envelopes, which carry tenantId=tenant-b.
    const decrypts = permissions.filter((permission) => permission.action === 'kms:Decrypt');
    const direct = decrypts.filter((permission) => !permission.condition?.includes('kms:ViaService'));
    expect(direct).toHaveLength(1);
    for (const permission of direct) {
      const condition = JSON.parse(permission.condition ?? '{}') as {
        StringEquals?: Record<string, unknown>;
      };
      expect(condition.StringEquals?.['kms:EncryptionContext:tenantId']).toEqual(['tenant-a']);
      expect(JSON.stringify(condition)).not.toContain('tenant-b');
    }
    expect(decrypts.filter((permission) => permission.condition?.includes('kms:ViaService'))).toEqual(
      allow(['kms:Decrypt'], [decrypts[0]?.resource ?? ''], via('dynamodb')),
    );
    expect(permissions.filter((permission) => permission.action.startsWith('secretsmanager:'))).toEqual([]);
  });

  it('refuses a tenant grant that names no tenant', () => {
    expect(() =>
      synthesize(
        {},
        {
          extend: (target) => {
            const reader = new iam.Role(target, 'NobodyService', {
              assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
            });
            target.grantTokenRead(reader, { tenants: [] });
          },
        },
      ),
    ).toThrow(/names no tenant/);
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
      'dynamodb:GetItem',
      'kms:Decrypt',
      'kms:Decrypt',
    ]);
  });
});

describe('token access grant', () => {
  it('lets a service of the SaaS read and refresh tokens: no index, no item delete, no link key, no token secret', () => {
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
        ...allow(['secretsmanager:GetSecretValue'], [`\${${logicalId(stack.tokenStore.clientSecrets)}}`]),
        ...allow(['kms:Decrypt', 'kms:GenerateDataKey'], [key], via('dynamodb', 'secretsmanager')),
        ...allow(['kms:Decrypt', 'kms:GenerateDataKey'], [key], {
          StringEquals: { 'kms:EncryptionContext:table': `\${${logicalId(stack.tokenStore.table)}}` },
        }),
      ]),
    );
  });

  it('puts the same statements in the TokenAccessPolicy managed policy', () => {
    const policy = synth.template.toJSON().Resources[
      logicalId(synth.stack.node.findChild('TokenAccessPolicy') as iam.ManagedPolicy)
    ] as {
      Properties: { PolicyDocument: { Statement: { Action: string | string[]; Condition?: unknown }[] } };
    };
    const inTableContext = policy.Properties.PolicyDocument.Statement.filter((statement) =>
      JSON.stringify(statement.Condition ?? {}).includes('kms:EncryptionContext:table'),
    ).flatMap((statement) => (Array.isArray(statement.Action) ? statement.Action : [statement.Action]));
    expect(inTableContext.sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
  });
});
