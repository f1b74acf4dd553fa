import { readFileSync } from 'node:fs';
import { Command, CommanderError, Help } from 'commander';
import * as z from 'zod';
import { AdminApiClient, LOCAL_API, UsageError } from './api-client.js';
import { registerAuthorizationCommands } from './authorization-commands.js';
import type { CommandContext } from './cli-helpers.js';
import { registerOffboardCommand } from './offboard-command.js';
import { EXIT, progressOn, reportError, worseExit, type CliIo, type ExitCode } from './cli-output.js';
import { registerRecoveryCommands } from './recovery-commands.js';
import { registerTenantCommands } from './tenant-commands.js';
import { registerWebhookCommands } from './webhook-commands.js';

export { table } from './cli-helpers.js';
export { EXIT, type CliIo } from './cli-output.js';

/** The program's help: every command at a glance (`<command> --help` has each one's options). */
export const USAGE = `Usage: webex-auth-keeper [--api URL] [--profile NAME] [--region R] [--json] <command>

Commands:
  tenants list [--limit N] [--all]                 list tenants (a page, or --all of them)
  tenants create <id> --name NAME [--contact EMAIL]... [--sso] [--org ORG_ID]
                      [--password-max-age-days N] [--sso-authorizer EMAIL]...
                                                   create a tenant; contacts get alert emails;
                                                   with --org only that Webex org may authorize
  tenants update <id> [--name NAME] [--contact EMAIL]... [--no-contacts]
                      [--add-contact EMAIL]... [--remove-contact EMAIL]... [--sso | --no-sso]
                      [--org ORG_ID | --no-org] [--revoke-authorizations]
                      [--password-max-age-days N | --no-password-max-age]
                      [--sso-authorizer EMAIL]... [--no-sso-authorizers]
                                                   change a tenant: reads it, then changes it only
                                                   if nobody did meanwhile (If-Match); --contact
                                                   replaces the list, --add-contact and
                                                   --remove-contact edit it; --org binds it to the
                                                   customer's Webex org, --no-org unbinds it
                                                   (refused while it has live authorizations,
                                                   unless --revoke-authorizations revokes them
                                                   first, as offboarding does)
  tenants show <id>                                a tenant and its authorizations
  tenants reactivate <id>                          make an offboarded tenant active again
  tenants purge <id> --yes                         delete an offboarded tenant, its authorization
                                                   records and history, so its id can be reused
  tenants restore-contact <id> <email>             mail an address again that the tenant no longer
                                                   mails (it unsubscribed, bounced or complained)
  link <id> [--days N]                             issue an onboarding link (default 14 days)
  link <id> --revoke                               revoke every onboarding link of the tenant
  validate <id> <integration>                      validate one authorization now
  validate <id>                                    validate each of the tenant's authorizations
  token <id> <integration> [--reveal]              an access token's expiry and status (the token
        [--accept-degraded]                        itself only with --reveal; a degraded one only
                                                   with --accept-degraded)
  status-board [--status S] [--cause C] [--integration KEY] [--tenant ID]
               [--limit N] [--cursor C | --all]    the fleet: totals by status and cause, a row
                                                   per authorization
  recheck <id> <integration>                       try an invalid one's stored refresh token again
  recheck --since 2h [--cause CAUSE] [--dry-run]   recheck every invalidation of a window
  refresh <id> <integration>                       refresh a live authorization's tokens now
  reload <integration>                             read a fixed client secret again everywhere now
  history <id> [integration] [--limit N] [--all]   a tenant's (or one authorization's) history,
                                                   newest first
  offboard <id>... --yes                           revoke and delete all of the tenants' tokens
                                                   (every id is checked before any is offboarded);
                                                   prints a receipt: per integration, revoked
                                                   (verified) or not at Webex, and when deleted
  webhooks register                                register the serviceApp webhook with Webex
                                                   (once the vendor token is authorized)

Options:
  --api URL       the admin API: https (requests SigV4-signed with AWS credentials) or the
                  local run on http://127.0.0.1 (unsigned). Default: $WEBEX_AUTH_KEEPER_API,
                  else ${LOCAL_API}
  --profile NAME  sign with this AWS profile (shared config and credentials files, SSO);
                  default: the SDK's credential chain (AWS_PROFILE, environment, instance role)
  --region R      sign for this region: only needed for a custom domain (an execute-api URL
                  names its region; else AWS_REGION)
  --json          print the API's JSON instead of tables, and errors as JSON on stderr:
                  {"error": {"type", "title", "detail", "status"?}}
  -h, --help      this text; after a command, that command's help (e.g. tenants update --help)
  --version       the CLI's version

ORG_ID is the orgId the Webex API gives (GET /v1/people/me), not the uuid Control Hub shows.
--password-max-age-days is the customer's password policy in Control Hub (90 to 1825 days);
without it (or after --no-password-max-age) the deployment's default applies. Each
--sso-authorizer names an authorizer who signs in through SSO although the tenant does not:
they get no password deadline warnings; the list given replaces the tenant's.
A mistyped command or option is refused with the nearest one ("did you mean"), and so is a word
a command does not take. Long commands (validate <id>, offboard of several tenants) show their
progress on stderr when it is a terminal.

Exit codes: 0 done, 1 the API refused (the problem is printed on one line), 2 bad usage,
3 the API could not be reached or the request signed, 4 validate reached no verdict (Webex did
not answer the check normally, or the check did not run; the authorization keeps its status and
is checked again), 5 validate found the authorization not healthy (degraded, invalid,
check_failing, revoked or pending). A command on several items ends with the first of 1, 5, 4
that any of them met.`;

const defaultIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  stderrIsTty: process.stderr.isTTY,
};

interface GlobalOptions {
  api?: string;
  profile?: string;
  region?: string;
  json?: boolean;
}

/** Whether `--json` is among the arguments, for an error found before commander read it. */
function asksForJson(argv: string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).includes('--json');
}

/**
 * Refuses words a command does not take, naming them: commander's own message counts them but
 * says not which (`offboard` takes several tenants; `validate demo presence sso` is refused).
 */
function refuseExtraArguments(command: Command): void {
  const declared = command.registeredArguments;
  if (declared.some((argument) => argument.variadic) || command.args.length <= declared.length) return;
  const path: string[] = [];
  for (let at: Command | null = command; at?.parent; at = at.parent) path.unshift(at.name());
  const taken = command.args.slice(0, declared.length);
  const extra = command.args.slice(declared.length);
  throw new UsageError(
    `${[...path, ...taken].join(' ')}: unexpected ${extra.length === 1 ? 'argument' : 'arguments'} ${extra.join(' ')} (usage: ${path.join(' ')} ${command.usage()})`,
  );
}

/** The program: global options, every command, help and errors routed to `io`. */
function buildProgram(io: CliIo, exit: { code: ExitCode }): Command {
  const program = new Command('webex-auth-keeper');
  let client: AdminApiClient | undefined;
  const json = () => program.opts<GlobalOptions>().json === true;
  const context: CommandContext = {
    io,
    json,
    client: () => {
      const options = program.opts<GlobalOptions>();
      client ??= new AdminApiClient({
        baseUrl: options.api ?? io.env.WEBEX_AUTH_KEEPER_API ?? LOCAL_API,
        env: io.env,
        ...(options.profile !== undefined ? { profile: options.profile } : {}),
        ...(options.region !== undefined ? { region: options.region } : {}),
        ...io.client,
      });
      return client;
    },
    print: (document, human) => io.stdout(json() ? `${JSON.stringify(document, null, 2)}\n` : human()),
    progress: (total) => progressOn(io, json(), total),
    exitWith: (code) => {
      exit.code = worseExit(exit.code, code);
    },
  };
  program
    .version(`webex-auth-keeper ${cliVersion()}`, '--version', "the CLI's version")
    .option('--api <url>', `the admin API (default: $WEBEX_AUTH_KEEPER_API, else ${LOCAL_API})`)
    .option('--profile <name>', 'sign with this AWS profile')
    .option('--region <region>', 'sign for this region (a custom domain)')
    .option('--json', "print the API's JSON, and errors as JSON")
    .helpOption('-h, --help', 'show help')
    // The overview of every command for the program; commander's own layout for each command.
    .configureHelp({
      showGlobalOptions: true,
      formatHelp: (command, helper) =>
        command === program ? `${USAGE}\n` : Help.prototype.formatHelp.call(helper, command, helper),
    })
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr, outputError: () => undefined })
    .exitOverride()
    .allowExcessArguments()
    .hook('preAction', (_program, command) => refuseExtraArguments(command));
  registerTenantCommands(program, context);
  registerAuthorizationCommands(program, context);
  registerOffboardCommand(program, context);
  registerRecoveryCommands(program, context);
  registerWebhookCommands(program, context);
  return program;
}

/** Runs one command; returns the exit code. Never throws. */
export async function main(argv: string[], io: CliIo = defaultIo): Promise<number> {
  const exit: { code: ExitCode } = { code: EXIT.ok };
  const program = buildProgram(io, exit);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exit.code;
  } catch (error) {
    // Help and the version are printed already; help for a missing command (`tenants` alone)
    // went to stderr with a non-zero code: bad usage.
    if (
      error instanceof CommanderError &&
      ['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(error.code)
    ) {
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    return reportError(error, io, program.opts<GlobalOptions>().json === true || asksForJson(argv));
  }
}

/** The version of the package the CLI ships in, as its package.json says. */
function cliVersion(): string {
  const manifest: unknown = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  return z.object({ version: z.string() }).parse(manifest).version;
}
