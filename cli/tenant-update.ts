import type { Command } from 'commander';
import { UsageError } from './api-client.js';
import { tenantPath, tenantSchema, type Tenant } from './api-answers.js';
import { collect, parseAnswer, positiveInteger, refusePairs, type CommandContext } from './cli-helpers.js';

/*
 * `tenants update`: reads the tenant, works out the change from the options and what it read
 * (`--add-contact` edits the contacts as read), and PATCHes with the read's ETag as If-Match, so
 * a change someone made in between is refused (412) rather than overwritten.
 */

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
export function withTenantOptions(command: Command): Command {
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

/** Registers `tenants update` under `tenants`. */
export function registerTenantUpdate(tenants: Command, context: CommandContext): void {
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
}
