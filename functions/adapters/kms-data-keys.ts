import { DecryptCommand, GenerateDataKeyCommand, type KMSClient } from '@aws-sdk/client-kms';
import { kmsClient } from '#commons/aws-clients.js';
import type { DataKey, DataKeyProvider, EncryptionContext } from './envelope-token-vault.js';

/**
 * Data keys from the stack's customer managed key: GenerateDataKey (AES_256) to seal, Decrypt to
 * open, both with the encryption context, which KMS binds to the wrapped key and checks (and which
 * the IAM conditions of each function and token reader name). Decrypt names the key too, so a
 * wrapped key of another key is refused rather than decrypted with it.
 */
export class KmsDataKeys implements DataKeyProvider {
  private readonly client: KMSClient;
  private readonly keyId: string;

  constructor(options: { keyId: string; client?: KMSClient }) {
    this.client = options.client ?? kmsClient();
    this.keyId = options.keyId;
  }

  async generate(context: EncryptionContext): Promise<DataKey> {
    const answer = await this.client.send(
      new GenerateDataKeyCommand({
        KeyId: this.keyId,
        KeySpec: 'AES_256',
        EncryptionContext: { ...context },
      }),
    );
    if (!answer.Plaintext || !answer.CiphertextBlob)
      throw new Error('KMS answered GenerateDataKey without a key');
    return { plaintext: Buffer.from(answer.Plaintext), wrapped: Buffer.from(answer.CiphertextBlob) };
  }

  async unwrap(wrapped: Buffer, context: EncryptionContext): Promise<Buffer> {
    const answer = await this.client.send(
      new DecryptCommand({ CiphertextBlob: wrapped, KeyId: this.keyId, EncryptionContext: { ...context } }),
    );
    if (!answer.Plaintext) throw new Error('KMS answered Decrypt without a key');
    return Buffer.from(answer.Plaintext);
  }
}
