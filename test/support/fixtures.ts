import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, Context, SQSRecord } from 'aws-lambda';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type {
  Authorization,
  AuthorizationEvent,
  Authorizer,
  SealedTokens,
  Tenant,
  TokenMaterial,
} from '#domain/model.js';
import type { OnboardingSettings } from '#domain/onboarding.js';

/** An active tenant with sensible defaults. */
export function testTenant(overrides: Partial<Tenant> = {}): Tenant {
  return {
    tenantId: 'acme',
    name: 'Acme Corp',
    contacts: ['it@acme.example'],
    sso: false,
    linkVersion: 1,
    status: 'active',
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    ...overrides,
  };
}

/** An active authorization record with sensible defaults, not yet saved (version 0). */
export function testAuthorization(
  tenantId: string,
  integration: string,
  overrides: Partial<Authorization> = {},
): Authorization {
  return {
    tenantId,
    integration,
    status: 'active',
    scopes: ['spark:people_read'],
    consecutiveFailures: 0,
    version: 0,
    warningsSent: [],
    updatedAt: '2026-01-01T00:00:00.000Z',
    ...overrides,
  };
}

/** The Full Administrator who authorized in the tests' records unless they say otherwise. */
export const TEST_AUTHORIZER: Authorizer = {
  personId: 'person-1',
  email: 'admin@customer.example',
  displayName: 'Ada Admin',
  orgId: 'org-1',
  fullAdmin: true,
};

/**
 * Sealed tokens of the right shape that no vault opens: for records whose tokens a test never
 * reads (a vault given them throws, as for an envelope sealed elsewhere).
 */
export const UNOPENED_SEALED_TOKENS: SealedTokens = {
  format: 1,
  wrappedKey: 'AAAA',
  iv: 'AAAAAAAAAAAAAAAA',
  ciphertext: 'AAAA',
};

/**
 * The active record a successful onboarding saves with its sealed token material, granted `now`
 * (version 0, not yet saved).
 */
export function grantedAuthorization(
  input: {
    tenantId: string;
    integration: string;
    material: TokenMaterial;
    sealedTokens: SealedTokens;
    now: Date;
  },
  overrides: Partial<Authorization> = {},
): Authorization {
  const now = input.now.toISOString();
  return testAuthorization(input.tenantId, input.integration, {
    authorizer: TEST_AUTHORIZER,
    accessTokenExpiresAt: input.material.accessTokenExpiresAt,
    refreshTokenExpiresAt: input.material.refreshTokenExpiresAt,
    grantedAt: now,
    sealedTokens: input.sealedTokens,
    nextCheckAt: new Date(input.now.getTime() + 3_600_000).toISOString(),
    updatedAt: now,
    ...overrides,
  });
}

/** A `granted` event of the authorization at `occurredAt`, with a fresh id. */
export function testEvent(tenantId: string, integration: string, occurredAt: string): AuthorizationEvent {
  return {
    version: 1,
    eventId: randomUUID(),
    type: 'granted',
    severity: 'info',
    tenantId,
    integration,
    occurredAt,
    summary: 'granted',
  };
}

/** Settings for tests; the Webex base is replaced by the simulator's URL where one runs. */
export function testSettings(overrides: Partial<OnboardingSettings> = {}): OnboardingSettings {
  return {
    publicBaseUrl: 'https://portal.test',
    webexApiBaseUrl: 'https://webexapis.test',
    passwordMaxAgeDays: 1825,
    linkTtlDays: 14,
    firstCheckDelaySeconds: 3600,
    ...overrides,
  };
}

/** Token material that is obviously fake and easy to search for in outputs. */
export function fakeMaterial(now: Date, tag = 'x'): TokenMaterial {
  return {
    accessToken: `ACCESS-SECRET-${tag}`,
    refreshToken: `REFRESH-SECRET-${tag}`,
    accessTokenExpiresAt: new Date(now.getTime() + 14 * 86_400_000).toISOString(),
    refreshTokenExpiresAt: new Date(now.getTime() + 90 * 86_400_000).toISOString(),
  };
}

const nothing = () => undefined;
const quiet = { debug: nothing, info: nothing, warn: nothing, error: nothing };

/** Powertools logger and metrics that write nothing (some tests run thousands of requests). */
export function silentObservability(serviceName = 'test'): { logger: Logger; metrics: Metrics } {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  return {
    logger: new Logger({ serviceName, logLevel: 'SILENT' }),
    metrics: new Metrics({ namespace: 'Test', serviceName, logger: quiet }),
  };
}

/** One SQS message as the validator worker receives it. */
export function sqsRecord(id: string, body: string): SQSRecord {
  return {
    messageId: id,
    receiptHandle: `rh-${id}`,
    body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: '0',
      SenderId: 'sender',
      ApproximateFirstReceiveTimestamp: '0',
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:eu-west-1:123456789012:validation',
    awsRegion: 'eu-west-1',
  };
}

/** A Lambda context as Powertools' middlewares read it, whose remaining time the test controls. */
export function lambdaContext(
  options: { functionName?: string; remainingTimeMs?: () => number } = {},
): Context {
  const functionName = options.functionName ?? 'test-function';
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:eu-west-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: 'test-request',
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'test',
    getRemainingTimeInMillis: options.remainingTimeMs ?? (() => 60_000),
    done: nothing,
    fail: nothing,
    succeed: nothing,
  };
}

/** A request as a client (hostile or not) may shape it; everything optional but the path. */
export interface RawRequest {
  method?: string;
  /** The raw path as API Gateway passes it (`rawPath`). */
  path: string;
  /** The raw query string, without `?`. */
  query?: string;
  headers?: Record<string, string>;
  /** The browser's cookies, `name=value` each. */
  cookies?: readonly string[];
  body?: string;
  base64?: boolean;
}

/** An API Gateway HTTP API (payload 2.0) event, built the way `local/http-adapter.ts` builds one. */
export function apiGatewayEvent(request: RawRequest): APIGatewayProxyEventV2 {
  const method = request.method ?? 'GET';
  const headers = Object.fromEntries(
    Object.entries(request.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]),
  );
  const queryStringParameters: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(request.query ?? '')) {
    queryStringParameters[name] =
      name in queryStringParameters ? `${queryStringParameters[name]},${value}` : value;
  }
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: request.path,
    rawQueryString: request.query ?? '',
    headers,
    ...(request.cookies && request.cookies.length > 0 ? { cookies: [...request.cookies] } : {}),
    ...(Object.keys(queryStringParameters).length > 0 ? { queryStringParameters } : {}),
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'portal.test',
      domainPrefix: 'portal',
      http: {
        method,
        path: request.path,
        protocol: 'HTTP/1.1',
        sourceIp: '203.0.113.7',
        userAgent: headers['user-agent'] ?? 'test',
      },
      requestId: 'req-1',
      routeKey: '$default',
      stage: '$default',
      time: new Date().toUTCString(),
      timeEpoch: Date.now(),
    },
    ...(request.body !== undefined
      ? { body: request.base64 ? Buffer.from(request.body).toString('base64') : request.body }
      : {}),
    isBase64Encoded: request.base64 === true,
  };
}

/** A browser's GET on the portal (`pathAndQuery` as it sends it), with its cookies (`name=value` each). */
export function getEvent(pathAndQuery: string, cookies: readonly string[] = []): APIGatewayProxyEventV2 {
  const [path = '/', query = ''] = pathAndQuery.split(/\?(.*)/s);
  return apiGatewayEvent({ path, query, cookies, headers: { host: 'portal.test' } });
}

/** A JSON call on the admin API, as API Gateway sends it after the IAM authorizer. */
export function adminEvent(
  method: string,
  path: string,
  options: Omit<RawRequest, 'method' | 'path' | 'cookies'> = {},
): APIGatewayProxyEventV2 {
  return apiGatewayEvent({
    ...options,
    method,
    path,
    headers: { 'content-type': 'application/json', ...options.headers },
  });
}
