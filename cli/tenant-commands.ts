import { Option, type Command } from 'commander';
import * as z from 'zod';
import { ApiProblemError, UsageError } from './api-client.js';
import {
  collect,
  parseAnswer,
  positiveInteger,
  refusePairs,
  segment,
  shortTime,
  table,
  type CommandContext,
} from './cli-helpers.js';

/* The tenant commands: tenants list/create/update/show/reactivate/purge, link and offboard. */

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
type Tenant = z.infer<typeof tenantSchema>;
const tenantPageSchema = z.looseObject({ items: z.array(tenantSchema), cursor: z.string().optional() });
/** One authorization as the admin API shows it (list, get, validate). */
export const authorizationSchema = z.looseObject({
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
/** A tenant's authorizations, and the catalog keys it has not authorized. */
export const authorizationsSchema = z.looseObject({
  items: z.array(authorizationSchema),
  missing: z.array(z.string()),
});
const linkSchema = z.looseObject({ url: z.string(), expiresAt: z.string(), linkVersion: z.number() });
const revokedLinksSchema = z.looseObject({ tenantId: z.string(), linkVersion: z.number() });
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
const purgeSchema = z.looseObject({ tenantId: z.string(), deletedItems: z.number() });

/** A cause with how sure it is, `user_deactivated (confirmed)`; empty without a cause. */
export function causeOf(authorization: {
  cause?: string | undefined;
  confidence?: string | undefined;
}): string {
  if (!authorization.cause) return '';
  return authorization.confidence
    ? `${authorization.cause} (${authorization.confidence})`
    : authorization.cause;
}

const tenantPath = (tenantId: string) => `/admin/tenants/${segment(tenantId)}`;

/** The options of `tenants update`, as commander reads them. */
interface UpdateOptions {
  name?: string;
  contact?: string[];
  /** False with `--no-contacts`. */
  contacts: boolean;
  addContact?: string[];
  removeContact?: string[];
  sso?: boolean;
  /** The org id, or false with `--no-org`. */
  org?: string | false;
  passwordMaxAgeDays?: number;
  /** False with `--no-password-max-age`. */
  passwordMaxAge: boolean;
  ssoAuthorizer?: string[];
  /** False with `--no-sso-authorizers`. */
  ssoAuthorizers: boolean;
  revokeAuthorizations?: boolean;
}

/** The contacts after `--add-contact` and `--remove-contact`; naming one that is (not) there is refused. */
function editedContacts(current: Tenant, options: UpdateOptions): string[] | undefined {
  if (options.addContact === undefined && options.removeContact === undefined) return undefined;
  const contacts = [...current.contacts];
  for (const email of options.removeContact ?? []) {
    const index = contacts.indexOf(email.toLowerCase());
    if (index < 0) throw new UsageError(`--remove-contact ${email}: not a contact of ${current.tenantId}`);
    contacts.splice(index, 1);
  }
  for (const email of options.addContact ?? []) {
    if (contacts.includes(email.toLowerCase()))
      throw new UsageError(`--add-contact ${email}: already a contact of ${current.tenantId}`);
    contacts.push(email);
  }
  return contacts;
}

/** The PATCH body of `tenants update` from its options and the tenant as read. */
function tenantChanges(current: Tenant, options: UpdateOptions): Record<string, unknown> {
  const edited = editedContacts(current, options);
  const body: Record<string, unknown> = {
    ...(options.name !== undefined ? { name: options.name } : {}),
    ...(options.contact !== undefined ? { contacts: options.contact } : {}),
    ...(options.contacts ? {} : { contacts: [] }),
    ...(edited !== undefined ? { contacts: edited } : {}),
    ...(options.sso !== undefined ? { sso: options.sso } : {}),
    ...(options.org !== undefined ? { orgId: options.org === false ? null : options.org } : {}),
    ...(options.passwordMaxAgeDays !== undefined ? { passwordMaxAgeDays: options.passwordMaxAgeDays } : {}),
    ...(options.passwordMaxAge ? {} : { passwordMaxAgeDays: null }),
    ...(options.ssoAuthorizer !== undefined ? { ssoAuthorizers: options.ssoAuthorizer } : {}),
    ...(options.ssoAuthorizers ? {} : { ssoAuthorizers: [] }),
  };
  return body;
}

/** The options that change a tenant: with none of them, `tenants update` has nothing to do. */
const CHANGE_OPTIONS = [
  'name',
  'contact',
  'no-contacts',
  'add-contact',
  'remove-contact',
  'sso',
  'no-sso',
  'org',
  'no-org',
  'password-max-age-days',
  'no-password-max-age',
  'sso-authorizer',
  'no-sso-authorizers',
];

/** Options `tenants create` and `tenants update` share. */
function withTenantOptions(command: Command): Command {
  return command
    .option('--contact <email>', 'a contact who gets alert mails (repeat it; replaces the list)', collect)
    .option('--sso', 'the tenant signs in through SSO (no password deadline warnings)')
    .option('--org <orgId>', "binds the tenant to the customer's Webex org (the orgId of GET /v1/people/me)")
    .option(
      '--password-max-age-days <days>',
      "the customer's password policy (90 to 1825 days)",
      positiveInteger,
    )
    .option('--sso-authorizer <email>', 'an authorizer who signs in through SSO (repeat it)', collect);
}

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

/** Registers `tenants ...`, `link` and `offboard`. */
export function registerTenantCommands(program: Command, context: CommandContext): void {
  const tenants = program.command('tenants').description('list, create, change and show tenants');

  tenants
    .command('list')
    .description('list tenants (a page, or --all of them)')
    .option('--limit <n>', 'tenants per page (1 to 100)', positiveInteger)
    .option('--all', 'every page')
    .action(async (options: { limit?: number; all?: boolean }) => {
      const items: Tenant[] = [];
      let cursor: string | undefined;
      do {
        const page = parseAnswer(
          tenantPageSchema,
          await context.client().call({
            method: 'GET',
            path: '/admin/tenants',
            query: {
              ...(options.limit ? { limit: String(options.limit) } : {}),
              ...(cursor ? { cursor } : {}),
            },
          }),
        );
        items.push(...page.items);
        cursor = page.cursor;
      } while (options.all && cursor);
      context.print({ items, ...(cursor ? { cursor } : {}) }, () => {
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
    });

  withTenantOptions(
    tenants
      .command('create')
      .description('create a tenant; contacts get alert mails; with --org only that Webex org may authorize')
      .argument('<id>', 'the tenant id: a lowercase slug'),
  )
    .requiredOption('--name <name>', "the customer's name")
    .action(
      async (
        tenantId: string,
        options: {
          name: string;
          contact?: string[];
          sso?: boolean;
          org?: string;
          passwordMaxAgeDays?: number;
          ssoAuthorizer?: string[];
        },
      ) => {
        const tenant = parseAnswer(
          tenantSchema,
          await context.client().call({
            method: 'POST',
            path: '/admin/tenants',
            body: {
              tenantId,
              name: options.name,
              contacts: options.contact ?? [],
              sso: options.sso ?? false,
              ...(options.org !== undefined ? { orgId: options.org } : {}),
              ...(options.passwordMaxAgeDays !== undefined
                ? { passwordMaxAgeDays: options.passwordMaxAgeDays }
                : {}),
              ...(options.ssoAuthorizer !== undefined ? { ssoAuthorizers: options.ssoAuthorizer } : {}),
            },
          }),
        );
        context.print(tenant, () => `Created tenant ${tenant.tenantId} (${tenant.name}).\n`);
      },
    );

  const update = withTenantOptions(
    tenants
      .command('update')
      .description(
        'change a tenant: reads it, then PATCHes with If-Match, so a change made meanwhile is not overwritten',
      )
      .argument('<id>', 'the tenant id')
      .option('--name <name>', "the customer's name"),
  )
    .option('--no-contacts', 'no contacts at all')
    .option('--add-contact <email>', 'adds a contact to the list (repeat it)', collect)
    .option('--remove-contact <email>', 'removes a contact from the list (repeat it)', collect)
    .option('--no-sso', 'the tenant does not sign in through SSO')
    .option(
      '--no-org',
      'unbinds the Webex org (refused while authorizations are live, unless --revoke-authorizations)',
    )
    .option(
      '--revoke-authorizations',
      'with an org change: revokes every authorization first, as offboarding does',
    )
    .option('--no-password-max-age', "back to the deployment's default password age")
    .option('--no-sso-authorizers', 'empties the list of SSO authorizers')
    .addHelpText(
      'after',
      '\nA 412 answer means the tenant changed between the read and the write: run the command again.',
    );
  refusePairs(update, [
    ['contact', 'no-contacts'],
    ['contact', 'add-contact'],
    ['contact', 'remove-contact'],
    ['no-contacts', 'add-contact'],
    ['sso', 'no-sso'],
    ['org', 'no-org'],
    ['password-max-age-days', 'no-password-max-age'],
    ['sso-authorizer', 'no-sso-authorizers'],
  ]);
  const changed = new Set<string>();
  for (const name of CHANGE_OPTIONS) update.on(`option:${name}`, () => changed.add(name));
  update.action(async (tenantId: string, options: UpdateOptions) => {
    if (changed.size === 0) {
      throw new UsageError(
        `Nothing to change: give one of ${CHANGE_OPTIONS.map((name) => `--${name}`).join(', ')}`,
      );
    }
    const client = context.client();
    const read = await client.send({ method: 'GET', path: tenantPath(tenantId) });
    const body = tenantChanges(parseAnswer(tenantSchema, read.document), options);
    const etag = read.headers.get('etag');
    const tenant = parseAnswer(
      tenantSchema,
      await client.call({
        method: 'PATCH',
        path: tenantPath(tenantId),
        body,
        ...(etag ? { headers: { 'if-match': etag } } : {}),
        ...(options.revokeAuthorizations ? { query: { revokeAuthorizations: 'true' } } : {}),
      }),
    );
    context.print(
      tenant,
      () =>
        `Updated tenant ${tenant.tenantId} (${tenant.name}); Webex org: ${tenant.orgId ?? 'not bound'}.\n`,
    );
  });

  tenants
    .command('show')
    .description('a tenant and its authorizations')
    .argument('<id>', 'the tenant id')
    .action(async (tenantId: string) => {
      const client = context.client();
      const tenant = parseAnswer(
        tenantSchema,
        await client.call({ method: 'GET', path: tenantPath(tenantId) }),
      );
      const authorizations = parseAnswer(
        authorizationsSchema,
        await client.call({ method: 'GET', path: `${tenantPath(tenantId)}/authorizations` }),
      );
      context.print({ tenant, authorizations }, () => {
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
    });

  tenants
    .command('reactivate')
    .description('make an offboarded tenant active again')
    .argument('<id>', 'the tenant id')
    .action(async (tenantId: string) => {
      const tenant = parseAnswer(
        tenantSchema,
        await context.client().call({ method: 'POST', path: `${tenantPath(tenantId)}/reactivate` }),
      );
      context.print(
        tenant,
        () =>
          `Reactivated tenant ${tenant.tenantId}. Links issued before it was offboarded stay dead: issue one with "link ${tenant.tenantId}".\n`,
      );
    });

  tenants
    .command('purge')
    .description(
      'delete an offboarded tenant, its authorization records and history, so its id can be reused',
    )
    .argument('<id>', 'the tenant id')
    .option('--yes', 'go ahead')
    .action(async (tenantId: string, options: { yes?: boolean }) => {
      if (!options.yes) {
        throw new UsageError(
          `Purging deletes ${tenantId}, its authorization records and its history for good; add --yes to go ahead`,
        );
      }
      const purged = parseAnswer(
        purgeSchema,
        await context
          .client()
          .call({ method: 'DELETE', path: tenantPath(tenantId), query: { purge: 'true' } }),
      );
      context.print(
        purged,
        () => `Purged tenant ${purged.tenantId} (${purged.deletedItems} items); its id can be used again.\n`,
      );
    });

  program
    .command('link')
    .description('issue an onboarding link (default 14 days), or revoke every link of the tenant')
    .argument('<id>', 'the tenant id')
    .addOption(
      new Option('--days <n>', 'days the link is valid (1 to 90)')
        .argParser(positiveInteger)
        .conflicts('revoke'),
    )
    .option('--revoke', 'revoke every onboarding link of the tenant')
    .action(async (tenantId: string, options: { days?: number; revoke?: boolean }) => {
      const path = `${tenantPath(tenantId)}/links`;
      if (options.revoke) {
        const revoked = parseAnswer(
          revokedLinksSchema,
          await context.client().call({ method: 'DELETE', path }),
        );
        context.print(
          revoked,
          () =>
            `Revoked every onboarding link of ${revoked.tenantId} (link version now ${revoked.linkVersion}).\n`,
        );
        return;
      }
      const link = parseAnswer(
        linkSchema,
        await context
          .client()
          .call({ method: 'POST', path, body: options.days ? { expiresInDays: options.days } : {} }),
      );
      context.print(link, () => `${link.url}\nValid until ${shortTime(link.expiresAt)}.\n`);
    });

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
