import type { IncomingMessage, ServerResponse } from 'node:http';

/** One request being answered: the raw pair, its parsed URL and its tracking id. */
export interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** Also sent as the `TrackingId` header of the answer. */
  trackingId: string;
}

/** A refusal with its HTTP status; each router shapes the body its clients expect. */
export class HttpError extends Error {
  override readonly name = 'HttpError';

  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const MAX_BODY_BYTES = 1024 * 1024;

/** Reads the whole request body as UTF-8 text. */
export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, `body larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Reads an `application/x-www-form-urlencoded` body into a plain record (first value wins). */
export async function readForm(req: IncomingMessage): Promise<Record<string, string>> {
  const form: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(await readBody(req))) {
    if (!(key in form)) form[key] = value;
  }
  return form;
}

/** True when the request declares the given media type (parameters such as charset ignored). */
export function hasMediaType(req: IncomingMessage, mediaType: string): boolean {
  const declared = req.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
  return declared === mediaType;
}

export function sendJson(
  exchange: Exchange,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  exchange.res.writeHead(status, {
    'Content-Type': 'application/json;charset=UTF-8',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  exchange.res.end(text);
}

export function sendHtml(exchange: Exchange, status: number, html: string): void {
  exchange.res.writeHead(status, {
    'Content-Type': 'text/html;charset=UTF-8',
    'Content-Length': Buffer.byteLength(html),
    'Cache-Control': 'no-store',
  });
  exchange.res.end(html);
}

/** Redirects; 303 after a form post so that the browser follows with a GET. */
export function sendRedirect(exchange: Exchange, location: string, status: 302 | 303 = 302): void {
  exchange.res.writeHead(status, { Location: location, 'Cache-Control': 'no-store' });
  exchange.res.end();
}

export function sendNoContent(exchange: Exchange): void {
  exchange.res.writeHead(204);
  exchange.res.end();
}

/** Webex's error body: `{message, errors: [{description}], trackingId}`. */
export function webexErrorBody(message: string, trackingId: string) {
  return { message, errors: [{ description: message }], trackingId };
}

/** Answers with Webex's error shape. */
export function sendWebexError(
  exchange: Exchange,
  status: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  sendJson(exchange, status, webexErrorBody(message, exchange.trackingId), headers);
}

/** Escapes text for HTML element content and double-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/** `base` with the given query parameters added (existing ones kept), empty values left out. */
export function withQuery(base: string, params: Record<string, string | undefined>): string {
  const url = new URL(base);
  for (const [key, value] of Object.entries(params)) {
    if (value) url.searchParams.set(key, value);
  }
  return url.toString();
}

/** A route of a small table: a method and a path pattern whose groups are parameters. */
export interface Route {
  method: string;
  path: RegExp;
}

/**
 * Finds the route for a request: the route with its decoded path parameters, or else the methods
 * the path allows (none when the path is unknown, or when a parameter is not valid percent-encoding).
 */
export function matchRoute<R extends Route>(
  routes: readonly R[],
  method: string | undefined,
  path: string,
): { route: R; params: string[] } | { allowed: string[] } {
  const matching = routes.filter((candidate) => candidate.path.test(path));
  const route = matching.find((candidate) => candidate.method === method);
  if (!route) return { allowed: matching.map((candidate) => candidate.method) };
  try {
    const params = (route.path.exec(path) ?? []).slice(1).map((part) => decodeURIComponent(part));
    return { route, params };
  } catch {
    return { allowed: [] };
  }
}
