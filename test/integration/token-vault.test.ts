import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { DecryptCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultCatalog } from '#adapters/catalog-file.js';
import { createRepositories } from '#adapters/dynamodb/index.js';
import { EnvelopeTokenVault, TokenVaultError } from '#adapters/envelope-token-vault.js';
import { KmsDataKeys } from '#adapters/kms-data-keys.js';
import { isTransientAwsFailure } from '#commons/transient-failures.js';
import type { SealedTokens } from '#domain/model.js';
import type { TokenVault } from '#domain/ports.js';
import { DEFAULT_VALIDATOR_CONFIG } from '#domain/validator-config.js';
import { createTokenAccess } from '#functions/token-access.js';
import { createValidatorWorkerHandler } from '#functions/validator-worker.app.js';
import { FileTokenVault } from '#local/adapters/file-token-vault.js';
import { createTestTable, type TestTable } from '#test-support/dynamodb.js';
import { FakeWebex, ManualClock, RecordingPublisher } from '#test-support/fakes/index.js';
import {
  fakeMaterial,
  grantedAuthorization,
  lambdaContext,
  silentObservability,
  sqsRecord,
  testTenant,
} from '#test-support/fixtures.js';
import { OutputCapture } from '#test-support/security-local.js';

/**
 * The token vault against DynamoDB Local: tokens sealed on the item by the local run's vault (and
 * by the KMS vault with KMS mocked), read back through the repository and opened, and what
 * happens when an item's envelope is not its own, altered, or the key refuses the function.
 */
describe('sealed tokens on the table (DynamoDB Local)', () => {
  let table: TestTable;
  let repos: ReturnType<typeof createRepositories>;
  let vault: FileTokenVault;
  const clock = new ManualClock();

  beforeAll(async () => {
    table = await createTestTable('token-vault');
    repos = createRepositories(table.client, table.tableName);
    vault = await FileTokenVault.open(await mkdtemp(join(tmpdir(), 'token-vault-')), table.tableName);
    for (const tenantId of ['acme', 'umbrella', 'globex', 'initech', 'kms']) {
      await repos.tenants.create(testTenant({ tenantId, orgId: 'org-1' }));
    }
  });
  afterAll(async () => {
    await table?.drop();
  });

  /** An active authorization with its tokens sealed by `sealer`, saved through the repository. */
  async function authorize(tenantId: string, sealer: TokenVault = vault) {
    const material = fakeMaterial(clock.now(), tenantId);
    const sealedTokens = await sealer.seal({ tenantId, integration: 'presence' }, material);
    const record = await repos.authorizations.save(
      grantedAuthorization(
        { tenantId, integration: 'presence', material, sealedTokens, now: clock.now() },
        { nextCheckAt: clock.now().toISOString() },
      ),
      undefined,
    );
    return { record, material, sealedTokens };
  }

  /** Puts `sealed` on the stored item as it is, past the repository: a copied or altered item. */
  async function overwriteSealed(tenantId: string, sealed: SealedTokens): Promise<void> {
    await table.documentClient.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: { pk: `TENANT#${tenantId}`, sk: 'AUTH#presence' },
        UpdateExpression: 'SET sealedTokens = :sealed',
        ExpressionAttributeValues: { ':sealed': sealed },
      }),
    );
  }

  const tokenAccess = (tokens: TokenVault) =>
    createTokenAccess({
      authorizations: repos.authorizations,
      tenants: repos.tenants,
      vault: tokens,
      webex: new FakeWebex(clock),
      clientSecrets: { get: async () => 'secret' },
      catalog: defaultCatalog(),
      clock,
      log: silentObservability().logger,
    });

  /** One validator worker invocation for tenant's presence, its log lines captured at DEBUG. */
  async function checkLogged(tenantId: string, tokens: TokenVault) {
    const capture = new OutputCapture().start();
    let failures: string[];
    try {
      const handler = createValidatorWorkerHandler(
        {
          authorizations: repos.authorizations,
          tenants: repos.tenants,
          vault: tokens,
          webex: new FakeWebex(clock),
          clientSecrets: { get: async () => 'secret' },
          events: new RecordingPublisher(),
          clock,
          catalog: defaultCatalog(),
          config: DEFAULT_VALIDATOR_CONFIG,
          reauthorizeLink: async () => 'https://keeper.example/connect/x',
          isTransientFailure: isTransientAwsFailure,
          log: silentObservability().logger,
        },
        {
          logger: new Logger({ serviceName: 'token-vault-test', logLevel: 'DEBUG' }),
          metrics: silentObservability().metrics,
        },
      );
      const answer = await handler(
        { Records: [sqsRecord('m1', JSON.stringify({ tenantId, integration: 'presence' }))] },
        lambdaContext(),
      );
      failures = answer.batchItemFailures.map((failure) => failure.itemIdentifier);
    } finally {
      capture.stop();
    }
    return { failures, logs: capture.text };
  }

  it('keeps the tokens on the item sealed, and opens them after a read through the repository', async () => {
    const { material } = await authorize('acme');
    const { Item } = await table.documentClient.send(
      new GetCommand({
        TableName: table.tableName,
        Key: { pk: 'TENANT#acme', sk: 'AUTH#presence' },
      }),
    );
    expect(JSON.stringify(Item)).not.toContain(material.accessToken);
    expect(JSON.stringify(Item)).not.toContain(material.refreshToken);
    const stored = await repos.authorizations.get('acme', 'presence');
    expect(await vault.open(stored!, stored!.sealedTokens!)).toEqual(material);
    expect((await tokenAccess(vault).getAccessToken('acme', 'presence')).accessToken).toBe(
      material.accessToken,
    );
  });

  it("refuses tokens copied onto another tenant's item, and its check fails on our side without invalidating it", async () => {
    const umbrella = await authorize('umbrella');
    await authorize('globex');
    await overwriteSealed('globex', umbrella.sealedTokens);
    await expect(tokenAccess(vault).getAccessToken('globex', 'presence')).rejects.toThrow(TokenVaultError);
    const { failures, logs } = await checkLogged('globex', vault);
    expect(failures).toEqual(['m1']);
    expect(logs).toContain('globex/presence');
    expect(logs).not.toContain(umbrella.material.accessToken);
    expect(logs).not.toContain(umbrella.sealedTokens.ciphertext);
    const globex = await repos.authorizations.get('globex', 'presence');
    expect(globex).toMatchObject({ status: 'active', checkErrors: 1 });
  });

  it('refuses an item whose ciphertext was altered', async () => {
    const { sealedTokens } = await authorize('initech');
    const body = Buffer.from(sealedTokens.ciphertext, 'base64');
    body[0]! ^= 0x01;
    await overwriteSealed('initech', { ...sealedTokens, ciphertext: body.toString('base64') });
    await expect(tokenAccess(vault).getAccessToken('initech', 'presence')).rejects.toThrow(
      /initech\/presence.*do not decrypt/,
    );
  });

  it('says which tokens KMS refused to this function, and logs no token, data key or ciphertext', async () => {
    const kms = mockClient(KMSClient);
    const dataKey = randomBytes(32);
    kms
      .on(GenerateDataKeyCommand)
      .resolves({ Plaintext: Uint8Array.from(dataKey), CiphertextBlob: randomBytes(184) });
    kms.on(DecryptCommand).rejects(
      Object.assign(new Error('User is not authorized to perform: kms:Decrypt'), {
        name: 'AccessDeniedException',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
      }),
    );
    const kmsVault = new EnvelopeTokenVault(
      new KmsDataKeys({ keyId: 'arn:aws:kms:us-east-1:123456789012:key/k', client: new KMSClient({}) }),
      table.tableName,
    );
    const { material, sealedTokens } = await authorize('kms', kmsVault);
    expect(kms.commandCalls(GenerateDataKeyCommand)[0]?.args[0].input.EncryptionContext).toEqual({
      tenantId: 'kms',
      integration: 'presence',
      table: table.tableName,
    });
    await expect(tokenAccess(kmsVault).getAccessToken('kms', 'presence')).rejects.toThrow(
      /kms\/presence.*AccessDeniedException.*refused this function/,
    );
    const { failures, logs } = await checkLogged('kms', kmsVault);
    expect(failures).toEqual(['m1']);
    expect(logs).toContain('AccessDeniedException');
    const secrets: string[] = [
      material.accessToken,
      material.refreshToken,
      sealedTokens.ciphertext,
      sealedTokens.wrappedKey,
      dataKey.toString('base64'),
    ];
    for (const secret of secrets) expect(logs).not.toContain(secret);
    expect(await repos.authorizations.get('kms', 'presence')).toMatchObject({ status: 'active' });
    kms.restore();
  });
});
