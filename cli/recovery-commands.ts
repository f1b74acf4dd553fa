import type { Command } from 'commander';
import * as z from 'zod';
import { ApiProblemError, UsageError, type AdminApiClient } from './api-client.js';
import {
  authorizationPath,
  parseAnswer,
  positiveInteger,
  postAuthorizationAction,
  readPages,
  segment,
  shortTime,
  table,
  type CommandContext,
} from './cli-helpers.js';
import type { Printer } from './cli-output.js';

/*
 * The commands that bring authorizations back or renew them (recheck, refresh, reload) and the
 * history that shows what they did.
 */

/** What each command does, printed by `<command> --help` below its usage and options. */
const HELP = {
  recheck: `Tries the stored refresh token of invalid authorizations again. Where Webex accepts it (and the
identity probe is healthy) the authorization is active again and a "restored" mail goes out;
otherwise it stays as it was and the attempt is in its history.

The second form selects by invalidation time (--since: 30m, 2h, 3d, or an ISO time) and cause
(password_changed_or_revoked, user_deactivated, admin_role_removed, integration_revoked,
refresh_token_expired, password_change_or_deactivation_or_role_removal, service_app_deauthorized,
unknown), and follows the API's pages until every tenant is looked at;
--limit caps the rechecks per API call (default 10). --dry-run lists what would be rechecked.`,
  refresh: `Refreshes a live (active, expiring or degraded) authorization's tokens now, on the validator's
path, and prints the new expiries. An invalid one is refused: recheck it instead. Exit code 1 when
Webex did not renew the tokens (the message says what became of the authorization).`,
  reload: `After a credential incident (Webex refuses our client secret), once the right secret is stored:
every function reads the client secret again at once instead of within 5 minutes, and the
authorization that opened the incident is refreshed now to prove it. Refused (exit code 1) when
the integration has no open credential incident.`,
  history: `A tenant's history, newest first: transitions, warnings and recheck attempts. With an
integration, only that authorization's: the CLI reads the tenant's whole history and keeps its
items (--limit then caps how many are printed, the newest).`,
};

/** The options of `recheck`. */
interface RecheckOptions {
  since?: string;
  until?: string;
  cause?: string;
  tenant?: string;
  integration?: string;
  dryRun?: boolean;
  limit?: number;
}

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

const UNITS_IN_HOURS: Record<string, number> = { m: 1 / 60, h: 1, d: 24 };

/** `--since`: a duration back from now (`30m`, `2h`, `3d`) or an ISO time. */
function windowOf(options: RecheckOptions): Record<string, unknown> {
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

async function recheckOne(
  key: { tenantId: string; integration: string },
  client: AdminApiClient,
  print: Printer,
): Promise<void> {
  const result = await postAuthorizationAction(client, key, 'recheck', recheckSchema);
  print(result, () => {
    const said: Record<string, string> = {
      restored: 'Restored',
      still_invalid: 'Still invalid',
      failed: 'Failed',
    };
    return `${said[result.outcome] ?? result.outcome}: ${key.tenantId}/${key.integration} is ${result.status}. ${result.detail}\n`;
  });
}

async function recheckMany(options: RecheckOptions, client: AdminApiClient, print: Printer): Promise<void> {
  const body = {
    ...windowOf(options),
    ...(options.cause !== undefined ? { cause: options.cause } : {}),
    ...(options.tenant !== undefined ? { tenantId: options.tenant } : {}),
    ...(options.integration !== undefined ? { integration: options.integration } : {}),
    ...(options.limit !== undefined ? { limit: options.limit } : {}),
    dryRun: options.dryRun ?? false,
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
    const what = options.dryRun ? 'would be rechecked' : 'rechecked';
    return `${items.length} ${what} (invalidated ${shortTime(window?.since)} to ${shortTime(window?.until)}).\n${table(['TENANT', 'INTEGRATION', 'CAUSE', 'INVALIDATED', 'OUTCOME', 'DETAIL'], rows)}`;
  });
}

/** The window options of `recheck`: they select invalidations, so they do not go with one `<id> <integration>`. */
const WINDOW_OPTIONS = ['since', 'until', 'cause', 'tenant', 'integration', 'dryRun', 'limit'] as const;

async function recheck(
  tenantId: string | undefined,
  integration: string | undefined,
  options: RecheckOptions,
  context: CommandContext,
): Promise<void> {
  if (tenantId === undefined) return recheckMany(options, context.client(), context.print);
  if (integration === undefined) throw new UsageError('Missing integration: recheck <id> <integration>');
  const windowOption = WINDOW_OPTIONS.find((name) => options[name] !== undefined);
  if (windowOption !== undefined) {
    throw new UsageError(
      `--${windowOption.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)} selects a window: give it without <id> <integration>`,
    );
  }
  return recheckOne({ tenantId, integration }, context.client(), context.print);
}

/**
 * A tenant's history, newest first: a page (or --all of them); with an integration, that
 * authorization's items of the whole history (the route has no filter), at most `limit`.
 * An integration the catalog does not list is refused rather than shown as an empty history.
 */
async function history(
  tenantId: string,
  integration: string | undefined,
  options: { limit?: number; all?: boolean },
  context: CommandContext,
): Promise<void> {
  const client = context.client();
  if (integration !== undefined) {
    try {
      await client.call({ method: 'GET', path: authorizationPath(tenantId, integration) });
    } catch (error) {
      // An authorization never granted has no record but may have history (a refused consent).
      if (!(error instanceof ApiProblemError && error.problem.type?.endsWith('authorization-not-found')))
        throw error;
    }
  }
  const filtered = integration !== undefined;
  const { items, cursor } = await readPages(
    client,
    `/admin/tenants/${segment(tenantId)}/history`,
    historyItemSchema,
    filtered ? { all: true } : { limit: options.limit, all: options.all ?? false },
  );
  const own = items.filter((item) => !filtered || item.integration === integration);
  const shown = filtered && options.limit !== undefined ? own.slice(0, options.limit) : own;
  context.print({ items: shown, ...(cursor ? { cursor } : {}) }, () => {
    const rows = shown.map((item) => [
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

/** Registers `recheck`, `refresh`, `reload` and `history`. */
export function registerRecoveryCommands(program: Command, context: CommandContext): void {
  program
    .command('recheck')
    .description(
      "try an invalid authorization's stored refresh token again, or every invalidation of a window",
    )
    .usage(
      '<id> <integration>\n       webex-auth-keeper recheck --since 2h|ISO_TIME [--until ISO_TIME] [--cause CAUSE]\n                                 [--tenant ID] [--integration KEY] [--dry-run] [--limit N]',
    )
    .argument('[id]', 'the tenant id')
    .argument('[integration]', 'the integration')
    .option('--since <when>', 'invalidated since: a duration back from now (30m, 2h, 3d) or an ISO time')
    .option('--until <when>', 'invalidated until: an ISO time (with an ISO --since)')
    .option('--cause <cause>', 'only invalidations with this cause')
    .option('--tenant <id>', 'only this tenant')
    .option('--integration <key>', 'only this integration')
    .option('--dry-run', 'list what would be rechecked')
    .option('--limit <n>', 'rechecks per API call (default 10)', positiveInteger)
    .addHelpText('after', `\n${HELP.recheck}`)
    .action((tenantId: string | undefined, integration: string | undefined, options: RecheckOptions) =>
      recheck(tenantId, integration, options, context),
    );

  program
    .command('refresh')
    .description("refresh a live authorization's tokens now")
    .argument('<id>', 'the tenant id')
    .argument('<integration>', 'the integration')
    .addHelpText('after', `\n${HELP.refresh}`)
    .action(async (tenantId: string, integration: string) => {
      const result = await postAuthorizationAction(
        context.client(),
        { tenantId, integration },
        'refresh',
        refreshSchema,
      );
      context.print(
        result,
        () =>
          `Refreshed ${tenantId}/${integration} (${result.status}): access token until ${shortTime(result.accessTokenExpiresAt)}, refresh token until ${shortTime(result.refreshTokenExpiresAt)}.\n`,
      );
    });

  program
    .command('reload')
    .description('read a fixed client secret again everywhere now')
    .argument('<integration>', 'the integration')
    .addHelpText('after', `\n${HELP.reload}`)
    .action(async (integration: string) => {
      const result = parseAnswer(
        reloadSchema,
        await context
          .client()
          .call({ method: 'POST', path: `/admin/integrations/${segment(integration)}/reload` }),
      );
      context.print(result, () => {
        const verified = result.verifiedOn
          ? ` Verified on ${result.verifiedOn.tenantId}: ${result.verifiedOn.outcome}. ${result.verifiedOn.detail}`
          : '';
        const incident = result.incidentOpen
          ? ' The credential incident is still open: check the stored client secret.'
          : ' The credential incident is closed.';
        return `Reload of ${result.integration}'s client secret requested.${verified}${incident}\n`;
      });
    });

  program
    .command('history')
    .description("a tenant's history, or one authorization's, newest first")
    .argument('<id>', 'the tenant id')
    .argument('[integration]', "only this integration's authorization")
    .option('--limit <n>', 'items per page (with an integration: the most printed)', positiveInteger)
    .option('--all', 'every page')
    .addHelpText('after', `\n${HELP.history}`)
    .action((tenantId: string, integration: string | undefined, options: { limit?: number; all?: boolean }) =>
      history(tenantId, integration, options, context),
    );
}
