import { InvalidArgumentError, type Command } from 'commander';
import * as z from 'zod';
import { TransportError, UsageError, type AdminApiClient } from './api-client.js';
import type { CliIo, ExitCode, Printer, Progress } from './cli-output.js';

/* What every command shares: reading the API's answers, printing tables and times, reading arguments. */

/** What a command's action works with; global options (`--api`, `--json`) are read when it runs. */
export interface CommandContext {
  io: CliIo;
  /** Whether `--json` was given. */
  json(): boolean;
  /** The admin API client for `--api`, `--profile` and `--region`. */
  client(): AdminApiClient;
  print: Printer;
  /** A progress display for `total` items (shown only on a terminal, never with --json). */
  progress(total: number): Progress;
  /** Ends the run with this code, unless a worse one was set (worseExit). */
  exitWith(code: ExitCode): void;
}

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

/** Commander's parser of an option that must be a positive whole number (`--limit ten` is refused). */
export function positiveInteger(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1)
    throw new InvalidArgumentError('must be a positive whole number');
  return Number(value);
}

/** Commander's parser of a repeatable option: each occurrence adds its value to the list. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/**
 * Refuses each pair of options given together (`--sso` with `--no-sso`), which commander would
 * settle silently by keeping the last one.
 */
export function refusePairs(command: Command, pairs: [string, string][]): Command {
  const given = new Set<string>();
  for (const name of pairs.flat()) command.on(`option:${name}`, () => given.add(name));
  return command.hook('preAction', () => {
    for (const [first, second] of pairs) {
      if (given.has(first) && given.has(second))
        throw new UsageError(`--${first} and --${second} do not go together`);
    }
  });
}

/** A value as one URL path segment. */
export const segment = (value: string) => encodeURIComponent(value);

/** `/admin/tenants/{tenantId}/authorizations/{integration}`, each part encoded. */
export function authorizationPath(tenantId: string, integration: string): string {
  return `/admin/tenants/${segment(tenantId)}/authorizations/${segment(integration)}`;
}

/**
 * `<action> <id> <integration>`: POSTs the action on that one authorization
 * (`/admin/tenants/{id}/authorizations/{integration}/<action>`) and parses the answer.
 */
export async function postAuthorizationAction<Schema extends z.ZodType>(
  client: AdminApiClient,
  key: { tenantId: string; integration: string },
  action: string,
  schema: Schema,
): Promise<z.infer<Schema>> {
  const answer = await client.call({
    method: 'POST',
    path: `${authorizationPath(key.tenantId, key.integration)}/${action}`,
  });
  return parseAnswer(schema, answer);
}

/**
 * The items of a paged list (`{items, cursor?}`): one page, or with `all` every page; `cursor`
 * is the next page's when there is one left.
 */
export async function readPages<Item extends z.ZodType>(
  client: AdminApiClient,
  path: string,
  itemSchema: Item,
  options: { limit?: number | undefined; all: boolean },
): Promise<{ items: z.infer<Item>[]; cursor?: string }> {
  const pageSchema = z.looseObject({ items: z.array(itemSchema), cursor: z.string().optional() });
  const items: z.infer<Item>[] = [];
  let cursor: string | undefined;
  do {
    const page = parseAnswer(
      pageSchema,
      await client.call({
        method: 'GET',
        path,
        query: {
          ...(options.limit !== undefined ? { limit: String(options.limit) } : {}),
          ...(cursor ? { cursor } : {}),
        },
      }),
    );
    items.push(...page.items);
    cursor = page.cursor;
  } while (options.all && cursor);
  return { items, ...(cursor ? { cursor } : {}) };
}
