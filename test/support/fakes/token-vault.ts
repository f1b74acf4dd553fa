import { randomBytes } from 'node:crypto';
import { EnvelopeTokenVault, LocalKeyDataKeys } from '#adapters/envelope-token-vault.js';
import type { Authorization, SealedTokens, TokenMaterial } from '#domain/model.js';
import type { TokenContext, TokenVault } from '#domain/ports.js';

/**
 * The deployed envelope code over a key held in memory (no KMS, no file), so tests seal and open
 * exactly as the functions do, context binding included. It counts seals (`writes`, so "no token
 * was written" holds even when a write would put back the same value) and opens (`reads`), logs
 * `seal <tenant>/<integration>` to `calls`, which a test may share with a repository to assert the
 * order of writes, and remembers every token and ciphertext it sealed.
 */
export class MemoryTokenVault implements TokenVault {
  private readonly envelope: EnvelopeTokenVault;
  private readonly sealedMaterial: TokenMaterial[] = [];
  private readonly sealedEnvelopes: SealedTokens[] = [];
  writes = 0;
  reads = 0;

  /**
   * @param key the wrapping key, random by default; a process that must open what another sealed
   *   (the bench's sweep processes) is given the same one.
   */
  constructor(
    readonly calls: string[] = [],
    readonly key: Buffer = randomBytes(32),
    tableName = 'test-table',
  ) {
    this.envelope = new EnvelopeTokenVault(new LocalKeyDataKeys(key), tableName);
  }

  async seal(context: TokenContext, material: TokenMaterial): Promise<SealedTokens> {
    this.calls.push(`seal ${context.tenantId}/${context.integration}`);
    this.writes += 1;
    const sealed = await this.envelope.seal(context, material);
    this.sealedMaterial.push(Object.freeze({ ...material }));
    this.sealedEnvelopes.push(sealed);
    return sealed;
  }

  async open(context: TokenContext, sealed: SealedTokens): Promise<TokenMaterial> {
    this.reads += 1;
    return this.envelope.open(context, sealed);
  }

  /** The tokens `record` holds, opened as the functions open them (not counted as a read). */
  async tokensOf(record: Authorization | undefined): Promise<TokenMaterial> {
    if (!record?.sealedTokens) throw new Error('The record holds no tokens');
    return this.envelope.open(record, record.sealedTokens);
  }

  /** Every token ever sealed: none may appear in an event, an alert or a log. */
  allTokens(): string[] {
    return this.sealedMaterial.flatMap((material) => [material.accessToken, material.refreshToken]);
  }

  /** Every wrapped key and ciphertext ever made: none may appear in a log either. */
  allCiphertexts(): string[] {
    return this.sealedEnvelopes.flatMap((sealed) => [sealed.wrappedKey, sealed.ciphertext]);
  }
}

/** The tokens `record` holds, opened with `vault` (a local run's or a harness's); throws when it holds none. */
export async function openRecordTokens(
  vault: Pick<TokenVault, 'open'>,
  record: Authorization | undefined,
): Promise<TokenMaterial> {
  if (!record?.sealedTokens) throw new Error('The record holds no tokens');
  return vault.open(record, record.sealedTokens);
}
