/**
 * `npx tsx bench/vault-cpu.ts`: CPU per seal and per open of the token vault's envelope
 * (functions/adapters/envelope-token-vault.ts) with the local key standing in for KMS, and the data
 * key requests each makes (KMS requests when deployed). The figures in docs/architecture.md
 * ("Token storage") come from here and from the AWS Encryption SDK run described there.
 * `N=<count>` sets the rounds (2000 by default).
 */
import { randomBytes } from 'node:crypto';
import {
  EnvelopeTokenVault,
  LocalKeyDataKeys,
  type DataKeyProvider,
  type EncryptionContext,
} from '#adapters/envelope-token-vault.js';
import type { SealedTokens, TokenMaterial } from '#domain/model.js';

const rounds = Number(process.env.N ?? 2000);
const material: TokenMaterial = {
  accessToken: 'A'.repeat(150),
  refreshToken: 'R'.repeat(150),
  accessTokenExpiresAt: '2026-12-09T10:00:00.000Z',
  refreshTokenExpiresAt: '2027-02-23T10:00:00.000Z',
  scope: 'spark:people_read spark-admin:people_read spark:calls_read',
};
const context = { tenantId: 'tenant-00042', integration: 'presence' };

/** Counts the data key requests, which KMS bills one by one when deployed. */
class CountingDataKeys implements DataKeyProvider {
  requests = 0;
  constructor(private readonly inner: DataKeyProvider) {}
  generate(encryptionContext: EncryptionContext) {
    this.requests += 1;
    return this.inner.generate(encryptionContext);
  }
  unwrap(wrapped: Buffer, encryptionContext: EncryptionContext) {
    this.requests += 1;
    return this.inner.unwrap(wrapped, encryptionContext);
  }
}

/** Microseconds of CPU (user + system) per call of `work`, after a warm-up. */
async function cpuPerCall(work: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 50; i += 1) await work();
  const start = process.cpuUsage();
  for (let i = 0; i < rounds; i += 1) await work();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / rounds;
}

const keys = new CountingDataKeys(new LocalKeyDataKeys(randomBytes(32)));
const vault = new EnvelopeTokenVault(keys, 'keeper-table');
let sealed: SealedTokens = await vault.seal(context, material);
const sealUs = await cpuPerCall(async () => (sealed = await vault.seal(context, material)));
const openUs = await cpuPerCall(() => vault.open(context, sealed));
const requestsPerCall = keys.requests / (2 * (rounds + 50) + 1);
process.stdout.write(
  `envelope (AES-256-GCM, local key for KMS): seal ${sealUs.toFixed(0)} µs CPU, open ${openUs.toFixed(0)} µs CPU, ` +
    `${JSON.stringify(sealed).length} bytes on the item, ${requestsPerCall.toFixed(2)} data key request per seal or open\n`,
);
