import * as z from 'zod';
import { AUDIT_EVENT_CATEGORIES, auditEventJson } from './admin-audit.js';
import { authenticate, FORBIDDEN_MESSAGE, requireRole, requireScope } from './api-routes.js';
import { sendTokens } from './oauth-routes.js';
import {
  hasMediaType,
  HttpError,
  matchRoute,
  readBody,
  sendJson,
  sendNoContent,
  type Exchange,
  type Route,
} from './http.js';
import type { SimWebhook } from './webhooks.js';
import { FULL_ADMIN_ROLE, type SimWorld } from './world.js';

/** Webex's 403 text when the Service App is not authorized in the target org. */
export const SERVICE_APP_NOT_AUTHORIZED_MESSAGE =
  'The Service App is not authorized by a Full Admin of the target organization in Control Hub.';

const tokenBody = z.object({
  clientId: z.string().min(1),
  clientSecret: z.string().min(1),
  targetOrgId: z.string().min(1),
});

/** The resources and events `POST /v1/webhooks` accepts (the spec's enums). */
const WEBHOOK_RESOURCES = [
  'attachmentActions',
  'dataSources',
  'memberships',
  'messages',
  'rooms',
  'meetings',
  'recordings',
  'convergedRecordings',
  'meetingParticipants',
  'meetingTranscripts',
  'telephony_calls',
  'telephony_conference',
  'telephony_mwi',
  'uc_counters',
  'serviceApp',
  'adminBatchJobs',
] as const;
const WEBHOOK_EVENTS = [
  'created',
  'updated',
  'deleted',
  'started',
  'ended',
  'joined',
  'left',
  'migrated',
  'authorized',
  'deauthorized',
  'statusChanged',
] as const;
const webhookBody = z.object({
  name: z.string().trim().min(1).max(200),
  targetUrl: z.url({ protocol: /^https?$/ }),
  resource: z.enum(WEBHOOK_RESOURCES),
  event: z.enum(WEBHOOK_EVENTS),
  filter: z.string().optional(),
  secret: z.string().min(1).max(500).optional(),
  ownedBy: z.string().optional(),
});

const instantParam = z.iso.datetime({ offset: true }).transform((text) => Date.parse(text));
const auditQuery = z.object({
  orgId: z.string().min(1),
  from: instantParam,
  to: instantParam,
  actorId: z.string().min(1).optional(),
  max: z.coerce.number().int().min(1).max(200).default(100),
  offset: z.coerce.number().int().min(0).default(0),
  eventCategories: z
    .string()
    .transform((text) =>
      text
        .split(',')
        .map((category) => category.trim())
        .filter(Boolean),
    )
    .optional(),
});

interface ServiceAppRoute extends Route {
  method: 'GET' | 'POST' | 'DELETE';
  handle(exchange: Exchange, world: SimWorld, params: string[]): Promise<void>;
}

const routes: ServiceAppRoute[] = [
  { method: 'POST', path: /^\/v1\/applications\/([^/]+)\/token$/, handle: issueServiceAppToken },
  { method: 'GET', path: /^\/v1\/adminAudit\/events$/, handle: listAuditEvents },
  { method: 'GET', path: /^\/v1\/adminAudit\/eventCategories$/, handle: listAuditEventCategories },
  { method: 'GET', path: /^\/v1\/webhooks$/, handle: listWebhooks },
  { method: 'POST', path: /^\/v1\/webhooks$/, handle: createWebhook },
  { method: 'DELETE', path: /^\/v1\/webhooks\/([^/]+)$/, handle: deleteWebhook },
];

/** True for the Service App token endpoint, the admin audit log and the webhooks routes. */
export function isServiceAppApiPath(pathname: string): boolean {
  return routes.some((route) => route.path.test(pathname));
}

/** Answers one of those routes; refusals are thrown as HttpError in Webex's error shape. */
export async function handleServiceAppApi(exchange: Exchange, world: SimWorld): Promise<void> {
  const match = matchRoute(routes, exchange.req.method, exchange.url.pathname);
  if ('allowed' in match) {
    throw new HttpError(405, 'The request method is not supported for this resource.');
  }
  await match.route.handle(exchange, world, match.params);
}

async function readJson<Schema extends z.ZodType>(
  exchange: Exchange,
  schema: Schema,
): Promise<z.infer<Schema>> {
  if (!hasMediaType(exchange.req, 'application/json')) {
    throw new HttpError(415, 'Content-Type must be application/json.');
  }
  let json: unknown;
  try {
    json = JSON.parse(await readBody(exchange.req));
  } catch {
    throw new HttpError(400, 'The request body is not valid JSON.');
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new HttpError(400, describeIssues(parsed.error));
  return parsed.data;
}

function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`).join('; ');
}

/**
 * `POST /v1/applications/{applicationId}/token`: the order of checks is token (401), scope (403),
 * body (400), app (404), the app's credentials (401), the org's authorization (403).
 */
async function issueServiceAppToken(
  exchange: Exchange,
  world: SimWorld,
  [applicationId = '']: string[],
): Promise<void> {
  const caller = authenticate(exchange, world);
  requireScope(caller, 'spark:applications_token');
  const body = await readJson(exchange, tokenBody);
  const result = world.issueServiceAppToken({ applicationId, ...body });
  if (!result.ok) {
    if (result.reason === 'unknown_app') throw new HttpError(404, 'Service App not found.');
    if (result.reason === 'bad_client') throw new HttpError(401, 'Invalid client credentials');
    throw new HttpError(403, SERVICE_APP_NOT_AUTHORIZED_MESSAGE);
  }
  sendTokens(exchange, result.tokens, { withScope: false });
}

/** `GET /v1/adminAudit/events`: the caller's own org only, newest first, paged by `max` and `offset`. */
async function listAuditEvents(exchange: Exchange, world: SimWorld): Promise<void> {
  const caller = authenticate(exchange, world);
  requireScope(caller, 'audit:events_read');
  requireRole(caller, [FULL_ADMIN_ROLE]);
  const parsed = auditQuery.safeParse(Object.fromEntries(exchange.url.searchParams));
  if (!parsed.success) throw new HttpError(400, describeIssues(parsed.error));
  const query = parsed.data;
  if (query.orgId !== caller.person.orgId) throw new HttpError(403, FORBIDDEN_MESSAGE);
  const events = world.auditLog.find({
    orgId: query.orgId,
    from: query.from,
    to: query.to,
    actorId: query.actorId,
    categories: query.eventCategories,
  });
  const page = events.slice(query.offset, query.offset + query.max);
  sendJson(exchange, 200, { items: page.map(auditEventJson) });
}

async function listAuditEventCategories(exchange: Exchange, world: SimWorld): Promise<void> {
  const caller = authenticate(exchange, world);
  requireScope(caller, 'audit:events_read');
  requireRole(caller, [FULL_ADMIN_ROLE]);
  sendJson(exchange, 200, { eventCategories: [...AUDIT_EVENT_CATEGORIES] });
}

async function listWebhooks(exchange: Exchange, world: SimWorld): Promise<void> {
  const caller = authenticate(exchange, world);
  sendJson(exchange, 200, { items: world.webhooks.list(caller.person.orgId).map(webhookJson) });
}

async function createWebhook(exchange: Exchange, world: SimWorld): Promise<void> {
  const caller = authenticate(exchange, world);
  const body = await readJson(exchange, webhookBody);
  const webhook = world.registerWebhook({
    name: body.name,
    targetUrl: body.targetUrl,
    resource: body.resource,
    event: body.event,
    secret: body.secret,
    orgId: caller.person.orgId,
    createdBy: caller.person.id,
    created: new Date(world.now()).toISOString(),
  });
  sendJson(exchange, 200, webhookJson(webhook));
}

async function deleteWebhook(exchange: Exchange, world: SimWorld, [webhookId = '']: string[]): Promise<void> {
  const caller = authenticate(exchange, world);
  if (!world.webhooks.remove(webhookId, caller.person.orgId)) throw new HttpError(404, 'Webhook not found.');
  sendNoContent(exchange);
}

/** A `Webhook` of the messaging spec; `created` in its `+00:00` form. */
function webhookJson(webhook: SimWebhook): Record<string, unknown> {
  return {
    id: webhook.id,
    name: webhook.name,
    targetUrl: webhook.targetUrl,
    resource: webhook.resource,
    event: webhook.event,
    ...(webhook.secret ? { secret: webhook.secret } : {}),
    status: 'active',
    created: webhook.created.replace(/\.\d{3}Z$/, '+00:00'),
    ownedBy: 'creator',
  };
}
