import * as z from 'zod';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * Parses environment variables once with a zod object schema. The error is one line naming
 * every missing or bad variable, so a misconfigured function or local run says what to fix.
 */
export function parseEnvironment<Schema extends z.ZodObject>(
  schema: Schema,
  env: Record<string, string | undefined> = process.env,
): z.infer<Schema> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const name = issue.path.join('.');
    return env[name] === undefined ? `${name} is not set` : `${name} is invalid (${issue.message})`;
  });
  throw new ConfigError(`Configuration error: ${problems.join('; ')}`);
}

/** An http(s) URL without a trailing slash. */
export const baseUrl = z.url({ protocol: /^https?$/ }).transform((value) => value.replace(/\/+$/, ''));

/** A positive integer given as an environment string. */
export const positiveInt = z.coerce.number().int().positive();
