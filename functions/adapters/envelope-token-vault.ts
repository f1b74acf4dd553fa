import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { isTransientAwsFailure } from '#commons/transient-failures.js';
import {
  sealedTokensSchema,
  tokenMaterialSchema,
  type SealedTokens,
  type TokenMaterial,
} from '#domain/model.js';
import type { TokenContext, TokenVault } from '#domain/ports.js';

/**
 * What an envelope is bound to: the item's tenant and integration and the table it lives in. KMS
 * checks it on every Decrypt (and IAM conditions can name its keys); the local key checks it as
 * AES-GCM additional data.
 */
export type EncryptionContext = Readonly<{ tenantId: string; integration: string; table: string }>;

/** A 256-bit data key, in clear for one seal and wrapped for the item. */
export interface DataKey {
  plaintext: Buffer;
  wrapped: Buffer;
}

/** Makes and unwraps the data keys of envelopes: KMS when deployed, a local key in the local run. */
export interface DataKeyProvider {
  /** A new data key, wrapped under `context`. */
  generate(context: EncryptionContext): Promise<DataKey>;
  /** The data key `wrapped` holds; throws when it was wrapped under another context or altered. */
  unwrap(wrapped: Buffer, context: EncryptionContext): Promise<Buffer>;
}

/**
 * Sealed tokens that cannot be opened: the envelope was made for another item, was altered, or
 * the key refused this function. The message names the tenant and integration and the reason,
 * never a token, a data key or the ciphertext.
 */
export class TokenVaultError extends Error {
  override readonly name = 'TokenVaultError';
}

const IV_BYTES = 12;
const TAG_BYTES = 16;
const DATA_KEY_BYTES = 32;

/**
 * The context as AES-GCM additional data: its entries in a fixed order, so seal and open agree
 * byte for byte and a change to any of them fails the tag.
 */
export function additionalDataOf(context: EncryptionContext): Buffer {
  return Buffer.from(JSON.stringify([context.tenantId, context.integration, context.table]), 'utf8');
}

/**
 * The one envelope implementation (docs/architecture.md, "Token storage"): each seal asks the
 * provider for a fresh data key and encrypts the material with it (AES-256-GCM, the encryption
 * context as additional data); the wrapped key travels in the envelope. Opening unwraps the key
 * under the context of the item being read, so an envelope copied onto another tenant's item fails
 * there (KMS refuses the context) and again here (the tag fails).
 */
export class EnvelopeTokenVault implements TokenVault {
  constructor(
    private readonly keys: DataKeyProvider,
    private readonly tableName: string,
  ) {}

  private contextOf({ tenantId, integration }: TokenContext): EncryptionContext {
    return { tenantId, integration, table: this.tableName };
  }

  async seal(context: TokenContext, material: TokenMaterial): Promise<SealedTokens> {
    const encryptionContext = this.contextOf(context);
    let dataKey: DataKey;
    try {
      dataKey = await this.keys.generate(encryptionContext);
    } catch (error) {
      if (isTransientAwsFailure(error)) throw error;
      throw new TokenVaultError(
        `No data key to seal the tokens of ${context.tenantId}/${context.integration} ` +
          `(${errorNameOf(error)}): the key refused this function`,
      );
    }
    try {
      if (dataKey.plaintext.length !== DATA_KEY_BYTES) throw new Error('The data key is not 256 bits');
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', dataKey.plaintext, iv);
      cipher.setAAD(additionalDataOf(encryptionContext));
      const plaintext = JSON.stringify(tokenMaterialSchema.parse(material));
      const ciphertext = Buffer.concat([
        cipher.update(plaintext, 'utf8'),
        cipher.final(),
        cipher.getAuthTag(),
      ]);
      return {
        format: 1,
        wrappedKey: dataKey.wrapped.toString('base64'),
        iv: iv.toString('base64'),
        ciphertext: ciphertext.toString('base64'),
      };
    } finally {
      dataKey.plaintext.fill(0);
    }
  }

  async open(context: TokenContext, sealed: SealedTokens): Promise<TokenMaterial> {
    const where = `${context.tenantId}/${context.integration}`;
    const envelope = sealedTokensSchema.safeParse(sealed);
    if (!envelope.success)
      throw new TokenVaultError(`The sealed tokens of ${where} are not a token envelope`);
    const encryptionContext = this.contextOf(context);
    let dataKey: Buffer;
    try {
      dataKey = await this.keys.unwrap(Buffer.from(envelope.data.wrappedKey, 'base64'), encryptionContext);
    } catch (error) {
      // Throttling and outages pass: the caller retries them as it retries any AWS call.
      if (isTransientAwsFailure(error)) throw error;
      throw new TokenVaultError(
        `The data key of ${where}'s tokens was not unwrapped (${errorNameOf(error)}): ` +
          'sealed for another item, altered, or the key refused this function',
      );
    }
    try {
      const body = Buffer.from(envelope.data.ciphertext, 'base64');
      if (body.length <= TAG_BYTES) throw new Error('too short');
      const decipher = createDecipheriv('aes-256-gcm', dataKey, Buffer.from(envelope.data.iv, 'base64'));
      decipher.setAAD(additionalDataOf(encryptionContext));
      decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
      const json = Buffer.concat([
        decipher.update(body.subarray(0, body.length - TAG_BYTES)),
        decipher.final(),
      ]);
      return tokenMaterialSchema.parse(JSON.parse(json.toString('utf8')));
    } catch {
      // The cause would be the cipher's or the parser's words about the content: say only where.
      throw new TokenVaultError(`The sealed tokens of ${where} do not decrypt to token material (altered?)`);
    } finally {
      dataKey.fill(0);
    }
  }
}

/** An error's name for a message: a class name, never its text (which could quote input). */
export function errorNameOf(error: unknown): string {
  return error instanceof Error ? error.name : 'unknown error';
}

/**
 * Data keys from a local 256-bit key (the local run, and tests): each data key is random and
 * wrapped with AES-256-GCM under the local key, the encryption context as additional data: the
 * same binding KMS gives, without KMS. Wrapped form: IV, tag, encrypted key.
 */
export class LocalKeyDataKeys implements DataKeyProvider {
  constructor(private readonly key: Buffer) {
    if (key.length !== DATA_KEY_BYTES) throw new Error('The local wrapping key must be 256 bits');
  }

  async generate(context: EncryptionContext): Promise<DataKey> {
    const plaintext = randomBytes(DATA_KEY_BYTES);
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(additionalDataOf(context));
    const encrypted = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return { plaintext, wrapped: Buffer.concat([iv, cipher.getAuthTag(), encrypted]) };
  }

  async unwrap(wrapped: Buffer, context: EncryptionContext): Promise<Buffer> {
    if (wrapped.length !== IV_BYTES + TAG_BYTES + DATA_KEY_BYTES) {
      throw new TokenVaultError('The wrapped data key has the wrong length');
    }
    const decipher = createDecipheriv('aes-256-gcm', this.key, wrapped.subarray(0, IV_BYTES));
    decipher.setAAD(additionalDataOf(context));
    decipher.setAuthTag(wrapped.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(wrapped.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
  }
}
