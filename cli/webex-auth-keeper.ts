import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import * as z from 'zod';
import {
  parseAnswer,
  positiveInteger,
  postAuthorizationAction,
  requirePositional,
  segment,
  shortTime,
  table,
} from './cli-helpers.js';
import { RECOVERY_HELP, runRecoveryCommand } from './recovery-commands.js';
import {
  AdminApiClient,
  ApiProblemError,
  LOCAL_API,
  TransportError,
  UsageError,
  type ApiClientOptions,
} from './api-client.js';

export { table } from './cli-helpers.js';

/** Exit codes, for scripts. */
export const EXIT = { ok: 0, apiError: 1, usage: 2, unreachable: 3, inconclusive: 4 } as const;

/**
 * The most words each command takes, its own name included: a word more is a mistake to report
 * (`offboard beta acme --yes` must not offboard beta and drop acme unsaid).
 */
const MOST_WORDS: Record<string, number> = {
  tenants: 3,
  link: 2,
  validate: 3,
  offboard: 2,
  recheck: 3,
  refresh: 3,
  reload: 2,
  history: 2,
};

function refuseExtraWords(positionals: string[]): void {
  const command = positionals[0] ?? '';
  const most = MOST_WORDS[command];
  if (most === undefined || positionals.length <= most) return;
  const extra = positionals.slice(most);
  throw new UsageError(
    `${positionals.slice(0, most).join(' ')}: unexpected ${extra.length === 1 ? 'argument' : 'arguments'} ${extra.join(' ')} (one command acts on one tenant)`,
  );
}

export const USAGE = `Usage: webex-auth-keeper [--api URL] [--profile NAME] [--region R] [--json] <command>

Commands:
  tenants list [--limit N] [--all]                 list tenants (a page, or --all of them)
  tenants create <id> --name NAME [--contact EMAIL]... [--sso] [--org ORG_ID]
                      [--password-max-age-days N] [--sso-authorizer EMAIL]...
                                                   create a tenant; contacts get alert emails;
                                                   with --org only that Webex org may authorize
  tenants update <id> [--name NAME] [--contact EMAIL]... [--no-contacts] [--sso | --no-sso]
                      [--org ORG_ID | --no-org] [--revoke-authorizations]
                      [--password-max-age-days N | --no-password-max-age]
                      [--sso-authorizer EMAIL]... [--no-sso-authorizers]
                                                   change a tenant; --contact replaces the list;
                                                   --org binds it to the customer's Webex org,
                                                   --no-org unbinds it (refused while it has live
                                                   authorizations, unless --revoke-authorizations
                                                   revokes them first, as offboarding does)
  tenants show <id>                                a tenant and its authorizations
  tenants reactivate <id>                          make an offboarded tenant active again
  tenants purge <id> --yes                         delete an offboarded tenant, its authorization
                                                   records and history, so its id can be reused
  link <id> [--days N]                             issue an onboarding link (default 14 days)
  link <id> --revoke                               revoke every onboarding link of the tenant
  validate <id> <integration>                      validate one authorization now
  recheck <id> <integration>                       try an invalid one's stored refresh token again
  recheck --since 2h [--cause CAUSE] [--dry-run]   recheck every invalidation of a window
  refresh <id> <integration>                       refresh a live authorization's tokens now
  reload <integration>                             read a fixed client secret again everywhere now
  history <id> [--limit N] [--all]                 a tenant's history, newest first
  offboard <id> --yes                              revoke and delete all of a tenant's tokens;
                                                   prints a receipt: per integration, revoked
                                                   (verified) or not at Webex, and when deleted

Options:
  --api URL       the admin API: https (requests SigV4-signed with AWS credentials) or the
                  local run on http://127.0.0.1 (unsigned). Default: $WEBEX_AUTH_KEEPER_API,
                  else ${LOCAL_API}
  --profile NAME  sign with this AWS profile (shared config and credentials files, SSO);
                  default: the SDK's credential chain (AWS_PROFILE, environment, instance role)
  --region R      sign for this region: only needed for a custom domain (an execute-api URL
                  names its region; else AWS_REGION)
  --json          print the API's JSON instead of tables
  --help          this text (after a command: that command's help, e.g. recheck --help)
  --version       the CLI's version

ORG_ID is the orgId the Webex API gives (GET /v1/people/me), not the uuid Control Hub shows.
--password-max-age-days is the customer's password policy in Control Hub (90 to 1825 days);
without it (or after --no-password-max-age) the deployment's default applies. Each
--sso-authorizer names an authorizer who signs in through SSO although the tenant does not:
they get no password deadline warnings; the list given replaces the tenant's.

Exit codes: 0 done, 1 the API refused (the problem is printed on one line), 2 bad usage,
3 the API could not be reached or the request signed, 4 validate reached no verdict (Webex did
not answer the check normally; the authorization keeps its status and is checked again).`;

/** Where the CLI writes; the process streams by default, strings in tests. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Record<string, string | undefined>;
  /** Overrides for the API client (tests). */
  client?: Partial<ApiClientOptions>;
}

const defaultIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
};

// The API's answers are outside input: each command parses the fields it prints.
const tenantSchema = z.looseObject({
  tenantId: z.string(),
  name: z.string(),
  status: z.string(),
  sso: z.boolean(),
  contacts: z.array(z.string()),
  linkVersion: z.number(),
  orgId: z.string().optional(),
  passwordMaxAgeDays: z.number().optional(),
  ssoAuthorizers: z.array(z.string()).optional(),
  suppressedContacts: z
    .array(z.looseObject({ email: z.string(), reason: z.string(), at: z.string() }))
    .optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
const tenantPageSchema = z.looseObject({ items: z.array(tenantSchema), cursor: z.string().optional() });
const authorizationSchema = z.looseObject({
  integration: z.string(),
  status: z.string(),
  consecutiveFailures: z.number().int().min(0),
  cause: z.string().optional(),
  confidence: z.string().optional(),
  authorizer: z.looseObject({ email: z.string() }).optional(),
  accessTokenExpiresAt: z.string().optional(),
  refreshTokenExpiresAt: z.string().optional(),
  validatedAt: z.string().optional(),
  lastCheckError: z.looseObject({ errorId: z.string(), at: z.string() }).optional(),
});
const authorizationsSchema = z.looseObject({
  items: z.array(authorizationSchema),
  missing: z.array(z.string()),
});
const linkSchema = z.looseObject({ url: z.string(), expiresAt: z.string(), linkVersion: z.number() });
const revokedLinksSchema = z.looseObject({ tenantId: z.string(), linkVersion: z.number() });
const validationSchema = z.looseObject({
  outcome: z.looseObject({ kind: z.string(), reason: z.string().optional(), event: z.string().optional() }),
  authorization: authorizationSchema,
});
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

const purgeSchema = z.looseObject({ tenantId: z.string(), deletedItems: z.number() });

/** The PATCH body of `tenants update` from its options; a pair that contradicts itself is bad usage. */
function tenantChanges(values: {
  name?: string | undefined;
  contact?: string[] | undefined;
  'no-contacts': boolean;
  sso?: boolean | undefined;
  'no-sso': boolean;
  org?: string | undefined;
  'no-org': boolean;
  'password-max-age-days'?: string | undefined;
  'no-password-max-age': boolean;
  'sso-authorizer'?: string[] | undefined;
  'no-sso-authorizers': boolean;
}): Record<string, unknown> {
  if (values.contact !== undefined && values['no-contacts'])
    throw new UsageError('--contact and --no-contacts do not go together');
  if (values.sso !== undefined && values['no-sso'])
    throw new UsageError('--sso and --no-sso do not go together');
  if (values.org !== undefined && values['no-org'])
    throw new UsageError('--org and --no-org do not go together');
  if (values['password-max-age-days'] !== undefined && values['no-password-max-age'])
    throw new UsageError('--password-max-age-days and --no-password-max-age do not go together');
  if (values['sso-authorizer'] !== undefined && values['no-sso-authorizers'])
    throw new UsageError('--sso-authorizer and --no-sso-authorizers do not go together');
  const body: Record<string, unknown> = {
    ...(values.name !== undefined ? { name: values.name } : {}),
    ...(values.contact !== undefined ? { contacts: values.contact } : {}),
    ...(values['no-contacts'] ? { contacts: [] } : {}),
    ...(values.sso !== undefined ? { sso: values.sso } : {}),
    ...(values['no-sso'] ? { sso: false } : {}),
    ...(values.org !== undefined ? { orgId: values.org } : {}),
    ...(values['no-org'] ? { orgId: null } : {}),
    ...passwordPolicyOptions(values),
    ...(values['no-password-max-age'] ? { passwordMaxAgeDays: null } : {}),
    ...(values['no-sso-authorizers'] ? { ssoAuthorizers: [] } : {}),
  };
  if (Object.keys(body).length === 0) {
    throw new UsageError(
      'Nothing to change: give --name, --contact, --no-contacts, --sso, --no-sso, --org, --no-org, --password-max-age-days, --no-password-max-age, --sso-authorizer or --no-sso-authorizers',
    );
  }
  return body;
}

/** The password policy fields `tenants create` and `update` share, as given. */
function passwordPolicyOptions(values: {
  'password-max-age-days'?: string | undefined;
  'sso-authorizer'?: string[] | undefined;
}): Record<string, unknown> {
  const days = positiveInteger('password-max-age-days', values['password-max-age-days']);
  return {
    ...(days !== undefined ? { passwordMaxAgeDays: days } : {}),
    ...(values['sso-authorizer'] !== undefined ? { ssoAuthorizers: values['sso-authorizer'] } : {}),
  };
}

/** A cause with how sure it is, `user_deactivated (confirmed)`; empty without a cause. */
function causeOf(authorization: { cause?: string; confidence?: string }): string {
  if (!authorization.cause) return '';
  return authorization.confidence
    ? `${authorization.cause} (${authorization.confidence})`
    : authorization.cause;
}

/** Runs one command; returns the exit code. Never throws. */
export async function main(argv: string[], io: CliIo = defaultIo): Promise<number> {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        api: { type: 'string' },
        profile: { type: 'string' },
        region: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        version: { type: 'boolean', default: false },
        name: { type: 'string' },
        contact: { type: 'string', multiple: true },
        sso: { type: 'boolean' },
        'no-sso': { type: 'boolean', default: false },
        org: { type: 'string' },
        'no-org': { type: 'boolean', default: false },
        'no-contacts': { type: 'boolean', default: false },
        'password-max-age-days': { type: 'string' },
        'no-password-max-age': { type: 'boolean', default: false },
        'sso-authorizer': { type: 'string', multiple: true },
        'no-sso-authorizers': { type: 'boolean', default: false },
        'revoke-authorizations': { type: 'boolean', default: false },
        days: { type: 'string' },
        revoke: { type: 'boolean', default: false },
        yes: { type: 'boolean', default: false },
        limit: { type: 'string' },
        all: { type: 'boolean', default: false },
        since: { type: 'string' },
        until: { type: 'string' },
        cause: { type: 'string' },
        tenant: { type: 'string' },
        integration: { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
      },
    });
    if (values.version) {
      io.stdout(`webex-auth-keeper ${cliVersion()}\n`);
      return EXIT.ok;
    }
    const commandHelp = values.help ? RECOVERY_HELP[positionals[0] ?? ''] : undefined;
    if (commandHelp !== undefined) {
      io.stdout(`${commandHelp}\n`);
      return EXIT.ok;
    }
    if (values.help || positionals.length === 0) {
      io.stdout(`${USAGE}\n`);
      return values.help ? EXIT.ok : EXIT.usage;
    }
    const client = new AdminApiClient({
      baseUrl: values.api ?? io.env.WEBEX_AUTH_KEEPER_API ?? LOCAL_API,
      env: io.env,
      ...(values.profile !== undefined ? { profile: values.profile } : {}),
      ...(values.region !== undefined ? { region: values.region } : {}),
      ...io.client,
    });
    const print = (document: unknown, human: () => string) =>
      io.stdout(values.json ? `${JSON.stringify(document, null, 2)}\n` : human());

    refuseExtraWords(positionals);
    const [command, sub] = positionals;
    if (command === 'tenants' && sub === 'list') {
      const limit = positiveInteger('limit', values.limit);
      const items: z.infer<typeof tenantSchema>[] = [];
      let cursor: string | undefined;
      do {
        const page = parseAnswer(
          tenantPageSchema,
          await client.call({
            method: 'GET',
            path: '/admin/tenants',
            query: { ...(limit ? { limit: String(limit) } : {}), ...(cursor ? { cursor } : {}) },
          }),
        );
        items.push(...page.items);
        cursor = page.cursor;
      } while (values.all && cursor);
      print({ items, ...(cursor ? { cursor } : {}) }, () => {
        const rows = items.map((t) => [
          t.tenantId,
          t.name,
          t.status,
          t.sso ? 'yes' : 'no',
          t.contacts.join(', '),
        ]);
        const more = cursor ? `(more tenants: add --all)\n` : '';
        return table(['TENANT', 'NAME', 'STATUS', 'SSO', 'CONTACTS'], rows) + more;
      });
      return EXIT.ok;
    }
    if (command === 'tenants' && sub === 'create') {
      const tenantId = requirePositional(positionals, 2, 'tenant id: tenants create <id> --name NAME');
      if (values.name === undefined) throw new UsageError('Missing --name');
      const tenant = parseAnswer(
        tenantSchema,
        await client.call({
          method: 'POST',
          path: '/admin/tenants',
          body: {
            tenantId,
            name: values.name,
            contacts: values.contact ?? [],
            sso: values.sso ?? false,
            ...(values.org !== undefined ? { orgId: values.org } : {}),
            ...passwordPolicyOptions(values),
          },
        }),
      );
      print(tenant, () => `Created tenant ${tenant.tenantId} (${tenant.name}).\n`);
      return EXIT.ok;
    }
    if (command === 'tenants' && sub === 'update') {
      const tenantId = requirePositional(positionals, 2, 'tenant id: tenants update <id> [changes]');
      const body = tenantChanges(values);
      const tenant = parseAnswer(
        tenantSchema,
        await client.call({
          method: 'PATCH',
          path: `/admin/tenants/${segment(tenantId)}`,
          body,
          ...(values['revoke-authorizations'] ? { query: { revokeAuthorizations: 'true' } } : {}),
        }),
      );
      print(
        tenant,
        () =>
          `Updated tenant ${tenant.tenantId} (${tenant.name}); Webex org: ${tenant.orgId ?? 'not bound'}.\n`,
      );
      return EXIT.ok;
    }
    if (command === 'tenants' && sub === 'reactivate') {
      const tenantId = requirePositional(positionals, 2, 'tenant id: tenants reactivate <id>');
      const tenant = parseAnswer(
        tenantSchema,
        await client.call({ method: 'POST', path: `/admin/tenants/${segment(tenantId)}/reactivate` }),
      );
      print(
        tenant,
        () =>
          `Reactivated tenant ${tenant.tenantId}. Links issued before it was offboarded stay dead: issue one with "link ${tenant.tenantId}".\n`,
      );
      return EXIT.ok;
    }
    if (command === 'tenants' && sub === 'purge') {
      const tenantId = requirePositional(positionals, 2, 'tenant id: tenants purge <id> --yes');
      if (!values.yes) {
        throw new UsageError(
          `Purging deletes ${tenantId}, its authorization records and its history for good; add --yes to go ahead`,
        );
      }
      const purged = parseAnswer(
        purgeSchema,
        await client.call({
          method: 'DELETE',
          path: `/admin/tenants/${segment(tenantId)}`,
          query: { purge: 'true' },
        }),
      );
      print(
        purged,
        () => `Purged tenant ${purged.tenantId} (${purged.deletedItems} items); its id can be used again.\n`,
      );
      return EXIT.ok;
    }
    if (command === 'tenants' && sub === 'show') {
      const tenantId = requirePositional(positionals, 2, 'tenant id: tenants show <id>');
      const tenant = parseAnswer(
        tenantSchema,
        await client.call({ method: 'GET', path: `/admin/tenants/${segment(tenantId)}` }),
      );
      const authorizations = parseAnswer(
        authorizationsSchema,
        await client.call({ method: 'GET', path: `/admin/tenants/${segment(tenantId)}/authorizations` }),
      );
      print({ tenant, authorizations }, () => {
        const facts = table(
          ['FIELD', 'VALUE'],
          [
            ['tenant', tenant.tenantId],
            ['name', tenant.name],
            ['status', tenant.status],
            ['sso', tenant.sso ? 'yes' : 'no'],
            ['sso authorizers', (tenant.ssoAuthorizers ?? []).join(', ')],
            [
              'password max age',
              tenant.passwordMaxAgeDays === undefined
                ? 'deployment default'
                : `${tenant.passwordMaxAgeDays} days`,
            ],
            ['webex org', tenant.orgId ?? ''],
            ['contacts', tenant.contacts.join(', ')],
            [
              'not mailed',
              (tenant.suppressedContacts ?? [])
                .map((entry) => `${entry.email} (${entry.reason} since ${shortTime(entry.at)})`)
                .join(', '),
            ],
            ['link version', String(tenant.linkVersion)],
          ],
        );
        const rows = authorizations.items.map((a) => [
          a.integration,
          a.status,
          a.status === 'check_failing' ? `error ${a.lastCheckError?.errorId ?? 'unknown'}` : causeOf(a),
          a.authorizer?.email ?? '',
          shortTime(a.accessTokenExpiresAt),
          shortTime(a.refreshTokenExpiresAt),
          shortTime(a.validatedAt),
        ]);
        for (const key of authorizations.missing) rows.push([key, 'not authorized', '', '', '', '', '']);
        return `${facts}\n${table(['INTEGRATION', 'STATUS', 'CAUSE', 'AUTHORIZER', 'ACCESS EXPIRES', 'REFRESH EXPIRES', 'VALIDATED'], rows)}`;
      });
      return EXIT.ok;
    }
    if (command === 'link') {
      const tenantId = requirePositional(positionals, 1, 'tenant id: link <id>');
      const path = `/admin/tenants/${segment(tenantId)}/links`;
      if (values.revoke) {
        if (values.days !== undefined) throw new UsageError('--days and --revoke do not go together');
        const revoked = parseAnswer(revokedLinksSchema, await client.call({ method: 'DELETE', path }));
        print(
          revoked,
          () =>
            `Revoked every onboarding link of ${revoked.tenantId} (link version now ${revoked.linkVersion}).\n`,
        );
        return EXIT.ok;
      }
      const days = positiveInteger('days', values.days);
      const link = parseAnswer(
        linkSchema,
        await client.call({ method: 'POST', path, body: days ? { expiresInDays: days } : {} }),
      );
      print(link, () => `${link.url}\nValid until ${shortTime(link.expiresAt)}.\n`);
      return EXIT.ok;
    }
    if (command === 'validate') {
      const { tenantId, integration, result } = await postAuthorizationAction(
        client,
        positionals,
        'validate',
        validationSchema,
      );
      print(result, () => {
        const { outcome, authorization } = result;
        const did =
          outcome.kind === 'checked' ? 'Checked' : `Skipped (${outcome.reason ?? 'no reason given'})`;
        const cause = authorization.cause ? `, cause ${causeOf(authorization)}` : '';
        if (outcome.kind === 'checked' && authorization.consecutiveFailures > 0)
          return (
            `Checked, no verdict: Webex did not answer this check normally, so ${tenantId}/${integration} ` +
            `stays ${authorization.status} (${plural(authorization.consecutiveFailures, 'failed check')} in a row); ` +
            'it is checked again later.\n'
          );
        return `${did}: ${tenantId}/${integration} is ${authorization.status}${cause}.\n`;
      });
      // A check that reached no verdict is not "done": scripts must not read it as healthy.
      return result.outcome.kind === 'checked' && result.authorization.consecutiveFailures > 0
        ? EXIT.inconclusive
        : EXIT.ok;
    }
    if (command === 'offboard') {
      const tenantId = requirePositional(positionals, 1, 'tenant id: offboard <id> --yes');
      if (!values.yes) {
        throw new UsageError(
          `Offboarding revokes and deletes every token of ${tenantId} and cannot be undone; add --yes to go ahead`,
        );
      }
      const report = parseAnswer(
        offboardingSchema,
        await client.call({ method: 'DELETE', path: `/admin/tenants/${segment(tenantId)}` }),
      );
      print(report, () => {
        const rows = report.authorizations.map((a) => [
          a.integration,
          a.previousStatus,
          a.atWebex.outcome,
          a.secretDestroyed ? 'yes' : 'no',
        ]);
        // The receipt: per integration, what Webex does with the token now and when ours was deleted.
        const receipt = report.authorizations.map(
          (a) =>
            `${a.integration}: ${a.atWebex.statement} ${a.secretDestroyed ? `Tokens deleted here at ${a.secretDestroyedAt}.` : 'Tokens NOT deleted here.'}\n`,
        );
        return `Offboarded ${report.tenantId}.\n${table(['INTEGRATION', 'WAS', 'AT WEBEX', 'TOKENS DELETED'], rows)}\nReceipt:\n${receipt.join('')}`;
      });
      return EXIT.ok;
    }
    if (command !== undefined && (await runRecoveryCommand(command, positionals, values, client, print))) {
      return EXIT.ok;
    }
    throw new UsageError(`Unknown command: ${positionals.join(' ')}`);
  } catch (error) {
    return report(error, io);
  }
}

/** One line on stderr, and the exit code that goes with it. */
function report(error: unknown, io: CliIo): number {
  if (error instanceof ApiProblemError) {
    io.stderr(`webex-auth-keeper: ${error.message}\n`);
    return EXIT.apiError;
  }
  if (error instanceof TransportError) {
    io.stderr(`webex-auth-keeper: ${error.message}\n`);
    return EXIT.unreachable;
  }
  // parseArgs throws TypeErrors with a code for unknown or malformed options.
  const isArgError =
    error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS');
  if (error instanceof UsageError || isArgError) {
    io.stderr(`webex-auth-keeper: ${(error as Error).message}\nRun with --help for usage.\n`);
    return EXIT.usage;
  }
  io.stderr(
    `webex-auth-keeper: unexpected failure: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  return EXIT.unreachable;
}

/** `1 failed check`, `2 failed checks`. */
function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** The version of the package the CLI ships in, as its package.json says. */
function cliVersion(): string {
  const manifest: unknown = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  return z.object({ version: z.string() }).parse(manifest).version;
}
