import * as z from 'zod';
import { faultSettingsSchema } from './faults.js';
import { HttpError, matchRoute, readBody, sendJson, type Exchange, type Route } from './http.js';
import { SimConflictError, SimNotFoundError, type SimWorld } from './world.js';

const orgBody = z.strictObject({ name: z.string().trim().min(1).max(200) });
const personBody = z.strictObject({
  email: z.email(),
  displayName: z.string().trim().min(1).max(200).optional(),
  orgId: z.string().min(1),
  fullAdmin: z.boolean().optional(),
  sso: z.boolean().optional(),
});
/** `actor`: the admin who acts (written to the audit log); default another Full Admin of the org. */
const actorBody = z.strictObject({ actor: z.email().optional() });
const removeFullAdminBody = actorBody.extend({ revokeTokens: z.boolean().default(true) });
/** `resetBy`: an admin resets the password (an audit event); without it the person changes it. */
const passwordChangeBody = z.strictObject({ resetBy: z.email().optional() });
const serviceAppBody = z.strictObject({
  clientId: z.string().min(1).max(200),
  clientSecret: z.string().min(1).max(500),
  name: z.string().trim().min(1).max(200),
  scopes: z.array(z.string().min(1)).min(1),
  applicationId: z.string().min(1).max(400).optional(),
});
const integrationBody = z.strictObject({
  clientId: z.string().min(1).max(200),
  clientSecret: z.string().min(1).max(500),
  name: z.string().trim().min(1).max(200),
  redirectUris: z.array(z.url({ protocol: /^https?$/ })).min(1),
});
const faultsBody = faultSettingsSchema.partial();
const settingsBody = z.strictObject({
  accessTokenLifetimeSeconds: z.number().int().positive().optional(),
  refreshTokenLifetimeSeconds: z.number().int().positive().optional(),
  extendRefreshTokens: z.boolean().optional(),
});
const clockBody = z.strictObject({ seconds: z.number().positive() });
const emptyBody = z.strictObject({});

/** Parses a JSON body with a zod schema; a missing body counts as `{}` (all fields optional). */
async function parseBody<Schema extends z.ZodType>(
  exchange: Exchange,
  schema: Schema,
): Promise<z.infer<Schema>> {
  const text = await readBody(exchange.req);
  let json: unknown = {};
  if (text.trim() !== '') {
    try {
      json = JSON.parse(text);
    } catch {
      throw new HttpError(400, 'body: not valid JSON');
    }
  }
  const result = schema.safeParse(json);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const keys = issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : '';
    return `${issue.path.join('.') || keys || 'body'}: ${issue.message}`;
  });
  throw new HttpError(400, problems.join('; '));
}

interface ControlRoute extends Route {
  method: 'GET' | 'POST';
  status: number;
  /** Parses the body (POST only) and runs the call; the result is sent as JSON. */
  run(exchange: Exchange, world: SimWorld, params: string[]): Promise<unknown>;
}

function get(path: RegExp, handle: (world: SimWorld) => unknown): ControlRoute {
  return { method: 'GET', path, status: 200, run: async (_exchange, world) => handle(world) };
}

/** A POST route whose body is checked by `schema` before `handle` sees it. */
function post<Schema extends z.ZodType>(
  path: RegExp,
  schema: Schema,
  handle: (world: SimWorld, body: z.infer<Schema>, params: string[]) => unknown,
  status = 200,
): ControlRoute {
  return {
    method: 'POST',
    path,
    status,
    run: async (exchange, world, params) => handle(world, await parseBody(exchange, schema), params),
  };
}

const person = (action: string) => new RegExp(`^/_sim/people/([^/]+)/${action}$`);

const routes: ControlRoute[] = [
  get(/^\/_sim\/people$/, (world) => world.listPeople()),
  post(/^\/_sim\/people$/, personBody, (world, body) => world.addPerson(body), 201),
  post(person('password-change'), passwordChangeBody, (world, body, [email = '']) =>
    world.changePassword(email, body.resetBy),
  ),
  post(person('deactivate'), actorBody, (world, body, [email = '']) => world.deactivate(email, body.actor)),
  post(person('remove-full-admin'), removeFullAdminBody, (world, body, [email = '']) =>
    world.removeFullAdmin(email, body.revokeTokens, body.actor),
  ),
  post(
    /^\/_sim\/orgs\/([^/]+)\/service-apps\/([^/]+)\/(authorize|deauthorize)$/,
    actorBody,
    async (world, body, [orgId = '', applicationId = '', action]) => {
      const { change, ...result } =
        action === 'authorize'
          ? world.authorizeServiceApp(orgId, applicationId, body.actor)
          : world.deauthorizeServiceApp(orgId, applicationId, body.actor);
      // Answered once the webhooks have been told, so a caller can check what the product did.
      const deliveries = change ? await world.webhooks.deliver(change) : [];
      return { ...result, deliveries };
    },
  ),
  get(/^\/_sim\/service-apps$/, (world) => world.listServiceApps()),
  post(/^\/_sim\/service-apps$/, serviceAppBody, (world, body) => {
    const { clientSecret: _secret, ...shown } = world.registerServiceApp(body);
    return shown;
  }),
  get(/^\/_sim\/service-apps\/authorizations$/, (world) => world.listServiceAppAuthorizations()),
  get(/^\/_sim\/webhooks$/, (world) => world.webhooks.all()),
  get(/^\/_sim\/webhooks\/deliveries$/, (world) => world.webhooks.listDeliveries()),
  get(/^\/_sim\/audit-events$/, (world) => world.auditLog.all()),
  get(/^\/_sim\/orgs$/, (world) => world.listOrgs()),
  post(
    /^\/_sim\/orgs$/,
    orgBody,
    (world, body) => {
      const org = world.createOrg(body.name);
      return { orgId: org.id, name: org.name };
    },
    201,
  ),
  post(
    /^\/_sim\/orgs\/([^/]+)\/integrations\/([^/]+)\/(revoke|block|unblock)$/,
    emptyBody,
    (world, _body, [orgId = '', clientId = '', action]) =>
      action === 'revoke'
        ? world.revokeIntegration(orgId, clientId)
        : world.setIntegrationBlocked(orgId, clientId, action === 'block'),
  ),
  get(/^\/_sim\/integrations$/, (world) => world.listIntegrations()),
  post(/^\/_sim\/integrations$/, integrationBody, (world, body) => {
    const { clientSecret: _secret, ...shown } = world.registerIntegration(body);
    return shown;
  }),
  post(/^\/_sim\/integrations\/([^/]+)\/regenerate-secret$/, emptyBody, (world, _body, [clientId = '']) =>
    world.regenerateClientSecret(clientId),
  ),
  get(/^\/_sim\/faults$/, (world) => world.faults.current()),
  post(/^\/_sim\/faults$/, faultsBody, (world, body) => world.faults.update(body)),
  get(/^\/_sim\/settings$/, (world) => world.currentSettings()),
  post(/^\/_sim\/settings$/, settingsBody, (world, body) => world.updateSettings(body)),
  post(/^\/_sim\/clock\/advance$/, clockBody, (world, body) => world.advanceClock(body.seconds)),
  get(/^\/_sim\/secrets$/, (world) => world.listSecrets()),
  get(/^\/_sim\/authorizations$/, (world) => world.listGrants()),
  post(/^\/_sim\/reset$/, emptyBody, (world) => {
    world.reset();
    return { reset: true };
  }),
];

/** Answers a `/_sim` control call: JSON in and out, `{error}` on a refusal. */
export async function handleControl(exchange: Exchange, world: SimWorld): Promise<void> {
  const path = exchange.url.pathname;
  const match = matchRoute(routes, exchange.req.method, path);
  try {
    if ('allowed' in match) {
      if (match.allowed.length === 0) throw new HttpError(404, `no control route ${path}`);
      throw new HttpError(405, `${exchange.req.method ?? ''} not allowed on ${path}`);
    }
    sendJson(exchange, match.route.status, await match.route.run(exchange, world, match.params));
  } catch (error) {
    if (error instanceof HttpError) return sendJson(exchange, error.status, { error: error.message });
    if (error instanceof SimNotFoundError) return sendJson(exchange, 404, { error: error.message });
    if (error instanceof SimConflictError) return sendJson(exchange, 409, { error: error.message });
    throw error;
  }
}
