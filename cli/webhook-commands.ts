import type { Command } from 'commander';
import * as z from 'zod';
import { parseAnswer, type CommandContext } from './cli-helpers.js';

/*
 * `webhooks register`: the deploy step that registers the `serviceApp` webhook with Webex, through
 * the admin API (which holds the vendor token and the webhook secret: neither reaches the CLI).
 */

const HELP = `Registers the serviceApp webhook with Webex: one webhook for "authorized" and one for
"deauthorized", aimed at the public API's /webhooks/service-app and signed with the deployment's
webhook secret, replacing this deployment's of before. Run it once the vendor token is authorized
(docs/deploy.md), and again after rotating the webhook secret. Refused (exit code 1) while there is
no vendor token.`;

const registeredSchema = z.looseObject({
  targetUrl: z.string(),
  webhooks: z.array(z.looseObject({ id: z.string(), event: z.string() })),
  replaced: z.number().int(),
});

/** Adds `webhooks register`. */
export function registerWebhookCommands(program: Command, context: CommandContext): void {
  program
    .command('webhooks')
    .description('register the serviceApp webhook with Webex')
    .command('register')
    .description("register the serviceApp webhook with Webex (the vendor token's org)")
    .addHelpText('after', `\n${HELP}`)
    .action(async () => {
      const result = parseAnswer(
        registeredSchema,
        await context.client().call({ method: 'POST', path: '/admin/service-app-webhooks' }),
      );
      context.print(result, () => {
        const events = result.webhooks.map((webhook) => webhook.event).join(' and ');
        const replaced = result.replaced > 0 ? ` (replaced ${result.replaced} of before)` : '';
        return `Registered the serviceApp webhook for ${events} at ${result.targetUrl}${replaced}.\n`;
      });
    });
}
