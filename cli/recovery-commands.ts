import * as z from 'zod';
import { UsageError, type AdminApiClient } from './api-client.js';
import {
  parseAnswer,
  positiveInteger,
  postAuthorizationAction,
  requirePositional,
  segment,
  shortTime,
  table,
} from './cli-helpers.js';

/*
 * The commands that bring authorizations back or renew them (recheck, refresh, reload) and the
 * history that shows what they did.
 */

/** Per-command help: `webex-auth-keeper <command> --help`. */
export const RECOVERY_HELP: Readonly<Record<string, string>> = {
  recheck: `Usage: webex-auth-keeper recheck <id> <integration>
       webex-auth-keeper recheck --since 2h|ISO_TIME [--until ISO_TIME] [--cause CAUSE]
                                 [--tenant ID] [--integration KEY] [--dry-run] [--limit N]

Tries the stored refresh token of invalid authorizations again. Where Webex accepts it (and the
identity probe is healthy) the authorization is active again and a "restored" mail goes out;
otherwise it stays as it was and the attempt is in its history.

The second form selects by invalidation time (--since: 30m, 2h, 3d, or an ISO time) and cause
(password_changed_or_revoked, user_deactivated, admin_role_removed, integration_revoked,
refresh_token_expired, unknown), and follows the API's pages until every tenant is looked at;
--limit caps the rechecks per API call (default 10). --dry-run lists what would be rechecked.`,
  refresh: `Usage: webex-auth-keeper refresh <id> <integration>

Refreshes a live (active, expiring or degraded) authorization's tokens now, on the validator's
path, and prints the new expiries. An invalid one is refused: recheck it instead. Exit code 1 when
Webex did not renew the tokens (the message says what became of the authorization).`,
  reload: `Usage: webex-auth-keeper reload <integration>

After a credential incident (Webex refuses our client secret), once the right secret is stored:
every function reads the client secret again at once instead of within 5 minutes, and the
authorization that opened the incident is refreshed now to prove it. Refused (exit code 1) when
the integration has no open credential incident.`,
  history: `Usage: webex-auth-keeper history <id> [--limit N] [--all]

A tenant's history, newest first: transitions, warnings and recheck attempts.`,
};

/** The options these commands read (declared with the others in the CLI's argument parser). */
export interface RecoveryOptions {
  since?: string | undefined;
  until?: string | undefined;
  cause?: string | undefined;
  tenant?: string | undefined;
  integration?: string | undefined;
  'dry-run': boolean;
  limit?: string | undefined;
  all: boolean;
}

/** What a command prints with: the API's JSON with --json, else the human text. */
export type Printer = (document: unknown, human: () => string) => void;

const recheckSchema = z.looseObject({
  tenantId: z.string(),
  integration: z.string(),
  outcome: z.string(),
  detail: z.string(),
  status: z.string(),
});
const bulkItemSchema = z.looseObject({
  tenantId: z.string(),
  integration: z.string(),
  cause: z.string().optional(),
  invalidatedAt: z.string(),
  outcome: z.string(),
  detail: z.string().optional(),
});
const bulkSchema = z.looseObject({
  window: z.looseObject({ since: z.string(), until: z.string() }),
  items: z.array(bulkItemSchema),
  cursor: z.string().optional(),
});
const refreshSchema = z.looseObject({
  tenantId: z.string(),
  integration: z.string(),
  status: z.string(),
  accessTokenExpiresAt: z.string(),
  refreshTokenExpiresAt: z.string(),
});
const reloadSchema = z.looseObject({
  integration: z.string(),
  verifiedOn: z.looseObject({ tenantId: z.string(), outcome: z.string(), detail: z.string() }).optional(),
  incidentOpen: z.boolean(),
});
const historyItemSchema = z.looseObject({
  occurredAt: z.string(),
  type: z.string(),
  integration: z.string(),
  status: z.string().optional(),
  summary: z.string(),
});
const historyPageSchema = z.looseObject({ items: z.array(historyItemSchema), cursor: z.string().optional() });

const UNITS_IN_HOURS: Record<string, number> = { m: 1 / 60, h: 1, d: 24 };

/** `--since`: a duration back from now (`30m`, `2h`, `3d`) or an ISO time. */
function windowOf(options: RecoveryOptions): Record<string, unknown> {
  const since = options.since;
  if (since === undefined) throw new UsageError('Missing --since (e.g. --since 2h): the invalidation window');
  const duration = /^(\d+(?:\.\d+)?)([mhd])$/.exec(since);
  if (duration) {
    if (options.until !== undefined) throw new UsageError('--until goes with an ISO time in --since');
    return { withinHours: Number(duration[1]) * (UNITS_IN_HOURS[duration[2] ?? 'h'] ?? 1) };
  }
  if (Number.isNaN(Date.parse(since))) {
    throw new UsageError('--since must be a duration (30m, 2h, 3d) or an ISO time');
  }
  return { since, ...(options.until !== undefined ? { until: options.until } : {}) };
}

/** Runs `recheck`, `refresh`, `reload` or `history`; false when `command` is none of them. */
export async function runRecoveryCommand(
  command: string,
  positionals: string[],
  options: RecoveryOptions,
  client: AdminApiClient,
  print: Printer,
): Promise<boolean> {
  switch (command) {
    case 'recheck':
      if (positionals.length > 1) await recheckOne(positionals, client, print);
      else await recheckMany(options, client, print);
      return true;
    case 'refresh':
      await refresh(positionals, client, print);
      return true;
    case 'reload':
      await reload(positionals, client, print);
      return true;
    case 'history':
      await history(positionals, options, client, print);
      return true;
    default:
      return false;
  }
}

async function recheckOne(positionals: string[], client: AdminApiClient, print: Printer): Promise<void> {
  const { tenantId, integration, result } = await postAuthorizationAction(
    client,
    positionals,
    'recheck',
    recheckSchema,
  );
  print(result, () => {
    const said: Record<string, string> = {
      restored: 'Restored',
      still_invalid: 'Still invalid',
      failed: 'Failed',
    };
    return `${said[result.outcome] ?? result.outcome}: ${tenantId}/${integration} is ${result.status}. ${result.detail}\n`;
  });
}

async function recheckMany(options: RecoveryOptions, client: AdminApiClient, print: Printer): Promise<void> {
  const limit = positiveInteger('limit', options.limit);
  const body = {
    ...windowOf(options),
    ...(options.cause !== undefined ? { cause: options.cause } : {}),
    ...(options.tenant !== undefined ? { tenantId: options.tenant } : {}),
    ...(options.integration !== undefined ? { integration: options.integration } : {}),
    ...(limit !== undefined ? { limit } : {}),
    dryRun: options['dry-run'],
  };
  const items: z.infer<typeof bulkItemSchema>[] = [];
  let window: { since: string; until: string } | undefined;
  let cursor: string | undefined;
  do {
    const page = parseAnswer(
      bulkSchema,
      await client.call({
        method: 'POST',
        path: '/admin/recheck',
        body: { ...body, ...(cursor ? { cursor } : {}) },
      }),
    );
    // Every page keeps the first page's window, so "the last 2 hours" does not slide while paging.
    if (!window) {
      window = { since: page.window.since, until: page.window.until };
      Object.assign(body, { since: window.since, until: window.until });
      delete (body as { withinHours?: number }).withinHours;
    }
    items.push(...page.items);
    cursor = page.cursor;
  } while (cursor);
  print({ window, items }, () => {
    const rows = items.map((item) => [
      item.tenantId,
      item.integration,
      item.cause ?? '',
      shortTime(item.invalidatedAt),
      item.outcome,
      item.detail ?? '',
    ]);
    const what = options['dry-run'] ? 'would be rechecked' : 'rechecked';
    return `${items.length} ${what} (invalidated ${shortTime(window?.since)} to ${shortTime(window?.until)}).\n${table(['TENANT', 'INTEGRATION', 'CAUSE', 'INVALIDATED', 'OUTCOME', 'DETAIL'], rows)}`;
  });
}

async function refresh(positionals: string[], client: AdminApiClient, print: Printer): Promise<void> {
  const { tenantId, integration, result } = await postAuthorizationAction(
    client,
    positionals,
    'refresh',
    refreshSchema,
  );
  print(
    result,
    () =>
      `Refreshed ${tenantId}/${integration} (${result.status}): access token until ${shortTime(result.accessTokenExpiresAt)}, refresh token until ${shortTime(result.refreshTokenExpiresAt)}.\n`,
  );
}

async function reload(positionals: string[], client: AdminApiClient, print: Printer): Promise<void> {
  const integration = requirePositional(positionals, 1, 'integration: reload <integration>');
  const result = parseAnswer(
    reloadSchema,
    await client.call({ method: 'POST', path: `/admin/integrations/${segment(integration)}/reload` }),
  );
  print(result, () => {
    const verified = result.verifiedOn
      ? ` Verified on ${result.verifiedOn.tenantId}: ${result.verifiedOn.outcome}. ${result.verifiedOn.detail}`
      : '';
    const incident = result.incidentOpen
      ? ' The credential incident is still open: check the stored client secret.'
      : ' The credential incident is closed.';
    return `Reload of ${result.integration}'s client secret requested.${verified}${incident}\n`;
  });
}

async function history(
  positionals: string[],
  options: RecoveryOptions,
  client: AdminApiClient,
  print: Printer,
): Promise<void> {
  const tenantId = requirePositional(positionals, 1, 'tenant id: history <id>');
  const limit = positiveInteger('limit', options.limit);
  const items: z.infer<typeof historyItemSchema>[] = [];
  let cursor: string | undefined;
  do {
    const page = parseAnswer(
      historyPageSchema,
      await client.call({
        method: 'GET',
        path: `/admin/tenants/${segment(tenantId)}/history`,
        query: { ...(limit ? { limit: String(limit) } : {}), ...(cursor ? { cursor } : {}) },
      }),
    );
    items.push(...page.items);
    cursor = page.cursor;
  } while (options.all && cursor);
  print({ items, ...(cursor ? { cursor } : {}) }, () => {
    const rows = items.map((item) => [
      shortTime(item.occurredAt),
      item.integration,
      item.type,
      item.status ?? '',
      item.summary,
    ]);
    const more = cursor ? '(more history: add --all)\n' : '';
    return table(['WHEN', 'INTEGRATION', 'EVENT', 'STATUS', 'SUMMARY'], rows) + more;
  });
}
