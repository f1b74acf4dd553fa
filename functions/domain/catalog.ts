import * as z from 'zod';

/** Scope that lets an authorization read other people of its org (used to look an authorizer up). */
export const ADMIN_PEOPLE_READ_SCOPE = 'spark-admin:people_read';

/** The scope of the vendor token, which calls the Service App token endpoint. */
export const APPLICATIONS_TOKEN_SCOPE = 'spark:applications_token';

/** The scopes of the witness: a Service App that can read people, roles and the admin audit log. */
export const WITNESS_SCOPES = [
  'spark-admin:people_read',
  'spark-admin:roles_read',
  'audit:events_read',
] as const;

const keySchema = z
  .string()
  .regex(/^[a-z][a-z0-9-]{1,31}$/, 'must be lower-case letters, digits and dashes, 2 to 32 characters');
const clientIdSchema = (what: string) =>
  z.string().regex(/^C[0-9a-f]{64}$/, `must be a Webex ${what}: "C" and 64 hex digits`);
const scopesSchema = z
  .array(z.string().regex(/^[a-z][a-z_:-]*[a-z_]$/i, 'must be a Webex scope name'))
  .min(1);

const integrationSchema = z.strictObject({
  kind: z.literal('integration').default('integration'),
  key: keySchema,
  name: z.string().min(1).max(120),
  integrationId: clientIdSchema('Integration ID'),
  scopes: scopesSchema,
  presenceSharing: z.boolean().default(false),
  /** The key of a Service App entry that can replace this integration (the portal recommends it). */
  serviceApp: keySchema.optional(),
  /**
   * Authorized by the vendor for its own org only (the vendor token, docs/service-apps.md): shown
   * on the vendor tenant's portal alone, never offered to customers.
   */
  vendorOnly: z.boolean().default(false),
});

/** Control Hub's Service App ID: Webex's id form, base64 of `ciscospark://<region>/APPLICATION/<id>`. */
const applicationIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{20,400}={0,2}$/, 'must be a Webex application id (base64)')
  .refine(
    (id) =>
      /^ciscospark:\/\/[a-z0-9-]+\/APPLICATION\/[A-Za-z0-9-]+$/.test(
        Buffer.from(id, 'base64').toString('utf8'),
      ),
    'must be a Webex application id: base64 of "ciscospark://<region>/APPLICATION/<id>"',
  );

const serviceAppSchema = z.strictObject({
  kind: z.literal('service-app'),
  key: keySchema,
  name: z.string().min(1).max(120),
  applicationId: applicationIdSchema,
  clientId: clientIdSchema('Service App client ID'),
  scopes: scopesSchema,
});

/** An entry without `kind` is an integration, as every catalog before Service Apps was. */
const entrySchema = z.preprocess(
  (entry) =>
    entry !== null && typeof entry === 'object' && !('kind' in entry)
      ? { ...entry, kind: 'integration' }
      : entry,
  z.discriminatedUnion('kind', [integrationSchema, serviceAppSchema]),
);

const catalogSchema = z
  .strictObject({
    version: z.literal(1),
    integrations: z.array(entrySchema).min(1),
  })
  .superRefine((catalog, ctx) => {
    const seenKeys = new Set<string>();
    const seenIds = new Set<string>();
    const serviceAppKeys = new Set(
      catalog.integrations.flatMap((entry) => (entry.kind === 'service-app' ? [entry.key] : [])),
    );
    catalog.integrations.forEach((entry, index) => {
      const idField = entry.kind === 'service-app' ? 'clientId' : 'integrationId';
      const clientId = entry.kind === 'service-app' ? entry.clientId : entry.integrationId;
      if (seenKeys.has(entry.key)) {
        ctx.addIssue({
          code: 'custom',
          path: ['integrations', index, 'key'],
          message: `duplicate key "${entry.key}"`,
        });
      }
      if (seenIds.has(clientId)) {
        ctx.addIssue({
          code: 'custom',
          path: ['integrations', index, idField],
          message: 'duplicate client ID',
        });
      }
      if (
        entry.kind === 'integration' &&
        entry.serviceApp !== undefined &&
        !serviceAppKeys.has(entry.serviceApp)
      ) {
        ctx.addIssue({
          code: 'custom',
          path: ['integrations', index, 'serviceApp'],
          message: `"${entry.serviceApp}" is not a service-app entry of the catalog`,
        });
      }
      seenKeys.add(entry.key);
      seenIds.add(clientId);
    });
    if (!catalog.integrations.some((entry) => entry.kind === 'integration' && !entry.vendorOnly)) {
      ctx.addIssue({ code: 'custom', path: ['integrations'], message: 'needs at least one integration' });
    }
  });

export type Integration = z.infer<typeof integrationSchema>;
/** A Service App of the catalog: org-level tokens that no person's life cycle touches. */
export type ServiceApp = z.infer<typeof serviceAppSchema>;

/** The integrations the SaaS needs, in the order the portal shows them, and its Service Apps. */
export class Catalog {
  private readonly byKey: ReadonlyMap<string, Integration>;
  private readonly serviceAppsByKey: ReadonlyMap<string, ServiceApp>;

  constructor(
    readonly integrations: readonly Integration[],
    readonly serviceApps: readonly ServiceApp[] = [],
    /** The vendor's own integrations (`vendorOnly`): in no customer's portal, counts or lists. */
    readonly vendorIntegrations: readonly Integration[] = [],
  ) {
    this.byKey = new Map(
      [...integrations, ...vendorIntegrations].map((integration) => [integration.key, integration]),
    );
    this.serviceAppsByKey = new Map(serviceApps.map((app) => [app.key, app]));
  }

  /** The integration by key, a vendor-only one included. */
  find(key: string): Integration | undefined {
    return this.byKey.get(key);
  }

  findServiceApp(key: string): ServiceApp | undefined {
    return this.serviceAppsByKey.get(key);
  }

  /** Whether `key` names an entry whose tokens the keeper holds: an integration (vendor-only too) or a Service App. */
  has(key: string): boolean {
    return this.byKey.has(key) || this.serviceAppsByKey.has(key);
  }

  /** The entry's display name; the key itself for one the catalog does not list. */
  nameOf(key: string): string {
    return this.find(key)?.name ?? this.findServiceApp(key)?.name ?? key;
  }

  /**
   * The OAuth client ID that refreshes the tokens stored under `key`: an integration's Integration
   * ID, a Service App's client ID (its refresh goes to the same token endpoint); undefined for a
   * key the catalog does not list.
   */
  refreshClientIdOf(key: string): string | undefined {
    return this.find(key)?.integrationId ?? this.findServiceApp(key)?.clientId;
  }

  /** The Service App that can replace the integration, when the catalog names one. */
  replacementFor(integrationKey: string): ServiceApp | undefined {
    const serviceApp = this.byKey.get(integrationKey)?.serviceApp;
    return serviceApp === undefined ? undefined : this.serviceAppsByKey.get(serviceApp);
  }

  /** The first Service App whose scopes let the validator look people, roles and audit events up. */
  get witness(): ServiceApp | undefined {
    return this.serviceApps.find((app) => WITNESS_SCOPES.every((scope) => app.scopes.includes(scope)));
  }

  /** The integrations' keys, in portal order. */
  get keys(): string[] {
    return this.integrations.map((integration) => integration.key);
  }

  /** The vendor-only integration that holds the vendor token's scope, when the catalog has one. */
  get vendorToken(): Integration | undefined {
    return this.vendorIntegrations.find((integration) =>
      integration.scopes.includes(APPLICATIONS_TOKEN_SCOPE),
    );
  }

  /** Every entry's key, Service Apps and vendor-only integrations included: each has a client secret. */
  get clientSecretKeys(): string[] {
    return [
      ...this.keys,
      ...this.serviceApps.map((app) => app.key),
      ...this.vendorIntegrations.map((integration) => integration.key),
    ];
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
  const entries = result.data.integrations;
  const integrations = entries.filter((entry): entry is Integration => entry.kind === 'integration');
  return new Catalog(
    integrations.filter((integration) => !integration.vendorOnly),
    entries.filter((entry): entry is ServiceApp => entry.kind === 'service-app'),
    integrations.filter((integration) => integration.vendorOnly),
  );
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
