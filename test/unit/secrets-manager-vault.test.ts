import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  ConfigurationSecretError,
  SecretsManagerClientSecretSource,
  SecretsManagerLinkKeySource,
  CONFIGURATION_SECRET_MAX_AGE_SECONDS,
} from '#adapters/secrets-manager-vault.js';

const secretsManager = mockClient(SecretsManagerClient);
afterAll(() => secretsManager.restore());
const client = new SecretsManagerClient({ region: 'us-east-1' });

beforeEach(() => {
  secretsManager.reset();
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
