import * as z from 'zod';

/**
 * A yes/no query value of the admin API: exactly `true` or `false` (no `1`, `yes` or empty value,
 * so a typo is refused rather than read as "no"); absent means false.
 */
export function queryFlag() {
  return z
    .enum(['true', 'false'], 'must be true or false')
    .transform((value) => value === 'true')
    .default(false);
}

/** The token route's query: `acceptDegraded=true` hands out a `degraded` record's valid token. */
export const accessTokenQuerySchema = z.strictObject({ acceptDegraded: queryFlag() });
