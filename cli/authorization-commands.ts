import type { Command } from 'commander';
import * as z from 'zod';
import { ApiProblemError } from './api-client.js';
import {
  authorizationPath,
  parseAnswer,
  positiveInteger,
  postAuthorizationAction,
  segment,
  shortTime,
  table,
  type CommandContext,
} from './cli-helpers.js';
import { EXIT, type ExitCode } from './cli-output.js';
import { authorizationSchema, authorizationsSchema, causeOf } from './api-answers.js';

/* The commands on authorizations and the fleet: validate (one or a tenant's), token, status-board. */

const validationSchema = z.looseObject({
  outcome: z.looseObject({ kind: z.string(), reason: z.string().optional(), event: z.string().optional() }),
  authorization: authorizationSchema,
});
type Validation = z.infer<typeof validationSchema>;

/** Statuses of an authorization that works: `expiring` works too, its deadline is warned of apart. */
const HEALTHY_STATUSES = new Set(['active', 'expiring']);

/** `1 failed check`, `2 failed checks`. */
function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/**
 * What a validate answer says, and its exit code: an authorization that is not healthy is never
 * "is active" (exit 5), even when its check did not run: the validator never checks an invalid,
 * check_failing, revoked or pending one (`not_checkable`), so its record is the verdict until
 * someone acts. On a healthy record, a check Webex did not answer normally, or one that did not
 * run, is no verdict (exit 4), since the status it shows is the one from before.
 */
export function verdictOf(key: string, result: Validation): { code: ExitCode; line: string } {
  const { outcome, authorization } = result;
  const failures = authorization.consecutiveFailures;
  if (!HEALTHY_STATUSES.has(authorization.status)) {
    const did = outcome.kind === 'checked' ? 'Checked' : `Skipped (${outcome.reason ?? 'no reason given'})`;
    const cause = authorization.cause ? `, cause ${causeOf(authorization)}` : '';
    const inRow = failures > 0 ? ` (${plural(failures, 'failed check')} in a row)` : '';
    return {
      code: EXIT.unhealthy,
      line: `${did}: ${key} is not healthy: ${authorization.status}${cause}${inRow}.`,
    };
  }
  if (outcome.kind !== 'checked') {
    return {
      code: EXIT.inconclusive,
      line: `Skipped (${outcome.reason ?? 'no reason given'}), no verdict: ${key} was not checked now; its record says ${authorization.status}.`,
    };
  }
  if (failures > 0) {
    return {
      code: EXIT.inconclusive,
      line:
        `Checked, no verdict: Webex did not answer this check normally, so ${key} ` +
        `stays ${authorization.status} (${plural(failures, 'failed check')} in a row); it is checked again later.`,
    };
  }
  return { code: EXIT.ok, line: `Checked: ${key} is ${authorization.status}.` };
}

/** `validate <id>`: each authorization of the tenant in turn, with a progress line; a refusal of one does not stop the others. */
async function validateTenant(tenantId: string, context: CommandContext): Promise<void> {
  const client = context.client();
  const { items } = parseAnswer(
    authorizationsSchema,
    await client.call({ method: 'GET', path: `/admin/tenants/${segment(tenantId)}/authorizations` }),
  );
  const results: ({ integration: string } & (Validation | { error: ApiProblemError['problem'] }))[] = [];
  const lines: string[] = [];
  const progress = context.progress(items.length);
  for (const { integration } of items) {
    progress.step(`validating ${tenantId}/${integration}`);
    try {
      const result = await postAuthorizationAction(
        client,
        { tenantId, integration },
        'validate',
        validationSchema,
      );
      const verdict = verdictOf(`${tenantId}/${integration}`, result);
      results.push({ integration, ...result });
      lines.push(verdict.line);
      context.exitWith(verdict.code);
    } catch (error) {
      if (!(error instanceof ApiProblemError)) throw error;
      results.push({ integration, error: error.problem });
      lines.push(`Not checked: ${tenantId}/${integration}: ${error.message}.`);
      context.exitWith(EXIT.apiError);
    }
  }
  progress.done();
  context.print({ tenantId, items: results }, () =>
    items.length === 0
      ? `${tenantId} has no authorizations to validate.\n`
      : lines.map((line) => `${line}\n`).join(''),
  );
}

const tokenSchema = z.looseObject({ accessToken: z.string(), expiresAt: z.string(), status: z.string() });

// The board's two shapes: the filtered one (totals by status and cause, a row per authorization,
// pages) and the older one (a row per tenant with a cell per integration), still served by older
// deployments. The CLI reads either.
const boardSchema = z.looseObject({
  totals: z.looseObject({
    byStatus: z.record(z.string(), z.number()),
    byCause: z.record(z.string(), z.number()).optional(),
    authorizations: z.number().optional(),
    tenants: z.number().optional(),
  }),
  rows: z.array(
    z.looseObject({
      tenantId: z.string(),
      integration: z.string(),
      status: z.string(),
      cause: z.string().optional(),
      confidence: z.string().optional(),
    }),
  ),
  nextCursor: z.string().optional(),
});
type Board = z.infer<typeof boardSchema>;
const cellBoardSchema = z.looseObject({
  totals: z.record(z.string(), z.number()),
  rows: z.array(
    z.looseObject({
      tenantId: z.string(),
      cells: z.array(
        z.looseObject({
          integration: z.string(),
          state: z.string(),
          cause: z.string().optional(),
          confidence: z.string().optional(),
        }),
      ),
    }),
  ),
});

/** Either shape of the board as the filtered one. */
function boardOf(document: unknown): Board {
  const board = boardSchema.safeParse(document);
  if (board.success) return board.data;
  const cells = parseAnswer(cellBoardSchema, document);
  const rows = cells.rows.flatMap((row) =>
    row.cells.map((cell) => ({
      tenantId: row.tenantId,
      integration: cell.integration,
      status: cell.state,
      ...(cell.cause !== undefined ? { cause: cell.cause } : {}),
      ...(cell.confidence !== undefined ? { confidence: cell.confidence } : {}),
    })),
  );
  return {
    totals: {
      byStatus: cells.totals,
      tenants: cells.rows.length,
      authorizations: rows.filter((row) => row.status !== 'not_authorized').length,
    },
    rows,
  };
}

/** `invalid 3, active 1`: most first, then by name, so the same totals always print the same line. */
function counts(byKey: Record<string, number> | undefined): string {
  const entries = Object.entries(byKey ?? {})
    .filter(([, count]) => count > 0)
    .sort(([a, countA], [b, countB]) => countB - countA || a.localeCompare(b));
  return entries.length === 0 ? 'none' : entries.map(([key, count]) => `${key} ${count}`).join(', ');
}

function printBoard(board: Board): string {
  const { totals } = board;
  const sizes = [
    ...(totals.tenants !== undefined ? [`Tenants: ${totals.tenants}`] : []),
    ...(totals.authorizations !== undefined ? [`authorizations: ${totals.authorizations}`] : []),
  ];
  const head = [
    ...(sizes.length > 0 ? [`${sizes.join(', ')}.`] : []),
    `By status: ${counts(totals.byStatus)}.`,
    ...(totals.byCause !== undefined ? [`By cause: ${counts(totals.byCause)}.`] : []),
  ];
  const rows = board.rows.map((row) => [row.tenantId, row.integration, row.status, causeOf(row)]);
  const more = board.nextCursor ? `(more rows: add --cursor ${board.nextCursor}, or --all)\n` : '';
  return `${head.join('\n')}\n${table(['TENANT', 'INTEGRATION', 'STATUS', 'CAUSE'], rows)}${more}`;
}

/** The options of `status-board` that are the board's query values, as given. */
const BOARD_FILTERS = ['status', 'cause', 'integration', 'tenant'] as const;

interface BoardOptions {
  status?: string;
  cause?: string;
  integration?: string;
  tenant?: string;
  limit?: number;
  cursor?: string;
  all?: boolean;
}

/** The board's answer as sent, its rows kept as they are (for --json). */
const boardAnswerSchema = z.looseObject({ rows: z.array(z.unknown()) });

async function statusBoard(options: BoardOptions, context: CommandContext): Promise<void> {
  const query: Record<string, string> = {};
  for (const name of BOARD_FILTERS) {
    const value = options[name];
    if (value !== undefined) query[name] = value;
  }
  if (options.limit !== undefined) query.limit = String(options.limit);
  const fetchPage = async (cursor: string | undefined) => {
    const answer = parseAnswer(
      boardAnswerSchema,
      await context.client().call({
        method: 'GET',
        path: '/admin/status-board',
        query: { ...query, ...(cursor ? { cursor } : {}) },
      }),
    );
    return { answer, board: boardOf(answer) };
  };
  const first = await fetchPage(options.cursor);
  const answerRows = [...first.answer.rows];
  const rows = [...first.board.rows];
  let cursor = first.board.nextCursor;
  while (options.all && cursor) {
    const page = await fetchPage(cursor);
    answerRows.push(...page.answer.rows);
    rows.push(...page.board.rows);
    cursor = page.board.nextCursor;
  }
  // The totals are the whole selection's on every page: the first page's stand.
  const board: Board = { totals: first.board.totals, rows, ...(cursor ? { nextCursor: cursor } : {}) };
  context.print({ ...first.answer, rows: answerRows, nextCursor: cursor }, () => printBoard(board));
}

/** Registers `validate`, `token` and `status-board`. */
export function registerAuthorizationCommands(program: Command, context: CommandContext): void {
  program
    .command('validate')
    .description("validate one authorization now, or each of a tenant's (exit 4: no verdict, 5: not healthy)")
    .argument('<id>', 'the tenant id')
    .argument('[integration]', "the integration; without it, each of the tenant's authorizations")
    .action(async (tenantId: string, integration: string | undefined) => {
      if (integration === undefined) return validateTenant(tenantId, context);
      const result = await postAuthorizationAction(
        context.client(),
        { tenantId, integration },
        'validate',
        validationSchema,
      );
      const verdict = verdictOf(`${tenantId}/${integration}`, result);
      context.print(result, () => `${verdict.line}\n`);
      context.exitWith(verdict.code);
    });

  program
    .command('token')
    .description('an access token: prints its expiry and status, and the token itself only with --reveal')
    .argument('<id>', 'the tenant id')
    .argument('<integration>', 'the integration')
    .option(
      '--reveal',
      'print the access token (alone on stdout, the status on stderr; in the JSON with --json)',
    )
    .option(
      '--accept-degraded',
      "take a degraded authorization's token while it is valid, instead of being refused until its next check",
    )
    .action(
      async (
        tenantId: string,
        integration: string,
        options: { reveal?: boolean; acceptDegraded?: boolean },
      ) => {
        const answer = parseAnswer(
          tokenSchema,
          await context.client().call({
            method: 'GET',
            path: `${authorizationPath(tenantId, integration)}/token`,
            ...(options.acceptDegraded ? { query: { acceptDegraded: 'true' } } : {}),
          }),
        );
        const shown = {
          tenantId,
          integration,
          status: answer.status,
          expiresAt: answer.expiresAt,
          ...(options.reveal ? { accessToken: answer.accessToken } : {}),
        };
        const line = `${tenantId}/${integration} is ${answer.status}; its access token is valid until ${shortTime(answer.expiresAt)}`;
        // Revealed without --json, the token is all of stdout, so `$(... --reveal)` is the token.
        if (options.reveal && !context.json()) {
          context.io.stderr(`${line}.\n`);
          context.io.stdout(`${answer.accessToken}\n`);
          return;
        }
        context.print(shown, () => `${line} (not printed: add --reveal).\n`);
      },
    );

  program
    .command('status-board')
    .description('the fleet at a glance: totals by status and cause, and a row per authorization')
    .option('--status <status>', 'only authorizations in this status')
    .option('--cause <cause>', 'only invalid authorizations with this cause')
    .option('--integration <key>', 'only this integration')
    .option('--tenant <id>', 'only this tenant')
    .option('--limit <n>', 'rows per page', positiveInteger)
    .option('--cursor <cursor>', 'the page after the one that named this cursor')
    .option('--all', 'every page')
    .action((options: BoardOptions) => statusBoard(options, context));
}
