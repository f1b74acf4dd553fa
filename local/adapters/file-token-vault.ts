import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EnvelopeTokenVault, LocalKeyDataKeys } from '#adapters/envelope-token-vault.js';

/**
 * The local run's token vault: the deployed envelope code (EnvelopeTokenVault) with a local
 * 256-bit key in place of KMS, generated on first run (`<dir>/vault.key`, mode 0600). The data
 * keys it wraps are bound to the same encryption context as KMS binds them to, so the local data
 * directory never holds a token in clear, and an envelope copied onto another item fails there
 * as it does when deployed.
 */
export class FileTokenVault extends EnvelopeTokenVault {
  /** Opens the vault in `dir` for the table `tableName`, creating the directory and the key on first use. */
  static async open(dir: string, tableName: string): Promise<FileTokenVault> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const keyPath = join(dir, 'vault.key');
    let key: Buffer;
    try {
      key = Buffer.from((await readFile(keyPath, 'utf8')).trim(), 'base64');
    } catch {
      key = randomBytes(32);
      // Two processes starting at once: the one that loses the exclusive create reads the winner's key.
      await writeFile(keyPath, key.toString('base64'), { mode: 0o600, flag: 'wx' }).catch(async () => {
        key = Buffer.from((await readFile(keyPath, 'utf8')).trim(), 'base64');
      });
    }
    if (key.length !== 32)
      throw new Error(`Local vault key ${keyPath} is not a 256-bit key; delete it to start over`);
    return new FileTokenVault(new LocalKeyDataKeys(key), tableName);
  }
}
