import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import ajvFormats from 'ajv-formats';
import { expect } from 'vitest';

/**
 * JSON Schemas of the simulator's answers, built from the extract of Cisco's OpenAPI specs
 * (test/fixtures/webex-openapi/README.md says how it is made), for the tests that hold the
 * simulator to Webex's shapes.
 */
type JsonSchema = { [key: string]: unknown };
interface OpenApi {
  paths: Record<
    string,
    Record<string, { responses: Record<string, { content?: Record<string, { schema: JsonSchema }> }> }>
  >;
  components: { schemas: Record<string, JsonSchema> };
}
const spec = JSON.parse(
  readFileSync(new URL('../fixtures/webex-openapi/webex-admin-subset.json', import.meta.url), 'utf8'),
) as OpenApi;

const COMPONENT_REF = '#/components/schemas/';

/** Deep copy with `#/components/schemas/X` refs rewritten to `#/$defs/X`; collects the names. */
function rewriteRefs(node: unknown, seen: Set<string>): unknown {
  if (Array.isArray(node)) return node.map((item) => rewriteRefs(item, seen));
  if (node === null || typeof node !== 'object') return node;
  const copy: JsonSchema = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === '$ref' && typeof value === 'string' && value.startsWith(COMPONENT_REF)) {
      const name = value.slice(COMPONENT_REF.length);
      seen.add(name);
      copy[key] = `#/$defs/${name}`;
    } else {
      copy[key] = rewriteRefs(value, seen);
    }
  }
  return copy;
}

/** Makes every object schema closed (no unknown fields) and adds the promised required fields. */
function tighten(schema: JsonSchema, required: string[] = []): JsonSchema {
  if (schema.type === 'object' && schema.properties) {
    schema.additionalProperties = false;
    const existing = Array.isArray(schema.required) ? (schema.required as string[]) : [];
    if (required.length + existing.length > 0) schema.required = [...new Set([...existing, ...required])];
    for (const property of Object.values(schema.properties as Record<string, JsonSchema>)) tighten(property);
  }
  if (schema.type === 'array' && schema.items) tighten(schema.items as JsonSchema);
  return schema;
}

/** What a check of answers asks of the spec's schemas beyond what the spec requires. */
export interface ResponseSchemaOptions {
  /** Fields to require per component (the spec marks few as required). */
  required?: Record<string, string[]>;
  /** Fields to require on the answer's own (inline) object. */
  rootRequired?: string[];
  method?: 'get' | 'post';
}

/**
 * The 200 response schema the spec declares for a path, closed (no unknown fields), with every
 * reachable component inlined as `$defs`.
 */
export function responseSchema(path: string, options: ResponseSchemaOptions = {}): JsonSchema {
  const method = options.method ?? 'get';
  const declared = spec.paths[path]?.[method]?.responses['200']?.content?.['application/json']?.schema;
  if (!declared) throw new Error(`the spec has no JSON 200 answer for ${method.toUpperCase()} ${path}`);
  const names = new Set<string>();
  const root = tighten(rewriteRefs(declared, names) as JsonSchema, options.rootRequired);
  const defs: Record<string, JsonSchema> = {};
  // Follow refs inside components too, until every reachable one is copied.
  for (const name of names) {
    const component = spec.components.schemas[name];
    if (!component) throw new Error(`unresolved $ref ${COMPONENT_REF}${name}`);
    defs[name] = tighten(rewriteRefs(component, names) as JsonSchema, options.required?.[name] ?? []);
  }
  return { ...root, $defs: defs };
}

const ajv = new Ajv({ strict: true, allErrors: true });
// ajv-formats is CommonJS: under NodeNext its function is the `default` of the module object.
ajvFormats.default(ajv);
// OpenAPI annotations that are not JSON Schema keywords; strict mode would reject them.
ajv.addVocabulary(['example']);

/** A validator of one path's 200 answer. */
export function compileResponseSchema(path: string, options: ResponseSchemaOptions = {}): ValidateFunction {
  return ajv.compile(responseSchema(path, options));
}

/** Fails with the validator's errors and the body when the body does not fit. */
export function expectValid(validate: ValidateFunction, body: unknown): void {
  const valid = validate(body);
  expect(validate.errors ?? [], JSON.stringify(body)).toEqual([]);
  expect(valid).toBe(true);
}
