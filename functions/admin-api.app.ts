import { brotliDecompressSync } from 'node:zlib';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import middy, { type MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import * as z from 'zod';
import { tracedInvocation } from './commons/traced-invocation.js';
import { recordValidationOutcome } from './commons/validation-metrics.js';
import type { Catalog } from './domain/catalog.js';
import {
  contactEmailSchema,
  createOnboardingLink,
  createTenant,
  getStatusBoard,
  getAuthorization,
  getTenant,
  getTenantHistory,
  integrationKeySchema,
  linkRequestSchema,
  listTenantAuthorizations,
  listTenants,
  newTenantSchema,
  pageQuerySchema,
  recountRequestSchema,
  recountStatusBoard,
  revokeOnboardingLinks,
  tenantIdSchema,
  tenantPatchSchema,
  validateAuthorizationNow,
  type AdminDependencies,
} from './domain/admin.js';
import { renderStatusBoardPage } from './http/pages/status-board-page.js';
import { statusBoardQuerySchema, type StatusBoardQuery } from './domain/status-board.js';
import { ADMIN_OPENAPI_DOCUMENT_BROTLI } from './http/admin-openapi-document.js';
import { answerOnce, type IdempotencyStore } from './http/idempotency.js';
import {
  htmlPage,
  invalid,
  json,
  problem,
  ProblemError,
  expectedVersionOf,
  tenantETag,
  toProblem,
  type Answer,
} from './http/admin-answers.js';
import { offboardTenant, type OffboardingDependencies } from './domain/offboarding.js';
import { patchTenant, tenantPatchQuerySchema } from './domain/admin-org.js';
import { purgeTenant, reactivateTenant, tenantDeleteQuerySchema } from './domain/admin-lifecycle.js';
import { restoreContact } from './domain/admin-contacts.js';
import { contactHash } from './domain/unsubscribe-link.js';
import { recheckAuthorization } from './domain/admin-recheck.js';
import { bulkRecheck, bulkRecheckSchema } from './domain/admin-recheck-bulk.js';
import { refreshAuthorizationNow, reloadClientSecret } from './domain/admin-refresh.js';
import type { RecoveryDependencies } from './domain/admin-recovery.js';
import type { ValidationOutcome } from './domain/validator-config.js';
import {
  registerServiceAppWebhooks,
  WebhookRegistrationUnavailableError,
  type WebhookRegistrationDependencies,
} from './domain/service-app-webhook-registration.js';
import { WebexError } from './domain/ports.js';
import { IntegrationNotFoundError } from './domain/admin-errors.js';
import { accessTokenQuerySchema } from './domain/query-flag.js';
import {
  createTokenAccess,
  type AccessToken,
  type GetAccessTokenOptions,
  type TokenAccess,
} from './token-access.js';

/** The ports the admin API works with; the handler adds its logger. */
export type AdminApiDependencies = AdminDependencies &
  Omit<OffboardingDependencies, 'log'> &
  Pick<RecoveryDependencies, 'validator'> & {
    /** Where `Idempotency-Key`s and first answers are kept (http/idempotency.ts). */
    idempotency: IdempotencyStore;
    /**
     * What registering the `serviceApp` webhook takes, and the public base URL it points Webex
     * at; absent without a webhook secret.
     */
    serviceAppWebhooks?: Omit<WebhookRegistrationDependencies, 'log'> & { publicBaseUrl: string };
  };

/** Logger and metrics; the defaults are Powertools' with the service name `admin-api`. */
export interface AdminApiObservability {
  logger?: Logger;
  metrics?: Metrics;
  /** X-Ray tracing of each invocation; the local run and tests pass none. */
  tracer?: Tracer;
  /**
   * The admin API docs page the problem `type`s link into (`#problem-<slug>` anchors); without
   * it they are URNs.
   */
  problemDocsUrl?: string;
}

/** Largest request body accepted; the biggest legitimate one (a tenant with 20 contacts) is far smaller. */
const MAX_BODY_BYTES = 16 * 1024;

type Place = 'body' | 'query' | 'path';

/**
 * Parses with a schema; a failure is a 400 naming each bad field, in the detail and in `errors`
 * (`field` names the path parameter parsed, whose issues have no path of their own). An unknown
 * key is named as its own field, not as the object that holds it.
 */
function parse<Schema extends z.ZodType>(
  schema: Schema,
  value: unknown,
  where: Place,
  field?: string,
): z.infer<Schema> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const place = field === undefined ? where : `${where}: ${field}`;
  const unknownKey = where === 'body' ? 'unknown field' : 'unknown parameter';
  const issues = result.error.issues.flatMap((issue) => {
    const path = issue.path.map(String);
    return issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ path: [...path, key], message: unknownKey }))
      : [{ path, message: issue.message }];
  });
  throw invalid(
    `Invalid ${place}: ${issues.map(({ path, message }) => (path.length > 0 ? `${path.join('.')}: ${message}` : message)).join('; ')}`,
    issues.map(({ path, message }) => ({
      path: [where, ...(field === undefined ? [] : [field]), ...path].join('.'),
      message,
    })),
  );
}

/** The JSON body; an absent body is `{}` so optional-only bodies may be left out. */
function readBody(event: APIGatewayProxyEventV2): unknown {
  if (event.body === undefined || event.body === '') return {};
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  if (Buffer.byteLength(text) > MAX_BODY_BYTES) {
    throw new ProblemError(
      413,
      'body-too-large',
      'Body too large',
      `The body must be at most ${MAX_BODY_BYTES} bytes`,
    );
  }
  try {
    return JSON.parse(text);
  } catch {
    throw invalid('The body is not valid JSON', [{ path: 'body', message: 'not valid JSON' }]);
  }
}

/** Query parameters; a repeated one is refused (API Gateway would join its values with commas). */
function readQuery(event: Pick<APIGatewayProxyEventV2, 'rawQueryString'>): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(event.rawQueryString ?? '')) {
    if (name in values) {
      throw invalid(`Invalid query: parameter "${name.slice(0, 40)}" is repeated`, [
        { path: `query.${name.slice(0, 40)}`, message: 'repeated' },
      ]);
    }
    values[name] = value;
  }
  return values;
}

const noQuery = z.strictObject({});
const noBody = z.strictObject({});

/**
 * The status board's query, as `GET /admin/status-board` takes it and the local run's
 * `/_local/status` too: a bad or repeated value, or an `integration` the catalog does not have,
 * is a 400 naming it. Every key whose authorizations the board can list is accepted: a Service
 * App's (the witness) and the vendor tenant's vendor-only integration too, not only those a
 * customer's portal offers.
 */
export function parseStatusBoardQuery(
  event: Pick<APIGatewayProxyEventV2, 'rawQueryString'>,
  catalog: Pick<Catalog, 'has'>,
): StatusBoardQuery {
  const query = parse(statusBoardQuerySchema, readQuery(event), 'query');
  if (query.integration !== undefined && !catalog.has(query.integration)) {
    throw invalid(`Invalid query: integration "${query.integration}" is not in the catalog`, [
      { path: 'query.integration', message: 'not an integration or Service App of the catalog' },
    ]);
  }
  return query;
}

/** A route that takes neither query nor body refuses both (an empty `{}` body is accepted). */
function refuseQueryAndBody(event: APIGatewayProxyEventV2): void {
  parse(noQuery, readQuery(event), 'query');
  parse(noBody, readBody(event), 'body');
}

type Params = Record<string, string>;
type RouteHandler = (event: APIGatewayProxyEventV2, params: Params) => Promise<Answer>;

interface Route {
  method: string;
  /** Path segments; `{name}` captures one segment. */
  segments: string[];
  handle: RouteHandler;
}

function matchPath(route: Route, segments: string[]): Params | undefined {
  if (route.segments.length !== segments.length) return undefined;
  const params: Params = {};
  for (const [index, pattern] of route.segments.entries()) {
    const segment = segments[index] as string;
    if (pattern.startsWith('{')) params[pattern.slice(1, -1)] = segment;
    else if (pattern !== segment) return undefined;
  }
  return params;
}

function pathSegments(rawPath: string): string[] {
  try {
    return rawPath.split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    throw invalid('The path is not valid', [{ path: 'path', message: 'not valid percent-encoding' }]);
  }
}

function tenantIdOf(params: Params): string {
  return parse(tenantIdSchema, params.tenantId, 'path', 'tenantId');
}

/** The tenant and integration of an authorization route. */
function authorizationKeyOf(params: Params): { tenantId: string; integration: string } {
  return {
    tenantId: tenantIdOf(params),
    integration: parse(integrationKeySchema, params.integration, 'path', 'integration'),
  };
}

/**
 * The access token of one authorization, through token access (docs/token-access.md); a key the
 * catalog lacks is a 404, not "not authorized".
 */
async function accessTokenOf(
  deps: AdminApiDependencies,
  tokens: TokenAccess,
  key: { tenantId: string; integration: string },
  options: GetAccessTokenOptions,
): Promise<AccessToken> {
  // A Service App's tokens are read like an integration's (the witness reads them so).
  if (!deps.catalog.has(key.integration)) {
    throw new IntegrationNotFoundError(key.integration);
  }
  return tokens.getAccessToken(key.tenantId, key.integration, options);
}

/**
 * The admin routes. Each parses its input (path, query, body) with zod before any use case runs,
 * so an invalid request writes nothing.
 */
function routes(deps: AdminApiDependencies, logger: Logger, metrics: Metrics): Route[] {
  // Checks a refresh or reload runs are counted as the worker counts them (the Invalidations alarm).
  const recovery = {
    ...deps,
    recordCheck: (outcome: ValidationOutcome) => recordValidationOutcome(metrics, outcome),
  };
  // One per handler, so its cache of opened tokens and its shared refreshes outlive an invocation.
  const tokens = createTokenAccess({ ...deps.validator, log: logger });
  // Opened on first use: most invocations never ask for it.
  let openApiDocument: unknown;
  const route = (method: string, path: string, handle: RouteHandler): Route => ({
    method,
    segments: path.split('/').filter(Boolean),
    handle,
  });
  return [
    route('GET', '/admin/tenants', async (event) => {
      const query = parse(pageQuerySchema, readQuery(event), 'query');
      parse(noBody, readBody(event), 'body');
      return json(200, await listTenants(deps, query));
    }),
    route('POST', '/admin/tenants', async (event) => {
      parse(noQuery, readQuery(event), 'query');
      const input = parse(newTenantSchema, readBody(event), 'body');
      const tenant = await createTenant(deps, input);
      logger.info('Tenant created', { tenantId: tenant.tenantId });
      return json(201, tenant, { Location: `/admin/tenants/${tenant.tenantId}`, ETag: tenantETag(tenant) });
    }),
    route('GET', '/admin/tenants/{tenantId}', async (event, params) => {
      refuseQueryAndBody(event);
      const tenant = await getTenant(deps, tenantIdOf(params));
      return json(200, tenant, { ETag: tenantETag(tenant) });
    }),
    route('PATCH', '/admin/tenants/{tenantId}', async (event, params) => {
      const tenantId = tenantIdOf(params);
      const query = parse(tenantPatchQuerySchema, readQuery(event), 'query');
      const patch = parse(tenantPatchSchema, readBody(event), 'body');
      const expected = expectedVersionOf(event.headers['if-match']);
      const { tenant } = await patchTenant({ ...deps, log: logger }, tenantId, patch, query, expected);
      logger.info('Tenant updated', { tenantId, fields: Object.keys(patch) });
      return json(200, tenant, { ETag: tenantETag(tenant) });
    }),
    route('DELETE', '/admin/tenants/{tenantId}', async (event, params) => {
      const tenantId = tenantIdOf(params);
      const query = parse(tenantDeleteQuerySchema, readQuery(event), 'query');
      parse(noBody, readBody(event), 'body');
      if (query.purge) return json(200, await purgeTenant({ ...deps, log: logger }, tenantId));
      const report = await offboardTenant({ ...deps, log: logger }, tenantId);
      return json(200, report);
    }),
    route('POST', '/admin/tenants/{tenantId}/reactivate', async (event, params) => {
      const tenantId = tenantIdOf(params);
      refuseQueryAndBody(event);
      const tenant = await reactivateTenant(deps, tenantId);
      logger.info('Tenant reactivated', { tenantId });
      return json(200, tenant, { ETag: tenantETag(tenant) });
    }),
    route('POST', '/admin/tenants/{tenantId}/links', async (event, params) => {
      const tenantId = tenantIdOf(params);
      parse(noQuery, readQuery(event), 'query');
      const request = parse(linkRequestSchema, readBody(event), 'body');
      const link = await createOnboardingLink(deps, tenantId, request);
      logger.info('Onboarding link issued', {
        tenantId,
        linkVersion: link.linkVersion,
        expiresAt: link.expiresAt,
      });
      return json(201, link);
    }),
    route('DELETE', '/admin/tenants/{tenantId}/links', async (event, params) => {
      const tenantId = tenantIdOf(params);
      refuseQueryAndBody(event);
      const tenant = await revokeOnboardingLinks(deps, tenantId);
      logger.info('Onboarding links revoked', { tenantId: tenant.tenantId, linkVersion: tenant.linkVersion });
      return json(200, { tenantId: tenant.tenantId, linkVersion: tenant.linkVersion, revoked: true });
    }),
    route('DELETE', '/admin/tenants/{tenantId}/suppressed-contacts/{email}', async (event, params) => {
      const tenantId = tenantIdOf(params);
      const email = parse(contactEmailSchema, params.email, 'path', 'email');
      refuseQueryAndBody(event);
      const restored = await restoreContact(deps, tenantId, email);
      // The address by its hash, as the unsubscribe link names it: logs carry nobody's address.
      logger.info('Contact restored', {
        tenantId,
        contact: contactHash(email),
        reasons: restored.removedSuppressions.map((entry) => entry.reason),
      });
      return json(200, restored);
    }),
    route('GET', '/admin/tenants/{tenantId}/authorizations', async (event, params) => {
      const tenantId = tenantIdOf(params);
      refuseQueryAndBody(event);
      return json(200, await listTenantAuthorizations(deps, tenantId));
    }),
    route('GET', '/admin/tenants/{tenantId}/authorizations/{integration}', async (event, params) => {
      const key = authorizationKeyOf(params);
      refuseQueryAndBody(event);
      return json(200, await getAuthorization(deps, key.tenantId, key.integration));
    }),
    route('GET', '/admin/tenants/{tenantId}/authorizations/{integration}/token', async (event, params) => {
      const key = authorizationKeyOf(params);
      const query = parse(accessTokenQuerySchema, readQuery(event), 'query');
      parse(noBody, readBody(event), 'body');
      const token = await accessTokenOf(deps, tokens, key, query);
      // Never the token itself: the answer is the one place it goes.
      logger.info('Access token handed out', { ...key, status: token.status, expiresAt: token.expiresAt });
      return json(200, { ...key, ...token });
    }),
    route('GET', '/admin/openapi.json', async (event) => {
      refuseQueryAndBody(event);
      openApiDocument ??= JSON.parse(
        brotliDecompressSync(Buffer.from(ADMIN_OPENAPI_DOCUMENT_BROTLI, 'base64')).toString('utf8'),
      ) as unknown;
      return json(200, openApiDocument);
    }),
    route('GET', '/admin/tenants/{tenantId}/history', async (event, params) => {
      const tenantId = tenantIdOf(params);
      const query = parse(pageQuerySchema, readQuery(event), 'query');
      parse(noBody, readBody(event), 'body');
      return json(200, await getTenantHistory(deps, tenantId, query));
    }),
    route(
      'POST',
      '/admin/tenants/{tenantId}/authorizations/{integration}/validate',
      async (event, params) => {
        const tenantId = tenantIdOf(params);
        const integration = parse(integrationKeySchema, params.integration, 'path', 'integration');
        refuseQueryAndBody(event);
        const result = await validateAuthorizationNow(deps, tenantId, integration);
        // Counted as the worker counts it, so the Invalidations alarm sees this one too.
        recordValidationOutcome(metrics, result.outcome);
        logger.info('Authorization validated on demand', {
          tenantId,
          integration,
          outcome: result.outcome,
          status: result.authorization.status,
        });
        return json(200, result);
      },
    ),
    route('POST', '/admin/tenants/{tenantId}/authorizations/{integration}/recheck', async (event, params) => {
      const key = authorizationKeyOf(params);
      refuseQueryAndBody(event);
      const result = await recheckAuthorization(deps, key);
      logger.info('Authorization rechecked', { ...key, outcome: result.outcome });
      return json(200, result);
    }),
    route('POST', '/admin/tenants/{tenantId}/authorizations/{integration}/refresh', async (event, params) => {
      const key = authorizationKeyOf(params);
      refuseQueryAndBody(event);
      const result = await refreshAuthorizationNow(recovery, key);
      logger.info('Authorization refreshed on demand', { ...key, status: result.status });
      return json(200, result);
    }),
    route('POST', '/admin/recheck', async (event) => {
      parse(noQuery, readQuery(event), 'query');
      const request = parse(bulkRecheckSchema, readBody(event), 'body');
      const report = await bulkRecheck(deps, request);
      logger.info('Bulk recheck', {
        dryRun: report.dryRun,
        cause: report.cause,
        items: report.items.length,
        more: report.cursor !== undefined,
      });
      return json(200, report);
    }),
    route('POST', '/admin/integrations/{integration}/reload', async (event, params) => {
      const integration = parse(integrationKeySchema, params.integration, 'path', 'integration');
      refuseQueryAndBody(event);
      const result = await reloadClientSecret(recovery, integration);
      logger.info('Client secret reload', { integration, incidentOpen: result.incidentOpen });
      return json(202, result);
    }),
    route('POST', '/admin/service-app-webhooks', async (event) => {
      refuseQueryAndBody(event);
      const registered = await registerWebhooks(deps, logger);
      logger.info('serviceApp webhooks registered', { replaced: registered.replaced });
      return json(200, registered);
    }),
    route('GET', '/admin/status-board', async (event) => {
      const query = parseStatusBoardQuery(event, deps.catalog);
      parse(noBody, readBody(event), 'body');
      const board = await getStatusBoard(deps, query);
      // The local run opens the board in a browser; scripts and the CLI get JSON.
      if (/\btext\/html\b/.test(event.headers.accept ?? '')) {
        return htmlPage(200, renderStatusBoardPage(board));
      }
      return json(200, board);
    }),
    route('POST', '/admin/status-board/recount', async (event) => {
      parse(noQuery, readQuery(event), 'query');
      const request = parse(recountRequestSchema, readBody(event), 'body');
      const page = await recountStatusBoard(deps, request);
      logger.info('Status board counters backfilled', { ...page });
      return json(200, page);
    }),
  ];
}

/** Registers the `serviceApp` webhooks with Webex; what stops it, as the problem ops can act on. */
async function registerWebhooks(deps: AdminApiDependencies, logger: Logger) {
  if (!deps.serviceAppWebhooks) {
    throw new ProblemError(
      409,
      'webhook-not-configured',
      'No webhook secret',
      'This deployment has no serviceApp webhook secret (WEBHOOK_SECRET_ID): deploy the stack of this version',
    );
  }
  const { publicBaseUrl, ...ports } = deps.serviceAppWebhooks;
  try {
    return await registerServiceAppWebhooks({ ...ports, log: logger }, { publicBaseUrl });
  } catch (error) {
    if (error instanceof WebhookRegistrationUnavailableError) {
      throw new ProblemError(409, 'vendor-token-unavailable', 'No vendor token', error.message);
    }
    if (error instanceof WebexError) {
      throw new ProblemError(
        502,
        'webhook-registration-failed',
        'Webex did not register the webhook',
        error.message,
      );
    }
    throw error;
  }
}

/** Finds the route; a known path with another method is 405 with `Allow`, anything else 404. */
function dispatch(table: Route[], event: APIGatewayProxyEventV2): Promise<Answer> {
  const segments = pathSegments(event.rawPath);
  const method = event.requestContext.http.method.toUpperCase();
  const allowed: string[] = [];
  for (const candidate of table) {
    const params = matchPath(candidate, segments);
    if (!params) continue;
    if (candidate.method === method) return candidate.handle(event, params);
    allowed.push(candidate.method);
  }
  if (allowed.length > 0) {
    throw new ProblemError(
      405,
      'method-not-allowed',
      'Method not allowed',
      `Use ${allowed.join(', ')} here`,
      {
        Allow: allowed.join(', '),
      },
    );
  }
  throw new ProblemError(404, 'not-found', 'Not found', 'No admin resource at this path');
}

/** The IAM principal that signed the request (API Gateway's IAM authorizer), for the audit log. */
const iamCallerSchema = z.object({ authorizer: z.object({ iam: z.object({ userArn: z.string() }) }) });

/**
 * The one place where failures become problem documents: expected ones are logged as info, the
 * rest as errors with their stack, and the caller gets a 500 that names only the request id.
 */
function problemResponses(
  logger: Logger,
  metrics: Metrics,
  docsUrl: string | undefined,
): MiddlewareObj<APIGatewayProxyEventV2, Answer> {
  return {
    onError: async (request) => {
      const known = toProblem(request.error);
      if (known) {
        logger.info('Admin request refused', {
          status: known.status,
          problem: known.slug,
          detail: known.detail,
        });
        if (known.status >= 500) metrics.addMetric('AdminApiError', MetricUnit.Count, 1);
        request.response = problem(known, docsUrl);
        return;
      }
      logger.error(
        'Admin request failed',
        request.error instanceof Error ? request.error : String(request.error),
      );
      metrics.addMetric('AdminApiError', MetricUnit.Count, 1);
      request.response = problem(
        new ProblemError(
          500,
          'internal',
          'Internal error',
          `The request failed; quote request id ${request.event.requestContext.requestId} to the operators`,
        ),
        docsUrl,
      );
    },
  };
}

/**
 * Every answer, refusals and failures included, carries `x-request-id`: API Gateway's request id,
 * the one the access log and the function's log lines carry, so a caller can quote it.
 */
function requestIdHeader(): MiddlewareObj<APIGatewayProxyEventV2, Answer> {
  const stamp = (request: { event: APIGatewayProxyEventV2; response: Answer | null }) => {
    if (!request.response) return;
    request.response.headers = {
      ...request.response.headers,
      'x-request-id': request.event.requestContext.requestId,
    };
  };
  return { after: stamp, onError: stamp };
}

/**
 * Builds the admin API handler (API Gateway HTTP API, payload v2) over the given ports. Routing
 * is on method and raw path, so the same code serves the stack's explicit routes and the local
 * run's catch-all. The Lambda entry point and the local run both call this.
 */
export function createAdminApiHandler(
  dependencies: AdminApiDependencies,
  observability: AdminApiObservability = {},
) {
  const logger = observability.logger ?? new Logger({ serviceName: 'admin-api' });
  // The namespace comes from POWERTOOLS_METRICS_NAMESPACE, the stack's own (lib/names.ts).
  const metrics = observability.metrics ?? new Metrics({ serviceName: 'admin-api' });
  const table = routes(dependencies, logger, metrics);
  return (
    middy<APIGatewayProxyEventV2, Answer, Error, Context>()
      .use(tracedInvocation(observability.tracer))
      .use(injectLambdaContext(logger))
      .use(logMetrics(metrics))
      // Registered before the problem middleware, so its onError runs after the problem is set.
      .use(requestIdHeader())
      .use(problemResponses(logger, metrics, observability.problemDocsUrl))
      .handler(async (event) => {
        const signed = iamCallerSchema.safeParse(event.requestContext);
        const caller = signed.success ? signed.data.authorizer.iam.userArn : 'unsigned';
        logger.appendKeys({ caller });
        return answerOnce({ event, caller, store: dependencies.idempotency, clock: dependencies.clock }, () =>
          dispatch(table, event),
        );
      })
  );
}
