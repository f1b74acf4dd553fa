import { describe, expect, it } from 'vitest';
import { ConfigError } from '#commons/config.js';
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
});
