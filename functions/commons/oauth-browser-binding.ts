import { timingSafeEqual } from 'node:crypto';
import { tenantSchema } from '#domain/model.js';
import { OAUTH_STATE_TTL_SECONDS, hashOAuthState } from '#domain/oauth-state.js';
import { callbackUrl } from '#domain/onboarding-portal.js';

/**
 * Binds an OAuth attempt to the browser that started it (the defence against login CSRF).
 *
 * The state travels in the authorize URL, and whoever holds a tenant's onboarding link can start
 * an attempt and hand that URL to a Full Administrator of another org: without a binding, that
 * admin's consent would bind their org to the link holder's tenant. So `/oauth/start` also gives
 * its own browser a cookie, and the callback is refused, before the state is consumed, unless the
 * browser sends it. The cookie never leaves that browser: the URL given away does not carry it.
 *
 * Name and value derive from the state, so nothing more is stored: the name carries the first 16
 * hex characters of the state's SHA-256 (attempts started in parallel tabs each keep their own
 * cookie). The value names the tenant the attempt started for (no secret: onboarding links carry
 * it in the clear), after the SHA-256 of the state and that tenant's id together: so the callback
 * can read the tenant beside the state instead of after it, and a value changed anywhere, the
 * tenant's id included, no longer matches. The state alone still says which tenant the attempt is
 * for; a read of another tenant is dropped.
 */

/** The part of the cookie name before the state's hash. */
const COOKIE_STEM = 'wak_oauth_';
/** Hex characters of the state's hash in the name: enough to tell parallel attempts apart. */
const NAME_HASH_LENGTH = 16;
/** Between the hash and the tenant hint in the value; neither a hex hash nor a tenant id holds it. */
const HINT_SEPARATOR = '.';

/** How the cookie is scoped for one PUBLIC_BASE_URL. */
interface CookieScope {
  prefix: string;
  path: string;
  secure: boolean;
}

/**
 * On https the name carries `__Host-`: browsers then keep it only if it is Secure, host-only (no
 * Domain) and Path=/, so a sibling subdomain cannot plant one in the victim's browser (the link
 * holder knows the cookie of their own attempt; tossing it over from another subdomain would
 * reopen the attack). `__Host-` requires Path=/, so the cookie also rides along to the portal's
 * other routes; that is harmless (HttpOnly, ten minutes, read by the callback only) and worth the
 * protection. Plain http (the local run on 127.0.0.1) cannot keep Secure cookies, hence no prefix
 * there, and the narrowest path instead: the callback's own.
 */
function cookieScope(publicBaseUrl: string): CookieScope {
  if (new URL(publicBaseUrl).protocol === 'https:') return { prefix: '__Host-', path: '/', secure: true };
  return { prefix: '', path: new URL(callbackUrl(publicBaseUrl)).pathname, secure: false };
}

/** The name of the cookie that binds a state to its browser. */
export function browserBindingCookieName(state: string, publicBaseUrl: string): string {
  return `${cookieScope(publicBaseUrl).prefix}${COOKIE_STEM}${hashOAuthState(state).slice(0, NAME_HASH_LENGTH)}`;
}

/** The value that binds a state to its browser: the hash of state and tenant, then the tenant. */
export function browserBindingValue(state: string, tenantId: string): string {
  return `${hashOAuthState(`${state}${HINT_SEPARATOR}${tenantId}`)}${HINT_SEPARATOR}${tenantId}`;
}

/**
 * A Set-Cookie value for the state's binding. SameSite=Lax, not Strict: Webex sends the admin back
 * with a top-level cross-site GET redirect, which Strict would strip the cookie from.
 */
function setCookie(state: string, publicBaseUrl: string, value: string, maxAgeSeconds: number): string {
  const scope = cookieScope(publicBaseUrl);
  return [
    `${browserBindingCookieName(state, publicBaseUrl)}=${value}`,
    `Path=${scope.path}`,
    `Max-Age=${maxAgeSeconds}`,
    'HttpOnly',
    'SameSite=Lax',
    ...(scope.secure ? ['Secure'] : []),
  ].join('; ');
}

/** The Set-Cookie value `/oauth/start` answers with: the binding, for as long as the state lives. */
export function issueBrowserBinding(state: string, publicBaseUrl: string, tenantId: string): string {
  return setCookie(state, publicBaseUrl, browserBindingValue(state, tenantId), OAUTH_STATE_TTL_SECONDS);
}

/** The Set-Cookie value that removes the binding once a callback got past the check. */
export function clearBrowserBinding(state: string, publicBaseUrl: string): string {
  return setCookie(state, publicBaseUrl, '', 0);
}

/** What a bound browser's cookie says beside the binding: the tenant its attempt started for. */
export interface BrowserBinding {
  tenantHint: string;
}

/**
 * The binding when the request's cookies (API Gateway v2 `event.cookies`, one `name=value` each)
 * carry the state's, else undefined. The value is compared in constant time; a browser may send a
 * name twice (say a cookie of another path), so any one matching is enough.
 */
export function boundBrowser(
  cookies: readonly string[] | undefined,
  state: string,
  publicBaseUrl: string,
): BrowserBinding | undefined {
  const name = browserBindingCookieName(state, publicBaseUrl);
  let binding: BrowserBinding | undefined;
  for (const cookie of cookies ?? []) {
    const separator = cookie.indexOf('=');
    if (separator < 0 || cookie.slice(0, separator).trim() !== name) continue;
    const value = cookie.slice(separator + 1).trim();
    const hint = value.indexOf(HINT_SEPARATOR);
    // Without a tenant's id after the hash there is nothing the value could be compared with.
    const tenantId = tenantSchema.shape.tenantId.safeParse(hint < 0 ? undefined : value.slice(hint + 1));
    if (!tenantId.success) continue;
    const sent = Buffer.from(value);
    const wanted = Buffer.from(browserBindingValue(state, tenantId.data));
    // timingSafeEqual needs equal lengths; the length of the value is no secret.
    if (sent.length === wanted.length && timingSafeEqual(sent, wanted))
      binding = { tenantHint: tenantId.data };
  }
  return binding;
}
