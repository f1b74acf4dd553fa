import {
  CreateSecretCommand,
  DeleteSecretCommand,
  GetSecretValueCommand,
  InvalidRequestException,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  RestoreSecretCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import * as z from 'zod';
import { secretsManagerClient } from '#commons/aws-clients.js';
import { tokenMaterialSchema, type TokenMaterial } from '#domain/model.js';
import type { ClientSecretSource, LinkSigningKeySource, TokenVault } from '#domain/ports.js';

/** Days a destroyed token secret stays recoverable before Secrets Manager deletes it. */
export const TOKEN_SECRET_RECOVERY_WINDOW_DAYS = 7;

/**
 * Seconds the configuration secrets (client secrets, link key) are kept in memory. A warm
 * function reads them at most once per five minutes instead of on every check, and a rotated
 * secret still reaches every warm function within those five minutes.
 */
export const CONFIGURATION_SECRET_MAX_AGE_SECONDS = 5 * 60;

/** A token secret is missing or unreadable; the message names the secret, never its content. */
export class TokenVaultError extends Error {
  override readonly name = 'TokenVaultError';
}

/** A configuration secret is missing, not JSON, or lacks a value. */
export class ConfigurationSecretError extends Error {
  override readonly name = 'ConfigurationSecretError';
}

/** The name of an authorization's token secret: `${prefix}${tenantId}/${integration}`. */
export function tokenSecretName(prefix: string, tenantId: string, integration: string): string {
  return `${prefix}${tenantId}/${integration}`;
}

/**
 * Token material in Secrets Manager, one secret per authorization, encrypted with the stack's CMK
 * and tagged with tenant and integration. A re-authorization writes a new version of the same
 * secret, so readers always find the latest under one name.
 */
export class SecretsManagerTokenVault implements TokenVault {
  private readonly client: SecretsManagerClient;
  private readonly secretPrefix: string;
  private readonly kmsKeyId: string;

  constructor(options: { secretPrefix: string; kmsKeyId: string; client?: SecretsManagerClient }) {
    this.client = options.client ?? secretsManagerClient();
    this.secretPrefix = options.secretPrefix;
    this.kmsKeyId = options.kmsKeyId;
  }

  async store(tenantId: string, integration: string, material: TokenMaterial): Promise<string> {
    const name = tokenSecretName(this.secretPrefix, tenantId, integration);
    const secretString = JSON.stringify(tokenMaterialSchema.parse(material));
    try {
      await this.client.send(
        new CreateSecretCommand({
          Name: name,
          KmsKeyId: this.kmsKeyId,
          SecretString: secretString,
          Description: `Webex tokens of integration ${integration} for tenant ${tenantId}`,
          Tags: [
            { Key: 'tenantId', Value: tenantId },
            { Key: 'integration', Value: integration },
          ],
        }),
      );
      return name;
    } catch (error) {
      // Exists: a re-authorization. InvalidRequest: it exists but is scheduled for deletion.
      if (!(error instanceof ResourceExistsException) && !(error instanceof InvalidRequestException))
        throw error;
    }
    try {
      await this.putValue(name, secretString);
    } catch (error) {
      if (!(error instanceof InvalidRequestException)) throw error;
      // A tenant offboarded less than the recovery window ago authorizes again: bring it back.
      await this.client.send(new RestoreSecretCommand({ SecretId: name }));
      await this.putValue(name, secretString);
    }
    return name;
  }

  async read(secretId: string): Promise<TokenMaterial> {
    let secretString: string | undefined;
    try {
      ({ SecretString: secretString } = await this.client.send(
        new GetSecretValueCommand({ SecretId: secretId }),
      ));
    } catch (error) {
      if (error instanceof ResourceNotFoundException || error instanceof InvalidRequestException) {
        throw new TokenVaultError(`Token secret ${secretId} does not exist or is scheduled for deletion`);
      }
      throw error;
    }
    const material = tokenMaterialSchema.safeParse(parseJsonQuietly(secretString));
    // The parse error would quote the content; say only which secret is bad.
    if (!material.success) throw new TokenVaultError(`Token secret ${secretId} does not hold token material`);
    return material.data;
  }

  async destroy(secretId: string): Promise<void> {
    try {
      await this.client.send(
        new DeleteSecretCommand({
          SecretId: secretId,
          RecoveryWindowInDays: TOKEN_SECRET_RECOVERY_WINDOW_DAYS,
        }),
      );
    } catch (error) {
      // Already gone: destroying twice is not an error (offboarding may be retried).
      if (error instanceof ResourceNotFoundException) return;
      // A secret already scheduled for deletion is refused with InvalidRequestException ("You
      // can't perform this operation on the secret because it was marked for deletion."). The
      // same exception has other causes, so the read decides, not the message text: unreadable
      // means destroyed, which is all `destroy` promises.
      if (error instanceof InvalidRequestException && !(await this.isReadable(secretId))) return;
      throw error;
    }
  }

  async destroyFor(tenantId: string, integration: string): Promise<void> {
    await this.destroy(tokenSecretName(this.secretPrefix, tenantId, integration));
  }

  /** False when the secret is missing or scheduled for deletion. */
  private async isReadable(secretId: string): Promise<boolean> {
    try {
      await this.client.send(new GetSecretValueCommand({ SecretId: secretId }));
      return true;
    } catch (error) {
      if (error instanceof ResourceNotFoundException || error instanceof InvalidRequestException)
        return false;
      throw error;
    }
  }

  private async putValue(name: string, secretString: string): Promise<void> {
    await this.client.send(new PutSecretValueCommand({ SecretId: name, SecretString: secretString }));
  }
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
