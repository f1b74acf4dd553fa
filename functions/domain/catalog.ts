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
