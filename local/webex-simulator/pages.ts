import { escapeHtml } from './http.js';

/** The exact text Webex shows when an org's admin blocked the integration. */
export const ACCESS_DENIED_TEXT =
  'Access denied - Your administrator denied access to the integration you selected. We captured your request and will let them know';

/** What the consent form carries back to `POST /v1/authorize` in hidden fields. */
export interface ConsentRequest {
  client_id: string;
  redirect_uri: string;
  scope: string;
  state: string;
  code_challenge: string;
  code_challenge_method: string;
}

/** One choice of the `person` select. */
export interface ConsentPersonOption {
  email: string;
  label: string;
}

const STYLE = `
  body { font-family: system-ui, sans-serif; background: #f4f5f7; color: #1f2328; margin: 0; }
  main { max-width: 34rem; margin: 3rem auto; background: #fff; padding: 2rem; border-radius: 8px;
         box-shadow: 0 1px 4px rgba(0,0,0,.1); }
  main.wide { max-width: 72rem; }
  h1 { font-size: 1.3rem; } h2 { font-size: 1.1rem; margin-top: 2rem; } code { background: #eef; padding: 0 .2rem; }
  .error { color: #a40e26; font-weight: 600; } .note { color: #666; font-size: .85rem; }
  .flash { color: #1a7f37; font-weight: 600; }
  select, button { font-size: 1rem; padding: .4rem .8rem; margin: .3rem .3rem .3rem 0; }
  table { border-collapse: collapse; width: 100%; font-size: .9rem; }
  th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #e4e6ea; vertical-align: middle; }
  td button { font-size: .85rem; padding: .25rem .6rem; }
  form.inline { display: inline; } label { margin-right: 1rem; white-space: nowrap; }
  input[type=number] { width: 6rem; font-size: 1rem; padding: .3rem; }
`;

/**
 * The frame of every simulator page. `body` is HTML the caller has escaped; `wide` makes room for
 * the tables of the control page.
 */
export function layout(title: string, body: string, options: { wide?: boolean } = {}): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><main${options.wide ? ' class="wide"' : ''}>
${body}
<p class="note">Webex simulator</p>
</main></body>
</html>
`;
}

/**
 * The consent page. Its contract, which scripts and browser tests rely on: exactly one form
 * posting to `/v1/authorize`, a `person` select, `decision` buttons `accept` and `deny`, and every
 * other field hidden.
 */
export function consentPage(input: {
  integrationName: string;
  scopes: string[];
  people: ConsentPersonOption[];
  request: ConsentRequest;
  selectedEmail?: string | undefined;
  error?: string | undefined;
}): string {
  const scopes = input.scopes.map((scope) => `<li><code>${escapeHtml(scope)}</code></li>`).join('');
  const options = input.people
    .map((person) => {
      const selected = person.email === input.selectedEmail ? ' selected' : '';
      return `<option value="${escapeHtml(person.email)}"${selected}>${escapeHtml(person.label)}</option>`;
    })
    .join('');
  const hidden = Object.entries(input.request)
    .map(([name, value]) => `<input type="hidden" name="${name}" value="${escapeHtml(value)}">`)
    .join('\n');
  const error = input.error ? `<p class="error" role="alert">${escapeHtml(input.error)}</p>` : '';
  return layout(
    `Webex - Authorize ${input.integrationName}`,
    `<h1>${escapeHtml(input.integrationName)} would like to access your Webex account</h1>
<p>It asks for permission to use:</p>
<ul>${scopes}</ul>
${error}
<form method="post" action="/v1/authorize">
<label for="person">Sign in as</label>
<select id="person" name="person">${options}</select>
${hidden}
<p>
<button type="submit" name="decision" value="accept">Accept</button>
<button type="submit" name="decision" value="deny">Deny</button>
</p>
</form>`,
  );
}

/** Webex's page for an integration the org's admin blocked, with its way back to the app. */
export function accessDeniedPage(returnUrl: string): string {
  return layout(
    'Access denied',
    `<h1>Access denied</h1>
<p id="access-denied">${escapeHtml(ACCESS_DENIED_TEXT)}</p>
<p><a href="${escapeHtml(returnUrl)}">Return to the application</a></p>`,
  );
}

/** The sign-in refusal for a deactivated person. */
export function loginDisabledPage(email: string): string {
  return layout(
    'Login disabled',
    `<h1>Login disabled</h1>
<p>The account ${escapeHtml(email)} has been deactivated by its administrator: login disabled.</p>`,
  );
}

/** A plain error page: used wherever redirecting back would be unsafe or impossible. */
export function errorPage(title: string, message: string): string {
  return layout(title, `<h1>${escapeHtml(title)}</h1>\n<p class="error">${escapeHtml(message)}</p>`);
}
