import { randomBytes } from 'node:crypto';
import {
  DecryptCommand,
  GenerateDataKeyCommand,
  InvalidCiphertextException,
  KMSClient,
  KMSInternalException,
} from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import {
  EnvelopeTokenVault,
  LocalKeyDataKeys,
  TokenVaultError,
  type EncryptionContext,
} from '#adapters/envelope-token-vault.js';
import { KmsDataKeys } from '#adapters/kms-data-keys.js';
import type { SealedTokens, TokenMaterial } from '#domain/model.js';
import { isTransientAwsFailure } from '#commons/transient-failures.js';

const material: TokenMaterial = {
  accessToken: 'ACCESS-token-value-123',
  refreshToken: 'REFRESH-token-value-456',
  accessTokenExpiresAt: '2026-12-09T10:00:00.000Z',
  refreshTokenExpiresAt: '2027-02-23T10:00:00.000Z',
  scope: 'spark:people_read',
};
const acme = { tenantId: 'acme', integration: 'presence' };
const table = 'keeper-table';
const keyId = 'arn:aws:kms:us-east-1:123456789012:key/abc';

/** KMS's AccessDeniedException as the SDK throws it (the KMS client exports no class for it). */
function accessDenied(message: string): Error {
  return Object.assign(new Error(message), {
    name: 'AccessDeniedException',
    $fault: 'client',
    $metadata: { httpStatusCode: 400 },
  });
}

/** Flips one byte of a base64 field, so it stays base64 of the same length. */
function tampered(field: string): string {
  const bytes = Buffer.from(field, 'base64');
  bytes[bytes.length - 1]! ^= 0x01;
  return bytes.toString('base64');
}

describe('EnvelopeTokenVault over a local key', () => {
  const vault = () => new EnvelopeTokenVault(new LocalKeyDataKeys(randomBytes(32)), table);

  it('seals material that shows no token and opens it again under the same context', async () => {
    const tokens = vault();
    const sealed = await tokens.seal(acme, material);
    const text = JSON.stringify(sealed);
    expect(text).not.toContain('ACCESS-token');
    expect(text).not.toContain('REFRESH-token');
    expect(sealed.format).toBe(1);
    expect(await tokens.open(acme, sealed)).toEqual(material);
    // A fresh data key and IV per seal: the same material never seals the same way twice.
    expect((await tokens.seal(acme, material)).ciphertext).not.toBe(sealed.ciphertext);
  });

  it("refuses an envelope copied onto another tenant's or integration's item, or into another table", async () => {
    const key = randomBytes(32);
    const tokens = new EnvelopeTokenVault(new LocalKeyDataKeys(key), table);
    const sealed = await tokens.seal(acme, material);
    await expect(tokens.open({ ...acme, tenantId: 'globex' }, sealed)).rejects.toThrow(TokenVaultError);
    await expect(tokens.open({ ...acme, integration: 'cdr' }, sealed)).rejects.toThrow(TokenVaultError);
    const otherTable = new EnvelopeTokenVault(new LocalKeyDataKeys(key), 'other-table');
    await expect(otherTable.open(acme, sealed)).rejects.toThrow(TokenVaultError);
  });

  it('refuses tampered ciphertext, IV and wrapped key, and an envelope of another key', async () => {
    const tokens = vault();
    const sealed = await tokens.seal(acme, material);
    for (const field of ['ciphertext', 'iv', 'wrappedKey'] as const) {
      const altered: SealedTokens = { ...sealed, [field]: tampered(sealed[field]) };
      await expect(tokens.open(acme, altered), field).rejects.toThrow(TokenVaultError);
    }
    await expect(vault().open(acme, sealed)).rejects.toThrow(TokenVaultError);
  });

  it('names the tenant and integration in its refusal, never a token, the data key or the ciphertext', async () => {
    const tokens = vault();
    const sealed = await tokens.seal(acme, material);
    const error = await tokens
      .open({ ...acme, tenantId: 'globex' }, sealed)
      .catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(TokenVaultError);
    const text = `${String(error)} ${(error as Error).stack ?? ''} ${JSON.stringify(error)}`;
    expect(text).toContain('globex/presence');
    for (const secret of [
      material.accessToken,
      material.refreshToken,
      sealed.ciphertext,
      sealed.wrappedKey,
    ]) {
      expect(text).not.toContain(secret);
    }
  });
});

describe('KmsDataKeys', () => {
  const kms = mockClient(KMSClient);
  afterAll(() => kms.restore());
  const client = new KMSClient({ region: 'us-east-1' });
  const vault = () => new EnvelopeTokenVault(new KmsDataKeys({ keyId, client }), table);
  const context: EncryptionContext = { ...acme, table };
  const dataKey = randomBytes(32);
  const wrapped = randomBytes(184);

  beforeEach(() => {
    kms.reset();
    kms.on(GenerateDataKeyCommand).resolves({ Plaintext: Uint8Array.from(dataKey), CiphertextBlob: wrapped });
  });

  it('asks for an AES-256 data key and decrypts it with the key id and the same encryption context', async () => {
    kms.on(DecryptCommand).resolves({ Plaintext: Uint8Array.from(dataKey) });
    const sealed = await vault().seal(acme, material);
    expect(kms.commandCalls(GenerateDataKeyCommand)[0]?.args[0].input).toEqual({
      KeyId: keyId,
      KeySpec: 'AES_256',
      EncryptionContext: context,
    });
    expect(Buffer.from(sealed.wrappedKey, 'base64')).toEqual(wrapped);
    expect(await vault().open(acme, sealed)).toEqual(material);
    const decrypt = kms.commandCalls(DecryptCommand)[0]?.args[0].input;
    expect(decrypt).toMatchObject({ KeyId: keyId, EncryptionContext: context });
    expect(Buffer.from(decrypt?.CiphertextBlob ?? [])).toEqual(wrapped);
  });

  it("refuses another tenant's item when KMS refuses its encryption context", async () => {
    const sealed = await vault().seal(acme, material);
    kms
      .on(DecryptCommand, { EncryptionContext: { ...context, tenantId: 'globex' } })
      .rejects(new InvalidCiphertextException({ message: 'InvalidCiphertextException', $metadata: {} }));
    await expect(vault().open({ ...acme, tenantId: 'globex' }, sealed)).rejects.toThrow(
      /globex\/presence.*InvalidCiphertextException/,
    );
  });

  it('says clearly when the key refuses the function, naming tenant and integration and no secret', async () => {
    const sealed = await vault().seal(acme, material);
    kms
      .on(DecryptCommand)
      .rejects(
        accessDenied(
          'User: arn:aws:sts::123456789012:assumed-role/reader is not authorized to perform: kms:Decrypt',
        ),
      );
    const error = await vault()
      .open(acme, sealed)
      .catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(TokenVaultError);
    expect(String(error)).toMatch(/acme\/presence.*AccessDeniedException.*refused this function/);
    kms.on(GenerateDataKeyCommand).rejects(accessDenied('denied'));
    await expect(vault().seal(acme, material)).rejects.toThrow(/acme\/presence.*AccessDeniedException/);
  });

  it('lets a KMS outage through as it is, so the caller retries it like any AWS failure', async () => {
    const sealed = await vault().seal(acme, material);
    kms.on(DecryptCommand).rejects(new KMSInternalException({ message: 'internal', $metadata: {} }));
    const error = await vault()
      .open(acme, sealed)
      .catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(KMSInternalException);
    expect(isTransientAwsFailure(error)).toBe(true);
  });
});
