import { readFile } from 'node:fs/promises';
import { Ajv2020 } from 'ajv/dist/2020.js';
import ajvFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { authorizationEventSchema } from '#domain/model.js';
import { EVENT_SCHEMA_DIR, eventJsonSchemas } from '#scripts/event-schemas.js';
import { testEvent } from '#test-support/fixtures.js';

async function checkedIn(name: string): Promise<unknown> {
  return JSON.parse(await readFile(`${EVENT_SCHEMA_DIR}${name}`, 'utf8'));
}

describe('the checked-in event JSON Schemas (docs/events/)', () => {
  it('match the schemas generated from the zod schemas the code parses with', async () => {
    for (const [name, schema] of Object.entries(eventJsonSchemas())) {
      expect(await checkedIn(name), `${name}: run npx tsx scripts/event-schemas.ts`).toEqual(schema);
    }
  });

  it('accept an event the code builds and refuse one without its version', async () => {
    const ajv = new Ajv2020({ strict: false });
    // ajv-formats is CommonJS: under NodeNext its function is the `default` of the module object.
    ajvFormats.default(ajv);
    const validate = ajv.compile((await checkedIn('authorization-event.schema.json')) as object);
    const event = authorizationEventSchema.parse({
      ...testEvent('acme', 'presence', '2026-03-01T10:00:00.000Z'),
      type: 'invalidated',
      cause: 'user_deactivated',
      confidence: 'confirmed',
    });
    expect(validate(event)).toBe(true);
    const { version: _version, ...unversioned } = event;
    expect(validate(unversioned)).toBe(false);
  });

  it('reads an event stored before versions existed as version 1', () => {
    const { version: _version, ...stored } = testEvent('acme', 'presence', '2026-03-01T10:00:00.000Z');
    expect(authorizationEventSchema.parse(stored).version).toBe(1);
  });
});
