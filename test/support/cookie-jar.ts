/** A Set-Cookie value taken apart: name, value and attributes (names lower case, flags `true`). */
export interface ParsedSetCookie {
  name: string;
  value: string;
  attributes: Record<string, string | true>;
}

/** Splits a Set-Cookie value the way RFC 6265 section 5.2 reads it. */
export function parseSetCookie(setCookie: string): ParsedSetCookie {
  const [pair = '', ...attributeParts] = setCookie.split(';');
  const separator = pair.indexOf('=');
  const attributes: Record<string, string | true> = {};
  for (const part of attributeParts) {
    const equals = part.indexOf('=');
    const name = (equals < 0 ? part : part.slice(0, equals)).trim().toLowerCase();
    if (name) attributes[name] = equals < 0 ? true : part.slice(equals + 1).trim();
  }
  return {
    name: (separator < 0 ? '' : pair.slice(0, separator)).trim(),
    value: (separator < 0 ? pair : pair.slice(separator + 1)).trim(),
    attributes,
  };
}

/** Whether a cookie of `cookiePath` goes with a request to `requestPath` (RFC 6265 section 5.1.4). */
function pathMatches(cookiePath: string, requestPath: string): boolean {
  if (cookiePath === requestPath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/';
}

interface KeptCookie {
  name: string;
  value: string;
  path: string;
  expiresAt: number;
}

/**
 * The cookies one browser keeps for the portal's origin, so test helpers carry what `/oauth/start`
 * set to the callback the way a browser does: stored from Set-Cookie, replaced by name and path,
 * dropped at Max-Age=0 or on expiry (real time), sent to the paths they match. Domain, Secure and
 * SameSite are left out: every request of a jar goes to the one origin, first-party.
 */
export class CookieJar {
  private readonly kept = new Map<string, KeptCookie>();

  /** Keeps (or drops) what an answer's Set-Cookie values say. */
  store(setCookies: readonly string[] | undefined): void {
    for (const setCookie of setCookies ?? []) {
      const { name, value, attributes } = parseSetCookie(setCookie);
      if (!name) continue;
      const path =
        typeof attributes.path === 'string' && attributes.path.startsWith('/') ? attributes.path : '/';
      const key = `${name}|${path}`;
      const maxAge = typeof attributes['max-age'] === 'string' ? Number(attributes['max-age']) : undefined;
      if (maxAge !== undefined && maxAge <= 0) {
        this.kept.delete(key);
        continue;
      }
      this.kept.set(key, {
        name,
        value,
        path,
        expiresAt: maxAge === undefined ? Number.POSITIVE_INFINITY : Date.now() + maxAge * 1000,
      });
    }
  }

  /** `name=value` of every live cookie a request to `path` carries: what API Gateway puts in `event.cookies`. */
  cookiesFor(path: string): string[] {
    const now = Date.now();
    return [...this.kept.values()]
      .filter((cookie) => cookie.expiresAt > now && pathMatches(cookie.path, path))
      .map((cookie) => `${cookie.name}=${cookie.value}`);
  }

  /** The Cookie header a request to `path` carries, or undefined without cookies. */
  headerFor(path: string): string | undefined {
    const cookies = this.cookiesFor(path);
    return cookies.length > 0 ? cookies.join('; ') : undefined;
  }
}
