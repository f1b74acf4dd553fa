import * as z from 'zod';
import type { Catalog } from './catalog.js';
import { tenantSchema, type Authorization, type AuthorizationEvent, type Tenant } from './model.js';
import {
  ConflictError,
  type AuthorizationRepository,
  type Clock,
  type HistoryRepository,
  type Page,
  type TenantRepository,
} from './ports.js';
import { webexOrgIdSchema } from './admin-org-id.js';
import { passwordMaxAgeDaysSchema, ssoAuthorizersSchema } from './password-policy.js';
import { queryWholeNumber } from './query-number.js';
import { toAuthorizationView, type AuthorizationView, type TenantAuthorizations } from './admin-views.js';
import type { AlertLedger } from './alert-ledger.js';
import type { FleetBoardStore, RecountPage } from './fleet-board.js';
import { buildStatusBoard, type StatusBoard, type StatusBoardQuery } from './status-board.js';
import type { CredentialIncidentStore } from './validator-incident.js';
import {
  AuthorizationNotFoundError,
  IntegrationNotFoundError,
  TenantVersionMismatchError,
  TenantExistsError,
  TenantNotFoundError,
  TenantOffboardedError,
} from './admin-errors.js';

/** A signed onboarding link as handed to an admin. */
export interface IssuedLink {
  url: string;
  expiresAt: string;
}

/** Longest lifetime an admin may give a link: a leaked link should not outlive a quarter. */
export const MAX_LINK_TTL_DAYS = 90;

export const DEFAULT_PAGE_LIMIT = 25;

export const MAX_PAGE_LIMIT = 100;

// ---------------------------------------------------------------------------------------------
// Inputs. The handler parses every request with these, so the use cases only see valid values.
// ---------------------------------------------------------------------------------------------

/** A tenant id: a lowercase slug that is safe in a key, a URL path and a secret name. */
export const tenantIdSchema = z
  .string()
  .regex(
    /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/,
    'must be a lowercase slug: a-z, 0-9 and dashes, 1 to 63 characters, starting and ending with a letter or digit',
  );

/** An integration key of the catalog's shape; whether the catalog has it is checked by the use case. */
export const integrationKeySchema = z
  .string()
  .regex(/^[a-z][a-z0-9-]{1,31}$/, 'must be an integration key (lowercase letters, digits and dashes)');

/** One contact email, trimmed and lower-cased: the form the tenant's contacts are kept in. */
export const contactEmailSchema = z.string().trim().toLowerCase().pipe(z.email('must be an email address'));

/** Contact emails, trimmed, lower-cased and de-duplicated (one mail per address). */
const contactsSchema = z
  .array(contactEmailSchema)
  .max(20, 'at most 20 contacts')
  .transform((emails) => [...new Set(emails)]);

const nameSchema = z.string().trim().min(1, 'must not be empty').max(200, 'at most 200 characters');

export const newTenantSchema = z.strictObject({
  tenantId: tenantIdSchema,
  name: nameSchema,
  contacts: contactsSchema.default([]),
  sso: z.boolean().default(false),
  /** The customer's Webex org, when the vendor knows it: consents from any other org are refused. */
  orgId: webexOrgIdSchema.optional(),
  /** The customer's `maxPasswordAge` in Control Hub; absent, the deployment's PASSWORD_MAX_AGE_DAYS. */
  passwordMaxAgeDays: passwordMaxAgeDaysSchema.optional(),
  /** Authorizers (emails) who sign in through SSO although the tenant as a whole does not. */
  ssoAuthorizers: ssoAuthorizersSchema.optional(),
});

export type NewTenant = z.infer<typeof newTenantSchema>;

export const tenantPatchSchema = z
  .strictObject({
    name: nameSchema.optional(),
    contacts: contactsSchema.optional(),
    sso: z.boolean().optional(),
    /** Binds the tenant to this Webex org; `null` removes the binding. */
    orgId: webexOrgIdSchema.nullable().optional(),
    /** The tenant's own password age; `null` goes back to the deployment's default. */
    passwordMaxAgeDays: passwordMaxAgeDaysSchema.nullable().optional(),
    /** Replaces the list of SSO authorizers; `[]` empties it. */
    ssoAuthorizers: ssoAuthorizersSchema.optional(),
  })
  .refine((patch) => Object.values(patch).some((value) => value !== undefined), {
    message: 'give at least one of name, contacts, sso, orgId, passwordMaxAgeDays, ssoAuthorizers',
  });

export type TenantPatch = z.infer<typeof tenantPatchSchema>;

/** The fields `updateTenant` writes; the org binding goes through `patchTenant` (admin-org.ts). */
export type TenantFieldsPatch = Omit<TenantPatch, 'orgId'>;

export const linkRequestSchema = z.strictObject({
  expiresInDays: z
    .number()
    .int('must be a whole number of days')
    .min(1, 'at least 1 day')
    .max(MAX_LINK_TTL_DAYS, `at most ${MAX_LINK_TTL_DAYS} days`)
    .optional(),
});

export type LinkRequest = z.infer<typeof linkRequestSchema>;

export const pageQuerySchema = z.strictObject({
  limit: queryWholeNumber({ min: 1, max: MAX_PAGE_LIMIT, fallback: DEFAULT_PAGE_LIMIT }),
  cursor: z.string().min(1).max(2048).optional(),
});

export type PageQuery = z.infer<typeof pageQuerySchema>;

/** What an on-demand validation did, and the record it left. */
export interface ValidationResult {
  /** `checked`, or `skipped` with the validator's reason (e.g. `leased`: another worker is checking it now). */
  outcome:
    | { kind: 'checked'; refreshed: boolean; event?: string; witness?: string }
    | { kind: 'skipped'; reason: string };
  authorization: Authorization;
}

// ---------------------------------------------------------------------------------------------
// Use cases
// ---------------------------------------------------------------------------------------------

/** What the admin use cases need; the handler's dependency builder provides the real ones. */
export interface AdminDependencies {
  tenants: TenantRepository;
  authorizations: AuthorizationRepository;
  history: HistoryRepository;
  catalog: Catalog;
  clock: Clock;
  /** The fleet's totals and the board's rows (counters and the `board` index). */
  board: FleetBoardStore;
  /** The deployment's password age (PASSWORD_MAX_AGE_DAYS), for tenants without their own, on the board. */
  passwordMaxAgeDays: number;
  /** Lifetime of a link when the admin does not give one (LINK_TTL_DAYS). */
  defaultLinkTtlDays: number;
  /** Signs a link for the tenant's current `linkVersion`. */
  issueLink(tenant: Tenant, ttlDays: number): Promise<IssuedLink>;
  /** Runs the validator on one authorization now (forced, not waiting for its due time). */
  validateNow(tenantId: string, integration: string): Promise<ValidationResult>;
  /** Open credential incidents, for the status board's banner; none shown without it. */
  credentialIncidents?: Pick<CredentialIncidentStore, 'list'>;
  /** The alert ledger's flap counts and the policy's limit, to flag on the status board. */
  flapping?: { ledger: Pick<AlertLedger, 'listFlapping'>; moreThan: number };
}

/** A timestamp later than `previous` even within the same millisecond, so optimistic locks on `updatedAt` stay sound. */
export function nextUpdatedAt(clock: Clock, previous: string): string {
  return new Date(Math.max(clock.now().getTime(), Date.parse(previous) + 1)).toISOString();
}

/** The tenant; TenantNotFoundError when there is none. */
export async function requireTenant(tenants: TenantRepository, tenantId: string): Promise<Tenant> {
  const tenant = await tenants.get(tenantId);
  if (!tenant) throw new TenantNotFoundError(tenantId);
  return tenant;
}

/** The tenant when active; TenantOffboardedError when offboarded. */
export async function requireActiveTenant(tenants: TenantRepository, tenantId: string): Promise<Tenant> {
  const tenant = await requireTenant(tenants, tenantId);
  if (tenant.status !== 'active') throw new TenantOffboardedError(tenantId);
  return tenant;
}

/**
 * Creates a tenant: writes it (active, link version 1) unless the id is taken. Its contacts live
 * on the item only (the notifier reads them per mail), so no AWS resource is created, whatever the
 * number of tenants or contacts.
 */
export async function createTenant(deps: AdminDependencies, input: NewTenant): Promise<Tenant> {
  const now = deps.clock.now().toISOString();
  const tenant = tenantSchema.parse({
    ...input,
    linkVersion: 1,
    status: 'active',
    createdAt: now,
    updatedAt: now,
  });
  try {
    await deps.tenants.create(tenant);
  } catch (error) {
    if (error instanceof ConflictError) throw new TenantExistsError(tenant.tenantId);
    throw error;
  }
  return tenant;
}

/** Lists tenants by id, one page at a time. */
export function listTenants(deps: AdminDependencies, query: PageQuery): Promise<Page<Tenant>> {
  return deps.tenants.list(query);
}

/** Reads one tenant (offboarded ones too: their history stays readable). */
export function getTenant(deps: AdminDependencies, tenantId: string): Promise<Tenant> {
  return requireTenant(deps.tenants, tenantId);
}

/**
 * Changes a tenant's name, contacts, SSO flag, password age or SSO authorizers:
 * 1. reads it (404 when unknown, 409 when offboarded);
 * 2. writes the change when nobody changed it meanwhile (optimistic lock on `updatedAt`).
 */
export async function updateTenant(
  deps: AdminDependencies,
  tenantId: string,
  patch: TenantFieldsPatch,
  /** The `updatedAt` the caller read (`If-Match`): any other version is refused, unchanged. */
  expectedUpdatedAt?: string,
): Promise<Tenant> {
  const current = await requireActiveTenant(deps.tenants, tenantId);
  if (expectedUpdatedAt !== undefined && current.updatedAt !== expectedUpdatedAt) {
    throw new TenantVersionMismatchError(tenantId);
  }
  const updated: Tenant = {
    ...current,
    ...(patch.name !== undefined ? { name: patch.name } : {}),
    ...(patch.contacts !== undefined ? { contacts: patch.contacts } : {}),
    ...(patch.sso !== undefined ? { sso: patch.sso } : {}),
    ...(patch.ssoAuthorizers !== undefined ? { ssoAuthorizers: patch.ssoAuthorizers } : {}),
    updatedAt: nextUpdatedAt(deps.clock, current.updatedAt),
  };
  if (patch.passwordMaxAgeDays === null) delete updated.passwordMaxAgeDays;
  else if (patch.passwordMaxAgeDays !== undefined) updated.passwordMaxAgeDays = patch.passwordMaxAgeDays;
  await deps.tenants.replace(updated, current.updatedAt);
  return updated;
}

/** Issues an onboarding link for an active tenant, valid `expiresInDays` (default LINK_TTL_DAYS). */
export async function createOnboardingLink(
  deps: AdminDependencies,
  tenantId: string,
  request: LinkRequest,
): Promise<IssuedLink & { tenantId: string; linkVersion: number }> {
  const tenant = await requireActiveTenant(deps.tenants, tenantId);
  const link = await deps.issueLink(tenant, request.expiresInDays ?? deps.defaultLinkTtlDays);
  return { tenantId, linkVersion: tenant.linkVersion, ...link };
}

/** Revokes every link issued so far by bumping the tenant's `linkVersion`; returns the tenant. */
export async function revokeOnboardingLinks(deps: AdminDependencies, tenantId: string): Promise<Tenant> {
  const current = await requireActiveTenant(deps.tenants, tenantId);
  const updated: Tenant = {
    ...current,
    linkVersion: current.linkVersion + 1,
    updatedAt: nextUpdatedAt(deps.clock, current.updatedAt),
  };
  await deps.tenants.replace(updated, current.updatedAt);
  return updated;
}

/** A tenant's authorizations in catalog order (then any the catalog no longer lists), and what is missing. */
export async function listTenantAuthorizations(
  deps: AdminDependencies,
  tenantId: string,
): Promise<TenantAuthorizations> {
  await requireTenant(deps.tenants, tenantId);
  const records = await deps.authorizations.listForTenant(tenantId);
  const order = new Map(deps.catalog.keys.map((key, index) => [key, index]));
  const rank = (key: string) => order.get(key) ?? Number.MAX_SAFE_INTEGER;
  const sorted = [...records].sort(
    (a, b) => rank(a.integration) - rank(b.integration) || a.integration.localeCompare(b.integration),
  );
  const present = new Set(records.map((record) => record.integration));
  return {
    tenantId,
    items: sorted.map((record) => toAuthorizationView(record, deps.catalog)),
    missing: deps.catalog.keys.filter((key) => !present.has(key)),
  };
}

/**
 * One authorization of a tenant (offboarded tenants too, as a read). An integration the catalog
 * does not list is a 404 of its own, so a typo is not reported as "not authorized yet".
 */
export async function getAuthorization(
  deps: AdminDependencies,
  tenantId: string,
  integration: string,
): Promise<AuthorizationView> {
  await requireTenant(deps.tenants, tenantId);
  if (!deps.catalog.has(integration)) throw new IntegrationNotFoundError(integration);
  const record = await deps.authorizations.get(tenantId, integration);
  if (!record) throw new AuthorizationNotFoundError(tenantId, integration);
  return toAuthorizationView(record, deps.catalog);
}

/** A tenant's history, newest first, one page at a time. */
export async function getTenantHistory(
  deps: AdminDependencies,
  tenantId: string,
  query: PageQuery,
): Promise<Page<AuthorizationEvent>> {
  await requireTenant(deps.tenants, tenantId);
  return deps.history.list(tenantId, query);
}

/**
 * Validates one authorization now:
 * 1. checks the tenant, the integration (catalog) and the record exist;
 * 2. runs the validator path synchronously (lease, refresh, probe, classify, save, publish);
 * 3. returns what the validator did and the record as it left it.
 */
export async function validateAuthorizationNow(
  deps: AdminDependencies,
  tenantId: string,
  integration: string,
): Promise<{ outcome: ValidationResult['outcome']; authorization: AuthorizationView }> {
  await requireActiveTenant(deps.tenants, tenantId);
  if (!deps.catalog.has(integration)) throw new IntegrationNotFoundError(integration);
  const record = await deps.authorizations.get(tenantId, integration);
  if (!record) throw new AuthorizationNotFoundError(tenantId, integration);
  const result = await deps.validateNow(tenantId, integration);
  return { outcome: result.outcome, authorization: toAuthorizationView(result.authorization, deps.catalog) };
}

/** The status board for a query (domain/status-board.ts): exact totals, a page of rows, the deadlines. */
export function getStatusBoard(deps: AdminDependencies, query: StatusBoardQuery): Promise<StatusBoard> {
  return buildStatusBoard(
    {
      board: deps.board,
      tenants: deps.tenants,
      authorizations: deps.authorizations,
      catalog: deps.catalog,
      passwordMaxAgeDays: deps.passwordMaxAgeDays,
      now: deps.clock.now(),
      ...(deps.credentialIncidents ? { credentialIncidents: deps.credentialIncidents } : {}),
      ...(deps.flapping ? { flapping: deps.flapping } : {}),
    },
    query,
  );
}

/** A backfill request: how many items to read this page, and where the previous one stopped. */
export const recountRequestSchema = z.strictObject({
  limit: z.number().int('must be a whole number').min(1, 'at least 1').max(1000, 'at most 1000').default(200),
  cursor: z.string().min(1).max(4096).optional(),
});

/**
 * One page of the counters' backfill (docs/deploy.md, upgrade step): reads `limit` items of the
 * table and counts the records and tenants written before the counters existed, each once.
 */
export function recountStatusBoard(
  deps: AdminDependencies,
  request: z.infer<typeof recountRequestSchema>,
): Promise<RecountPage> {
  return deps.board.countUncounted({
    limit: request.limit,
    ...(request.cursor ? { cursor: request.cursor } : {}),
  });
}
