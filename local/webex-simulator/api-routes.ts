import {
  HttpError,
  matchRoute,
  sendJson,
  sendNoContent,
  sendWebexError,
  type Exchange,
  type Route,
} from './http.js';
import { webexId } from './ids.js';
import {
  SIM_LICENSE_ID,
  SIM_ROLES,
  type AuthorizationItem,
  type Caller,
  type RoleName,
  type SimPerson,
  type SimWorld,
} from './world.js';

/** Webex's text for a missing, unknown, expired or revoked bearer token. */
export const INVALID_TOKEN_MESSAGE =
  'The request requires a valid access token set in the Authorization request header.';
/** Webex's answer to a path it does not serve. */
export const RESOURCE_NOT_FOUND_MESSAGE = 'The requested resource could not be found.';
/** Webex's text for a token without the scope, or a person without the role, a call needs. */
export const FORBIDDEN_MESSAGE =
  'The server understood the request, but refused to fulfill it because the access token is missing required scopes or the user is missing required roles or licenses.';

/** Admins who may read people of their org with `spark-admin:people_read` and list roles. */
const PEOPLE_ADMINS: readonly RoleName[] = [
  'Full Administrator',
  'User Administrator',
  'Read-only Administrator',
];
/** Admins the Authorizations API accepts (Full, User and Device admins, per WEBEX.md). */
const TOKEN_ADMINS: readonly RoleName[] = [
  'Full Administrator',
  'User Administrator',
  'Device Administrator',
];
/** Presence turns from `active` to `inactive` after 10 minutes without activity (Person schema). */
const PRESENCE_WINDOW_MS = 10 * 60_000;

interface ApiRoute extends Route {
  method: 'GET' | 'DELETE';
  handle(exchange: Exchange, world: SimWorld, caller: Caller, params: string[]): void;
}

const routes: ApiRoute[] = [
  { method: 'GET', path: /^\/v1\/people\/me$/, handle: getMe },
  { method: 'GET', path: /^\/v1\/people\/([^/]+)$/, handle: getPerson },
  { method: 'GET', path: /^\/v1\/roles$/, handle: listRoles },
  { method: 'GET', path: /^\/v1\/authorizations\/tokenExpiry$/, handle: getTokenExpiry },
  { method: 'GET', path: /^\/v1\/authorizations$/, handle: listAuthorizations },
  { method: 'DELETE', path: /^\/v1\/authorizations$/, handle: deleteClientAuthorizations },
  { method: 'DELETE', path: /^\/v1\/authorizations\/([^/]+)$/, handle: deleteAuthorization },
];

/**
 * Answers a Webex REST call under `/v1` (not the OAuth routes). Order of checks, as Webex does:
 * route, token (401), scope and role (403), parameters (400), resource (404).
 */
export function handleApi(exchange: Exchange, world: SimWorld): void {
  const match = matchRoute(routes, exchange.req.method, exchange.url.pathname);
  if ('allowed' in match) {
    if (match.allowed.length === 0) {
      return sendWebexError(exchange, 404, RESOURCE_NOT_FOUND_MESSAGE);
    }
    return sendWebexError(exchange, 405, 'The request method is not supported for this resource.', {
      Allow: match.allowed.join(', '),
    });
  }
  // Refusals are thrown as HttpError; the server answers them in Webex's error shape.
  match.route.handle(exchange, world, authenticate(exchange, world), match.params);
}

/** The caller of a bearer token; 401 in Webex's words when the token is missing or dead. */
export function authenticate(exchange: Exchange, world: SimWorld): Caller {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(exchange.req.headers.authorization ?? '');
  const caller = match?.[1] ? world.authenticate(match[1]) : undefined;
  if (!caller) throw new HttpError(401, INVALID_TOKEN_MESSAGE);
  return caller;
}

/** 403 unless the token holds one of the scopes. */
export function requireScope(caller: Caller, ...anyOf: string[]): void {
  if (!anyOf.some((scope) => caller.scopes.has(scope))) throw new HttpError(403, FORBIDDEN_MESSAGE);
}

function hasRole(person: SimPerson, roles: readonly RoleName[]): boolean {
  return roles.some((role) => person.roles.has(role));
}

/** 403 unless the caller holds one of the roles. */
export function requireRole(caller: Caller, roles: readonly RoleName[]): void {
  if (!hasRole(caller.person, roles)) throw new HttpError(403, FORBIDDEN_MESSAGE);
}

/**
 * A person as the OpenAPI `Person` schema has it. `loginEnabled` and `invitePending` are strings
 * and only shown to an admin of the person's org, as the spec says.
 */
export function personJson(person: SimPerson, now: number, adminView: boolean): Record<string, unknown> {
  const [firstName = person.displayName, ...rest] = person.displayName.split(' ');
  const recentlyActive = now - Date.parse(person.lastActivity) < PRESENCE_WINDOW_MS;
  return {
    id: person.id,
    emails: [person.email],
    displayName: person.displayName,
    firstName,
    lastName: rest.join(' '),
    orgId: person.orgId,
    roles: SIM_ROLES.filter((role) => person.roles.has(role.name)).map((role) => role.id),
    licenses: [SIM_LICENSE_ID],
    created: person.created,
    lastModified: person.lastModified,
    lastActivity: person.lastActivity,
    status: person.active && recentlyActive ? 'active' : 'inactive',
    ...(adminView ? { invitePending: 'false', loginEnabled: person.active ? 'true' : 'false' } : {}),
    type: 'person',
  };
}

function getMe(exchange: Exchange, world: SimWorld, caller: Caller): void {
  requireScope(caller, 'spark:people_read', 'spark-admin:people_read');
  sendJson(exchange, 200, personJson(caller.person, world.now(), hasRole(caller.person, PEOPLE_ADMINS)));
}

function getPerson(exchange: Exchange, world: SimWorld, caller: Caller, [personId = '']: string[]): void {
  requireScope(caller, 'spark-admin:people_read');
  requireRole(caller, PEOPLE_ADMINS);
  const person = world.findPerson(personId);
  // Another org's person is as invisible as an unknown one.
  if (!person || person.orgId !== caller.person.orgId) throw new HttpError(404, 'Person not found.');
  sendJson(exchange, 200, personJson(person, world.now(), true));
}

function listRoles(exchange: Exchange, _world: SimWorld, caller: Caller): void {
  requireScope(caller, 'spark-admin:roles_read');
  requireRole(caller, PEOPLE_ADMINS);
  sendJson(exchange, 200, { items: SIM_ROLES.map(({ id, name }) => ({ id, name })) });
}

function getTokenExpiry(exchange: Exchange, _world: SimWorld, caller: Caller): void {
  sendJson(exchange, 200, { exp: caller.accessTokenExpiresAt });
}

function listAuthorizations(exchange: Exchange, world: SimWorld, caller: Caller): void {
  requireScope(caller, 'identity:tokens_read');
  requireRole(caller, TOKEN_ADMINS);
  const personId = exchange.url.searchParams.get('personId');
  const personEmail = exchange.url.searchParams.get('personEmail');
  if (!personId && !personEmail) throw new HttpError(400, 'Either personId or personEmail must be provided.');
  const person = personId ? world.findPerson(personId) : world.findPersonByEmail(personEmail ?? '');
  if (!person || person.orgId !== caller.person.orgId) throw new HttpError(404, 'Person not found.');
  sendJson(exchange, 200, {
    items: world.listAuthorizations(person.id).map((item) => authorizationJson(world, item)),
  });
}

/** An `Authorization` of the spec; `created` in the spec example's `+00:00` form. */
function authorizationJson(world: SimWorld, item: AuthorizationItem): Record<string, unknown> {
  return {
    id: item.id,
    applicationId: webexId('APPLICATION', item.clientId),
    applicationName: world.findIntegration(item.clientId)?.name ?? item.clientId,
    personId: item.personId,
    clientId: item.clientId,
    created: new Date(item.created).toISOString().replace(/\.\d{3}Z$/, '+00:00'),
    type: item.type,
  };
}

function deleteAuthorization(
  exchange: Exchange,
  world: SimWorld,
  caller: Caller,
  [authorizationId = '']: string[],
): void {
  requireScope(caller, 'identity:tokens_write');
  requireRole(caller, TOKEN_ADMINS);
  if (world.authorizationOrg(authorizationId) !== caller.person.orgId) {
    throw new HttpError(404, 'Authorization not found.');
  }
  world.deleteAuthorization(authorizationId);
  sendNoContent(exchange);
}

function deleteClientAuthorizations(exchange: Exchange, world: SimWorld, caller: Caller): void {
  requireScope(caller, 'identity:tokens_write');
  requireRole(caller, TOKEN_ADMINS);
  const clientId = exchange.url.searchParams.get('clientId');
  if (!clientId) throw new HttpError(400, 'clientId is required.');
  // The spec: "If no orgId is specified, use orgId from the OAuth token."
  const orgId = exchange.url.searchParams.get('orgId') || caller.person.orgId;
  if (orgId !== caller.person.orgId) throw new HttpError(403, FORBIDDEN_MESSAGE);
  world.revokeClientInOrg(clientId, orgId);
  sendNoContent(exchange);
}
