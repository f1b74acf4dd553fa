import { ArnFormat, RemovalPolicy, SecretValue, Stack, Validations } from 'aws-cdk-lib';
import type { Acknowledgment } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { tableDefinition } from '../functions/adapters/table-definition.js';
import { functionBinding } from './project-function.js';
import type { FunctionBinding } from './project-function.js';

/** Fixed name prefix of the per-authorization token secrets the functions create at run time. */
export const TOKEN_SECRET_PREFIX = 'webex-auth-keeper/tokens/';

/** The DynamoDB calls the functions make on the table (see functions/adapters/dynamodb). */
export const TABLE_READ_WRITE_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:Query',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:ConditionCheckItem',
] as const;

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

type KeyType = 'S' | 'N' | 'B';

/** A key attribute as `tableDefinition` spells it. */
interface DefinedKey {
  readonly name: string;
  readonly type: KeyType;
}

/** A global secondary index as `tableDefinition` spells it. */
interface DefinedIndex {
  readonly indexName: string;
  readonly partitionKey: DefinedKey;
  readonly sortKey?: DefinedKey;
  readonly projection: 'KEYS_ONLY' | 'ALL';
}

function isDefinedIndex(value: unknown): value is DefinedIndex {
  return typeof value === 'object' && value !== null && 'indexName' in value && 'partitionKey' in value;
}

/** Every GSI of the shared table definition, in declaration order (`due`, and any added later). */
export function definedIndexes(): DefinedIndex[] {
  const values: readonly unknown[] = Object.values(tableDefinition);
  return values.filter(isDefinedIndex);
}

const attributeTypes: Record<KeyType, dynamodb.AttributeType> = {
  S: dynamodb.AttributeType.STRING,
  N: dynamodb.AttributeType.NUMBER,
  B: dynamodb.AttributeType.BINARY,
};

function attribute(key: DefinedKey): dynamodb.Attribute {
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
  /** ARN pattern of every token secret (`...:secret:webex-auth-keeper/tokens/*`). */
  readonly tokenSecretArnPattern: string;

  constructor(scope: Construct, id: string, props: TokenStoreProps) {
    super(scope, id);
    const removalPolicy = props.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    this.key = new kms.Key(this, 'Key', {
      description: 'webex-auth-keeper: table, token secrets, client secrets and alert topic',
      enableKeyRotation: true,
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
    for (const index of definedIndexes()) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: attribute(index.partitionKey),
        ...(index.sortKey && { sortKey: attribute(index.sortKey) }),
        projectionType:
          index.projection === 'KEYS_ONLY' ? dynamodb.ProjectionType.KEYS_ONLY : dynamodb.ProjectionType.ALL,
      });
    }

    this.clientSecrets = new secretsmanager.Secret(this, 'ClientSecrets', {
      description:
        'webex-auth-keeper: OAuth client secrets of the Webex integrations, {"<integration key>": "<client secret>"}',
      encryptionKey: this.key,
      // An empty JSON object, not a secret: the operator puts the real values in after deploy
      // (docs/deploy.md). CloudFormation leaves the secret's later versions alone.
      secretStringValue: SecretValue.unsafePlainText('{}'),
      removalPolicy,
    });
    this.linkSigningKey = new secretsmanager.Secret(this, 'LinkSigningKey', {
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

    this.tokenSecretArnPattern = Stack.of(this).formatArn({
      service: 'secretsmanager',
      resource: 'secret',
      resourceName: `${TOKEN_SECRET_PREFIX}*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
  }

  /** ARNs of the table and of each of its indexes, named one by one (no `index/*`). */
  private tableAndIndexArns(): string[] {
    return [this.table.tableArn, ...definedIndexes().map((index) => this.indexArn(index.indexName))];
  }

  private indexArn(indexName: string): string {
    return `${this.table.tableArn}/index/${indexName}`;
  }

  /** `kms:ViaService` value for a service in this stack's region. */
  private viaService(service: string): string {
    return `${service}.${Stack.of(this).region}.amazonaws.com`;
  }

  /**
   * For the functions that own tenant state (public API, admin API, validator worker): table
   * read/write, token secrets under the prefix (write-only for the public API), the client
   * secrets and link-signing key read, and the CMK only through DynamoDB and Secrets Manager.
   */
  bindStateAccess(tokenSecrets: 'read-write' | 'write-only' = 'read-write'): FunctionBinding {
    return functionBinding(
      {
        TABLE_NAME: this.table.tableName,
        TOKEN_SECRET_PREFIX,
        KMS_KEY_ID: this.key.keyArn,
        CLIENT_SECRETS_SECRET_ID: this.clientSecrets.secretArn,
        LINK_SIGNING_SECRET_ID: this.linkSigningKey.secretArn,
      },
      [
        new iam.PolicyStatement({
          sid: 'TableReadWrite',
          actions: [...TABLE_READ_WRITE_ACTIONS],
          resources: this.tableAndIndexArns(),
        }),
        new iam.PolicyStatement({
          sid: 'TokenSecrets',
          actions: [...(tokenSecrets === 'read-write' ? TOKEN_SECRET_ACTIONS : TOKEN_SECRET_WRITE_ACTIONS)],
          resources: [this.tokenSecretArnPattern],
        }),
        new iam.PolicyStatement({
          sid: 'ConfigurationSecretsRead',
          actions: ['secretsmanager:GetSecretValue'],
          resources: [this.clientSecrets.secretArn, this.linkSigningKey.secretArn],
        }),
        new iam.PolicyStatement({
          sid: 'StateKeyUse',
          actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
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
   * only through Secrets Manager.
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
   * Manager): the "valid access token for (tenant, integration) in one call" promise. When the
   * grantee is a construct of this app, the prefix wildcard's cdk-nag finding is suppressed on it.
   */
  grantTokenRead(grantee: iam.IGrantable): void {
    for (const statement of this.tokenReadStatements()) {
      grantee.grantPrincipal.addToPrincipalPolicy(statement);
    }
    if (grantee.grantPrincipal instanceof Construct) {
      Validations.of(grantee.grantPrincipal).acknowledge(this.tokenPrefixSuppression());
    }
  }

  /**
   * What `createTokenAccess` (functions/token-access.ts) needs with the AWS adapters: it reads the
   * authorization record and takes a lease on it, reads the token secret, and when the access
   * token is near its end refreshes it (client secret read, new secret version, record saved
   * with a history item). No index, no delete.
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
        actions: [
          'secretsmanager:GetSecretValue',
          'secretsmanager:CreateSecret',
          'secretsmanager:TagResource',
          'secretsmanager:PutSecretValue',
          'secretsmanager:RestoreSecret',
        ],
        resources: [this.tokenSecretArnPattern],
      }),
      new iam.PolicyStatement({
        sid: 'TokenAccessClientSecrets',
        actions: ['secretsmanager:GetSecretValue'],
        resources: [this.clientSecrets.secretArn],
      }),
      new iam.PolicyStatement({
        sid: 'TokenAccessKeyUse',
        actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
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
   * instead of waiting for the validator (see {@link tokenAccessStatements}).
   */
  grantTokenAccess(grantee: iam.IGrantable): void {
    for (const statement of this.tokenAccessStatements()) {
      grantee.grantPrincipal.addToPrincipalPolicy(statement);
    }
    if (grantee.grantPrincipal instanceof Construct) {
      Validations.of(grantee.grantPrincipal).acknowledge(this.tokenPrefixSuppression());
    }
  }

  /** The accepted finding of any policy naming the token secrets: the prefix is a wildcard by nature. */
  tokenPrefixSuppression(): Acknowledgment {
    return {
      id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:${TOKEN_SECRET_PREFIX}*]`,
      reason: `Token secrets are created at run time, one per authorization, under the fixed name prefix ${TOKEN_SECRET_PREFIX}; the prefix ARN is the narrowest that names them.`,
    };
  }
}
