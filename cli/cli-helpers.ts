import type * as z from 'zod';
import { TransportError, UsageError, type AdminApiClient } from './api-client.js';

/* What every command shares: reading the API's answers, printing tables and times, reading arguments. */

/** The API's answer parsed with the command's schema; an unexpected shape is a transport failure. */
export function parseAnswer<Schema extends z.ZodType>(schema: Schema, document: unknown): z.infer<Schema> {
  const result = schema.safeParse(document);
  if (!result.success)
    throw new TransportError('The API answered in an unexpected shape; is --api the admin API?');
  return result.data;
}

/** Left-aligned columns; an empty value shows as `-`. */
export function table(headers: string[], rows: string[][]): string {
  const cells = rows.map((row) => row.map((cell) => (cell === '' ? '-' : cell)));
  const widths = headers.map((header, index) =>
    Math.max(header.length, ...cells.map((row) => (row[index] ?? '').length)),
  );
  const line = (row: string[]) =>
    row
      .map((cell, index) => cell.padEnd(widths[index] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(headers), ...cells.map(line)].join('\n') + '\n';
}

/** `2026-11-25T10:00:00.000Z` as `2026-11-25 10:00Z`: enough for people, still unambiguous. */
export function shortTime(iso: string | undefined): string {
  return iso ? `${iso.slice(0, 10)} ${iso.slice(11, 16)}Z` : '';
}

/** A `--name` option that must be a positive whole number, when given. */
export function positiveInteger(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1)
    throw new UsageError(`--${name} must be a positive whole number`);
  return Number(value);
}

/** The positional argument at `index`; bad usage naming `what` when missing. */
export function requirePositional(positionals: string[], index: number, what: string): string {
  const value = positionals[index];
  if (value === undefined) throw new UsageError(`Missing ${what}`);
  return value;
}

/** A value as one URL path segment. */
export const segment = (value: string) => encodeURIComponent(value);

/**
 * `<action> <id> <integration>`: POSTs the action on that one authorization
 * (`/admin/tenants/{id}/authorizations/{integration}/<action>`) and parses the answer.
 */
export async function postAuthorizationAction<Schema extends z.ZodType>(
  client: AdminApiClient,
  positionals: string[],
  action: string,
  schema: Schema,
): Promise<{ tenantId: string; integration: string; result: z.infer<Schema> }> {
  const tenantId = requirePositional(positionals, 1, `tenant id: ${action} <id> <integration>`);
  const integration = requirePositional(positionals, 2, `integration: ${action} <id> <integration>`);
  const answer = await client.call({
    method: 'POST',
    path: `/admin/tenants/${segment(tenantId)}/authorizations/${segment(integration)}/${action}`,
  });
  return { tenantId, integration, result: parseAnswer(schema, answer) };
}
