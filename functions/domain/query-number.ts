import * as z from 'zod';

/**
 * A whole-number query value of the admin API (`limit`), coerced from its text, with one message
 * for every way it can be wrong: `abc` is NaN and a blank value is 0 once coerced, and zod's own
 * texts for those ("expected number, received NaN", "at least 1") tell the caller nothing about
 * what to send.
 */
export function queryWholeNumber(bounds: { min: number; max: number; fallback: number }) {
  const message = `must be a whole number from ${bounds.min} to ${bounds.max}`;
  return z.coerce
    .number({ error: message })
    .int(message)
    .min(bounds.min, message)
    .max(bounds.max, message)
    .default(bounds.fallback);
}
