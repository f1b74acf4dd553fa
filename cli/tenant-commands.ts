import { Option, type Command } from 'commander';
import * as z from 'zod';
import { UsageError } from './api-client.js';
import { authorizationsSchema, causeOf, tenantPath, tenantSchema } from './api-answers.js';
import {
  parseAnswer,
  positiveInteger,
  readPages,
  segment,
  shortTime,
  table,
  type CommandContext,
} from './cli-helpers.js';
import { registerTenantUpdate, withTenantOptions } from './tenant-update.js';

/* The tenant commands: tenants list/create/update/show/reactivate/purge/restore-contact, and link. */

const linkSchema = z.looseObject({ url: z.string(), expiresAt: z.string(), linkVersion: z.number() });
const revokedLinksSchema = z.looseObject({ tenantId: z.string(), linkVersion: z.number() });
const purgeSchema = z.looseObject({ tenantId: z.string(), deletedItems: z.number() });
const restoredContactSchema = z.looseObject({
  tenantId: z.string(),
  email: z.string(),
  removedSuppressions: z.array(z.looseObject({ reason: z.string(), at: z.string() })),
});

/** What a restore prints: the address, what stopped its mail and since when, and SES's own list. */
function restoredContactText(restored: z.infer<typeof restoredContactSchema>): string {
  const stopped = restored.removedSuppressions
    .map((entry) => `${entry.reason} since ${shortTime(entry.at)}`)
    .join(', ');
  const lines = [
    `Restored ${restored.email} on ${restored.tenantId} (was ${stopped}): its next alerts are mailed to it if it is a contact.`,
  ];
  // SES's account-level suppression list keeps hard bounces and complaints whatever the tenant says.
  if (restored.removedSuppressions.some((entry) => entry.reason !== 'unsubscribed')) {
    lines.push(
      `SES may still suppress it for the whole account after a bounce or complaint: aws sesv2 get-suppressed-destination --email-address ${restored.email} (docs/admin-api.md, "Contacts and alert emails").`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Registers `tenants ...` and `link`. */
export function registerTenantCommands(program: Command, context: CommandContext): void {
  const tenants = program.command('tenants').description('list, create, change and show tenants');

  tenants
    .command('list')
    .description('list tenants (a page, or --all of them)')
    .option('--limit <n>', 'tenants per page (1 to 100)', positiveInteger)
    .option('--all', 'every page')
    .action(async (options: { limit?: number; all?: boolean }) => {
      const { items, cursor } = await readPages(context.client(), '/admin/tenants', tenantSchema, {
        limit: options.limit,
        all: options.all ?? false,
      });
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

  registerTenantUpdate(tenants, context);

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

  tenants
    .command('restore-contact')
    .description(
      'mail a contact address again that the tenant no longer mails (it unsubscribed, bounced or complained)',
    )
    .argument('<id>', 'the tenant id')
    .argument('<email>', 'the address, as `tenants show` lists it under "not mailed"')
    .action(async (tenantId: string, email: string) => {
      const restored = parseAnswer(
        restoredContactSchema,
        await context.client().call({
          method: 'DELETE',
          path: `${tenantPath(tenantId)}/suppressed-contacts/${segment(email)}`,
        }),
      );
      context.print(restored, () => restoredContactText(restored));
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
}
