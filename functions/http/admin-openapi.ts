import * as z from 'zod';
import {
  createDocument,
  type ZodOpenApiOperationObject,
  type ZodOpenApiPathsObject,
  type ZodOpenApiResponseObject,
} from 'zod-openapi';
import {
  contactEmailSchema,
  integrationKeySchema,
  linkRequestSchema,
  newTenantSchema,
  pageQuerySchema,
  recountRequestSchema,
  tenantIdSchema,
  tenantPatchSchema,
} from '#domain/admin.js';
import { tenantDeleteQuerySchema } from '#domain/admin-lifecycle.js';
import { tenantPatchQuerySchema } from '#domain/admin-org.js';
import { bulkRecheckSchema } from '#domain/admin-recheck-bulk.js';
import { tenantSchema } from '#domain/model.js';
import { accessTokenQuerySchema } from '#domain/query-flag.js';
import { statusBoardQuerySchema } from '#domain/status-board.js';
import { idempotencyKeySchema } from './idempotency.js';

/*
 * The admin API's OpenAPI 3.1 document, generated with zod-openapi from the very zod schemas the
 * routes parse their path, query and body with, so the document cannot drift from what the API
 * accepts. Answers other than the tenant and the problem document are described in prose
 * (docs/admin-api.md): their shapes are TypeScript views, not zod schemas.
 */

/** An operation of the admin API, as the document lists it. */
export interface AdminOperation {
  method: 'get' | 'post' | 'patch' | 'delete';
  /** The path template, as API Gateway and OpenAPI spell it (`/admin/tenants/{tenantId}`). */
  path: string;
  summary: string;
  /** The success status and what it answers. */
  success: { status: '200' | '201' | '202'; description: string; tenant?: boolean };
  query?: z.ZodObject;
  body?: z.ZodType;
  /** HTML is answered too, to `Accept: text/html`. */
  html?: boolean;
  /** Takes `If-Match` with the tenant's `ETag` (412 when it changed meanwhile). */
  ifMatch?: boolean;
}

const tenantPath = z.object({ tenantId: tenantIdSchema });
const authorizationPath = z.object({ tenantId: tenantIdSchema, integration: integrationKeySchema });
const integrationPath = z.object({ integration: integrationKeySchema });
const suppressedContactPath = z.object({ tenantId: tenantIdSchema, email: contactEmailSchema });

/** Every admin route, in the order docs/admin-api.md lists them. */
export const ADMIN_OPERATIONS: readonly AdminOperation[] = [
  {
    method: 'get',
    path: '/admin/tenants',
    summary: 'A page of tenants by id',
    success: { status: '200', description: '`{items, cursor?}`' },
    query: pageQuerySchema,
  },
  {
    method: 'post',
    path: '/admin/tenants',
    summary: 'Create a tenant',
    success: { status: '201', description: 'The tenant, with `Location`', tenant: true },
    body: newTenantSchema,
  },
  {
    method: 'get',
    path: '/admin/tenants/{tenantId}',
    summary: 'Read a tenant (offboarded ones too)',
    success: { status: '200', description: 'The tenant', tenant: true },
  },
  {
    method: 'patch',
    path: '/admin/tenants/{tenantId}',
    summary: 'Change a tenant',
    success: { status: '200', description: 'The tenant as changed', tenant: true },
    ifMatch: true,
    query: tenantPatchQuerySchema,
    body: tenantPatchSchema,
  },
  {
    method: 'delete',
    path: '/admin/tenants/{tenantId}',
    summary: 'Offboard a tenant, or purge an offboarded one',
    success: { status: '200', description: 'The offboarding receipt, or the purge report' },
    query: tenantDeleteQuerySchema,
  },
  {
    method: 'post',
    path: '/admin/tenants/{tenantId}/reactivate',
    summary: 'Make an offboarded tenant active again',
    success: { status: '200', description: 'The tenant', tenant: true },
  },
  {
    method: 'post',
    path: '/admin/tenants/{tenantId}/links',
    summary: 'Issue a signed onboarding link',
    success: { status: '201', description: '`{url, expiresAt, linkVersion}`' },
    body: linkRequestSchema,
  },
  {
    method: 'delete',
    path: '/admin/tenants/{tenantId}/links',
    summary: 'Revoke every onboarding link issued so far',
    success: { status: '200', description: '`{tenantId, linkVersion, revoked}`' },
  },
  {
    method: 'delete',
    path: '/admin/tenants/{tenantId}/suppressed-contacts/{email}',
    summary: 'Restore a contact address the tenant no longer mails (unsubscribed, bouncing or complained)',
    success: {
      status: '200',
      description: '`{tenantId, email, removedSuppressions: [{email, reason, at}]}`',
    },
  },
  {
    method: 'get',
    path: '/admin/tenants/{tenantId}/authorizations',
    summary: "A tenant's authorizations, and the catalog keys not authorized yet",
    success: { status: '200', description: '`{tenantId, items, missing}`' },
  },
  {
    method: 'get',
    path: '/admin/tenants/{tenantId}/authorizations/{integration}',
    summary: 'One authorization (never a token)',
    success: { status: '200', description: 'The authorization view' },
  },
  {
    method: 'get',
    path: '/admin/tenants/{tenantId}/authorizations/{integration}/token',
    summary: 'A valid access token of one authorization, refreshed first when stale (never cache it)',
    success: {
      status: '200',
      description: '`{tenantId, integration, accessToken, expiresAt, scopes, status}`',
    },
    query: accessTokenQuerySchema,
  },
  {
    method: 'get',
    path: '/admin/tenants/{tenantId}/history',
    summary: "A tenant's history, newest first",
    success: { status: '200', description: '`{items, cursor?}`' },
    query: pageQuerySchema,
  },
  {
    method: 'post',
    path: '/admin/tenants/{tenantId}/authorizations/{integration}/validate',
    summary: 'Run the validator on one authorization now',
    success: { status: '200', description: '`{outcome, authorization}`' },
  },
  {
    method: 'get',
    path: '/admin/status-board',
    summary: 'The fleet: exact totals, authorizations problems first (filtered, paged), deadlines coming',
    query: statusBoardQuerySchema,
    success: {
      status: '200',
      description:
        '`{totals: {byStatus, byCause, authorizations, tenants}, rows, nextCursor?, deadlines, deadlineCoverage, checkFailing, credentialIncidents, flapping, integrations, query, generatedAt}` (JSON, or the HTML page to `Accept: text/html`)',
    },
    html: true,
  },
  {
    method: 'post',
    path: '/admin/status-board/recount',
    summary: "One page of the board counters' backfill (records and tenants written before the counters)",
    body: recountRequestSchema,
    success: {
      status: '200',
      description: '`{scanned, counted, cursor?}`: call again with `cursor` until it is absent',
    },
  },
  {
    method: 'post',
    path: '/admin/tenants/{tenantId}/authorizations/{integration}/recheck',
    summary: "Try an invalid authorization's stored refresh token again",
    success: { status: '200', description: '`{tenantId, integration, outcome, detail, status, cause?}`' },
  },
  {
    method: 'post',
    path: '/admin/tenants/{tenantId}/authorizations/{integration}/refresh',
    summary: "Refresh a live authorization's tokens now",
    success: { status: '200', description: 'The new expiries, never a token' },
  },
  {
    method: 'post',
    path: '/admin/recheck',
    summary: 'Bulk recheck of invalid authorizations, a bounded slice per call',
    success: { status: '200', description: '`{dryRun, window, cause?, items, cursor?}`' },
    body: bulkRecheckSchema,
  },
  {
    method: 'post',
    path: '/admin/integrations/{integration}/reload',
    summary: 'During a credential incident: read the client secret again everywhere now',
    success: { status: '202', description: '`{integration, reloadRequestedAt, verifiedOn?, incidentOpen}`' },
  },
  {
    method: 'post',
    path: '/admin/service-app-webhooks',
    summary:
      "Register the serviceApp webhook with Webex (vendor token), replacing this deployment's of before",
    success: { status: '200', description: '`{targetUrl, webhooks: [{id, event}], replaced}`' },
  },
  {
    method: 'get',
    path: '/admin/openapi.json',
    summary: 'This document',
    success: { status: '200', description: 'The OpenAPI 3.1 document' },
  },
];

const fieldErrorSchema = z.object({
  path: z.string().meta({ description: 'Where: `body.contacts.0`, `query.limit`, `path.tenantId`' }),
  message: z.string(),
});

/** The problem document (RFC 9457) every refusal answers. */
const problemSchema = z
  .object({
    type: z.string().meta({ description: 'The docs anchor of the problem (or its URN)' }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    errors: z.array(fieldErrorSchema).optional().meta({ description: 'Each bad field of a 400' }),
  })
  .meta({ id: 'Problem' });

const requestIdHeader = z.object({
  'x-request-id': z.string().meta({
    description: 'The request id (quote it to the operators)',
    header: { id: 'RequestId' },
  }),
});

/** A refusal's answer, registered once as a component and referenced by every operation. */
const problemResponse = (id: string, description: string): ZodOpenApiResponseObject => ({
  id,
  description,
  headers: requestIdHeader,
  content: { 'application/problem+json': { schema: problemSchema } },
});

const REFUSALS = {
  '400': problemResponse('InvalidRequest', 'Invalid request: `errors` names each bad field'),
  '404': problemResponse('NotFound', 'Not found'),
  '409': problemResponse('Conflict', 'Conflict'),
  default: problemResponse('Refused', 'Any other refusal (docs/admin-api.md lists them)'),
};

const VERSION_CHANGED = problemResponse('VersionChanged', 'The tenant is not the version If-Match names');

const ifMatchHeader = z.object({
  'if-match': z
    .string()
    .optional()
    .meta({ description: 'The ETag of the tenant as read: the change applies only to that version' }),
});

const KEY_REUSED = problemResponse('KeyReused', 'The Idempotency-Key was used for another request');

function pathSchemaOf(path: string): z.ZodObject | undefined {
  if (path.includes('{email}')) return suppressedContactPath;
  if (path.includes('{integration}')) {
    return path.includes('{tenantId}') ? authorizationPath : integrationPath;
  }
  return path.includes('{tenantId}') ? tenantPath : undefined;
}

function operationOf(operation: AdminOperation): ZodOpenApiOperationObject {
  const pathParams = pathSchemaOf(operation.path);
  const idempotencyKey =
    operation.method === 'post'
      ? z.object({
          'idempotency-key': idempotencyKeySchema
            .optional()
            .meta({ description: 'A repeat within 24 hours answers the first (successful) answer' }),
        })
      : undefined;
  const successSchema = operation.success.tenant ? tenantSchema : z.looseObject({});
  return {
    summary: operation.summary,
    operationId: `${operation.method}${operation.path.replace(/[^a-zA-Z0-9]+(.)?/g, (_, next?: string) => (next ?? '').toUpperCase())}`,
    requestParams: {
      ...(pathParams ? { path: pathParams } : {}),
      ...(operation.query ? { query: operation.query } : {}),
      ...(idempotencyKey ? { header: idempotencyKey } : {}),
      ...(operation.ifMatch ? { header: ifMatchHeader } : {}),
    },
    ...(operation.body
      ? { requestBody: { required: false, content: { 'application/json': { schema: operation.body } } } }
      : {}),
    responses: {
      [operation.success.status]: {
        description: operation.success.description,
        headers: requestIdHeader,
        content: {
          'application/json': { schema: successSchema },
          ...(operation.html ? { 'text/html': { schema: { type: 'string' as const } } } : {}),
        },
      },
      ...REFUSALS,
      ...(operation.method === 'post' ? { '422': KEY_REUSED } : {}),
      ...(operation.ifMatch ? { '412': VERSION_CHANGED } : {}),
    },
  };
}

/** The admin API's version in the document: bumped when a route or a schema changes. */
export const ADMIN_API_VERSION = '1.3.0';

/** Builds the admin API's OpenAPI 3.1 document (docs/openapi.json is this, checked in). */
export function buildAdminOpenApiDocument(): ReturnType<typeof createDocument> {
  const paths: ZodOpenApiPathsObject = {};
  for (const operation of ADMIN_OPERATIONS) {
    paths[operation.path] = { ...paths[operation.path], [operation.method]: operationOf(operation) };
  }
  return createDocument({
    openapi: '3.1.0',
    info: {
      title: 'webex-auth-keeper admin API',
      version: ADMIN_API_VERSION,
      description:
        'IAM-authorized (SigV4, service execute-api) when deployed; unsigned on the local run. See docs/admin-api.md.',
    },
    paths,
  });
}
