import type { TokenMaterial } from '#domain/model.js';
import type { TokenVault } from '#domain/ports.js';

/** The secret id the fake vault gives an authorization's tokens. */
export const secretIdOf = (tenantId: string, integration: string): string =>
  `tokens/${tenantId}/${integration}`;

/**
 * A token vault in memory that keeps every version written, like Secrets Manager. What goes in is
 * copied and frozen, so a caller can change neither the stored material nor what a read returns
 * (the bench reads it 10,000 times a sweep, so reads hand out the frozen copy, not a new one). It counts its writes (so "the vault was not written" holds even when a write
 * would put back the same value) and reads, and logs `store <secretId>` to `calls`, which a test
 * may share with a repository to assert the order of writes.
 */
export class MemoryTokenVault implements TokenVault {
  private readonly versions = new Map<string, TokenMaterial[]>();
  writes = 0;
  reads = 0;

  constructor(readonly calls: string[] = []) {}

  async store(tenantId: string, integration: string, material: TokenMaterial): Promise<string> {
    const secretId = secretIdOf(tenantId, integration);
    this.calls.push(`store ${secretId}`);
    this.writes += 1;
    this.put(secretId, material);
    return secretId;
  }

  /** Adds a version without counting a write: a test's (or the bench's) starting state. */
  put(secretId: string, material: TokenMaterial): void {
    this.versions.set(secretId, [...(this.versions.get(secretId) ?? []), Object.freeze({ ...material })]);
  }

  async read(secretId: string): Promise<TokenMaterial> {
    this.reads += 1;
    const material = this.versions.get(secretId)?.at(-1);
    if (!material) throw new Error(`no secret ${secretId}`);
    return material;
  }

  async destroy(secretId: string): Promise<void> {
    this.writes += 1;
    this.versions.delete(secretId);
  }

  async destroyFor(tenantId: string, integration: string): Promise<void> {
    await this.destroy(secretIdOf(tenantId, integration));
  }

  /** The current material of every secret that exists. */
  get secrets(): ReadonlyMap<string, TokenMaterial> {
    const current = new Map<string, TokenMaterial>();
    for (const [secretId, versions] of this.versions) {
      const latest = versions.at(-1);
      if (latest) current.set(secretId, latest);
    }
    return current;
  }

  /** Every token ever stored, in any version: none may appear in an event, an alert or a log. */
  allTokens(): string[] {
    return [...this.versions.values()]
      .flat()
      .flatMap((material) => [material.accessToken, material.refreshToken]);
  }
}
