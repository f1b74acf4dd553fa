import * as z from 'zod';
import type { Catalog } from './catalog.js';
import { deadlineWeeks, passwordDeadlineOf, type DeadlineWeek } from './deadline-weeks.js';
import { bucketsFor, type FleetBoardStore, type FleetTotals } from './fleet-board.js';
import {
  AUTHORIZATION_STATUSES,
  INVALIDATION_CAUSES,
  LIVE_STATUSES,
  type Authorization,
  type AuthorizationStatus,
  type CauseConfidence,
  type InvalidationCause,
  type Tenant,
} from './model.js';
import type { AuthorizationRepository, TenantRepository } from './ports.js';
import { queryWholeNumber } from './query-number.js';
import type { AlertLedger, FlapCount } from './alert-ledger.js';
import { utcDay } from './alert-policy.js';
import type { CredentialIncidentStore } from './validator-incident.js';

/**
 * A filter of the board: absent, or empty as the page's filter form sends a field left at "any",
 * means no filter.
 */
function filter<T extends z.ZodType<string>>(schema: T) {
  return z.preprocess((value) => (value === '' ? undefined : value), schema.optional());
}

/** The board's query: `GET /admin/status-board?status=&cause=&integration=&tenant=&limit=&cursor=`. */
export const statusBoardQuerySchema = z.strictObject({
  status: filter(z.enum(AUTHORIZATION_STATUSES)),
  cause: filter(z.enum(INVALIDATION_CAUSES)),
  integration: filter(
    z
      .string()
      .regex(/^[a-z][a-z0-9-]{1,31}$/, 'must be an integration key (lowercase letters, digits and dashes)'),
  ),
  /** A tenant id, or the start of one. */
  tenant: filter(
    z.string().regex(/^[a-z0-9-]{1,63}$/, 'must be a tenant id or its start (a-z, 0-9 and dashes)'),
  ),
  limit: queryWholeNumber({ min: 1, max: 100, fallback: 50 }),
  cursor: z.string().min(1).max(4096).optional(),
});
export type StatusBoardQuery = z.infer<typeof statusBoardQuerySchema>;

/** One authorization on the board. */
export interface BoardRow {
  tenantId: string;
  /** The tenant's name; absent when the tenant item is gone (a purge half done). */
  name?: string;
  integration: string;
  status: AuthorizationStatus;
  cause?: InvalidationCause;
  /** How sure the cause is; absent on records invalidated before confidences existed. */
  confidence?: CauseConfidence;
  authorizerEmail?: string;
  /** When the sweep checks it next (checkable statuses only). */
  nextCheckAt?: string;
  /**
   * The earliest deadline that ends a live authorization unless someone acts: refresh-token
   * expiry, or the password deadline of a non-SSO authorizer (the latest it can be).
   */
  nextExpiry?: { at: string; what: 'refresh token' | 'password' };
}

/** An open credential incident: Webex refuses our client secret for this integration. */
export interface BoardCredentialIncident {
  integration: string;
  name: string;
  integrationId: string;
  openedAt: string;
}

/** An authorization whose checks kept throwing (check-failures.ts): out of the sweep until rechecked. */
export interface BoardCheckFailing {
  tenantId: string;
  tenantName: string;
  integration: string;
  /** The id of the last error: the validator's log line with that errorId holds the error. */
  lastErrorId: string;
  /** When its last check threw, which made it `check_failing`. */
  since: string;
  /** Checks in a row that threw. */
  checkErrors: number;
}

/** Which live authorizations the deadline chart counts: all of them, or the first `read` of `live`. */
export interface DeadlineCoverage {
  read: number;
  live: number;
  complete: boolean;
}

export interface StatusBoard {
  generatedAt: string;
  /** The filter the rows answer (the limit as applied). */
  query: Omit<StatusBoardQuery, 'cursor'>;
  /** Exact, fleet wide, whatever the filter. */
  totals: FleetTotals;
  /** Problems first: by status (check failing, invalid, degraded, expiring, ...), then tenant. */
  rows: BoardRow[];
  /** Pass as `cursor` for the next page; absent on the last. */
  nextCursor?: string;
  /** Password deadlines and refresh-token expiries per week, for the next 13 weeks. */
  deadlines: DeadlineWeek[];
  deadlineCoverage: DeadlineCoverage;
  /** Authorizations in `check_failing` (the first ones), each with its last error id, to fix and recheck. */
  checkFailing: BoardCheckFailing[];
  /** Open credential incidents (validator-incident.ts), shown as a banner above the board. */
  credentialIncidents: BoardCredentialIncident[];
  /** Authorizations that flapped (degraded, then restored within the flap window) too often today (docs/alerts.md). */
  flapping: FlapCount[];
  /** Every key the `integration` filter accepts (`catalog.has`), the page's dropdown. */
  integrations: BoardIntegration[];
}

/**
 * A catalog entry the board can filter by: a customer's integration, a Service App, or the
 * vendor's own integration, told apart so ops know whose authorizations a key lists.
 */
export interface BoardIntegration {
  key: string;
  name: string;
  kind: 'integration' | 'service-app' | 'vendor-only';
}

/** The catalog's entries in its order: the portal's integrations, its Service Apps, the vendor-only ones. */
function boardIntegrationsOf(catalog: Catalog): BoardIntegration[] {
  return [
    ...catalog.integrations.map(({ key, name }) => ({ key, name, kind: 'integration' as const })),
    ...catalog.serviceApps.map(({ key, name }) => ({ key, name, kind: 'service-app' as const })),
    ...catalog.vendorIntegrations.map(({ key, name }) => ({ key, name, kind: 'vendor-only' as const })),
  ];
}

/** Live authorizations the deadline chart reads at most per request, so one view stays bounded. */
export const DEADLINE_SAMPLE = 300;
/** `check_failing` entries listed in the banner at most; the filter `status=check_failing` pages the rest. */
const CHECK_FAILING_SHOWN = 20;

/** The ports the board reads. */
export interface StatusBoardInput {
  board: FleetBoardStore;
  tenants: Pick<TenantRepository, 'get'>;
  authorizations: Pick<AuthorizationRepository, 'get'>;
  catalog: Catalog;
  /** The deployment's PASSWORD_MAX_AGE_DAYS, for tenants without a password age of their own. */
  passwordMaxAgeDays: number;
  now: Date;
  /** Where open credential incidents are kept; none are shown without it. */
  credentialIncidents?: Pick<CredentialIncidentStore, 'list'>;
  /** The alert ledger's flap counts, and how many flaps a day are too many; none flagged without it. */
  flapping?: { ledger: Pick<AlertLedger, 'listFlapping'>; moreThan: number };
}

function nextExpiryOf(
  authorization: Authorization,
  tenant: Tenant | undefined,
  passwordMaxAgeDays: number,
): BoardRow['nextExpiry'] {
  if (!LIVE_STATUSES.includes(authorization.status)) return undefined;
  const candidates: NonNullable<BoardRow['nextExpiry']>[] = [];
  if (authorization.refreshTokenExpiresAt) {
    candidates.push({ at: authorization.refreshTokenExpiresAt, what: 'refresh token' });
  }
  const password = tenant ? passwordDeadlineOf(authorization, tenant, passwordMaxAgeDays) : undefined;
  if (password) candidates.push({ at: password, what: 'password' });
  return candidates.sort((a, b) => Date.parse(a.at) - Date.parse(b.at))[0];
}

/** One authorization's row. */
export function boardRow(
  authorization: Authorization,
  tenant: Tenant | undefined,
  passwordMaxAgeDays: number,
): BoardRow {
  const nextExpiry = nextExpiryOf(authorization, tenant, passwordMaxAgeDays);
  return {
    tenantId: authorization.tenantId,
    ...(tenant ? { name: tenant.name } : {}),
    integration: authorization.integration,
    status: authorization.status,
    ...(authorization.cause ? { cause: authorization.cause } : {}),
    ...(authorization.confidence ? { confidence: authorization.confidence } : {}),
    ...(authorization.authorizer ? { authorizerEmail: authorization.authorizer.email } : {}),
    ...(authorization.nextCheckAt ? { nextCheckAt: authorization.nextCheckAt } : {}),
    ...(nextExpiry ? { nextExpiry } : {}),
  };
}

/** The records (and their tenants, each read once) behind a page of keys; a key whose record is gone is dropped. */
async function recordsOf(
  input: Pick<StatusBoardInput, 'tenants' | 'authorizations'>,
  keys: { tenantId: string; integration: string }[],
): Promise<{ authorization: Authorization; tenant: Tenant | undefined }[]> {
  const tenants = new Map<string, Promise<Tenant | undefined>>();
  const tenantOf = (tenantId: string) => {
    const known = tenants.get(tenantId) ?? input.tenants.get(tenantId);
    tenants.set(tenantId, known);
    return known;
  };
  const found = await Promise.all(
    keys.map(async ({ tenantId, integration }) => {
      const [authorization, tenant] = await Promise.all([
        input.authorizations.get(tenantId, integration),
        tenantOf(tenantId),
      ]);
      return authorization ? [{ authorization, tenant }] : [];
    }),
  );
  return found.flat();
}

/** Keys of one filter, page after page, up to `max`. */
async function keysUpTo(
  board: FleetBoardStore,
  buckets: string[],
  max: number,
): Promise<{ keys: { tenantId: string; integration: string }[]; complete: boolean }> {
  const keys: { tenantId: string; integration: string }[] = [];
  let cursor: string | undefined;
  do {
    const page = await board.listKeys({
      buckets,
      limit: Math.min(100, max - keys.length),
      ...(cursor ? { cursor } : {}),
    });
    keys.push(...page.items);
    cursor = page.cursor;
  } while (cursor && keys.length < max);
  return { keys, complete: cursor === undefined };
}

/**
 * The status board of the fleet:
 * 1. the exact totals (counters kept with every status change, never a read of the fleet);
 * 2. one page of rows matching the query, problems first, from the `board` index;
 * 3. the first `check_failing` authorizations, the open credential incidents and today's flaps;
 * 4. the next 13 weeks' password deadlines and refresh-token expiries of the live authorizations
 *    (at most {@link DEADLINE_SAMPLE} read; `deadlineCoverage` says whether that was all).
 */
export async function buildStatusBoard(
  input: StatusBoardInput,
  query: StatusBoardQuery,
): Promise<StatusBoard> {
  const { cursor, ...filter } = query;
  const [totals, page] = await Promise.all([
    input.board.totals(),
    input.board.listKeys({
      buckets: bucketsFor(filter),
      ...(filter.integration ? { integration: filter.integration } : {}),
      ...(filter.tenant ? { tenantPrefix: filter.tenant } : {}),
      limit: filter.limit,
      ...(cursor ? { cursor } : {}),
    }),
  ]);
  const liveBuckets = LIVE_STATUSES.flatMap((status) => bucketsFor({ status }));
  const [rows, failing, live] = await Promise.all([
    recordsOf(input, page.items),
    keysUpTo(input.board, bucketsFor({ status: 'check_failing' }), CHECK_FAILING_SHOWN).then(({ keys }) =>
      recordsOf(input, keys),
    ),
    keysUpTo(input.board, liveBuckets, DEADLINE_SAMPLE).then(async ({ keys, complete }) => ({
      records: await recordsOf(input, keys),
      complete,
    })),
  ]);
  const incidents = (await input.credentialIncidents?.list()) ?? [];
  const flapping = input.flapping
    ? await input.flapping.ledger.listFlapping(utcDay(input.now), input.flapping.moreThan)
    : [];
  const liveTotal = LIVE_STATUSES.reduce((sum, status) => sum + (totals.byStatus[status] ?? 0), 0);
  return {
    generatedAt: input.now.toISOString(),
    query: filter,
    totals,
    rows: rows.map(({ authorization, tenant }) => boardRow(authorization, tenant, input.passwordMaxAgeDays)),
    ...(page.cursor ? { nextCursor: page.cursor } : {}),
    deadlines: deadlineWeeks(
      live.records.flatMap(({ authorization, tenant }) => (tenant ? [{ authorization, tenant }] : [])),
      input.passwordMaxAgeDays,
      input.now,
    ),
    deadlineCoverage: { read: live.records.length, live: liveTotal, complete: live.complete },
    checkFailing: failing.map(({ authorization, tenant }) => ({
      tenantId: authorization.tenantId,
      tenantName: tenant?.name ?? authorization.tenantId,
      integration: authorization.integration,
      lastErrorId: authorization.lastCheckError?.errorId ?? 'unknown',
      since: authorization.lastCheckError?.at ?? authorization.updatedAt,
      checkErrors: authorization.checkErrors ?? 0,
    })),
    credentialIncidents: incidents.map(({ integration, openedAt }) => {
      const known = input.catalog.find(integration);
      return {
        integration,
        name: known?.name ?? integration,
        integrationId: known?.integrationId ?? 'unknown (no longer in the catalog)',
        openedAt,
      };
    }),
    flapping,
    integrations: boardIntegrationsOf(input.catalog),
  };
}
