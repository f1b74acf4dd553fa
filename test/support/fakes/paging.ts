import * as z from 'zod';
import { InvalidCursorError } from '#adapters/dynamodb/index.js';
import type { Page } from '#domain/ports.js';

const cursorSchema = z.object({ after: z.string() });

/**
 * One page of `items` in the order of their `sortKey` (ascending, or descending for `newestFirst`),
 * as a DynamoDB query pages: the cursor is opaque, names the last key read, and a cursor the fake
 * did not write is refused with the adapters' InvalidCursorError.
 */
export function pageBy<T>(
  items: readonly T[],
  sortKey: (item: T) => string,
  options: { limit: number; cursor?: string; newestFirst?: boolean },
): Page<T> {
  const direction = options.newestFirst ? -1 : 1;
  const sorted = items
    .map((item) => ({ item, key: sortKey(item) }))
    .sort((a, b) => direction * (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const after = options.cursor === undefined ? undefined : decode(options.cursor);
  const rest =
    after === undefined
      ? sorted
      : sorted.filter(({ key }) => direction * (key < after ? -1 : key > after ? 1 : 0) > 0);
  const page = rest.slice(0, options.limit);
  const last = page.at(-1);
  return {
    items: page.map(({ item }) => item),
    ...(last && rest.length > page.length ? { cursor: encode(last.key) } : {}),
  };
}

function encode(after: string): string {
  return Buffer.from(JSON.stringify({ after })).toString('base64url');
}

function decode(cursor: string): string {
  try {
    return cursorSchema.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))).after;
  } catch {
    throw new InvalidCursorError();
  }
}
