import { createHash, randomBytes } from 'node:crypto';

/** The consent page's one form, as a script sees it. */
export interface ConsentForm {
  action: string;
  /** The hidden fields, decoded. */
  hidden: Record<string, string>;
  /** The emails the `person` select offers. */
  people: string[];
}

/** Thrown when a page breaks the consent page contract. */
export class ConsentContractError extends Error {
  override readonly name = 'ConsentContractError';
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" };

function decodeEntities(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|#39);/g, (_match, name: string) => ENTITIES[name] ?? '');
}

function attribute(tag: string, name: string): string | undefined {
  const match = new RegExp(`\\s${name}="([^"]*)"`).exec(tag);
  return match?.[1] === undefined ? undefined : decodeEntities(match[1]);
}

/**
 * Reads the consent page the way its contract promises it: exactly one form, a `person` field,
 * `decision` buttons, every other field hidden. Throws ConsentContractError otherwise.
 */
export function readConsentForm(html: string): ConsentForm {
  const forms = [...html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)];
  const [form, ...others] = forms;
  if (!form || others.length > 0) throw new ConsentContractError(`expected one form, found ${forms.length}`);
  const [, formTag = '', body = ''] = form;
  const hidden: Record<string, string> = {};
  for (const [input] of body.matchAll(/<input\b[^>]*>/g)) {
    const name = attribute(input, 'name');
    if (!name) continue;
    if (name === 'person') continue;
    if (attribute(input, 'type') !== 'hidden') throw new ConsentContractError(`field ${name} is not hidden`);
    hidden[name] = attribute(input, 'value') ?? '';
  }
  const people = [...body.matchAll(/<option\b[^>]*>/g)].map(([option]) => attribute(option, 'value') ?? '');
  return { action: attribute(formTag, 'action') ?? '', hidden, people };
}

/**
 * Opens a consent page and answers it as a person would: picks `person`, presses Accept or Deny.
 * Returns the simulator's answer unfollowed (302 to the redirect URI, or a page).
 */
export async function submitConsent(
  authorizeUrl: string,
  answer: { person: string; decision: 'accept' | 'deny' },
): Promise<Response> {
  const page = await fetch(authorizeUrl);
  if (page.status !== 200) throw new ConsentContractError(`consent page answered ${page.status}`);
  const form = readConsentForm(await page.text());
  return fetch(new URL(form.action, authorizeUrl), {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ ...form.hidden, person: answer.person, decision: answer.decision }),
    redirect: 'manual',
  });
}

/** A PKCE pair (RFC 7636, S256). */
export function newPkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** The `/v1/authorize` URL for a code flow with PKCE. */
export function authorizeUrl(
  baseUrl: string,
  request: {
    clientId: string;
    redirectUri: string;
    scopes: string[];
    state?: string;
    codeChallenge: string;
    codeChallengeMethod?: 'S256' | 'plain';
  },
): string {
  const url = new URL('/v1/authorize', baseUrl);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: request.clientId,
    redirect_uri: request.redirectUri,
    scope: request.scopes.join(' '),
    state: request.state ?? randomBytes(12).toString('base64url'),
    code_challenge: request.codeChallenge,
    code_challenge_method: request.codeChallengeMethod ?? 'S256',
  }).toString();
  return url.toString();
}

/** The token endpoint's success body. */
export interface TokenResponse {
  access_token: string;
  expires_in: number;
  refresh_token: string;
  refresh_token_expires_in: number;
  token_type: string;
  scope: string;
}

/**
 * Runs a whole code flow as the given person (consent Accept, then the code grant) and returns
 * the tokens: a shortcut for tests and scripts that need an authorization to exist.
 */
export async function obtainTokens(
  baseUrl: string,
  flow: {
    integration: { clientId: string; clientSecret: string; redirectUri: string };
    person: string;
    scopes: string[];
  },
): Promise<TokenResponse> {
  const { clientId, clientSecret, redirectUri } = flow.integration;
  const pkce = newPkcePair();
  const url = authorizeUrl(baseUrl, {
    clientId,
    redirectUri,
    scopes: flow.scopes,
    codeChallenge: pkce.challenge,
  });
  const consent = await submitConsent(url, { person: flow.person, decision: 'accept' });
  const code = new URL(consent.headers.get('location') ?? '', baseUrl).searchParams.get('code');
  if (consent.status !== 302 || !code) throw new ConsentContractError(`consent answered ${consent.status}`);
  const response = await fetch(new URL('/v1/access_token', baseUrl), {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      client_id: clientId,
      client_secret: clientSecret,
      code,
      redirect_uri: redirectUri,
      code_verifier: pkce.verifier,
    }),
  });
  if (response.status !== 200) throw new ConsentContractError(`token endpoint answered ${response.status}`);
  return (await response.json()) as TokenResponse;
}
