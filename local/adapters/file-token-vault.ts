import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tokenMaterialSchema, type TokenMaterial } from '#domain/model.js';
import type { TokenVault } from '#domain/ports.js';

export class VaultSecretNotFoundError extends Error {
  override readonly name = 'VaultSecretNotFoundError';
}

/**
 * The local stand-in for Secrets Manager: one file per authorization under `<dir>/secrets/`,
 * AES-256-GCM encrypted with a key generated on first run (`<dir>/vault.key`, mode 0600), so the
 * local data directory never holds a token in clear. Secret ids have the deployed shape
 * (`<prefix><tenant>/<integration>`); file names are their hashes.
 */
export class FileTokenVault implements TokenVault {
  private constructor(
    private readonly dir: string,
    private readonly key: Buffer,
    private readonly prefix: string,
  ) {}

  /** Opens the vault in `dir`, creating the directory and the key on first use. */
  static async open(dir: string, prefix = 'webex-auth-keeper/tokens/'): Promise<FileTokenVault> {
    await mkdir(join(dir, 'secrets'), { recursive: true, mode: 0o700 });
    const keyPath = join(dir, 'vault.key');
    let key: Buffer;
    try {
      key = Buffer.from((await readFile(keyPath, 'utf8')).trim(), 'base64');
    } catch {
      key = randomBytes(32);
      await writeFile(keyPath, key.toString('base64'), { mode: 0o600, flag: 'wx' }).catch(async () => {
        key = Buffer.from((await readFile(keyPath, 'utf8')).trim(), 'base64');
      });
    }
    if (key.length !== 32)
      throw new Error(`Local vault key ${keyPath} is not a 256-bit key; delete it to start over`);
    return new FileTokenVault(dir, key, prefix);
  }

  private pathOf(secretId: string): string {
    return join(this.dir, 'secrets', `${createHash('sha256').update(secretId).digest('hex')}.enc`);
  }

  private secretIdOf(tenantId: string, integration: string): string {
    return `${this.prefix}${tenantId}/${integration}`;
  }

  async store(tenantId: string, integration: string, material: TokenMaterial): Promise<string> {
    const secretId = this.secretIdOf(tenantId, integration);
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(secretId));
    const body = Buffer.concat([cipher.update(JSON.stringify(material), 'utf8'), cipher.final()]);
    const file = this.pathOf(secretId);
    // Write-then-rename so a crash never leaves a half-written secret behind.
    const temporary = `${file}.${randomBytes(6).toString('hex')}.tmp`;
    await writeFile(temporary, Buffer.concat([iv, cipher.getAuthTag(), body]), { mode: 0o600 });
    await rename(temporary, file);
    return secretId;
  }

  async read(secretId: string): Promise<TokenMaterial> {
    let sealed: Buffer;
    try {
      sealed = await readFile(this.pathOf(secretId));
    } catch {
      throw new VaultSecretNotFoundError(`No token secret ${secretId} in the local vault`);
    }
    const decipher = createDecipheriv('aes-256-gcm', this.key, sealed.subarray(0, 12));
    decipher.setAAD(Buffer.from(secretId));
    decipher.setAuthTag(sealed.subarray(12, 28));
    const json = Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()]).toString('utf8');
    return tokenMaterialSchema.parse(JSON.parse(json));
  }

  async destroy(secretId: string): Promise<void> {
    await rm(this.pathOf(secretId), { force: true });
  }

  async destroyFor(tenantId: string, integration: string): Promise<void> {
    await this.destroy(this.secretIdOf(tenantId, integration));
  }
}
