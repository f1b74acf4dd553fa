import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda';

/** Largest request body the local server reads; API Gateway's own limit is far above what we need. */
export const MAX_LOCAL_BODY_BYTES = 1024 * 1024;

/** Thrown when a local request body exceeds MAX_LOCAL_BODY_BYTES. */
export class LocalBodyTooLargeError extends Error {
  override readonly name = 'LocalBodyTooLargeError';
}

/** Reads a request body as text, up to MAX_LOCAL_BODY_BYTES. */
export async function readLocalBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > MAX_LOCAL_BODY_BYTES) throw new LocalBodyTooLargeError('Request body too large');
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * A request target's path and raw query, split at the first `?` as sent: never resolved as a URL
 * against a base, which reads `/\\` or `//host/x` as a host (and threw, or routed `//evil/x` as
 * `/x`). Undefined for a target that is not a path (absolute-form, `*`): the local API refuses it.
 */
export function splitRequestTarget(target: string): { rawPath: string; rawQueryString: string } | undefined {
  if (!target.startsWith('/')) return undefined;
  const queryStart = target.indexOf('?');
  return queryStart >= 0
    ? { rawPath: target.slice(0, queryStart), rawQueryString: target.slice(queryStart + 1) }
    : { rawPath: target, rawQueryString: '' };
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}

/**
 * Turns a node:http request into the event API Gateway HTTP API (payload 2.0) would deliver, so
 * the local run calls the deployed handlers unchanged. Like API Gateway: header names lower case,
 * repeated headers and query values joined with commas, cookies apart, `rawQueryString` as sent.
 */
export function toApiGatewayEvent(req: IncomingMessage, body: string): APIGatewayProxyEventV2 {
  const { rawPath, rawQueryString } = splitRequestTarget(req.url ?? '/') ?? {
    rawPath: '/',
    rawQueryString: '',
  };
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    const joined = headerValue(value);
    if (joined !== undefined && name !== 'cookie') headers[name] = joined;
  }
  const queryStringParameters: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(rawQueryString)) {
    queryStringParameters[name] =
      name in queryStringParameters ? `${queryStringParameters[name]},${value}` : value;
  }
  const cookies = headerValue(req.headers.cookie)
    ?.split(';')
    .map((cookie) => cookie.trim())
    .filter(Boolean);
  const now = new Date();
  const method = (req.method ?? 'GET').toUpperCase();
  const host = headers.host ?? 'localhost';
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString,
    ...(cookies && cookies.length > 0 ? { cookies } : {}),
    headers,
    ...(Object.keys(queryStringParameters).length > 0 ? { queryStringParameters } : {}),
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: host,
      domainPrefix: host.split('.')[0] ?? host,
      http: {
        method,
        path: rawPath,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...(body !== '' ? { body } : {}),
    isBase64Encoded: false,
  };
}

/**
 * Writes a handler's result the way API Gateway would: a structured result's status, headers,
 * multi-value cookies and body (base64-decoded when flagged); a bare string or object as JSON 200.
 */
export function sendApiGatewayResult(res: ServerResponse, result: APIGatewayProxyResultV2): void {
  if (typeof result === 'string' || result.statusCode === undefined) {
    const body = typeof result === 'string' ? result : JSON.stringify(result);
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(body);
    return;
  }
  const headers: Record<string, string | number | string[]> = {};
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = String(value);
  if (result.cookies && result.cookies.length > 0) headers['Set-Cookie'] = result.cookies;
  res.writeHead(result.statusCode, headers);
  const body = result.body ?? '';
  res.end(result.isBase64Encoded ? Buffer.from(body, 'base64') : body);
}

/** A Lambda context for local invocations, as Powertools' logger middleware reads it. */
export function localLambdaContext(functionName: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => 30_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
