import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { baseUrl, ConfigError, parseEnvironment, positiveInt } from '#commons/config.js';

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
