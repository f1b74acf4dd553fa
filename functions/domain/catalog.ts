import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as z from 'zod';

/** Scope that lets an authorization read other people of its org (used to look an authorizer up). */
export const ADMIN_PEOPLE_READ_SCOPE = 'spark-admin:people_read';

const integrationSchema = z.strictObject({
  key: z
    .string()
    .regex(/^[a-z][a-z0-9-]{1,31}$/, 'must be lower-case letters, digits and dashes, 2 to 32 characters'),
  name: z.string().min(1).max(120),
  integrationId: z.string().regex(/^C[0-9a-f]{64}$/, 'must be a Webex Integration ID: "C" and 64 hex digits'),
  scopes: z.array(z.string().regex(/^[a-z][a-z_:-]*[a-z_]$/i, 'must be a Webex scope name')).min(1),
  presenceSharing: z.boolean().default(false),
});

const catalogSchema = z
  .strictObject({
    version: z.literal(1),
    integrations: z.array(integrationSchema).min(1),
  })
  .superRefine((catalog, ctx) => {
    const seenKeys = new Set<string>();
    const seenIds = new Set<string>();
    catalog.integrations.forEach((integration, index) => {
      if (seenKeys.has(integration.key)) {
        ctx.addIssue({
          code: 'custom',
          path: ['integrations', index, 'key'],
          message: `duplicate key "${integration.key}"`,
        });
      }
      if (seenIds.has(integration.integrationId)) {
        ctx.addIssue({
          code: 'custom',
          path: ['integrations', index, 'integrationId'],
          message: 'duplicate Integration ID',
        });
      }
      seenKeys.add(integration.key);
      seenIds.add(integration.integrationId);
    });
  });

export type Integration = z.infer<typeof integrationSchema>;

/** The integrations the SaaS needs, in the order the portal shows them. */
export class Catalog {
  private readonly byKey: ReadonlyMap<string, Integration>;

  constructor(readonly integrations: readonly Integration[]) {
    this.byKey = new Map(integrations.map((integration) => [integration.key, integration]));
  }

  find(key: string): Integration | undefined {
    return this.byKey.get(key);
  }

  get keys(): string[] {
    return this.integrations.map((integration) => integration.key);
  }
}

export class CatalogError extends Error {
  override readonly name = 'CatalogError';
}

/** Formats a zod error as one line naming each bad field, e.g. `integrations.2.integrationId: ...`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ');
}

/** Parses a catalog document (already decoded JSON); throws CatalogError naming the bad field. */
export function parseCatalog(document: unknown, source = 'catalog'): Catalog {
  const result = catalogSchema.safeParse(document);
  if (!result.success) {
    throw new CatalogError(`Invalid integration catalog (${source}): ${describeIssues(result.error)}`);
  }
  return new Catalog(result.data.integrations);
}

/** Parses catalog JSON text; a syntax error is reported like a schema error. */
export function parseCatalogJson(text: string, source = 'catalog'): Catalog {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    // V8 quotes the text around the error, newlines included: keep the report on one line.
    const reason = (error as Error).message.replace(/\s+/g, ' ').trim();
    throw new CatalogError(`Invalid integration catalog (${source}): not JSON (${reason})`);
  }
  return parseCatalog(document, source);
}

/**
 * Reads and parses a catalog file. The text is read first and parsed with `parseCatalogJson`, so a
 * missing file, a JSON syntax error and a bad field all end as one CatalogError line naming the
 * file (a static `import` of the JSON would instead crash the importing process with a stack trace).
 */
export function readCatalogFile(path: string, source = path): Catalog {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new CatalogError(`Invalid integration catalog (${source}): cannot read ${path} (${reason})`);
  }
  return parseCatalogJson(text, source);
}

/** Absolute path of the shipped catalog, `config/catalog.json` at the repository root. */
export function defaultCatalogFile(): string {
  return fileURLToPath(new URL('../../config/catalog.json', import.meta.url));
}

/**
 * The catalog shipped in `config/catalog.json`, read from disk: what the local run, the synth and
 * the tests use. A Lambda bundle has no such file; its handlers use `bundledCatalog` instead.
 */
export function defaultCatalog(): Catalog {
  return readCatalogFile(defaultCatalogFile(), 'config/catalog.json');
}
