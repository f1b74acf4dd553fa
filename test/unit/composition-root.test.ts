import { describe, expect, it } from 'vitest';
import { ConfigError, parseEnvironment } from '#commons/config.js';
import { composeOnAws, FIRST_CHECK_DELAY_SECONDS } from '#commons/composition-root.js';
import { composeDispatcher } from '#commons/dispatcher-composition.js';
import { reauthorizeLinkIssuer } from '#commons/link-issuers.js';
import { silentLog } from '#domain/ports.js';
import { dispatcherEnvironmentSchema, keeperEnvironmentSchema } from '#commons/environment.js';
import { readOnboardingLinkToken } from '#domain/onboarding-link.js';
import { ManualClock } from '#test-support/fakes/index.js';

const validatorEnv = {
  TABLE_NAME: 'keeper',
  KMS_KEY_ID: 'alias/keeper',
  CLIENT_SECRETS_SECRET_ID: 'keeper/client-secrets',
  LINK_SIGNING_SECRET_ID: 'keeper/link-key',
  EVENT_BUS_NAME: 'keeper-bus',
  ALERT_TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:keeper-alerts',
  WEBEX_API_BASE_URL: 'https://webexapis.com/',
  PUBLIC_BASE_URL: 'https://auth.example.com',
};

describe('composition on AWS', () => {
  it('parses the worker environment with its defaults', () => {
    expect(parseEnvironment(keeperEnvironmentSchema, validatorEnv)).toMatchObject({
      WEBEX_API_BASE_URL: 'https://webexapis.com',
      PASSWORD_MAX_AGE_DAYS: 1825,
      LINK_TTL_DAYS: 14,
      CHECK_INTERVAL_SECONDS: 900,
    });
  });

  it('names every missing resource variable, with no silent default', () => {
    const attempt = () =>
      parseEnvironment(keeperEnvironmentSchema, {
        ...validatorEnv,
        TABLE_NAME: undefined,
        ALERT_TOPIC_ARN: undefined,
      });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/TABLE_NAME is not set.*ALERT_TOPIC_ARN is not set/);
  });

  it('builds the worker’s ports from the environment, with the deployment’s settings', () => {
    const env = parseEnvironment(keeperEnvironmentSchema, {
      ...validatorEnv,
      PASSWORD_MAX_AGE_DAYS: '90',
      CHECK_INTERVAL_SECONDS: '600',
      CATALOG_JSON: undefined,
    });
    const { validator } = composeOnAws(env, { log: silentLog });
    expect(validator.config).toMatchObject({ passwordMaxAgeDays: 90, checkIntervalSeconds: 600 });
    expect(validator.catalog.keys).toContain('users-sync');
  });

  it('gives the public API, the validator and the admin API the same ports', () => {
    const { ports, publicApi, validator, adminApi } = composeOnAws(
      parseEnvironment(keeperEnvironmentSchema, { ...validatorEnv, LINK_TTL_DAYS: '7' }),
      { log: silentLog },
    );
    for (const deps of [publicApi, validator, adminApi]) {
      expect(deps.authorizations).toBe(ports.authorizations);
      expect(deps.vault).toBe(ports.vault);
      expect(deps.webex).toBe(ports.webex);
      expect(deps.events).toBe(ports.events);
    }
    expect(publicApi.settings).toEqual({
      publicBaseUrl: 'https://auth.example.com',
      webexApiBaseUrl: 'https://webexapis.com',
      passwordMaxAgeDays: 1825,
      linkTtlDays: 7,
      firstCheckDelaySeconds: FIRST_CHECK_DELAY_SECONDS,
    });
    expect(adminApi).toMatchObject({ defaultLinkTtlDays: 7 });
  });

  it('parses and builds the dispatcher from TABLE_NAME and VALIDATION_QUEUE_URL', () => {
    const env = parseEnvironment(dispatcherEnvironmentSchema, {
      TABLE_NAME: 'keeper',
      VALIDATION_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/keeper-validation',
    });
    expect(composeDispatcher(env).shards).toBe(16);
    expect(() => parseEnvironment(dispatcherEnvironmentSchema, { TABLE_NAME: 'keeper' })).toThrow(
      /VALIDATION_QUEUE_URL is not set/,
    );
  });
});

describe('reauthorizeLinkIssuer', () => {
  it('issues a fresh, signed onboarding link of the tenant’s current link version', async () => {
    const key = Buffer.alloc(32, 7);
    const clock = new ManualClock();
    const issue = reauthorizeLinkIssuer({
      linkKeys: { get: async () => key },
      clock,
      ttlDays: 14,
      publicBaseUrl: 'https://auth.example.com',
    });
    const url = await issue({
      tenantId: 'acme',
      name: 'Acme',
      contacts: [],
      sso: false,
      linkVersion: 3,
      status: 'active',
      createdAt: clock.now().toISOString(),
      updatedAt: clock.now().toISOString(),
    });
    expect(url.startsWith('https://auth.example.com/connect/')).toBe(true);
    const payload = readOnboardingLinkToken(
      url.slice('https://auth.example.com/connect/'.length),
      key,
      clock.now(),
    );
    expect(payload).toMatchObject({ tenantId: 'acme', linkVersion: 3 });
  });
});
