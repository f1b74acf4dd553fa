import type { APIGatewayProxyEventV2 } from 'aws-lambda';

/**
 * What a browser sends when the admin presses Authorize (or a retry) on one of our pages: the start
 * URL of the event, POSTed by the portal's form from `origin` (the public base URL's origin; none:
 * no Origin header). `headers` adds or replaces any, e.g. `sec-fetch-site`.
 */
export function asPortalFormPost(
  event: APIGatewayProxyEventV2,
  origin: string | undefined,
  headers: Record<string, string> = {},
): APIGatewayProxyEventV2 {
  return {
    ...event,
    headers: {
      ...event.headers,
      ...(origin !== undefined ? { origin } : {}),
      'content-type': 'application/x-www-form-urlencoded',
      ...headers,
    },
    requestContext: { ...event.requestContext, http: { ...event.requestContext.http, method: 'POST' } },
  };
}

/** The fetch options of the same press against a running server (`npm start`, the e2e system). */
export function portalFormPost(origin: string, headers: Record<string, string> = {}): RequestInit {
  return {
    method: 'POST',
    redirect: 'manual',
    headers: { origin, 'content-type': 'application/x-www-form-urlencoded', ...headers },
  };
}
