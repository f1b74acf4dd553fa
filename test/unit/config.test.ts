import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { baseUrl, ConfigError, parseEnvironment, positiveInt } from '#commons/config.js';
import { alertPolicyFrom, loadNotifierEnvironment } from '#commons/environment.js';
import { DEFAULT_ALERT_POLICY } from '#domain/alert-policy.js';

const schema = z.object({
  TABLE_NAME: z.string().min(1),
  WEBEX_API_BASE_URL: baseUrl,
  LINK_TTL_DAYS: positiveInt,
});

describe('parseEnvironment', () => {
  it('parses and normalizes valid values', () => {
    const config = parseEnvironment(schema, {
      TABLE_NAME: 't',
      WEBEX_API_BASE_URL: 'http://127.0.0.1:8788/',
      LINK_TTL_DAYS: '14',
    });
    expect(config).toEqual({
      TABLE_NAME: 't',
      WEBEX_API_BASE_URL: 'http://127.0.0.1:8788',
      LINK_TTL_DAYS: 14,
    });
  });

  it('names every missing and every bad variable in one line', () => {
    const attempt = () => parseEnvironment(schema, { WEBEX_API_BASE_URL: 'ftp://x', LINK_TTL_DAYS: '-1' });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/TABLE_NAME is not set/);
    expect(attempt).toThrow(/WEBEX_API_BASE_URL is invalid/);
    expect(attempt).toThrow(/LINK_TTL_DAYS is invalid/);
    try {
      attempt();
    } catch (error) {
      expect((error as Error).message).not.toContain('\n');
    }
  });
});

const NOTIFIER_ENV = {
  TABLE_NAME: 'keeper',
  LINK_SIGNING_SECRET_ID: 'keeper/link-key',
  CLIENT_SECRETS_SECRET_ID: 'keeper/client-secrets',
  PUBLIC_BASE_URL: 'https://auth.example.com',
  MAIL_FROM_ADDRESS: 'alerts@mail.example.com',
  MAIL_CONFIGURATION_SET: 'keeper-mail',
  OPS_EMAIL: 'ops@vendor.example',
};

describe("the notifier's alert policy from its environment", () => {
  it('keeps the defaults of docs/alerts.md when unset', () => {
    expect(alertPolicyFrom(loadNotifierEnvironment(NOTIFIER_ENV))).toEqual(DEFAULT_ALERT_POLICY);
  });

  it('takes each tunable in seconds, as the stack passes them', () => {
    const env = loadNotifierEnvironment({
      ...NOTIFIER_ENV,
      ALERT_INCIDENT_WINDOW_SECONDS: '600',
      ALERT_FLAP_WINDOW_SECONDS: '2700',
      ALERT_FLAPS_PER_DAY_FLAGGED: '5',
      ALERT_DIGEST_PERIOD_SECONDS: '14400',
    });
    expect(alertPolicyFrom(env)).toEqual({
      incidentWindowSeconds: 600,
      flapWindowSeconds: 2700,
      flapsPerDayFlagged: 5,
      digestPeriodSeconds: 14_400,
    });
  });

  it('refuses a tunable out of bounds, naming it', () => {
    expect(() => loadNotifierEnvironment({ ...NOTIFIER_ENV, ALERT_DIGEST_PERIOD_SECONDS: '0' })).toThrow(
      /ALERT_DIGEST_PERIOD_SECONDS is invalid/,
    );
    expect(() => loadNotifierEnvironment({ ...NOTIFIER_ENV, ALERT_FLAPS_PER_DAY_FLAGGED: 'many' })).toThrow(
      /ALERT_FLAPS_PER_DAY_FLAGGED is invalid/,
    );
  });

  it('refuses a notifier without the client secrets it names in a credential incident', () => {
    const { CLIENT_SECRETS_SECRET_ID: _unset, ...withoutSecrets } = NOTIFIER_ENV;
    expect(() => loadNotifierEnvironment(withoutSecrets)).toThrow(/CLIENT_SECRETS_SECRET_ID is not set/);
  });
});
