import { randomBytes } from 'node:crypto';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as z from 'zod';
import type { Catalog } from '#domain/catalog.js';
import type { ClientSecretSource, LinkSigningKeySource, WebhookSecretSource } from '#domain/ports.js';

const clientSecretsSchema = z.record(z.string(), z.string().min(16));

/**
 * The local stand-ins for the operator secrets of the deployed stack: the integrations' client
 * secrets (`client-secrets.json`, shared with the Webex simulator so it accepts them), the
 * onboarding-link signing key (`link-signing.key`) and the `serviceApp` webhook's secret
 * (`webhook.secret`). All are generated on first run, mode 0600.
 */
export class LocalSecrets {
  readonly clientSecretSource: ClientSecretSource;
  readonly linkSigningKeySource: LinkSigningKeySource;
  readonly webhookSecretSource: WebhookSecretSource;

  private constructor(
    /** The client secrets as they were when the local run started (registered with the simulator). */
    readonly clientSecrets: Readonly<Record<string, string>>,
    signingKey: Buffer,
    /** The file ops edit to change a client secret. */
    readonly clientSecretsPath: string,
    writtenAt: number,
    webhookSecret: string,
  ) {
    const current = { secrets: clientSecrets, modifiedAt: writtenAt };
    this.clientSecretSource = {
      // Re-read when the file changed, as deployed functions pick up a new secret once their
      // cache expires: an operator fixes a credential incident without restarting the run.
      get: async (integration) => {
        const modifiedAt = (await stat(clientSecretsPath)).mtimeMs;
        if (modifiedAt !== current.modifiedAt) {
          const parsed = clientSecretsSchema.safeParse(await readJson(clientSecretsPath));
          if (!parsed.success) {
            throw new Error(
              `${clientSecretsPath} is not a JSON object of client secrets (16 characters or more each)`,
            );
          }
          current.secrets = parsed.data;
          current.modifiedAt = modifiedAt;
        }
        const secret = current.secrets[integration];
        if (!secret) throw new Error(`No local client secret for integration "${integration}"`);
        return secret;
      },
    };
    this.linkSigningKeySource = { get: async () => signingKey };
    this.webhookSecretSource = { get: async () => webhookSecret };
  }

  static async open(dir: string, catalog: Catalog): Promise<LocalSecrets> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const secretsPath = join(dir, 'client-secrets.json');
    const existing = clientSecretsSchema.parse(await readJson(secretsPath));
    const clientSecrets = Object.fromEntries(
      catalog.clientSecretKeys.map((key) => [key, existing[key] ?? randomBytes(32).toString('base64url')]),
    );
    await writeFile(secretsPath, JSON.stringify(clientSecrets, null, 2), { mode: 0o600 });

    const keyPath = join(dir, 'link-signing.key');
    let signingKey = Buffer.from(await readFile(keyPath, 'utf8').catch(() => ''), 'base64');
    if (signingKey.length < 32) {
      signingKey = randomBytes(32);
      await writeFile(keyPath, signingKey.toString('base64'), { mode: 0o600 });
    }
    const webhookSecret = await generatedOnce(join(dir, 'webhook.secret'));
    return new LocalSecrets(
      clientSecrets,
      signingKey,
      secretsPath,
      (await stat(secretsPath)).mtimeMs,
      webhookSecret,
    );
  }
}

/** The secret in the file, or a new one written there when it is missing or short. */
async function generatedOnce(path: string): Promise<string> {
  const existing = (await readFile(path, 'utf8').catch(() => '')).trim();
  if (existing.length >= 32) return existing;
  const secret = randomBytes(32).toString('base64url');
  await writeFile(path, secret, { mode: 0o600 });
  return secret;
}

async function readJson(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8'));
  } catch {
    return {};
  }
}
