import type * as z from 'zod';
import { InvalidRequestError } from '#http/request-errors.js';

/** Longest query string accepted at all; the longest legitimate one (an OAuth callback) is far shorter. */
export const MAX_QUERY_STRING_LENGTH = 4096;

/**
 * Parses a raw query string with a zod schema. API Gateway joins a repeated parameter's values
 * with commas in `queryStringParameters`, so the raw string is read instead and a repeated name
 * is refused: it is how parameter pollution slips a second `state` or `code` past a check.
 * Errors name the bad parameters, never their values.
 */
export function parseQueryString<Schema extends z.ZodType>(
  rawQueryString: string,
  schema: Schema,
): z.infer<Schema> {
  if (rawQueryString.length > MAX_QUERY_STRING_LENGTH) throw new InvalidRequestError('Query string too long');
  const params = new URLSearchParams(rawQueryString);
  const values = new Map<string, string>();
  for (const [name, value] of params) {
    if (values.has(name)) throw new InvalidRequestError(`Parameter "${name.slice(0, 40)}" is repeated`);
    values.set(name, value);
  }
  const result = schema.safeParse(Object.fromEntries(values));
  if (!result.success) {
    const names = [...new Set(result.error.issues.map((issue) => issue.path.join('.') || '(query)'))];
    throw new InvalidRequestError(`Invalid parameters: ${names.join(', ')}`);
  }
  return result.data;
}
