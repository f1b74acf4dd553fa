import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import * as z from 'zod';
import { secretsManagerClient } from '#commons/aws-clients.js';
import type { ClientSecretSource, LinkSigningKeySource, WebhookSecretSource } from '#domain/ports.js';

/**
 * Seconds the configuration secrets (client secrets, link key) are kept in memory. A warm
 * function reads them at most once per five minutes instead of on every check, and a rotated
 * secret still reaches every warm function within those five minutes.
 */
export const CONFIGURATION_SECRET_MAX_AGE_SECONDS = 5 * 60;

/** A configuration secret is missing, not JSON, or lacks a value. */
export class ConfigurationSecretError extends Error {
  override readonly name = 'ConfigurationSecretError';
}

function parseJsonQuietly(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

interface CachedSecretOptions {
  secretId: string;
  /** The process's traced client when absent. */
  client?: SecretsManagerClient;
  /** @default {@link CONFIGURATION_SECRET_MAX_AGE_SECONDS} */
  maxAgeSeconds?: number;
}

/**
 * One secret's string through Powertools Parameters, kept in memory for `maxAgeSeconds` so a warm
 * function does not re-read it on every call.
 */
class CachedSecretString {
  readonly secretId: string;
  private readonly maxAgeSeconds: number;
  private readonly provider: SecretsProvider;

  constructor(options: CachedSecretOptions) {
    this.secretId = options.secretId;
    this.maxAgeSeconds = options.maxAgeSeconds ?? CONFIGURATION_SECRET_MAX_AGE_SECONDS;
    this.provider = new SecretsProvider({ awsSdkV3Client: options.client ?? secretsManagerClient() });
  }

  /** When this process last read the secret from Secrets Manager (as far as the cache's age tells). */
  private readAt: number | undefined;

  /** The secret string; read again from Secrets Manager when the copy was read before `notCachedBefore`. */
  async get(notCachedBefore?: Date): Promise<string> {
    const now = Date.now();
    const expired = this.readAt === undefined || now - this.readAt >= this.maxAgeSeconds * 1000;
    const forceFetch =
      notCachedBefore !== undefined && this.readAt !== undefined && this.readAt < notCachedBefore.getTime();
    const value = await this.provider.get(this.secretId, { maxAge: this.maxAgeSeconds, forceFetch });
    if (expired || forceFetch) this.readAt = now;
    if (typeof value !== 'string')
      throw new ConfigurationSecretError(`Secret ${this.secretId} has no string value`);
    return value;
  }
}

/** A configuration secret read through the cache; each subclass checks what its string must be. */
abstract class CachedConfigurationSecret {
  protected readonly secret: CachedSecretString;

  constructor(options: CachedSecretOptions) {
    this.secret = new CachedSecretString(options);
  }
}

const clientSecretsSchema = z.record(z.string(), z.string().min(1));

/** The integrations' client secrets: one JSON secret `{"<integration key>": "<client secret>"}`. */
export class SecretsManagerClientSecretSource
  extends CachedConfigurationSecret
  implements ClientSecretSource
{
  async get(integration: string, options: { notCachedBefore?: Date } = {}): Promise<string> {
    const secrets = clientSecretsSchema.safeParse(
      parseJsonQuietly(await this.secret.get(options.notCachedBefore)),
    );
    if (!secrets.success) {
      throw new ConfigurationSecretError(
        `Secret ${this.secret.secretId} is not a JSON object of client secrets`,
      );
    }
    const clientSecret = secrets.data[integration];
    if (!clientSecret) {
      throw new ConfigurationSecretError(
        `Secret ${this.secret.secretId} has no client secret for integration "${integration}"`,
      );
    }
    return clientSecret;
  }
}

/** Shortest link-signing secret accepted, in characters (the stack generates 64). */
const MIN_LINK_KEY_CHARACTERS = 32;

/** The onboarding-link signing key: a generated secret string, used as the HMAC key's bytes. */
export class SecretsManagerLinkKeySource extends CachedConfigurationSecret implements LinkSigningKeySource {
  async get(): Promise<Buffer> {
    const value = await this.secret.get();
    if (value.length < MIN_LINK_KEY_CHARACTERS) {
      throw new ConfigurationSecretError(`Secret ${this.secret.secretId} is too short to sign links`);
    }
    return Buffer.from(value, 'utf8');
  }
}

/** Shortest webhook secret accepted, in characters (the stack generates 64). */
const MIN_WEBHOOK_SECRET_CHARACTERS = 32;

/** The `serviceApp` webhook's secret: a generated secret string, the HMAC key of Webex's signature. */
export class SecretsManagerWebhookSecretSource
  extends CachedConfigurationSecret
  implements WebhookSecretSource
{
  async get(): Promise<string> {
    const value = await this.secret.get();
    if (value.length < MIN_WEBHOOK_SECRET_CHARACTERS) {
      throw new ConfigurationSecretError(`Secret ${this.secret.secretId} is too short to sign webhooks`);
    }
    return value;
  }
}
