import {
  CreateSecretCommand,
  DeleteSecretCommand,
  GetSecretValueCommand,
  InvalidRequestException,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  RestoreSecretCommand,
  SecretsManagerClient,
  EncryptionFailure,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  ConfigurationSecretError,
  SecretsManagerClientSecretSource,
  SecretsManagerLinkKeySource,
  SecretsManagerTokenVault,
  CONFIGURATION_SECRET_MAX_AGE_SECONDS,
  TokenVaultError,
} from '#adapters/secrets-manager-vault.js';
import type { TokenMaterial } from '#domain/model.js';

const secretsManager = mockClient(SecretsManagerClient);
const client = new SecretsManagerClient({ region: 'us-east-1' });

const material: TokenMaterial = {
  accessToken: 'AT-secret',
  refreshToken: 'RT-secret',
  accessTokenExpiresAt: '2026-03-15T10:00:00.000Z',
  refreshTokenExpiresAt: '2026-05-30T10:00:00.000Z',
  scope: 'spark:people_read',
};
const name = 'webex-auth-keeper/tokens/acme/presence';
const kmsKeyId = 'arn:aws:kms:us-east-1:123456789012:key/abc';

function vault() {
  return new SecretsManagerTokenVault({ client, secretPrefix: 'webex-auth-keeper/tokens/', kmsKeyId });
}

function exists() {
  return new ResourceExistsException({ message: 'exists', $metadata: {} });
}

function markedForDeletion() {
  return new InvalidRequestException({ message: 'marked for deletion', $metadata: {} });
}

beforeEach(() => {
  secretsManager.reset();
});

describe('SecretsManagerTokenVault', () => {
  it('creates the secret with the CMK and tenant/integration tags on the first authorization', async () => {
    secretsManager.on(CreateSecretCommand).resolves({ Name: name });

    expect(await vault().store('acme', 'presence', material)).toBe(name);

    const calls = secretsManager.commandCalls(CreateSecretCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input).toEqual({
      Name: name,
      KmsKeyId: kmsKeyId,
      SecretString: JSON.stringify(material),
      Description: 'Webex tokens of integration presence for tenant acme',
      Tags: [
        { Key: 'tenantId', Value: 'acme' },
        { Key: 'integration', Value: 'presence' },
      ],
    });
    expect(secretsManager.commandCalls(PutSecretValueCommand)).toHaveLength(0);
  });

  it('puts a new version when the secret exists (a re-authorization)', async () => {
    secretsManager.on(CreateSecretCommand).rejects(exists());
    secretsManager.on(PutSecretValueCommand).resolves({});

    expect(await vault().store('acme', 'presence', material)).toBe(name);

    expect(secretsManager.commandCalls(PutSecretValueCommand).map((call) => call.args[0].input)).toEqual([
      { SecretId: name, SecretString: JSON.stringify(material) },
    ]);
  });

  it('restores a secret scheduled for deletion, then puts the new version', async () => {
    secretsManager.on(CreateSecretCommand).rejects(markedForDeletion());
    secretsManager.on(PutSecretValueCommand).rejectsOnce(markedForDeletion()).resolves({});
    secretsManager.on(RestoreSecretCommand).resolves({});

    expect(await vault().store('acme', 'presence', material)).toBe(name);

    // Create refused, Put refused (scheduled for deletion), Restore, then Put again: in this order.
    expect(
      secretsManager.calls().map((call) => {
        const command = call.args[0];
        return [command.constructor.name, command.input];
      }),
    ).toEqual([
      [
        'CreateSecretCommand',
        expect.objectContaining({ Name: name, KmsKeyId: kmsKeyId, SecretString: JSON.stringify(material) }),
      ],
      ['PutSecretValueCommand', { SecretId: name, SecretString: JSON.stringify(material) }],
      ['RestoreSecretCommand', { SecretId: name }],
      ['PutSecretValueCommand', { SecretId: name, SecretString: JSON.stringify(material) }],
    ]);
  });

  it('lets any other CreateSecret failure through without putting a value', async () => {
    // Say the KMS key was disabled: the write must fail, not fall back to a put.
    const refused = new EncryptionFailure({ message: 'KMS key disabled', $metadata: {} });
    secretsManager.on(CreateSecretCommand).rejects(refused);
    secretsManager.on(PutSecretValueCommand).resolves({});

    await expect(vault().store('acme', 'presence', material)).rejects.toBe(refused);

    expect(secretsManager.commandCalls(CreateSecretCommand)).toHaveLength(1);
    expect(secretsManager.commandCalls(PutSecretValueCommand)).toHaveLength(0);
    expect(secretsManager.commandCalls(RestoreSecretCommand)).toHaveLength(0);
  });

  it('lets a PutSecretValue failure other than "scheduled for deletion" through without restoring', async () => {
    secretsManager.on(CreateSecretCommand).rejects(exists());
    const notFound = new ResourceNotFoundException({ message: 'gone meanwhile', $metadata: {} });
    secretsManager.on(PutSecretValueCommand).rejects(notFound);

    await expect(vault().store('acme', 'presence', material)).rejects.toBe(notFound);

    expect(secretsManager.commandCalls(PutSecretValueCommand)).toHaveLength(1);
    expect(secretsManager.commandCalls(RestoreSecretCommand)).toHaveLength(0);
  });

  it('reads and validates the material', async () => {
    secretsManager
      .on(GetSecretValueCommand, { SecretId: name })
      .resolves({ SecretString: JSON.stringify(material) });
    expect(await vault().read(name)).toEqual(material);
  });

  it('refuses unreadable material without quoting it', async () => {
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: '{"accessToken":"AT-secret"}' });
    const error = await vault()
      .read(name)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TokenVaultError);
    expect(String(error)).not.toContain('AT-secret');

    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: 'AT-secret not json' });
    const notJson = await vault()
      .read(name)
      .catch((caught: unknown) => caught);
    expect(String(notJson)).not.toContain('AT-secret');
  });

  it('says a missing secret is missing', async () => {
    secretsManager
      .on(GetSecretValueCommand)
      .rejects(new ResourceNotFoundException({ message: 'no', $metadata: {} }));
    await expect(vault().read(name)).rejects.toThrow(TokenVaultError);
  });

  it('destroys with a 7-day recovery window, and a second destroy is not an error', async () => {
    // What AWS answers DeleteSecret on a secret already scheduled for deletion.
    secretsManager
      .on(DeleteSecretCommand)
      .resolvesOnce({})
      .rejects(
        new InvalidRequestException({
          message: "You can't perform this operation on the secret because it was marked for deletion.",
          $metadata: {},
        }),
      );
    secretsManager.on(GetSecretValueCommand, { SecretId: name }).rejects(
      new InvalidRequestException({
        message: "You can't perform this operation on the secret because it was marked for deletion.",
        $metadata: {},
      }),
    );

    await vault().destroy(name);
    await vault().destroy(name);

    expect(secretsManager.commandCalls(DeleteSecretCommand).map((call) => call.args[0].input)).toEqual([
      { SecretId: name, RecoveryWindowInDays: 7 },
      { SecretId: name, RecoveryWindowInDays: 7 },
    ]);
  });

  it('treats a secret that no longer exists as destroyed', async () => {
    secretsManager
      .on(DeleteSecretCommand)
      .rejects(new ResourceNotFoundException({ message: 'gone', $metadata: {} }));
    await expect(vault().destroy(name)).resolves.toBeUndefined();
  });

  it('fails when Secrets Manager refuses the deletion of a secret that is still readable', async () => {
    secretsManager
      .on(DeleteSecretCommand)
      .rejects(new InvalidRequestException({ message: 'managed by another service', $metadata: {} }));
    secretsManager
      .on(GetSecretValueCommand, { SecretId: name })
      .resolves({ SecretString: JSON.stringify(material) });
    await expect(vault().destroy(name)).rejects.toBeInstanceOf(InvalidRequestException);
  });

  it("destroys an authorization's secret by its fixed name, with no record pointing at it", async () => {
    secretsManager.on(DeleteSecretCommand).resolves({});
    await vault().destroyFor('acme', 'presence');
    expect(secretsManager.commandCalls(DeleteSecretCommand).map((call) => call.args[0].input)).toEqual([
      { SecretId: name, RecoveryWindowInDays: 7 },
    ]);
  });
});

/** Moves the wall clock, which the Parameters cache reads, by `seconds`. */
function advanceWallClock(seconds: number): void {
  vi.setSystemTime(Date.now() + seconds * 1000);
}

describe('SecretsManagerClientSecretSource', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('reads the JSON secret once and serves it from memory until its max age, then reads it again', async () => {
    expect(CONFIGURATION_SECRET_MAX_AGE_SECONDS).toBe(5 * 60);
    secretsManager
      .on(GetSecretValueCommand, { SecretId: 'client-secrets' })
      .resolvesOnce({ SecretString: JSON.stringify({ presence: 'p-secret', cdr: 'c-secret' }) })
      .resolves({ SecretString: JSON.stringify({ presence: 'p-rotated', cdr: 'c-secret' }) });
    const source = new SecretsManagerClientSecretSource({ client, secretId: 'client-secrets' });

    expect(await source.get('presence')).toBe('p-secret');
    expect(await source.get('cdr')).toBe('c-secret');
    advanceWallClock(CONFIGURATION_SECRET_MAX_AGE_SECONDS - 1);
    expect(await source.get('presence')).toBe('p-secret');
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(1);

    advanceWallClock(2);
    expect(await source.get('presence')).toBe('p-rotated');
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('keeps the secret for the max age it is given', async () => {
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ presence: 'p' }) });
    const source = new SecretsManagerClientSecretSource({
      client,
      secretId: 'client-secrets',
      maxAgeSeconds: 10,
    });
    await source.get('presence');
    advanceWallClock(11);
    await source.get('presence');
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('reads the secret again, once, when its copy was read before a reload was asked for', async () => {
    secretsManager
      .on(GetSecretValueCommand, { SecretId: 'client-secrets' })
      .resolvesOnce({ SecretString: JSON.stringify({ presence: 'p-old' }) })
      .resolves({ SecretString: JSON.stringify({ presence: 'p-new' }) });
    const source = new SecretsManagerClientSecretSource({ client, secretId: 'client-secrets' });
    expect(await source.get('presence')).toBe('p-old');
    const readBefore = new Date(Date.now() - 1000);
    expect(await source.get('presence', { notCachedBefore: readBefore })).toBe('p-old');
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(1);

    advanceWallClock(10);
    const reload = new Date();
    advanceWallClock(1);
    expect(await source.get('presence', { notCachedBefore: reload })).toBe('p-new');
    expect(await source.get('presence', { notCachedBefore: reload })).toBe('p-new');
    expect(await source.get('presence')).toBe('p-new');
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('names the missing integration, never a value', async () => {
    secretsManager
      .on(GetSecretValueCommand)
      .resolves({ SecretString: JSON.stringify({ presence: 'p-secret' }) });
    const source = new SecretsManagerClientSecretSource({ client, secretId: 'client-secrets' });
    const error = await source.get('cdr').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigurationSecretError);
    expect(String(error)).toContain('"cdr"');
    expect(String(error)).not.toContain('p-secret');
  });
});

describe('SecretsManagerLinkKeySource', () => {
  it('uses the generated secret string as the HMAC key and caches it until its max age', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const generated = 'a'.repeat(64);
      secretsManager
        .on(GetSecretValueCommand, { SecretId: 'link-key' })
        .resolves({ SecretString: generated });
      const source = new SecretsManagerLinkKeySource({ client, secretId: 'link-key' });
      expect(await source.get()).toEqual(Buffer.from(generated));
      await source.get();
      expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(1);
      advanceWallClock(CONFIGURATION_SECRET_MAX_AGE_SECONDS + 1);
      await source.get();
      expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it('refuses a secret with no string value, naming the secret only', async () => {
    secretsManager.on(GetSecretValueCommand).resolves({});
    await expect(new SecretsManagerLinkKeySource({ client, secretId: 'link-key' }).get()).rejects.toThrow(
      /Secret link-key has no string value/,
    );
  });

  it('refuses a key too short to sign with', async () => {
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: 'short' });
    await expect(new SecretsManagerLinkKeySource({ client, secretId: 'link-key' }).get()).rejects.toThrow(
      ConfigurationSecretError,
    );
  });
});
