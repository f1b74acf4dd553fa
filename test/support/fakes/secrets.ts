import { randomBytes } from 'node:crypto';
import type { Catalog } from '#domain/catalog.js';
import type { ClientSecretSource, LinkSigningKeySource } from '#domain/ports.js';

/** A fixed link key (32 random bytes per call unless given), readable by the test. */
export function fixedLinkKeys(key: Buffer = randomBytes(32)): LinkSigningKeySource & { key: Buffer } {
  return { key, get: async () => key };
}

/** Client secrets from a plain record or a function of the integration key; an unknown key fails. */
export function clientSecretsFrom(
  secrets: Record<string, string> | ((integration: string) => string),
): ClientSecretSource {
  return {
    get: async (integration) => {
      const secret = typeof secrets === 'function' ? secrets(integration) : secrets[integration];
      if (!secret) throw new Error(`no client secret for ${integration}`);
      return secret;
    },
  };
}

/** One random client secret per catalog integration, known to the test and the simulator. */
export function testClientSecrets(catalog: Catalog, prefix = 'secret'): Record<string, string> {
  return Object.fromEntries(
    catalog.keys.map((key) => [key, `${prefix}-${key}-${randomBytes(8).toString('hex')}`]),
  );
}
