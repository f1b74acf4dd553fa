import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigError } from '#commons/config.js';
import { composeOnAws } from '#commons/composition-root.js';
import { silentLog } from '#domain/ports.js';
import { loadKeeperEnvironment } from '#commons/environment.js';

const ENV = {
  TABLE_NAME: 'keeper',
  KMS_KEY_ID: 'arn:aws:kms:eu-west-1:123456789012:key/abc',
  CLIENT_SECRETS_SECRET_ID: 'webex-auth-keeper/client-secrets',
  LINK_SIGNING_SECRET_ID: 'webex-auth-keeper/link-key',
  EVENT_BUS_NAME: 'keeper-events',
  ALERT_TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:alerts',
  WEBEX_API_BASE_URL: 'https://webexapis.com',
  PUBLIC_BASE_URL: 'https://auth.example.com/',
};

describe('admin API entry point', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  it('fails at start with one line naming every missing variable', () => {
    expect(() => loadKeeperEnvironment({ TABLE_NAME: 'keeper' })).toThrow(ConfigError);
    expect(() => loadKeeperEnvironment({ TABLE_NAME: 'keeper' })).toThrow(
      /ALERT_TOPIC_ARN is not set.*PUBLIC_BASE_URL is not set|PUBLIC_BASE_URL is not set.*ALERT_TOPIC_ARN is not set/,
    );
  });

  it('builds every port from the environment, with the documented defaults', () => {
    const env = loadKeeperEnvironment(ENV);
    expect(env).toMatchObject({
      PASSWORD_MAX_AGE_DAYS: 1825,
      LINK_TTL_DAYS: 14,
      PUBLIC_BASE_URL: 'https://auth.example.com',
    });
    const deps = composeOnAws(env, { log: silentLog }).adminApi;
    expect(deps).toMatchObject({ passwordMaxAgeDays: 1825, defaultLinkTtlDays: 14 });
    expect(deps.catalog.keys).toEqual(['users-sync', 'presence', 'call-control', 'cdr', 'sso']);
  });

  it('exports the Lambda handler and the factory the local run uses', async () => {
    for (const [name, value] of Object.entries(ENV)) vi.stubEnv(name, value);
    const entry = await import('#functions/admin-api.handler.js');
    expect(typeof entry.handler).toBe('function');
    expect(typeof entry.createAdminApiHandler).toBe('function');
  });
});
