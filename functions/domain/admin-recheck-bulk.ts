import * as z from 'zod';
import { integrationKeySchema, tenantIdSchema } from './admin.js';
import { recheckAuthorization, type RecheckOutcome } from './admin-recheck.js';
import {
  AuthorizationBusyError,
  AuthorizationStatusError,
  type RecoveryDependencies,
} from './admin-recovery.js';
import { IntegrationNotFoundError, TenantNotFoundError, TenantOffboardedError } from './admin-errors.js';
import { INVALIDATION_CAUSES, type Authorization, type Tenant } from './model.js';
import { ConflictError } from './ports.js';
import { canRecheck } from './status-machine.js';

/** Most authorizations one bulk call rechecks (each is a refresh and a probe at Webex). */
export const MAX_BULK_RECHECKS = 20;
export const DEFAULT_BULK_RECHECKS = 10;
/** Tenants read per page: one query for the page, one per tenant for its authorizations. */
export const BULK_TENANT_PAGE = 25;
/**
 * No tenant's rechecks start after this much time in one call: the admin function has 25 s and
 * API Gateway gives up at 29 s, so a slow Webex ends the call early with a cursor, not a timeout.
 */
export const BULK_TIME_BUDGET_MS = 12_000;
const HOUR_MS = 3_600_000;

const isoTime = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 time with a zone' });

/** Where a bulk recheck resumes: a tenants page (its cursor) and how many of its tenants are done. */
const positionSchema = z.strictObject({
  tenants: z.string().min(1).optional(),
  skip: z.number().int().nonnegative(),
});
type Position = z.infer<typeof positionSchema>;

function encodePosition(position: Position): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

const cursorSchema = z
  .string()
  .min(1)
  .max(4096)
  .transform((cursor, context) => {
    try {
      const parsed = positionSchema.safeParse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
      if (parsed.success) return parsed.data;
    } catch {
      // reported below: any undecodable cursor is the caller's error
    }
    context.addIssue({ code: 'custom', message: 'is not a cursor this API gave' });
    return z.NEVER;
  });

/**
 * A bulk recheck's selection: invalid authorizations by cause and invalidation time (`since` to
 * `until`, or the last `withinHours`), optionally of one tenant or integration. `limit` bounds the
 * rechecks of one call; `cursor` continues where the last call stopped.
 */
export const bulkRecheckSchema = z
  .strictObject({
    cause: z.enum(INVALIDATION_CAUSES).optional(),
    since: isoTime.optional(),
    until: isoTime.optional(),
    withinHours: z
      .number()
      .positive('must be more than 0')
      .max(24 * 400, 'at most 9600 (400 days)')
      .optional(),
    tenantId: tenantIdSchema.optional(),
    integration: integrationKeySchema.optional(),
    dryRun: z.boolean().default(false),
    limit: z
      .number()
      .int('must be a whole number')
      .min(1, 'at least 1')
      .max(MAX_BULK_RECHECKS, `at most ${MAX_BULK_RECHECKS}`)
      .default(DEFAULT_BULK_RECHECKS),
    cursor: cursorSchema.optional(),
  })
  .refine((body) => body.since !== undefined || body.withinHours !== undefined, {
    message: 'give the invalidation window: since (with until if wanted) or withinHours',
    path: ['since'],
  })
  .refine((body) => body.since === undefined || body.withinHours === undefined, {
    message: 'give since or withinHours, not both',
    path: ['withinHours'],
  })
  .refine((body) => body.until === undefined || body.since !== undefined, {
    message: 'until goes with since',
    path: ['until'],
  })
  .refine(
    (body) =>
      body.since === undefined ||
      body.until === undefined ||
      Date.parse(body.since) <= Date.parse(body.until),
    { message: 'must not be before since', path: ['until'] },
  );

export type BulkRecheckRequest = z.infer<typeof bulkRecheckSchema>;

/** One selected authorization: what the recheck did, `skipped` when it changed meanwhile, `selected` in a dry run. */
export interface BulkRecheckItem {
  tenantId: string;
  integration: string;
  cause?: Authorization['cause'];
  invalidatedAt: string;
  outcome: RecheckOutcome | 'skipped' | 'selected';
  detail?: string;
}

/** The answer of one bulk call. */
export interface BulkRecheckReport {
  dryRun: boolean;
  window: { since: string; until: string };
  cause?: Authorization['cause'];
  items: BulkRecheckItem[];
  /** Give it back to continue; absent when every tenant was looked at. */
  cursor?: string;
}

/**
 * When the record became invalid: the validator's check that invalidated it is its last
 * `validatedAt` (a failed recheck writes history only), else its last write.
 */
function invalidatedAtOf(record: Authorization): string {
  return record.validatedAt ?? record.updatedAt;
}

/**
 * Rechecks the invalid authorizations that match, a bounded slice per call:
 * 1. pages tenants (BULK_TENANT_PAGE at a time, or the one tenant asked for) from the cursor; an
 *    unknown tenant or integration is refused (404);
 * 2. per active tenant, selects its invalid authorizations of the cause, integration and window;
 * 3. rechecks each (recheckAuthorization: lease, refresh, probe, restore or history), or in a dry
 *    run only lists them; stops before a tenant once `limit` rechecks are done or
 *    BULK_TIME_BUDGET_MS has passed, answering a cursor that resumes at that tenant; one that changed or is held meanwhile is `skipped`, one whose
 *    recheck threw is `failed` (logged), and the rest go on.
 */
export async function bulkRecheck(
  deps: RecoveryDependencies,
  request: BulkRecheckRequest,
): Promise<BulkRecheckReport> {
  if (request.integration !== undefined && !deps.validator.catalog.find(request.integration)) {
    throw new IntegrationNotFoundError(request.integration);
  }
  const now = deps.validator.clock.now();
  const until = request.until ?? now.toISOString();
  const since = request.since ?? new Date(now.getTime() - (request.withinHours ?? 0) * HOUR_MS).toISOString();
  const position = request.cursor ?? { skip: 0 };
  const page = await tenantsPage(deps, request.tenantId, position);
  const items: BulkRecheckItem[] = [];
  let rechecked = 0;
  let cursor: string | undefined;
  for (let index = position.skip; index < page.tenants.length; index += 1) {
    const tenant = page.tenants[index] as Tenant;
    if (tenant.status !== 'active') continue;
    const selected = (await deps.validator.authorizations.listForTenant(tenant.tenantId)).filter((record) => {
      const invalidatedAt = Date.parse(invalidatedAtOf(record));
      return (
        canRecheck(record.status) &&
        (request.cause === undefined || record.cause === request.cause) &&
        (request.integration === undefined || record.integration === request.integration) &&
        invalidatedAt >= Date.parse(since) &&
        invalidatedAt <= Date.parse(until)
      );
    });
    const spent = deps.validator.clock.now().getTime() - now.getTime();
    const full = rechecked >= request.limit || spent >= BULK_TIME_BUDGET_MS;
    if (!request.dryRun && selected.length > 0 && full) {
      cursor = encodePosition({ ...(position.tenants ? { tenants: position.tenants } : {}), skip: index });
      break;
    }
    for (const record of selected) {
      items.push(request.dryRun ? selectedItem(record) : await recheckOne(deps, record));
      if (!request.dryRun) rechecked += 1;
    }
  }
  if (cursor === undefined && page.cursor !== undefined)
    cursor = encodePosition({ tenants: page.cursor, skip: 0 });
  return {
    dryRun: request.dryRun,
    window: { since, until },
    ...(request.cause ? { cause: request.cause } : {}),
    items,
    ...(cursor ? { cursor } : {}),
  };
}

async function tenantsPage(
  deps: RecoveryDependencies,
  tenantId: string | undefined,
  position: Position,
): Promise<{ tenants: Tenant[]; cursor?: string }> {
  if (tenantId !== undefined) {
    const tenant = await deps.tenants.get(tenantId);
    if (!tenant) throw new TenantNotFoundError(tenantId);
    return { tenants: [tenant] };
  }
  const page = await deps.tenants.list({
    limit: BULK_TENANT_PAGE,
    ...(position.tenants ? { cursor: position.tenants } : {}),
  });
  return { tenants: page.items, ...(page.cursor ? { cursor: page.cursor } : {}) };
}

function selectedItem(record: Authorization): BulkRecheckItem {
  return {
    tenantId: record.tenantId,
    integration: record.integration,
    ...(record.cause ? { cause: record.cause } : {}),
    invalidatedAt: invalidatedAtOf(record),
    outcome: 'selected',
  };
}

async function recheckOne(deps: RecoveryDependencies, record: Authorization): Promise<BulkRecheckItem> {
  const item = selectedItem(record);
  try {
    const result = await recheckAuthorization(deps, {
      tenantId: record.tenantId,
      integration: record.integration,
    });
    return { ...item, outcome: result.outcome, detail: result.detail };
  } catch (error) {
    const changedMeanwhile =
      error instanceof AuthorizationStatusError ||
      error instanceof AuthorizationBusyError ||
      error instanceof ConflictError ||
      error instanceof TenantOffboardedError;
    if (changedMeanwhile) {
      return { ...item, outcome: 'skipped', detail: error.message };
    }
    deps.validator.log.error('A bulk recheck of one authorization failed', {
      tenantId: record.tenantId,
      integration: record.integration,
      error: error instanceof Error ? error.name : 'unknown',
    });
    return { ...item, outcome: 'failed', detail: 'The recheck failed with an internal error; see the logs.' };
  }
}
