import type { Command } from 'commander';
import * as z from 'zod';
import { ApiProblemError, UsageError } from './api-client.js';
import { tenantPath } from './api-answers.js';
import { parseAnswer, table, type CommandContext } from './cli-helpers.js';

/* `offboard <id>... --yes`: the tenants' tokens revoked and deleted, with a receipt for each. */

const offboardingSchema = z.looseObject({
  tenantId: z.string(),
  authorizations: z.array(
    z.looseObject({
      integration: z.string(),
      previousStatus: z.string(),
      webexRevocation: z.string(),
      atWebex: z.looseObject({ outcome: z.string(), statement: z.string() }),
      secretDestroyed: z.boolean(),
      secretDestroyedAt: z.string(),
    }),
  ),
});
type OffboardingReceipt = z.infer<typeof offboardingSchema>;

function printOffboarding(receipt: OffboardingReceipt): string {
  const rows = receipt.authorizations.map((a) => [
    a.integration,
    a.previousStatus,
    a.atWebex.outcome,
    a.secretDestroyed ? 'yes' : 'no',
  ]);
  // The receipt: per integration, what Webex does with the token now and when ours was deleted.
  const lines = receipt.authorizations.map(
    (a) =>
      `${a.integration}: ${a.atWebex.statement} ${a.secretDestroyed ? `Tokens deleted here at ${a.secretDestroyedAt}.` : 'Tokens NOT deleted here.'}\n`,
  );
  return `Offboarded ${receipt.tenantId}.\n${table(['INTEGRATION', 'WAS', 'AT WEBEX', 'TOKENS DELETED'], rows)}\nReceipt:\n${lines.join('')}`;
}

/**
 * `offboard <id>... --yes`: every tenant named is read first, so a typo offboards nobody; then each
 * is offboarded in turn, with a progress line. A failure part-way stops, prints the receipts of
 * those done and says which they were.
 */
async function offboard(tenantIds: string[], yes: boolean, context: CommandContext): Promise<void> {
  const twice = tenantIds.find((id, index) => tenantIds.indexOf(id) !== index);
  if (twice !== undefined) throw new UsageError(`${twice} is named twice`);
  if (!yes) {
    throw new UsageError(
      `Offboarding revokes and deletes every token of ${tenantIds.join(', ')} and cannot be undone; add --yes to go ahead`,
    );
  }
  const client = context.client();
  for (const tenantId of tenantIds) {
    try {
      await client.call({ method: 'GET', path: tenantPath(tenantId) });
    } catch (error) {
      if (!(error instanceof ApiProblemError)) throw error;
      const detail = `${error.problem.detail ?? error.problem.title}; nothing was offboarded`;
      throw new ApiProblemError({ ...error.problem, detail });
    }
  }
  const receipts: OffboardingReceipt[] = [];
  const progress = context.progress(tenantIds.length);
  const printDone = () =>
    context.print(tenantIds.length === 1 ? receipts[0] : { items: receipts }, () =>
      receipts.map(printOffboarding).join('\n'),
    );
  try {
    for (const tenantId of tenantIds) {
      progress.step(`offboarding ${tenantId}`);
      receipts.push(
        parseAnswer(offboardingSchema, await client.call({ method: 'DELETE', path: tenantPath(tenantId) })),
      );
    }
  } catch (error) {
    progress.done();
    if (receipts.length > 0) printDone();
    if (!(error instanceof ApiProblemError)) throw error;
    const done = receipts.map((receipt) => receipt.tenantId).join(', ') || 'none';
    const detail = `${error.problem.detail ?? error.problem.title} (offboarded before it: ${done})`;
    throw new ApiProblemError({ ...error.problem, detail });
  }
  progress.done();
  printDone();
}

/** Registers `offboard`. */
export function registerOffboardCommand(program: Command, context: CommandContext): void {
  program
    .command('offboard')
    .description(
      "revoke and delete all of the tenants' tokens; prints a receipt per tenant: per integration, revoked (verified) or not at Webex, and when deleted",
    )
    .argument('<id...>', 'the tenant ids (each is checked before any is offboarded)')
    .option('--yes', 'go ahead')
    .action((tenantIds: string[], options: { yes?: boolean }) =>
      offboard(tenantIds, options.yes ?? false, context),
    );
}
