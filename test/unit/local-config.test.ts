import { describe, expect, it } from 'vitest';
import { ConfigError } from '#commons/config.js';
import { alertPolicyFrom } from '#commons/environment.js';
import { DEFAULT_ALERT_POLICY } from '#domain/alert-policy.js';
import { parseLocalEnvironment } from '#local/local-config.js';

describe('local run environment', () => {
  it('reads the check interval apart from the sweep timer, and leaves it unset by default', () => {
    expect(
      parseLocalEnvironment({ SWEEP_INTERVAL_SECONDS: '30', CHECK_INTERVAL_SECONDS: '600' }),
    ).toMatchObject({
      SWEEP_INTERVAL_SECONDS: 30,
      CHECK_INTERVAL_SECONDS: 600,
    });
    expect(parseLocalEnvironment({}).CHECK_INTERVAL_SECONDS).toBeUndefined();
  });

  it('refuses a check interval that is not a positive whole number of seconds', () => {
    expect(() => parseLocalEnvironment({ CHECK_INTERVAL_SECONDS: '0' })).toThrow(/CHECK_INTERVAL_SECONDS/);
    expect(() => parseLocalEnvironment({ CHECK_INTERVAL_SECONDS: 'soon' })).toThrow(ConfigError);
  });

  it("reads the alert policy's tunables in seconds, each defaulting to the deployed default", () => {
    expect(alertPolicyFrom(parseLocalEnvironment({}))).toEqual(DEFAULT_ALERT_POLICY);
    expect(
      alertPolicyFrom(
        parseLocalEnvironment({ ALERT_INCIDENT_WINDOW_SECONDS: '5', ALERT_DIGEST_PERIOD_SECONDS: '60' }),
      ),
    ).toEqual({ ...DEFAULT_ALERT_POLICY, incidentWindowSeconds: 5, digestPeriodSeconds: 60 });
    expect(() => parseLocalEnvironment({ ALERT_FLAP_WINDOW_SECONDS: '-1' })).toThrow(
      /ALERT_FLAP_WINDOW_SECONDS is invalid/,
    );
  });
});
