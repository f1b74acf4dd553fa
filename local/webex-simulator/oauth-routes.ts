import * as z from 'zod';
import {
  hasMediaType,
  readForm,
  sendHtml,
  sendJson,
  sendRedirect,
  withQuery,
  type Exchange,
} from './http.js';
import { accessDeniedPage, consentPage, errorPage, loginDisabledPage } from './pages.js';
import type { OAuthErrorCode, SimIntegration, SimWorld, TokenResult, TokenSet } from './world.js';

const DENIED_BY_USER = 'The user denied access to the integration';
const DENIED_BY_ADMIN = 'Your administrator denied access to the integration';

/** The authorize parameters the consent form carries back in hidden fields. */
const consentParams = z.object({
  client_id: z.string('client_id is missing').min(1, 'client_id is missing'),
  redirect_uri: z.string('redirect_uri is missing').min(1, 'redirect_uri is missing'),
  scope: z.string('scope is missing').trim().min(1, 'scope is missing'),
  state: z.string().default(''),
  code_challenge: z
    .string('code_challenge is missing (PKCE is required)')
    .min(1, 'code_challenge is missing'),
  code_challenge_method: z.enum(['S256', 'plain'], 'code_challenge_method must be S256 or plain'),
});
/** The query of `GET /v1/authorize`: the same plus `response_type`. */
const authorizeQuery = consentParams.extend({
  response_type: z.literal('code', 'response_type must be "code"'),
});
type AuthorizeParams = z.infer<typeof consentParams>;

const consentForm = z.object({
  person: z.string().trim().default(''),
  decision: z.enum(['accept', 'deny'], 'decision must be accept or deny'),
});

type Checked =
  { ok: true; params: AuthorizeParams; integration: SimIntegration } | { ok: false; message: string };

/**
 * Checks the client and its redirect URI before anything else: until both are known good, the
 * only safe answer is a page of our own, never a redirect (RFC 6749 section 4.1.2.1).
 */
function checkAuthorizeRequest(
  world: SimWorld,
  raw: Record<string, string>,
  schema: typeof consentParams | typeof authorizeQuery,
): Checked {
  const integration = raw.client_id ? world.findIntegration(raw.client_id) : undefined;
  if (!integration) return { ok: false, message: 'The client_id is not a registered integration.' };
  if (!raw.redirect_uri || !integration.redirectUris.includes(raw.redirect_uri)) {
    return {
      ok: false,
      message: 'The redirect_uri is not one of the integration’s registered redirect URIs.',
    };
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) return { ok: false, message: parsed.error.issues.map((i) => i.message).join('; ') };
  return { ok: true, params: parsed.data, integration };
}

function renderConsent(
  world: SimWorld,
  checked: { params: AuthorizeParams; integration: SimIntegration },
  extra: { selectedEmail?: string | undefined; error?: string | undefined } = {},
): string {
  const people = world.listPeople().map((person) => {
    const org = world.findOrg(person.orgId)?.name ?? 'unknown org';
    return { email: person.email, label: `${person.email} (${person.displayName}, ${org})` };
  });
  return consentPage({
    integrationName: checked.integration.name,
    scopes: splitScopes(checked.params.scope),
    people,
    // Parsed again to drop what the form does not carry back (the query's response_type).
    request: consentParams.parse(checked.params),
    ...extra,
  });
}

/** `GET /v1/authorize`: shows the consent page. */
export function showConsent(exchange: Exchange, world: SimWorld): void {
  const raw = Object.fromEntries(exchange.url.searchParams);
  const checked = checkAuthorizeRequest(world, raw, authorizeQuery);
  if (!checked.ok) {
    return sendHtml(exchange, 400, errorPage('Invalid authorization request', checked.message));
  }
  sendHtml(exchange, 200, renderConsent(world, checked, { selectedEmail: raw.login_hint?.toLowerCase() }));
}

/** `POST /v1/authorize`: the person's decision on the consent page. */
export async function decideConsent(exchange: Exchange, world: SimWorld): Promise<void> {
  const form = await readForm(exchange.req);
  const checked = checkAuthorizeRequest(world, form, consentParams);
  if (!checked.ok) {
    return sendHtml(exchange, 400, errorPage('Invalid authorization request', checked.message));
  }
  const decision = consentForm.safeParse(form);
  if (!decision.success) {
    const message = decision.error.issues.map((issue) => issue.message).join('; ');
    return sendHtml(exchange, 400, renderConsent(world, checked, { error: message }));
  }
  const { params } = checked;
  const { person: email } = decision.data;
  if (decision.data.decision === 'deny') {
    return sendRedirect(exchange, accessDeniedRedirect(params, DENIED_BY_USER));
  }
  const person = world.findPersonByEmail(email);
  if (!person) {
    const error = `There is no Webex account for "${email}".`;
    return sendHtml(exchange, 400, renderConsent(world, checked, { selectedEmail: email, error }));
  }
  if (!person.active) return sendHtml(exchange, 403, loginDisabledPage(person.email));
  if (world.isBlocked(person.orgId, params.client_id)) {
    return sendHtml(exchange, 403, accessDeniedPage(accessDeniedRedirect(params, DENIED_BY_ADMIN)));
  }
  const code = world.issueCode({
    clientId: params.client_id,
    redirectUri: params.redirect_uri,
    personId: person.id,
    scopes: splitScopes(params.scope),
    codeChallenge: params.code_challenge,
    codeChallengeMethod: params.code_challenge_method,
  });
  sendRedirect(exchange, withQuery(params.redirect_uri, { code, state: params.state }));
}

function accessDeniedRedirect(params: AuthorizeParams, description: string): string {
  return withQuery(params.redirect_uri, {
    error: 'access_denied',
    error_description: description,
    state: params.state,
  });
}

function splitScopes(scope: string): string[] {
  return [...new Set(scope.split(/\s+/).filter(Boolean))];
}

// ---- token endpoint ---------------------------------------------------------------------------

/** A token endpoint refusal, sent with both RFC 6749's fields and Webex's. */
class OAuthError extends Error {
  constructor(
    readonly status: 400 | 401,
    readonly code: OAuthErrorCode,
    readonly description: string,
  ) {
    super(description);
  }
}

function sendOAuthError(exchange: Exchange, error: OAuthError, usedBasic: boolean): void {
  sendJson(
    exchange,
    error.status,
    {
      error: error.code,
      error_description: error.description,
      message: error.description,
      errors: [{ description: error.description }],
      trackingId: exchange.trackingId,
    },
    {
      'Cache-Control': 'no-store',
      // RFC 6749 5.2: a 401 to a client that used HTTP Basic names the scheme it must use.
      ...(error.status === 401 && usedBasic ? { 'WWW-Authenticate': 'Basic realm="webexapis"' } : {}),
    },
  );
}

/** Reads client credentials from HTTP Basic (RFC 6749 2.3.1 form-encoding) or from the body. */
function clientCredentials(
  authorization: string | undefined,
  form: Record<string, string>,
): { clientId: string; clientSecret: string; usedBasic: boolean } {
  if (authorization && /^basic /i.test(authorization)) {
    const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw new OAuthError(401, 'invalid_client', 'Malformed HTTP Basic client credentials');
    if (form.client_secret !== undefined) {
      throw new OAuthError(400, 'invalid_request', 'Use one client authentication method, not two');
    }
    const clientId = decodeFormComponent(decoded.slice(0, colon));
    if (form.client_id !== undefined && form.client_id !== clientId) {
      throw new OAuthError(400, 'invalid_request', 'client_id in the body differs from HTTP Basic');
    }
    return { clientId, clientSecret: decodeFormComponent(decoded.slice(colon + 1)), usedBasic: true };
  }
  return { clientId: form.client_id ?? '', clientSecret: form.client_secret ?? '', usedBasic: false };
}

function decodeFormComponent(text: string): string {
  try {
    return decodeURIComponent(text.replaceAll('+', ' '));
  } catch {
    throw new OAuthError(401, 'invalid_client', 'Malformed HTTP Basic client credentials');
  }
}

function requireField(form: Record<string, string>, name: string): string {
  const value = form[name];
  if (!value) throw new OAuthError(400, 'invalid_request', `The request is missing ${name}`);
  return value;
}

/**
 * Answers a token pair, never cached. `/v1/access_token` names the granted `scope`; the Service
 * App token endpoint's answer (its OpenAPI schema) has no such field.
 */
export function sendTokens(exchange: Exchange, tokens: TokenSet, options: { withScope: boolean }): void {
  sendJson(
    exchange,
    200,
    {
      access_token: tokens.accessToken,
      expires_in: tokens.expiresIn,
      refresh_token: tokens.refreshToken,
      refresh_token_expires_in: tokens.refreshTokenExpiresIn,
      token_type: 'Bearer',
      ...(options.withScope ? { scope: tokens.scope } : {}),
    },
    { 'Cache-Control': 'no-store', Pragma: 'no-cache' },
  );
}

/** `POST /v1/access_token`: the authorization code and refresh token grants. */
export async function issueTokens(exchange: Exchange, world: SimWorld): Promise<void> {
  let usedBasic = false;
  try {
    if (!hasMediaType(exchange.req, 'application/x-www-form-urlencoded')) {
      throw new OAuthError(400, 'invalid_request', 'Content-Type must be application/x-www-form-urlencoded');
    }
    const form = await readForm(exchange.req);
    const credentials = clientCredentials(exchange.req.headers.authorization, form);
    usedBasic = credentials.usedBasic;
    const grantType = requireField(form, 'grant_type');
    if (grantType !== 'authorization_code' && grantType !== 'refresh_token') {
      throw new OAuthError(400, 'unsupported_grant_type', `The grant_type "${grantType}" is not supported`);
    }
    if (!credentials.clientId || !world.authenticateClient(credentials.clientId, credentials.clientSecret)) {
      throw new OAuthError(401, 'invalid_client', 'Client authentication failed');
    }
    const result: TokenResult =
      grantType === 'authorization_code'
        ? world.exchangeCode({
            clientId: credentials.clientId,
            code: requireField(form, 'code'),
            redirectUri: requireField(form, 'redirect_uri'),
            codeVerifier: requireField(form, 'code_verifier'),
          })
        : world.refresh({
            clientId: credentials.clientId,
            refreshToken: requireField(form, 'refresh_token'),
          });
    if (!result.ok) throw new OAuthError(400, result.error, result.description);
    sendTokens(exchange, result.tokens, { withScope: true });
  } catch (error) {
    if (error instanceof OAuthError) return sendOAuthError(exchange, error, usedBasic);
    throw error;
  }
}
