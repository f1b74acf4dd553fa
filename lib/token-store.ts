import { RemovalPolicy, SecretValue, Stack, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { TENANT_PREFIX } from '#adapters/dynamodb/keys.js';
import { tableDefinition, tableIndexes } from '#adapters/table-definition.js';
import type { TableKey } from '#adapters/table-definition.js';
import { CLIENT_SECRETS_NAME, TOKEN_KEY_NAME } from '#commons/resource-names.js';
import { resourceName } from './names.js';
import { functionBinding } from './project-function.js';
import type { FunctionBinding } from './project-function.js';

/** A DynamoDB action a function may be granted on the table or one of its indexes. */
export type TableAction =
  | 'GetItem'
  | 'BatchGetItem'
  | 'PutItem'
  | 'UpdateItem'
  | 'DeleteItem'
  | 'ConditionCheckItem'
  | 'Query'
  | 'Scan';

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
  /**
   * Sealed tokens on the authorization items (functions/adapters/envelope-token-vault.ts): sealed
   * and opened, or only sealed (the internet-facing function, which never opens a stored token).
   */
  readonly tokens: 'seal-and-open' | 'seal-only';
}

/**
 * The table access of each state-owning function, as its code uses it:
 *
 * - public API (functions/domain/onboarding.ts): tenants `get`, authorizations `get`,
 *   `listForTenant`, `save` (a grant's transaction also binds the tenant's org, or checks it:
 *   ConditionCheckItem), `acquireLease`/`releaseLease`, history `append`, OAuth states `put`,
 *   `consume` (a conditional DeleteItem) and `has` (a GetItem, for a callback without its cookie); for the `serviceApp` webhook, its delivery ledger's
 *   conditional PutItem (and its DeleteItem when acting on the delivery failed) and the `orgs` index.
 * - admin API (functions/domain/admin*.ts, offboarding.ts, status-board.ts, and validate-now,
 *   recheck, force refresh and reload on the validator's path: tokens sealed and opened,
 *   client secrets read, the credential incident item read and updated): tenants `create`, `get`, `replace`, `setOrg`, `list` (the `tenants`
 *   index) and `purge` (a Query of the tenant's partition, then one DeleteItem per item: no batch
 *   call), authorizations `get`, `listForTenant`, `save`, leases, history `list`; the status
 *   board's counter shards (GetItem each), its rows (the `board` index) and the counters' backfill
 *   (the `tenants` index, then each tenant's partition: no Scan).
 * - validator worker (functions/domain/validator.ts): authorizations `get`, `listForTenant`,
 *   `save`, leases, tenants `get`. No index, nothing deleted.
 *
 * The sweep dispatcher only queries the `due` index ({@link TokenStore.bindDueQuery}).
 */
export const STATE_ACCESS = {
  publicApi: {
    table: ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'ConditionCheckItem', 'Query'],
    // The serviceApp webhook finds the tenants bound to an org.
    queriedIndexes: [tableDefinition.orgIndex.indexName],
    tokens: 'seal-only',
  },
  adminApi: {
    table: ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query'],
    queriedIndexes: [tableDefinition.tenantIndex.indexName, tableDefinition.boardIndex.indexName],
    tokens: 'seal-and-open',
  },
  validatorWorker: {
    table: ['GetItem', 'PutItem', 'UpdateItem', 'Query'],
    queriedIndexes: [],
    tokens: 'seal-and-open',
  },
} as const satisfies Record<string, StateAccess>;

/**
 * The KMS calls the services make for a principal using the key: DynamoDB decrypts the table key
 * (Decrypt) and generates one when it renews it; Secrets Manager decrypts the configuration
 * secrets (Decrypt) and would generate a data key to write one. Neither calls kms:Encrypt
 * (envelope encryption), so it is not granted.
 */
export const STATE_KEY_ACTIONS = ['kms:Decrypt', 'kms:GenerateDataKey'] as const;

/** The encryption context keys the token vault binds every envelope to (EncryptionContext). */
const CONTEXT_TABLE = 'kms:EncryptionContext:table';
const CONTEXT_TENANT = 'kms:EncryptionContext:tenantId';

/** Which tenants' tokens a grant reaches: all of them unless named. */
export interface TokenGrantOptions {
  /** Tenant ids whose items and tokens the grantee may read; every tenant when absent. */
  readonly tenants?: readonly string[];
}

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
 * which encrypts the table and wraps the data keys of the tokens sealed on its items, the single
 * table built from `functions/adapters/table-definition.ts`, the client-secrets secret the
 * operator fills in, and the generated link-signing key. Secrets Manager holds a fixed number of
 * secrets whatever the number of tenants.
 */
export class TokenStore extends Construct {
  readonly key: kms.Key;
  readonly table: dynamodb.Table;
  /** `{"<integration key>": "<client secret>", ...}`, filled in by the operator after deploy. */
  readonly clientSecrets: secretsmanager.Secret;
  /** HMAC key for onboarding links; generated, never leaves Secrets Manager and the functions. */
  readonly linkSigningKey: secretsmanager.Secret;
  /**
   * The `serviceApp` webhook's secret, one for the deployment: generated, given to Webex only by
   * the admin API's registration, and the key the public API verifies each delivery with.
   */
  readonly webhookSecret: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: TokenStoreProps) {
    super(scope, id);
    const removalPolicy = props.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    this.key = new kms.Key(this, 'Key', {
      description: 'webex-auth-keeper: table, sealed tokens, client secrets and alert topic',
      enableKeyRotation: true,
      alias: resourceName(this, TOKEN_KEY_NAME),
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
      secretName: resourceName(this, CLIENT_SECRETS_NAME),
      description:
        'webex-auth-keeper: OAuth client secrets of the Webex integrations and Service Apps, {"<catalog key>": "<client secret>"}',
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
    this.webhookSecret = new secretsmanager.Secret(this, 'WebhookSecret', {
      secretName: resourceName(this, 'webhook-secret'),
      description: 'webex-auth-keeper: secret Webex signs the serviceApp webhook deliveries with',
      encryptionKey: this.key,
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy,
    });
    Validations.of(this.webhookSecret).acknowledge({
      id: 'AwsSolutions::AwsSolutions-SMG4',
      reason:
        'Webex holds a copy of the webhook secret, given by registration: a rotation must be followed by `webhooks register`, so ops rotate it by hand (docs/deploy.md).',
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
  }

  private indexArn(indexName: string): string {
    return `${this.table.tableArn}/index/${indexName}`;
  }

  /** `kms:ViaService` value for a service in this stack's region. */
  private viaService(service: string): string {
    return `${service}.${Stack.of(this).region}.amazonaws.com`;
  }

  /**
   * Direct KMS use of the token vault: `actions` on the key only for envelopes of this table
   * (its name is in every encryption context), and, when tenants are named, only theirs.
   */
  private tokenKeyStatement(sid: string, actions: readonly string[], options: TokenGrantOptions = {}) {
    return new iam.PolicyStatement({
      sid,
      actions: [...actions],
      resources: [this.key.keyArn],
      conditions: {
        StringEquals: {
          [CONTEXT_TABLE]: this.table.tableName,
          ...(options.tenants && { [CONTEXT_TENANT]: [...options.tenants] }),
        },
      },
    });
  }

  /** `dynamodb:LeadingKeys` limited to the named tenants' partitions; none when every tenant is meant. */
  private leadingKeys(options: TokenGrantOptions): Record<string, Record<string, unknown>> {
    if (!options.tenants) return {};
    if (options.tenants.length === 0) throw new Error('A token grant names no tenant');
    return {
      'ForAllValues:StringEquals': {
        'dynamodb:LeadingKeys': options.tenants.map((tenantId) => `${TENANT_PREFIX}${tenantId}`),
      },
    };
  }

  /**
   * For a function that owns tenant state (public API, admin API, validator worker): exactly the
   * table and index actions its code uses ({@link STATE_ACCESS}), the key for sealing tokens
   * (GenerateDataKey) and opening them (Decrypt; not for the public API) under this table's
   * encryption context, the client secrets and link-signing key read, and otherwise the CMK only
   * through DynamoDB and Secrets Manager.
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
        KMS_KEY_ID: this.key.keyArn,
        CLIENT_SECRETS_SECRET_ID: this.clientSecrets.secretArn,
        LINK_SIGNING_SECRET_ID: this.linkSigningKey.secretArn,
      },
      [
        ...tableStatements,
        this.tokenKeyStatement('TokenSeal', ['kms:GenerateDataKey']),
        ...(access.tokens === 'seal-and-open' ? [this.tokenKeyStatement('TokenOpen', ['kms:Decrypt'])] : []),
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
    );
  }

  /**
   * Opening the named tenants' tokens (kms:Decrypt under this table's and their encryption
   * context), for a function whose own access only seals: the public API reads the vendor token.
   */
  bindTokenOpen(tenants: readonly string[]): FunctionBinding {
    if (tenants.length === 0) throw new Error('A token open grant names no tenant');
    return functionBinding({}, [this.tokenKeyStatement('VendorTokenOpen', ['kms:Decrypt'], { tenants })]);
  }

  /**
   * The `serviceApp` webhook's secret, read: the public API verifies deliveries with it, the admin
   * API registers the webhook with it. (Secrets Manager decrypts it through the key under
   * `bindStateAccess`'s ViaService grant.)
   */
  bindWebhookSecret(): FunctionBinding {
    return functionBinding({ WEBHOOK_SECRET_ID: this.webhookSecret.secretArn }, [
      new iam.PolicyStatement({
        sid: 'WebhookSecretRead',
        actions: ['secretsmanager:GetSecretValue'],
        resources: [this.webhookSecret.secretArn],
      }),
    ]);
  }

  /**
   * For the notifier: read tenants and records, claim and release sent-mail keys, mark contacts
   * (GetItem, PutItem, DeleteItem, UpdateItem), read the link-signing key for the re-authorize
   * link; no token secret, no index.
   */
  bindNotifierAccess(): FunctionBinding {
    return functionBinding(
      {
        TABLE_NAME: this.table.tableName,
        LINK_SIGNING_SECRET_ID: this.linkSigningKey.secretArn,
        // Named in a credential incident's mail (where ops put the secret), never read: no grant.
        CLIENT_SECRETS_SECRET_ID: this.clientSecrets.secretArn,
      },
      [
        new iam.PolicyStatement({
          sid: 'NotifierTableAccess',
          // Query: the alert ledger lists closed incidents, ended digests and a day's flaps.
          actions: [
            'dynamodb:GetItem',
            'dynamodb:PutItem',
            'dynamodb:DeleteItem',
            'dynamodb:UpdateItem',
            'dynamodb:Query',
          ],
          resources: [this.table.tableArn],
        }),
        new iam.PolicyStatement({
          sid: 'LinkSigningKeyRead',
          actions: ['secretsmanager:GetSecretValue'],
          resources: [this.linkSigningKey.secretArn],
        }),
        new iam.PolicyStatement({
          sid: 'NotifierKeyUse',
          actions: [...STATE_KEY_ACTIONS],
          resources: [this.key.keyArn],
          conditions: {
            StringEquals: {
              'kms:ViaService': [this.viaService('dynamodb'), this.viaService('secretsmanager')],
            },
          },
        }),
      ],
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
   * What reading a token takes: GetItem on the table (only the named tenants' partitions when
   * tenants are named), kms:Decrypt through DynamoDB for the table's own encryption, and kms:Decrypt
   * of the envelopes' data keys under this table's encryption context (only the named tenants').
   * KMS checks the context on every Decrypt, so a grant for tenant A opens no envelope of tenant B.
   */
  tokenReadStatements(options: TokenGrantOptions = {}): iam.PolicyStatement[] {
    return [
      new iam.PolicyStatement({
        sid: 'TokenItemsRead',
        actions: ['dynamodb:GetItem'],
        resources: [this.table.tableArn],
        conditions: this.leadingKeys(options),
      }),
      new iam.PolicyStatement({
        sid: 'TokenTableKeyDecrypt',
        actions: ['kms:Decrypt'],
        resources: [this.key.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': this.viaService('dynamodb') } },
      }),
      this.tokenKeyStatement('TokenKeyDecrypt', ['kms:Decrypt'], options),
    ];
  }

  /**
   * Lets one of the SaaS's own services read the tokens of every tenant, or of the named ones: the
   * "valid access token for (tenant, integration) in one call" promise. Returns the grant:
   * `success` is false when the grantee has no policy to add to (a service principal, an account),
   * and `assertSuccess()` fails the synth then.
   */
  grantTokenRead(grantee: iam.IGrantable, options: TokenGrantOptions = {}): iam.Grant {
    return this.grantStatements(grantee, this.tokenReadStatements(options));
  }

  /**
   * What `createTokenAccess` (functions/token-access.ts) needs with the AWS adapters: it reads the
   * authorization record and takes a lease on it, opens the sealed tokens, and when the access
   * token is near its end refreshes it (client secret read, new tokens sealed and saved on the
   * record in one conditional write). No index, no item deleted, no link key.
   */
  tokenAccessStatements(): iam.PolicyStatement[] {
    return [
      new iam.PolicyStatement({
        sid: 'TokenAccessRecords',
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
        resources: [this.table.tableArn],
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
      this.tokenKeyStatement('TokenAccessTokenKey', ['kms:Decrypt', 'kms:GenerateDataKey']),
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

  /** Adds each statement to the grantee's policy, combined into one grant. */
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
    return rest.reduce((combined, next) => combined.combine(next), first);
  }
}
