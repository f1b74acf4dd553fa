import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import * as z from 'zod';
import { authorizationEventSchema } from '#domain/model.js';

/** Where the checked-in JSON Schemas live, beside docs/events.md. */
export const EVENT_SCHEMA_DIR = fileURLToPath(new URL('../docs/events/', import.meta.url));

/**
 * The JSON Schemas of what the product publishes, by file name, generated from the zod schemas the
 * code parses with: the event as it leaves (`io: 'output'`, so `version` is required).
 */
export function eventJsonSchemas(): Record<string, unknown> {
  return {
    'authorization-event.schema.json': {
      ...z.toJSONSchema(authorizationEventSchema, { io: 'output' }),
      $id: 'urn:webex-auth-keeper:authorization-event',
      title: 'Authorization event',
    },
  };
}

/** Writes them; `npx tsx scripts/event-schemas.ts && npx prettier --write docs/events` after a schema change. */
async function writeEventSchemas(): Promise<void> {
  for (const [name, schema] of Object.entries(eventJsonSchemas())) {
    await writeFile(`${EVENT_SCHEMA_DIR}${name}`, `${JSON.stringify(schema, null, 2)}\n`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await writeEventSchemas();
