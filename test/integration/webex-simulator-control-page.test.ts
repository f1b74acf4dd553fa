import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  obtainTokens,
  startWebexSimulator,
  type SimIntegration,
  type TokenResponse,
  type WebexSimulator,
} from '#local/webex-simulator/index.js';

const redirectUri = 'http://127.0.0.1:9/oauth/callback';
const usersSync: SimIntegration = {
  clientId: 'Cusers0000000000000000000000000000000000000000000000000000000000',
  clientSecret: 'users-sync-secret',
  name: 'Users sync',
  redirectUris: [redirectUri],
};
const scopes = ['spark:people_read'];
const demoPeople = ['admin@demo.example', 'sso-admin@demo.example', 'user@demo.example'];

let sim: WebexSimulator;

beforeAll(async () => {
  sim = await startWebexSimulator({ integrations: [usersSync] });
});
afterAll(async () => {
  await sim.close();
});
beforeEach(() => {
  sim.world.reset();
});

/** A form of the page as a browser would submit it. */
interface PageForm {
  action: string;
  hidden: Record<string, string>;
  buttons: Array<{ label: string; disabled: boolean }>;
  /** The form's whole markup, for checks on its other fields. */
  html: string;
}

function decode(text: string): string {
  return text
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&amp;', '&');
}

function readForms(html: string): PageForm[] {
  return [...html.matchAll(/<form method="post" action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/g)].map(
    ([whole, action = '', body = '']) => ({
      action: decode(action),
      hidden: Object.fromEntries(
        [...body.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)].map(
          ([, name = '', value = '']) => [name, decode(value)],
        ),
      ),
      buttons: [...body.matchAll(/<button type="submit"( disabled)?>([^<]*)<\/button>/g)].map(
        ([, disabled, label = '']) => ({ label, disabled: Boolean(disabled) }),
      ),
      html: whole,
    }),
  );
}

async function page(query = ''): Promise<string> {
  const response = await fetch(`${sim.url}/_sim${query}`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/html/);
  return response.text();
}

function findForm(html: string, action: string, hidden: Record<string, string> = {}): PageForm {
  const form = readForms(html).find(
    (candidate) =>
      candidate.action === action &&
      Object.entries(hidden).every(([name, value]) => candidate.hidden[name] === value),
  );
  if (!form) throw new Error(`no form ${action} ${JSON.stringify(hidden)}`);
  return form;
}

/** Submits a form of the page; returns the redirect target, or throws when the answer is not a 303. */
async function submit(
  form: PageForm,
  fields: Record<string, string> = {},
  headers: Record<string, string> = {},
): Promise<string> {
  const response = await fetch(`${sim.url}${form.action}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams({ ...form.hidden, ...fields }),
    redirect: 'manual',
  });
  expect(response.status).toBe(303);
  return response.headers.get('location') ?? '';
}

/** Follows a redirect back to the page and returns the flash message shown, decoded. */
async function flashOf(location: string): Promise<{ flash?: string; error?: string }> {
  expect(location.startsWith('/_sim?')).toBe(true);
  const html = await page(location.slice('/_sim'.length));
  const flash = /<p class="flash" role="status">([^<]*)<\/p>/.exec(html)?.[1];
  const error = /<p class="error" role="alert">([^<]*)<\/p>/.exec(html)?.[1];
  return {
    ...(flash === undefined ? {} : { flash: decode(flash) }),
    ...(error === undefined ? {} : { error: decode(error) }),
  };
}

function authorize(person: string): Promise<TokenResponse> {
  return obtainTokens(sim.url, { integration: { ...usersSync, redirectUri }, person, scopes });
}

async function meStatus(tokens: TokenResponse): Promise<number> {
  const response = await fetch(`${sim.url}/v1/people/me`, {
    headers: { Authorization: `Bearer ${tokens.access_token}` },
  });
  return response.status;
}

function person(email: string) {
  const found = sim.world.listPeople().find((candidate) => candidate.email === email);
  if (!found) throw new Error(`no ${email}`);
  return found;
}

function demoOrgId(): string {
  return sim.world.listOrgs()[0]?.id ?? '';
}

describe('GET /_sim', () => {
  it('lists every person with their org, Full Admin, SSO and active, and their three buttons', async () => {
    const html = await page();
    expect(html).toContain('<title>Webex simulator control</title>');
    for (const email of demoPeople) {
      const row = new RegExp(`<tr><td>${email.replace('.', '\\.')}</td>.*?</tr>`).exec(html)?.[0] ?? '';
      expect(row, email).toContain('<td>Demo Org</td>');
      for (const [action, label] of [
        ['/_sim/ui/people/password-change', 'Change password'],
        ['/_sim/ui/people/deactivate', 'Deactivate'],
        ['/_sim/ui/people/remove-full-admin', 'Remove Full Admin'],
      ] as const) {
        expect(findForm(row, action, { email }).buttons.map((button) => button.label)).toEqual([label]);
      }
    }
    const ssoRow = /<tr><td>sso-admin@demo\.example<\/td>(.*?)<\/tr>/.exec(html)?.[1] ?? '';
    // Name, org, Full Admin, SSO, active.
    expect(ssoRow).toContain('<td>Sam Sso-Admin</td><td>Demo Org</td><td>yes</td><td>yes</td><td>yes</td>');
    const userRow = /<tr><td>user@demo\.example<\/td>.*?<\/tr>/.exec(html)?.[0] ?? '';
    // Removing a role nobody holds would do nothing: the button is there but disabled.
    expect(findForm(userRow, '/_sim/ui/people/remove-full-admin').buttons[0]?.disabled).toBe(true);
  });

  it('offers Revoke and Block per org and registered integration, the faults form and Reset', async () => {
    const html = await page();
    const target = { orgId: demoOrgId(), clientId: usersSync.clientId };
    expect(findForm(html, '/_sim/ui/integrations/revoke', target).buttons[0]?.label).toBe('Revoke');
    expect(findForm(html, '/_sim/ui/integrations/block', target).buttons[0]?.label).toBe('Block');
    const faults = findForm(html, '/_sim/ui/faults');
    for (const name of ['latencyMs', 'rate429', 'rate5xx', 'retryAfterSeconds', 'next429', 'next5xx']) {
      expect(faults.html).toContain(`name="${name}"`);
    }
    expect(findForm(html, '/_sim/ui/reset').buttons[0]?.label).toBe('Reset');
    // Plain forms: the page works without JavaScript.
    expect(html).not.toContain('<script');
  });

  it('answers 405 to another method, and the JSON control API is unchanged', async () => {
    expect((await fetch(`${sim.url}/_sim`, { method: 'POST' })).status).toBe(405);
    const people = await fetch(`${sim.url}/_sim/people`);
    expect(people.headers.get('content-type')).toMatch(/^application\/json/);
    expect(((await people.json()) as unknown[]).length).toBe(3);
  });
});

describe('the page forms', () => {
  it('Change password kills the tokens and redirects back with what happened', async () => {
    const tokens = await authorize('admin@demo.example');
    const form = findForm(await page(), '/_sim/ui/people/password-change', { email: 'admin@demo.example' });
    const location = await submit(form);
    expect(await flashOf(location)).toEqual({
      flash: 'Password changed for admin@demo.example: 2 tokens revoked',
    });
    expect(await meStatus(tokens)).toBe(401);
  });

  it('Deactivate flips the person, and the page then shows them inactive', async () => {
    await submit(findForm(await page(), '/_sim/ui/people/deactivate', { email: 'user@demo.example' }));
    expect(person('user@demo.example').active).toBe(false);
    const row = /<tr><td>user@demo\.example<\/td>.*?<\/tr>/.exec(await page())?.[0] ?? '';
    expect(row).toContain('<td>no</td><td>no</td><td>no</td>');
    expect(findForm(row, '/_sim/ui/people/deactivate').buttons[0]?.disabled).toBe(true);
  });

  it('Remove Full Admin revokes by default, or keeps the tokens when asked', async () => {
    const kept = await authorize('sso-admin@demo.example');
    const html = await page();
    const location = await submit(
      findForm(html, '/_sim/ui/people/remove-full-admin', { email: 'sso-admin@demo.example' }),
      { keepTokens: 'yes' },
    );
    expect((await flashOf(location)).flash).toBe(
      'Removed Full Administrator from sso-admin@demo.example: tokens kept',
    );
    expect(person('sso-admin@demo.example').fullAdmin).toBe(false);
    expect(await meStatus(kept)).toBe(200);

    const revoked = await authorize('admin@demo.example');
    await submit(findForm(html, '/_sim/ui/people/remove-full-admin', { email: 'admin@demo.example' }));
    expect(await meStatus(revoked)).toBe(401);
  });

  it('Block then Unblock toggles the integration for the org', async () => {
    const target = { orgId: demoOrgId(), clientId: usersSync.clientId };
    const location = await submit(findForm(await page(), '/_sim/ui/integrations/block', target));
    expect(sim.world.isBlocked(target.orgId, target.clientId)).toBe(true);
    expect((await flashOf(location)).flash).toBe(
      'Blocked Users sync in Demo Org: consent now ends on "Access denied"',
    );
    await submit(findForm(await page(), '/_sim/ui/integrations/unblock', target));
    expect(sim.world.isBlocked(target.orgId, target.clientId)).toBe(false);
  });

  it('Revoke kills the integration tokens in the org', async () => {
    const tokens = await authorize('user@demo.example');
    const target = { orgId: demoOrgId(), clientId: usersSync.clientId };
    const location = await submit(findForm(await page(), '/_sim/ui/integrations/revoke', target));
    expect((await flashOf(location)).flash).toBe('Revoked Users sync in Demo Org: 2 tokens revoked');
    expect(await meStatus(tokens)).toBe(401);
  });

  it('the faults form sets what is filled in, and refuses a bad value without changing anything', async () => {
    const faults = findForm(await page(), '/_sim/ui/faults');
    const location = await submit(faults, {
      latencyMs: '5',
      rate429: '0.25',
      rate5xx: '',
      next429: '2',
      next5xx: '1',
    });
    expect(sim.world.faults.current()).toMatchObject({
      latencyMs: 5,
      rate429: 0.25,
      rate5xx: 0,
      next429: 2,
      next5xx: 1,
    });
    expect((await flashOf(location)).flash).toMatch(/^Faults set: latency 5 ms, 429 rate 0\.25, /);
    expect(await page()).toContain('name="rate429" min="0" max="1" step="any" value="0.25"');

    const refused = await submit(faults, { rate429: '2', next5xx: 'many' });
    const { error } = await flashOf(refused);
    expect(error).toContain('rate429');
    expect(error).toContain('next5xx');
    expect(sim.world.faults.current()).toMatchObject({ rate429: 0.25, next5xx: 1 });
  });

  it('Reset goes back to the seeded state', async () => {
    await submit(findForm(await page(), '/_sim/ui/people/deactivate', { email: 'user@demo.example' }));
    const location = await submit(findForm(await page(), '/_sim/ui/reset'));
    expect((await flashOf(location)).flash).toMatch(/^Reset/);
    expect(person('user@demo.example').active).toBe(true);
  });

  it('reports an unknown person as an error flash', async () => {
    const form = findForm(await page(), '/_sim/ui/people/deactivate', { email: 'user@demo.example' });
    const location = await submit(form, { email: 'nobody@demo.example' });
    expect(await flashOf(location)).toEqual({ error: 'nobody@demo.example not found' });
  });

  it('refuses a post from another site, and accepts one from the page itself', async () => {
    const form = findForm(await page(), '/_sim/ui/people/deactivate', { email: 'user@demo.example' });
    const foreign = await fetch(`${sim.url}${form.action}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: 'http://evil.example' },
      body: new URLSearchParams(form.hidden),
      redirect: 'manual',
    });
    expect(foreign.status).toBe(403);
    expect(person('user@demo.example').active).toBe(true);

    await submit(form, {}, { Origin: sim.url });
    expect(person('user@demo.example').active).toBe(false);
  });

  it('answers 404 to an unknown action and 405 to a GET of one', async () => {
    expect((await fetch(`${sim.url}/_sim/ui/nope`, { method: 'POST' })).status).toBe(404);
    expect((await fetch(`${sim.url}/_sim/ui/constructor`, { method: 'POST' })).status).toBe(404);
    expect((await fetch(`${sim.url}/_sim/ui/reset`)).status).toBe(405);
  });
});

describe('escaping', () => {
  const evilOrg = '<img src=x onerror=alert(1)>';
  const evilName = '<script>alert("name")</script>';
  const evilIntegration = '"><b>integration</b>';

  it('escapes every name the page shows', async () => {
    const org = sim.world.createOrg(evilOrg);
    sim.world.addPerson({ email: 'eve@evil.example', displayName: evilName, orgId: org.id });
    sim.world.registerIntegration({ ...usersSync, clientId: 'C"evil<', name: evilIntegration });
    const html = await page();
    for (const raw of [evilOrg, evilName, evilIntegration, 'C"evil<']) expect(html).not.toContain(raw);
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('&lt;script&gt;alert(&quot;name&quot;)&lt;/script&gt;');
    expect(html).toContain('&quot;&gt;&lt;b&gt;integration&lt;/b&gt;');
    // The hidden fields still carry the exact values back.
    const target = { orgId: org.id, clientId: 'C"evil<' };
    expect(findForm(html, '/_sim/ui/integrations/block', target).hidden).toEqual(target);
  });

  it('escapes the flash of an action that echoes a name', async () => {
    const org = sim.world.createOrg(evilOrg);
    const form = findForm(await page(), '/_sim/ui/integrations/block', {
      orgId: org.id,
      clientId: usersSync.clientId,
    });
    const location = await submit(form);
    const html = await page(location.slice('/_sim'.length));
    expect(html).not.toContain(evilOrg);
    expect(html).toContain('Blocked Users sync in &lt;img src=x onerror=alert(1)&gt;');
  });

  it('escapes a flash or error given in the query', async () => {
    const query = new URLSearchParams({ flash: evilName, error: evilOrg });
    const html = await page(`?${query.toString()}`);
    expect(html).not.toContain(evilName);
    expect(html).not.toContain(evilOrg);
    expect(html).toContain('<p class="flash" role="status">&lt;script&gt;');
    expect(html).toContain('<p class="error" role="alert">&lt;img');
  });
});
