import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTableInput, tableDefinition, timeToLiveInput } from '#adapters/table-definition.js';
import { defaultStack, logicalId, synthesize } from './support.js';
import type { Synthesized } from './support.js';

let synth: Synthesized;
beforeAll(() => {
  synth = defaultStack();
});

interface TableProperties {
  KeySchema: { AttributeName: string; KeyType: string }[];
  AttributeDefinitions: { AttributeName: string; AttributeType: string }[];
  GlobalSecondaryIndexes: {
    IndexName: string;
    KeySchema: { AttributeName: string; KeyType: string }[];
    Projection: { ProjectionType: string };
  }[];
}

function tableProperties(s: Synthesized): TableProperties {
  const tables = Object.values(s.template.findResources('AWS::DynamoDB::Table'));
  expect(tables).toHaveLength(1);
  return tables[0]?.Properties as TableProperties;
}

const byName = <T extends { AttributeName?: string | undefined }>(items: readonly T[]) =>
  [...items].sort((a, b) => (a.AttributeName ?? '').localeCompare(b.AttributeName ?? ''));

describe('table', () => {
  // The local run creates its table with createTableInput(): the deployed one must be the same.
  const local = createTableInput('t');

  it('has the key schema of the table the local run creates', () => {
    expect(tableProperties(synth).KeySchema).toEqual(local.KeySchema);
  });

  it('has exactly the global secondary indexes of the table the local run creates', () => {
    const table = tableProperties(synth);
    expect(table.GlobalSecondaryIndexes).toEqual(local.GlobalSecondaryIndexes);
    expect(table.GlobalSecondaryIndexes.map((index) => index.IndexName)).toEqual([
      'due',
      'tenants',
      'board',
      'orgs',
    ]);
    expect(table.GlobalSecondaryIndexes.find((index) => index.IndexName === 'due')?.Projection).toEqual({
      ProjectionType: 'KEYS_ONLY',
    });
    // Keys only: a check that leaves the status alone writes nothing to the board index.
    expect(table.GlobalSecondaryIndexes.find((index) => index.IndexName === 'board')?.Projection).toEqual({
      ProjectionType: 'KEYS_ONLY',
    });
    // The serviceApp webhook's org look-up: keys only, and only items that carry an orgId.
    expect(table.GlobalSecondaryIndexes.find((index) => index.IndexName === 'orgs')).toEqual({
      IndexName: 'orgs',
      KeySchema: [{ AttributeName: 'orgId', KeyType: 'HASH' }],
      Projection: { ProjectionType: 'KEYS_ONLY' },
    });
  });

  it('defines every key attribute with the type the local table gives it', () => {
    expect(byName(tableProperties(synth).AttributeDefinitions)).toEqual(
      byName(local.AttributeDefinitions ?? []),
    );
  });

  it('builds the local table from every index and key of the shared definition', () => {
    const { partitionKey, sortKey, dueIndex, tenantIndex, boardIndex, orgIndex } = tableDefinition;
    expect(local.KeySchema).toEqual([
      { AttributeName: partitionKey.name, KeyType: 'HASH' },
      { AttributeName: sortKey.name, KeyType: 'RANGE' },
    ]);
    expect(local.GlobalSecondaryIndexes?.map((index) => index.IndexName)).toEqual([
      dueIndex.indexName,
      tenantIndex.indexName,
      boardIndex.indexName,
      orgIndex.indexName,
    ]);
    expect(timeToLiveInput('t').TimeToLiveSpecification).toEqual({
      AttributeName: tableDefinition.timeToLiveAttribute,
      Enabled: true,
    });
  });

  it('is on-demand, with point-in-time recovery, TTL and the customer managed key', () => {
    synth.template.hasResourceProperties('AWS::DynamoDB::Table', {
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: tableDefinition.timeToLiveAttribute, Enabled: true },
      SSESpecification: {
        SSEEnabled: true,
        SSEType: 'KMS',
        KMSMasterKeyId: { 'Fn::GetAtt': [logicalId(synth.stack.tokenStore.key), 'Arn'] },
      },
    });
  });
});

describe('key and secrets', () => {
  it('rotates the customer managed key', () => {
    synth.template.resourceCountIs('AWS::KMS::Key', 1);
    synth.template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  it('lets CloudWatch alarms use the key to publish to the encrypted alert topic', () => {
    synth.template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
          }),
        ]),
      },
    });
  });

  it('creates an empty client-secrets object for the operator to fill, encrypted with the key', () => {
    synth.template.hasResourceProperties('AWS::SecretsManager::Secret', {
      SecretString: '{}',
      KmsKeyId: { 'Fn::GetAtt': [logicalId(synth.stack.tokenStore.key), 'Arn'] },
    });
  });

  it('generates the link-signing key, encrypted with the key', () => {
    synth.template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: Match.objectLike({ PasswordLength: 64 }),
      KmsKeyId: { 'Fn::GetAtt': [logicalId(synth.stack.tokenStore.key), 'Arn'] },
    });
  });

  it('generates one serviceApp webhook secret for the deployment, encrypted with the key, read by the public and admin APIs only', () => {
    const secrets = synth.template.findResources('AWS::SecretsManager::Secret');
    const webhook = secrets[logicalId(synth.stack.tokenStore.webhookSecret)]?.Properties as
      { GenerateSecretString?: { PasswordLength?: number }; KmsKeyId?: unknown } | undefined;
    expect(webhook?.GenerateSecretString?.PasswordLength).toBe(64);
    expect(webhook?.KmsKeyId).toEqual({ 'Fn::GetAtt': [logicalId(synth.stack.tokenStore.key), 'Arn'] });
    const functions = Object.entries(synth.template.findResources('AWS::Lambda::Function'));
    const withSecret = functions
      .filter(([, resource]) => {
        const variables = (resource.Properties as { Environment?: { Variables?: Record<string, unknown> } })
          .Environment?.Variables;
        return variables?.WEBHOOK_SECRET_ID !== undefined;
      })
      .map(([id]) => id)
      .sort();
    expect(withSecret).toEqual(
      [logicalId(synth.stack.api.publicFunction), logicalId(synth.stack.api.adminFunction)].sort(),
    );
  });

  it('keeps the table, key and secrets when the stack is deleted, unless told not to', () => {
    const retained = [
      synth.stack.tokenStore.table,
      synth.stack.tokenStore.key,
      synth.stack.tokenStore.clientSecrets,
      synth.stack.tokenStore.linkSigningKey,
      synth.stack.tokenStore.webhookSecret,
    ].map((construct) => logicalId(construct));
    const resources = synth.template.toJSON().Resources as Record<string, { DeletionPolicy?: string }>;
    for (const id of retained) expect(resources[id]?.DeletionPolicy).toBe('Retain');
    synth.template.hasResourceProperties('AWS::DynamoDB::Table', { DeletionProtectionEnabled: true });

    const disposable = synthesize({ retainData: false });
    const disposableResources = disposable.template.toJSON().Resources as Record<
      string,
      { DeletionPolicy?: string }
    >;
    for (const construct of [disposable.stack.tokenStore.table, disposable.stack.tokenStore.key]) {
      expect(disposableResources[logicalId(construct)]?.DeletionPolicy).toBe('Delete');
    }
    disposable.template.hasResourceProperties('AWS::DynamoDB::Table', { DeletionProtectionEnabled: false });
  });
});
