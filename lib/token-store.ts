import { ArnFormat, RemovalPolicy, SecretValue, Stack, Validations } from 'aws-cdk-lib';
import type { Acknowledgment } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { tableDefinition, tableIndexes } from '#adapters/table-definition.js';
import type { TableKey } from '#adapters/table-definition.js';
import { resourceName } from './names.js';
import { functionBinding } from './project-function.js';
import type { FunctionBinding } from './project-function.js';

/**
 * Name prefix of the per-authorization token secrets the functions create at run time, under the
 * stack's own prefix (`webex-auth-keeper/tokens/` for the default stack), so that the grant on it
 * reaches no other stack's tokens.
 */
export function tokenSecretPrefix(scope: Construct): string {
  return `${resourceName(scope, 'tokens')}/`;
}

/** A DynamoDB action a function may be granted on the table or one of its indexes. */
export type TableAction = 'GetItem' | 'PutItem' | 'UpdateItem' | 'DeleteItem' | 'Query';

/**
 * What one state-owning function does with the table, from the repository methods its code path
 * calls (functions/adapters/dynamodb). `save` is a PutItem, or a TransactWriteItems of two Puts,
 * which IAM authorizes as PutItem on each item; the leases are UpdateItems.
 */
export interface StateAccess {
  /** Actions on the table itself (items by key, and queries of a tenant's partition). */
  readonly table: readonly TableAction[];
  /** Indexes the function queries (Query only: GetItem and writes never target an index). */
  readonly queriedIndexes: readonly string[];
  /** Token secrets: every vault call, or only storing (the internet-facing function). */
  readonly tokenSecrets: 'read-write' | 'write-only';
}

/**
 * The table access of each state-owning function, as its code uses it:
 *
 * - public API (functions/domain/onboarding.ts): tenants `get` and `bindOrg`, authorizations
 *   `get`, `listForTenant`, `save`, `acquireLease`/`releaseLease`, history `append`, OAuth
 *   states `put` and `consume` (a conditional DeleteItem). No index.
 * - admin API (functions/domain/admin*.ts, offboarding.ts, status-board.ts, and validate-now,
 *   recheck, force refresh and reload on the validator's path: token secrets read and written,
 *   client secrets read, the credential incident item read and updated): tenants `create`, `get`, `replace`, `setOrg`, `list` (the `tenants`
 *   index) and `purge` (a Query of the tenant's partition, then one DeleteItem per item: no batch
 *   call), authorizations `get`, `listForTenant`, `save`, leases, history `list`.
 * - validator worker (functions/domain/validator.ts): authorizations `get`, `listForTenant`,
 *   `save`, leases, tenants `get`. No index, nothing deleted.
 *
 * The sweep dispatcher only queries the `due` index ({@link TokenStore.bindDueQuery}).
 */
export const STATE_ACCESS = {
  publicApi: {
    table: ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query'],
    queriedIndexes: [],
    tokenSecrets: 'write-only',
  },
  adminApi: {
    table: ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query'],
    queriedIndexes: [tableDefinition.tenantIndex.indexName],
    tokenSecrets: 'read-write',
  },
  validatorWorker: {
    table: ['GetItem', 'PutItem', 'UpdateItem', 'Query'],
    queriedIndexes: [],
    tokenSecrets: 'read-write',
  },
} as const satisfies Record<string, StateAccess>;

/**
 * The KMS calls the services make for a principal using the key: Secrets Manager asks for a
 * data key (GenerateDataKey) to write a secret version and decrypts it (Decrypt) to read one;
 * DynamoDB decrypts the table key (Decrypt) and generates one when it renews it. Neither calls
 * kms:Encrypt for table items or secret values (envelope encryption), so it is not granted.
 */
export const STATE_KEY_ACTIONS = ['kms:Decrypt', 'kms:GenerateDataKey'] as const;

/**
 * The Secrets Manager calls the functions make on token secrets (functions/adapters/
 * secrets-manager-vault.ts): create with tags, write a new version, read, schedule deletion on
 * offboarding, and restore one scheduled for deletion when the tenant authorizes again.
 */
export const TOKEN_SECRET_ACTIONS = [
  'secretsmanager:CreateSecret',
  'secretsmanager:TagResource',
  'secretsmanager:PutSecretValue',
  'secretsmanager:GetSecretValue',
  'secretsmanager:DeleteSecret',
  'secretsmanager:RestoreSecret',
] as const;

/**
 * What the public (internet-facing) function does with token secrets: it only stores what a
 * callback obtained. It never reads nor deletes one, so a compromise of that function cannot
 * read or destroy the tokens of other tenants.
 */
export const TOKEN_SECRET_WRITE_ACTIONS = [
  'secretsmanager:CreateSecret',
  'secretsmanager:TagResource',
  'secretsmanager:PutSecretValue',
  'secretsmanager:RestoreSecret',
] as const;

const attributeTypes: Record<TableKey['type'], dynamodb.AttributeType> = {
  S: dynamodb.AttributeType.STRING,
  N: dynamodb.AttributeType.NUMBER,
  B: dynamodb.AttributeType.BINARY,
};

function attribute(key: TableKey): dynamodb.Attribute {
  return { name: key.name, type: attributeTypes[key.type] };
}

/** Options of the token store. */
export interface TokenStoreProps {
  /** Keep the table, the key and the client secrets when the stack is deleted. */
  readonly retainData: boolean;
}

/**
 * Everything that holds tenant state and secrets: the customer managed KMS key (rotated yearly),
 * the single table built from `functions/adapters/table-definition.ts`, the client-secrets secret
 * the operator fills in, the generated link-signing key, and the name prefix under which the
 * functions create one secret per authorization at run time.
 */
export class TokenStore extends Construct {
  readonly key: kms.Key;
  readonly table: dynamodb.Table;
  /** `{"<integration key>": "<client secret>", ...}`, filled in by the operator after deploy. */
  readonly clientSecrets: secretsmanager.Secret;
  /** HMAC key for onboarding links; generated, never leaves Secrets Manager and the functions. */
  readonly linkSigningKey: secretsmanager.Secret;
  /** Name prefix of every token secret ({@link tokenSecretPrefix}). */
  readonly tokenSecretPrefix: string;
  /** ARN pattern of every token secret (`...:secret:webex-auth-keeper/tokens/*`). */
  readonly tokenSecretArnPattern: string;

  constructor(scope: Construct, id: string, props: TokenStoreProps) {
    super(scope, id);
    const removalPolicy = props.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    this.key = new kms.Key(this, 'Key', {
      description: 'webex-auth-keeper: table, token secrets, client secrets and alert topic',
      enableKeyRotation: true,
      alias: resourceName(this, 'token-key'),
      removalPolicy,
    });

    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: attribute(tableDefinition.partitionKey),
      sortKey: attribute(tableDefinition.sortKey),
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.key,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: tableDefinition.timeToLiveAttribute,
      deletionProtection: props.retainData,
      removalPolicy,
    });
    for (const index of tableIndexes()) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: attribute(index.partitionKey),
        ...(index.sortKey && { sortKey: attribute(index.sortKey) }),
        projectionType:
          index.projection === 'KEYS_ONLY' ? dynamodb.ProjectionType.KEYS_ONLY : dynamodb.ProjectionType.ALL,
      });
    }

    this.clientSecrets = new secretsmanager.Secret(this, 'ClientSecrets', {
      secretName: resourceName(this, 'client-secrets'),
      description:
        'webex-auth-keeper: OAuth client secrets of the Webex integrations, {"<integration key>": "<client secret>"}',
      encryptionKey: this.key,
      // An empty JSON object, not a secret: the operator puts the real values in after deploy
      // (docs/deploy.md). CloudFormation leaves the secret's later versions alone.
      secretStringValue: SecretValue.unsafePlainText('{}'),
      removalPolicy,
    });
    this.linkSigningKey = new secretsmanager.Secret(this, 'LinkSigningKey', {
      secretName: resourceName(this, 'link-signing-key'),
      description: 'webex-auth-keeper: key that signs onboarding links',
      encryptionKey: this.key,
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy,
    });
    Validations.of(this.clientSecrets).acknowledge({
      id: 'AwsSolutions::AwsSolutions-SMG4',
      reason:
        'Webex integration client secrets are issued in the Webex developer portal; Secrets Manager cannot rotate them. The operator replaces the value when Webex regenerates one.',
    });
    Validations.of(this.linkSigningKey).acknowledge({
      id: 'AwsSolutions::AwsSolutions-SMG4',
      reason:
        'Rotating the link-signing key would invalidate every onboarding link already sent to customers; links carry their own expiry (LINK_TTL_DAYS) and a per-tenant version that revokes them.',
    });

    this.tokenSecretPrefix = tokenSecretPrefix(this);
    this.tokenSecretArnPattern = Stack.of(this).formatArn({
      service: 'secretsmanager',
      resource: 'secret',
      resourceName: `${this.tokenSecretPrefix}*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
  }

  private indexArn(indexName: string): string {
    return `${this.table.tableArn}/index/${indexName}`;
  }

  /** `kms:ViaService` value for a service in this stack's region. */
  private viaService(service: string): string {
    return `${service}.${Stack.of(this).region}.amazonaws.com`;
  }

  /**
   * For a function that owns tenant state (public API, admin API, validator worker): exactly the
   * table and index actions its code uses ({@link STATE_ACCESS}), token secrets under the prefix
   * (write-only for the public API), the client secrets and link-signing key read, and the CMK
   * only through DynamoDB and Secrets Manager.
   */
  bindStateAccess(access: StateAccess): FunctionBinding {
    const tableStatements = [
      new iam.PolicyStatement({
        sid: 'TableAccess',
        actions: access.table.map((action) => `dynamodb:${action}`),
        resources: [this.table.tableArn],
      }),
    ];
    if (access.queriedIndexes.length > 0) {
      tableStatements.push(
        new iam.PolicyStatement({
          sid: 'IndexQuery',
          actions: ['dynamodb:Query'],
          resources: access.queriedIndexes.map((indexName) => this.indexArn(indexName)),
        }),
      );
    }
    return functionBinding(
      {
        TABLE_NAME: this.table.tableName,
        TOKEN_SECRET_PREFIX: this.tokenSecretPrefix,
        KMS_KEY_ID: this.key.keyArn,
        CLIENT_SECRETS_SECRET_ID: this.clientSecrets.secretArn,
        LINK_SIGNING_SECRET_ID: this.linkSigningKey.secretArn,
      },
      [
        ...tableStatements,
        new iam.PolicyStatement({
          sid: 'TokenSecrets',
          actions: [
            ...(access.tokenSecrets === 'read-write' ? TOKEN_SECRET_ACTIONS : TOKEN_SECRET_WRITE_ACTIONS),
          ],
          resources: [this.tokenSecretArnPattern],
        }),
        new iam.PolicyStatement({
          sid: 'ConfigurationSecretsRead',
          actions: ['secretsmanager:GetSecretValue'],
          resources: [this.clientSecrets.secretArn, this.linkSigningKey.secretArn],
        }),
        new iam.PolicyStatement({
          sid: 'StateKeyUse',
          actions: [...STATE_KEY_ACTIONS],
          resources: [this.key.keyArn],
          conditions: {
            StringEquals: {
              'kms:ViaService': [this.viaService('dynamodb'), this.viaService('secretsmanager')],
            },
          },
        }),
      ],
      [this.tokenPrefixSuppression()],
    );
  }

  /** For the sweep dispatcher: Query on the `due` index only (and the key to read it). */
  bindDueQuery(): FunctionBinding {
    return functionBinding({ TABLE_NAME: this.table.tableName }, [
      new iam.PolicyStatement({
        sid: 'DueIndexQuery',
        actions: ['dynamodb:Query'],
        resources: [this.indexArn(tableDefinition.dueIndex.indexName)],
      }),
      new iam.PolicyStatement({
        sid: 'DueIndexKeyUse',
        actions: ['kms:Decrypt'],
        resources: [this.key.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': this.viaService('dynamodb') } },
      }),
    ]);
  }

  /**
   * What reading a token takes: GetSecretValue on the token secrets and kms:Decrypt on the key,
   * only through Secrets Manager. DescribeSecret (metadata: name, tags, version ids, never the
   * value) is there for readers that use the AWS Secrets Manager caching clients, which call it
   * to learn whether a cached value has a newer version.
   */
  tokenReadStatements(): iam.PolicyStatement[] {
    return [
      new iam.PolicyStatement({
        sid: 'TokenSecretsRead',
        actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
        resources: [this.tokenSecretArnPattern],
      }),
      new iam.PolicyStatement({
        sid: 'TokenKeyDecrypt',
        actions: ['kms:Decrypt'],
        resources: [this.key.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': this.viaService('secretsmanager') } },
      }),
    ];
  }

  /**
   * Lets one of the SaaS's own services read token secrets (and decrypt them through Secrets
   * Manager): the "valid access token for (tenant, integration) in one call" promise. Returns the
   * grant: `success` is false when the grantee has no policy to add to (a service principal, an
   * account), and `assertSuccess()` fails the synth then. When the grantee is a construct of this
   * app, the prefix wildcard's cdk-nag finding is suppressed on it.
   */
  grantTokenRead(grantee: iam.IGrantable): iam.Grant {
    return this.grantStatements(grantee, this.tokenReadStatements());
  }

  /**
   * What `createTokenAccess` (functions/token-access.ts) needs with the AWS adapters: it reads the
   * authorization record and takes a lease on it, reads the token secret, and when the access
   * token is near its end refreshes it (client secret read, new secret version, record saved).
   * When offboarding wins the race with that refresh, the new version has brought the destroyed
   * secret back, and token access deletes it again (DeleteSecret): without it the secret stays
   * readable after offboarding. No index, no item deleted, no link key.
   */
  tokenAccessStatements(): iam.PolicyStatement[] {
    return [
      new iam.PolicyStatement({
        sid: 'TokenAccessRecords',
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
        resources: [this.table.tableArn],
      }),
      new iam.PolicyStatement({
        sid: 'TokenAccessSecrets',
        actions: [...TOKEN_SECRET_ACTIONS],
        resources: [this.tokenSecretArnPattern],
      }),
      new iam.PolicyStatement({
        sid: 'TokenAccessClientSecrets',
        actions: ['secretsmanager:GetSecretValue'],
        resources: [this.clientSecrets.secretArn],
      }),
      new iam.PolicyStatement({
        sid: 'TokenAccessKeyUse',
        actions: [...STATE_KEY_ACTIONS],
        resources: [this.key.keyArn],
        conditions: {
          StringEquals: {
            'kms:ViaService': [this.viaService('dynamodb'), this.viaService('secretsmanager')],
          },
        },
      }),
    ];
  }

  /**
   * Lets one of the SaaS's own services use `createTokenAccess`, which refreshes a token on demand
   * instead of waiting for the validator (see {@link tokenAccessStatements}). Returns the grant,
   * as {@link grantTokenRead} does.
   */
  grantTokenAccess(grantee: iam.IGrantable): iam.Grant {
    return this.grantStatements(grantee, this.tokenAccessStatements());
  }

  /** Adds each statement to the grantee's policy as one grant, and the prefix suppression to it. */
  private grantStatements(grantee: iam.IGrantable, statements: readonly iam.PolicyStatement[]): iam.Grant {
    const grants = statements.map((statement) => {
      const conditions = statement.conditions as Record<string, Record<string, unknown>>;
      return iam.Grant.addToPrincipal({
        grantee,
        actions: statement.actions,
        resourceArns: statement.resources,
        ...(Object.keys(conditions).length > 0 && { conditions }),
      });
    });
    const [first, ...rest] = grants;
    if (first === undefined) throw new Error('no statement to grant');
    const grant = rest.reduce((combined, next) => combined.combine(next), first);
    if (grant.success && grantee.grantPrincipal instanceof Construct) {
      Validations.of(grantee.grantPrincipal).acknowledge(this.tokenPrefixSuppression());
    }
    return grant;
  }

  /** The accepted finding of any policy naming the token secrets: the prefix is a wildcard by nature. */
  tokenPrefixSuppression(): Acknowledgment {
    return {
      id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:${this.tokenSecretPrefix}*]`,
      reason: `Token secrets are created at run time, one per authorization, under the stack's name prefix ${this.tokenSecretPrefix}; the prefix ARN is the narrowest that names them.`,
    };
  }
}
