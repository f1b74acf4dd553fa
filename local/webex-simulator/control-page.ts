import * as z from 'zod';
import { faultSettingsSchema, type FaultSettings } from './faults.js';
import { escapeHtml, HttpError, readForm, sendHtml, sendRedirect, type Exchange } from './http.js';
import { errorPage, layout } from './pages.js';
import { SimConflictError, SimNotFoundError, type SimWorld } from './world.js';

const PAGE_PATH = '/_sim';
const ACTION_PREFIX = '/_sim/ui/';

/** True for the control page and its form targets; every other `/_sim/...` path is the JSON API. */
export function isControlPagePath(pathname: string): boolean {
  return pathname === PAGE_PATH || pathname.startsWith(ACTION_PREFIX);
}

const personForm = z.object({ email: z.email() });
const removeFullAdminForm = personForm.extend({ keepTokens: z.literal('yes').optional() });
const integrationForm = z.object({ orgId: z.string().min(1), clientId: z.string().min(1) });
const serviceAppForm = z.object({ orgId: z.string().min(1), applicationId: z.string().min(1) });
/**
 * Form fields are text: an empty one leaves its setting as it is, any other must read as a number
 * (one that does not becomes NaN, which the settings schema refuses).
 */
const faultsForm = z
  .record(z.string(), z.string())
  .transform((form) =>
    Object.fromEntries(
      Object.entries(form).flatMap(([name, value]) => (value.trim() === '' ? [] : [[name, Number(value)]])),
    ),
  )
  .pipe(faultSettingsSchema.partial());

/** A form action: checks the form, calls the world and says in one line what happened. */
type Action = (world: SimWorld, form: Record<string, string>) => string | Promise<string>;

function action<Schema extends z.ZodType>(
  schema: Schema,
  run: (world: SimWorld, input: z.infer<Schema>) => string | Promise<string>,
): Action {
  return (world, form) => {
    const parsed = schema.safeParse(form);
    if (!parsed.success) {
      throw new HttpError(400, parsed.error.issues.map((issue) => describeIssue(issue)).join('; '));
    }
    return run(world, parsed.data);
  };
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const keys = issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : '';
  const where = issue.path.join('.') || keys;
  return where ? `${where}: ${issue.message}` : issue.message;
}

/** The form targets; each calls the same SimWorld method as its JSON route. */
const actions = new Map<string, Action>(
  Object.entries({
    'people/password-change': action(personForm, (world, { email }) => {
      const result = world.changePassword(email);
      return result.sso
        ? `Password changed for ${result.email}, who signs in with SSO: no token revoked`
        : `Password changed for ${result.email}: ${tokens(result.revokedTokens)} revoked`;
    }),
    'people/deactivate': action(personForm, (world, { email }) => {
      const result = world.deactivate(email);
      return `Deactivated ${result.email}: ${tokens(result.revokedTokens)} revoked`;
    }),
    'people/remove-full-admin': action(removeFullAdminForm, (world, { email, keepTokens }) => {
      const result = world.removeFullAdmin(email, keepTokens !== 'yes');
      const outcome = keepTokens === 'yes' ? 'tokens kept' : `${tokens(result.revokedTokens)} revoked`;
      return `Removed Full Administrator from ${result.email}: ${outcome}`;
    }),
    'integrations/revoke': action(integrationForm, (world, { orgId, clientId }) => {
      const { revokedTokens } = world.revokeIntegration(orgId, clientId);
      return `Revoked ${integrationLabel(world, orgId, clientId)}: ${tokens(revokedTokens)} revoked`;
    }),
    'integrations/block': action(integrationForm, (world, { orgId, clientId }) => {
      world.setIntegrationBlocked(orgId, clientId, true);
      return `Blocked ${integrationLabel(world, orgId, clientId)}: consent now ends on "Access denied"`;
    }),
    'integrations/unblock': action(integrationForm, (world, { orgId, clientId }) => {
      world.setIntegrationBlocked(orgId, clientId, false);
      return `Unblocked ${integrationLabel(world, orgId, clientId)}`;
    }),
    'service-apps/authorize': action(serviceAppForm, async (world, { orgId, applicationId }) => {
      const { change } = world.authorizeServiceApp(orgId, applicationId);
      const told = change ? await world.webhooks.deliver(change) : [];
      return `Authorized ${serviceAppLabel(world, orgId, applicationId)}: ${webhooksTold(told.length)}`;
    }),
    'service-apps/deauthorize': action(serviceAppForm, async (world, { orgId, applicationId }) => {
      const { change, revokedTokens } = world.deauthorizeServiceApp(orgId, applicationId);
      const told = change ? await world.webhooks.deliver(change) : [];
      const label = serviceAppLabel(world, orgId, applicationId);
      return `Deauthorized ${label}: ${tokens(revokedTokens)} revoked, ${webhooksTold(told.length)}`;
    }),
    faults: action(faultsForm, (world, patch) => `Faults set: ${describeFaults(world.faults.update(patch))}`),
    reset: action(z.object({}), (world) => {
      world.reset();
      return 'Reset: back to the seeded orgs and people, no tokens, blocks or faults';
    }),
  }),
);

/** `GET /_sim` shows the page; `POST /_sim/ui/<action>` runs a form and redirects back with a flash. */
export async function handleControlPage(exchange: Exchange, world: SimWorld): Promise<void> {
  const { pathname } = exchange.url;
  const method = exchange.req.method ?? 'GET';
  if (pathname === PAGE_PATH) {
    if (method !== 'GET') {
      return sendHtml(exchange, 405, errorPage('Method not allowed', `Use GET ${PAGE_PATH}.`));
    }
    const { searchParams } = exchange.url;
    return sendHtml(exchange, 200, renderPage(world, searchParams.get('flash'), searchParams.get('error')));
  }
  const run = actions.get(pathname.slice(ACTION_PREFIX.length));
  if (!run) {
    return sendHtml(exchange, 404, errorPage('Not found', `There is no control page action ${pathname}.`));
  }
  if (method !== 'POST') return sendHtml(exchange, 405, errorPage('Method not allowed', 'Use POST.'));
  // The simulator listens on the machine only, but any site open in the browser could still post
  // these forms to it; browsers name the origin of a form post, so a post from elsewhere is refused.
  const origin = exchange.req.headers.origin;
  if (origin !== undefined && origin !== `http://${exchange.req.headers.host ?? ''}`) {
    return sendHtml(exchange, 403, errorPage('Forbidden', 'This form was posted from another site.'));
  }
  let outcome: { flash: string } | { error: string };
  try {
    outcome = { flash: await run(world, await readForm(exchange.req)) };
  } catch (error) {
    if (!isRefusal(error)) throw error;
    outcome = { error: error.message };
  }
  sendRedirect(exchange, `${PAGE_PATH}?${new URLSearchParams(outcome).toString()}`, 303);
}

/** What the world or the form checks refuse with; anything else is a simulator bug and answers 500. */
function isRefusal(error: unknown): error is HttpError | SimNotFoundError | SimConflictError {
  return error instanceof HttpError || error instanceof SimNotFoundError || error instanceof SimConflictError;
}

function tokens(count: number): string {
  return count === 1 ? '1 token' : `${count} tokens`;
}

function integrationLabel(world: SimWorld, orgId: string, clientId: string): string {
  const integration = world.findIntegration(clientId)?.name ?? clientId;
  return `${integration} in ${world.findOrg(orgId)?.name ?? orgId}`;
}

function serviceAppLabel(world: SimWorld, orgId: string, applicationId: string): string {
  const app = world.findServiceApp(applicationId)?.name ?? applicationId;
  return `${app} in ${world.findOrg(orgId)?.name ?? orgId}`;
}

function webhooksTold(count: number): string {
  return count === 1 ? '1 webhook told' : `${count} webhooks told`;
}

function describeFaults(faults: FaultSettings): string {
  return [
    `latency ${faults.latencyMs} ms`,
    `429 rate ${faults.rate429}`,
    `5xx rate ${faults.rate5xx}`,
    `Retry-After ${faults.retryAfterSeconds} s`,
    `next 429s ${faults.next429}`,
    `next 5xx ${faults.next5xx}`,
  ].join(', ');
}

// ---- rendering: every value from the world or the query goes through escapeHtml --------------

function renderPage(world: SimWorld, flash: string | null, error: string | null): string {
  const settings = world.currentSettings();
  const message = [
    flash ? `<p class="flash" role="status">${escapeHtml(flash)}</p>` : '',
    error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : '',
  ].join('');
  return layout(
    'Webex simulator control',
    `<h1>Webex simulator control</h1>
${message}
<p class="note">Simulator time ${escapeHtml(new Date(world.now()).toISOString())}; new access tokens live
${settings.accessTokenLifetimeSeconds} s, refresh tokens ${settings.refreshTokenLifetimeSeconds} s.
The same switches are JSON routes under <code>/_sim/</code> for scripts and tests.</p>
<h2>People</h2>
${peopleTable(world)}
<h2>Orgs and integrations</h2>
${integrationsTable(world)}
<h2>Service Apps</h2>
<p class="note">Authorized by the org's first active Full Admin, as in Control Hub (Apps, then Service Apps).</p>
${serviceAppsTable(world)}
<h2>Faults</h2>
<p class="note">On the Webex API and token routes, not on the consent page.</p>
${faultsFormHtml(world.faults.current())}
<h2>Reset</h2>
${postForm('reset', {}, button('Reset'))}
<p class="note">Back to the seeded orgs and people; tokens, blocks, faults, settings and clock offset cleared.
Integrations stay.</p>`,
    { wide: true },
  );
}

function peopleTable(world: SimWorld): string {
  const rows = world.listPeople().map((person) => {
    const org = world.findOrg(person.orgId)?.name ?? person.orgId;
    const email = { email: person.email };
    const actions = [
      postForm('people/password-change', email, button('Change password')),
      postForm('people/deactivate', email, button('Deactivate', !person.active)),
      postForm(
        'people/remove-full-admin',
        email,
        `<label><input type="checkbox" name="keepTokens" value="yes"> keep tokens</label>${button(
          'Remove Full Admin',
          !person.fullAdmin,
        )}`,
      ),
    ];
    return row([
      escapeHtml(person.email),
      escapeHtml(person.displayName),
      escapeHtml(org),
      yesNo(person.fullAdmin),
      yesNo(person.sso),
      yesNo(person.active),
      actions.join(' '),
    ]);
  });
  return table(['Email', 'Name', 'Org', 'Full Admin', 'SSO', 'Active', 'Actions'], rows, 'No people.');
}

function integrationsTable(world: SimWorld): string {
  const integrations = world.listIntegrations();
  const liveGrants = world.listGrants().filter((grant) => grant.alive);
  const rows = world.listOrgs().flatMap((org) => {
    if (integrations.length === 0) {
      const none = 'No integration registered (<code>POST /_sim/integrations</code>).';
      return [`<tr><td>${escapeHtml(org.name)}</td><td colspan="4">${none}</td></tr>`];
    }
    return integrations.map((integration) => {
      const target = { orgId: org.id, clientId: integration.clientId };
      const blocked = world.isBlocked(org.id, integration.clientId);
      const live = liveGrants.filter(
        (grant) => grant.orgId === org.id && grant.clientId === integration.clientId,
      ).length;
      return row([
        escapeHtml(org.name),
        `${escapeHtml(integration.name)} <code>${escapeHtml(integration.clientId)}</code>`,
        blocked ? 'blocked' : 'allowed',
        String(live),
        [
          postForm('integrations/revoke', target, button('Revoke')),
          blocked
            ? postForm('integrations/unblock', target, button('Unblock'))
            : postForm('integrations/block', target, button('Block')),
        ].join(' '),
      ]);
    });
  });
  return table(['Org', 'Integration', 'Consent', 'Live grants', 'Actions'], rows, 'No orgs.');
}

function serviceAppsTable(world: SimWorld): string {
  const apps = world.listServiceApps();
  const rows = world.listOrgs().flatMap((org) =>
    apps.map((app) => {
      const target = { orgId: org.id, applicationId: app.applicationId };
      const authorized = world.isServiceAppAuthorized(org.id, app.clientId);
      return row([
        escapeHtml(org.name),
        `${escapeHtml(app.name)} <code>${escapeHtml(app.applicationId)}</code>`,
        authorized ? 'authorized' : 'not authorized',
        authorized
          ? postForm('service-apps/deauthorize', target, button('Deauthorize'))
          : postForm('service-apps/authorize', target, button('Authorize')),
      ]);
    }),
  );
  const none = 'No Service App registered (<code>POST /_sim/service-apps</code>).';
  return table(['Org', 'Service App', 'State', 'Actions'], rows, none);
}

function faultsFormHtml(faults: FaultSettings): string {
  const field = (label: string, name: keyof FaultSettings, attributes: string) =>
    `<label>${label} <input type="number" name="${name}" ${attributes} value="${escapeHtml(
      String(faults[name]),
    )}"></label>`;
  return postForm(
    'faults',
    {},
    [
      field('Latency (ms)', 'latencyMs', 'min="0" max="120000" step="1"'),
      field('429 rate', 'rate429', 'min="0" max="1" step="any"'),
      field('5xx rate', 'rate5xx', 'min="0" max="1" step="any"'),
      field('Retry-After (s)', 'retryAfterSeconds', 'min="0" max="86400" step="1"'),
      field('Next 429s', 'next429', 'min="0" step="1"'),
      field('Next 5xx', 'next5xx', 'min="0" step="1"'),
      button('Apply faults'),
    ].join('\n'),
    'block',
  );
}

/** A form posting to `/_sim/ui/<target>`; `hidden` values are escaped, `content` is HTML already. */
function postForm(
  target: string,
  hidden: Record<string, string>,
  content: string,
  display: 'inline' | 'block' = 'inline',
): string {
  const fields = Object.entries(hidden)
    .map(([name, value]) => `<input type="hidden" name="${name}" value="${escapeHtml(value)}">`)
    .join('');
  const style = display === 'inline' ? ' class="inline"' : '';
  return `<form method="post" action="${ACTION_PREFIX}${target}"${style}>${fields}${content}</form>`;
}

function button(label: string, disabled = false): string {
  return `<button type="submit"${disabled ? ' disabled' : ''}>${label}</button>`;
}

function yesNo(value: boolean): string {
  return value ? 'yes' : 'no';
}

/** `cells` are HTML already. */
function row(cells: string[]): string {
  return `<tr>${cells.map((cell) => `<td>${cell}</td>`).join('')}</tr>`;
}

function table(headings: string[], rows: string[], empty: string): string {
  const head = headings.map((heading) => `<th>${heading}</th>`).join('');
  const body = rows.length > 0 ? rows.join('\n') : `<tr><td colspan="${headings.length}">${empty}</td></tr>`;
  return `<table>\n<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
}
