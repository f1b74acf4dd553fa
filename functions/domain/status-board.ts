import type { Catalog } from './catalog.js';
import type {
  Authorization,
  AuthorizationStatus,
  CauseConfidence,
  InvalidationCause,
  Tenant,
} from './model.js';
import { passwordMaxAgeDaysOf, signsInWithSso } from './password-policy.js';
import type { AuthorizationRepository, TenantRepository } from './ports.js';
import type { AlertLedger, FlapCount } from './alert-ledger.js';
import { utcDay } from './alert-policy.js';
import type { CredentialIncidentStore } from './validator-incident.js';

/** A cell's state: an authorization's status, or `not_authorized` when there is no record. */
export type BoardCellState = AuthorizationStatus | 'not_authorized';

export interface BoardCell {
  integration: string;
  state: BoardCellState;
  cause?: InvalidationCause;
  /** How sure the cause is; absent on records invalidated before confidences existed. */
  confidence?: CauseConfidence;
  authorizerEmail?: string;
  /**
   * The earliest deadline that ends the authorization unless someone acts: refresh-token expiry, or
   * the password deadline of a non-SSO authorizer (the tenant's password age from the grant: the
   * latest it can be).
   */
  nextExpiry?: { at: string; what: 'refresh token' | 'password' };
}

export interface BoardRow {
  tenantId: string;
  tenantName: string;
  sso: boolean;
  offboarded: boolean;
  cells: BoardCell[];
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

export interface StatusBoard {
  generatedAt: string;
  /** Authorizations in `check_failing`, each with its last error id, for ops to fix and recheck. */
  checkFailing: BoardCheckFailing[];
  /** Open credential incidents (validator-incident.ts), shown as a banner above the board. */
  credentialIncidents: BoardCredentialIncident[];
  /** Authorizations that flapped (degraded, then restored within the flap window) too often today (docs/alerts.md). */
  flapping: FlapCount[];
  integrations: { key: string; name: string }[];
  rows: BoardRow[];
  /** How many cells are in each state, fleet wide. */
  totals: Record<BoardCellState, number>;
}

const DAY_MS = 86_400_000;

function nextExpiryOf(
  authorization: Authorization,
  tenant: Tenant,
  passwordMaxAgeDays: number,
): BoardCell['nextExpiry'] {
  const candidates: NonNullable<BoardCell['nextExpiry']>[] = [];
  if (authorization.refreshTokenExpiresAt) {
    candidates.push({ at: authorization.refreshTokenExpiresAt, what: 'refresh token' });
  }
  if (!signsInWithSso(tenant, authorization.authorizer) && authorization.grantedAt) {
    const deadline = new Date(
      Date.parse(authorization.grantedAt) + passwordMaxAgeDaysOf(tenant, passwordMaxAgeDays) * DAY_MS,
    ).toISOString();
    candidates.push({ at: deadline, what: 'password' });
  }
  return candidates.sort((a, b) => Date.parse(a.at) - Date.parse(b.at))[0];
}

/** One tenant's row: a cell per catalog integration, in catalog order. */
export function boardRow(
  tenant: Tenant,
  authorizations: Authorization[],
  catalog: Catalog,
  passwordMaxAgeDays: number,
): BoardRow {
  const byKey = new Map(authorizations.map((authorization) => [authorization.integration, authorization]));
  return {
    tenantId: tenant.tenantId,
    tenantName: tenant.name,
    sso: tenant.sso,
    offboarded: tenant.status === 'offboarded',
    cells: catalog.integrations.map(({ key }) => {
      const authorization = byKey.get(key);
      if (!authorization) return { integration: key, state: 'not_authorized' };
      const live = authorization.status !== 'invalid' && authorization.status !== 'revoked';
      const nextExpiry = live ? nextExpiryOf(authorization, tenant, passwordMaxAgeDays) : undefined;
      return {
        integration: key,
        state: authorization.status,
        ...(authorization.cause ? { cause: authorization.cause } : {}),
        ...(authorization.confidence ? { confidence: authorization.confidence } : {}),
        ...(authorization.authorizer ? { authorizerEmail: authorization.authorizer.email } : {}),
        ...(nextExpiry ? { nextExpiry } : {}),
      };
    }),
  };
}

/** The authorization as a `check_failing` entry of the board, or none when it is not. */
function checkFailingOf(tenant: Tenant, authorization: Authorization): BoardCheckFailing[] {
  if (authorization.status !== 'check_failing') return [];
  return [
    {
      tenantId: tenant.tenantId,
      tenantName: tenant.name,
      integration: authorization.integration,
      lastErrorId: authorization.lastCheckError?.errorId ?? 'unknown',
      since: authorization.lastCheckError?.at ?? authorization.updatedAt,
      checkErrors: authorization.checkErrors ?? 0,
    },
  ];
}

/**
 * The fleet at a glance: every tenant by every integration. Reads one page of tenants at a time
 * and each tenant's authorizations with one query, so it costs one read per tenant, never a scan.
 */
export async function buildStatusBoard(input: {
  tenants: TenantRepository;
  authorizations: AuthorizationRepository;
  catalog: Catalog;
  /** The deployment's PASSWORD_MAX_AGE_DAYS, for tenants without a password age of their own. */
  passwordMaxAgeDays: number;
  now: Date;
  /** Upper bound on tenants shown, so one request stays bounded. */
  maxTenants?: number;
  /** Where open credential incidents are kept; none are shown without it. */
  credentialIncidents?: Pick<CredentialIncidentStore, 'list'>;
  /** The alert ledger's flap counts, and how many flaps a day are too many; none flagged without it. */
  flapping?: { ledger: Pick<AlertLedger, 'listFlapping'>; moreThan: number };
}): Promise<StatusBoard> {
  const maxTenants = input.maxTenants ?? 1000;
  const rows: BoardRow[] = [];
  const checkFailing: BoardCheckFailing[] = [];
  let cursor: string | undefined;
  do {
    const page = await input.tenants.list({
      limit: Math.min(100, maxTenants - rows.length),
      ...(cursor ? { cursor } : {}),
    });
    const pageRows = await Promise.all(
      page.items.map(async (tenant) => {
        const authorizations = await input.authorizations.listForTenant(tenant.tenantId);
        return {
          row: boardRow(tenant, authorizations, input.catalog, input.passwordMaxAgeDays),
          failing: authorizations.flatMap((authorization) => checkFailingOf(tenant, authorization)),
        };
      }),
    );
    for (const { row, failing } of pageRows) {
      rows.push(row);
      checkFailing.push(...failing);
    }
    cursor = page.cursor;
  } while (cursor && rows.length < maxTenants);

  const totals: Record<BoardCellState, number> = {
    not_authorized: 0,
    pending: 0,
    active: 0,
    expiring: 0,
    degraded: 0,
    invalid: 0,
    revoked: 0,
    check_failing: 0,
  };
  for (const row of rows) for (const cell of row.cells) totals[cell.state] += 1;
  const incidents = (await input.credentialIncidents?.list()) ?? [];
  const flapping = input.flapping
    ? await input.flapping.ledger.listFlapping(utcDay(input.now), input.flapping.moreThan)
    : [];
  return {
    flapping,
    generatedAt: input.now.toISOString(),
    credentialIncidents: incidents.map(({ integration, openedAt }) => {
      const known = input.catalog.find(integration);
      return {
        integration,
        name: known?.name ?? integration,
        integrationId: known?.integrationId ?? 'unknown (no longer in the catalog)',
        openedAt,
      };
    }),
    integrations: input.catalog.integrations.map(({ key, name }) => ({ key, name })),
    checkFailing,
    rows,
    totals,
  };
}
