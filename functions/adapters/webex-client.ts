import * as oauth from 'oauth4webapi';
import * as z from 'zod';
import {
  WebexError,
  type Log,
  type WebexAdminAudit,
  type WebexAuditEvent,
  type WebexAuthorizationItem,
  type WebexClient,
  type WebexFailureKind,
  type WebexPerson,
  type WebexPersonAuthorizations,
  type ServiceAppTokenRequest,
  type WebexRole,
  type WebexServiceAppTokens,
  type WebexTokenGrant,
  type WebexWebhook,
  type WebexWebhooks,
} from '#domain/ports.js';

/** Default time one Webex call may take before it counts as a transient failure. */
export const DEFAULT_WEBEX_TIMEOUT_MS = 8_000;

/** One Webex call seen by a tracer: the client reports the answer's HTTP status, nothing else. */
export interface WebexCallSpan {
  recordStatus(status: number): void;
}

/**
 * Runs one Webex call inside a trace span named by the call (`webex.refresh`, ...). A port rather
 * than the tracer itself, so the client does not depend on X-Ray and the local run and tests pass
 * none. The span is never told a token, a code or the URL's query.
 */
export type WebexCallTracing = <T>(name: string, call: (span: WebexCallSpan) => Promise<T>) => Promise<T>;

/** How to build the client. */
export interface HttpWebexClientOptions {
  /** `https://webexapis.com`, or the simulator's `http://127.0.0.1:<port>`; no trailing slash. */
  baseUrl: string;
  timeoutMs?: number;
  /** Injected for tests; the global fetch otherwise. */
  fetch?: typeof fetch;
  /** Where the client writes Webex's failures. */
  log?: Log;
  tracing?: WebexCallTracing;
}

/** One kind of Webex call: its name in messages and logs, and its trace span. */
interface WebexCall {
  label: string;
  span: string;
}

const CALLS = {
  exchangeCode: { label: 'authorization code grant', span: 'webex.exchange-code' },
  refresh: { label: 'refresh token grant', span: 'webex.refresh' },
  getMe: { label: 'GET /v1/people/me', span: 'webex.people-me' },
  getPerson: { label: 'GET /v1/people/{id}', span: 'webex.person' },
  listRoles: { label: 'GET /v1/roles', span: 'webex.roles' },
  revokeAuthorizations: { label: 'DELETE /v1/authorizations', span: 'webex.revoke-authorizations' },
  listAuthorizations: { label: 'GET /v1/authorizations', span: 'webex.list-authorizations' },
  deleteAuthorization: { label: 'DELETE /v1/authorizations/{id}', span: 'webex.delete-authorization' },
  listAdminAuditEvents: { label: 'GET /v1/adminAudit/events', span: 'webex.admin-audit-events' },
  serviceAppToken: { label: 'POST /v1/applications/{id}/token', span: 'webex.service-app-token' },
  listWebhooks: { label: 'GET /v1/webhooks', span: 'webex.list-webhooks' },
  createWebhook: { label: 'POST /v1/webhooks', span: 'webex.create-webhook' },
  deleteWebhook: { label: 'DELETE /v1/webhooks/{id}', span: 'webex.delete-webhook' },
} as const satisfies Record<string, WebexCall>;

const untraced: WebexCallTracing = (_name, call) => call({ recordStatus: () => undefined });

const tokenResponseSchema = z.object({
  access_token: z.string().min(1),
  expires_in: z.number().int().positive(),
  refresh_token: z.string().min(1),
  refresh_token_expires_in: z.number().int().positive(),
  token_type: z.string().optional(),
  scope: z.string().optional(),
});

const personSchema = z.object({
  id: z.string().min(1),
  emails: z.array(z.string()),
  displayName: z.string().default(''),
  orgId: z.string().min(1),
  roles: z.array(z.string()).default([]),
  type: z.string().min(1),
  // Webex sends the strings "true"/"false" (admins only); accept a boolean too.
  loginEnabled: z
    .union([z.boolean(), z.enum(['true', 'false']).transform((value) => value === 'true')])
    .optional(),
});

const rolesSchema = z.object({
  items: z.array(z.object({ id: z.string().min(1), name: z.string() })),
});

/** `GET /v1/authorizations` (OpenAPI `ListAuthorizations`): the fields the callback reads. */
const authorizationsSchema = z.object({
  items: z.array(
    z.object({
      id: z.string().min(1),
      clientId: z.string(),
      personId: z.string(),
      type: z.string(),
      created: z.string(),
    }),
  ),
});

/**
 * `GET /v1/adminAudit/events` (OpenAPI `AuditEventCollectionResponse`): the fields a cause reads.
 * An item without an id, time or actor is no evidence and fails the answer's shape.
 */
const auditEventsSchema = z.object({
  items: z.array(
    z.object({
      id: z.string().min(1),
      created: z.iso.datetime({ offset: true }),
      actorId: z.string().min(1),
      data: z
        .object({
          actorEmail: z.string().optional(),
          actorName: z.string().optional(),
          eventCategory: z.string().optional(),
          eventDescription: z.string().optional(),
          targetId: z.string().optional(),
        })
        .default({}),
    }),
  ),
});

const webhookSchema = z.object({
  id: z.string().min(1),
  name: z.string(),
  targetUrl: z.string(),
  resource: z.string(),
  event: z.string(),
});

const webhooksSchema = z.object({ items: z.array(webhookSchema) });

const errorBodySchema = z
  .object({
    trackingId: z.string().optional(),
    error: z.string().max(100).optional(),
    // RFC 6749 5.2 names it `error_description`; Webex's own errors say `message`.
    error_description: z.string().max(1000).optional(),
    message: z.string().max(1000).optional(),
  })
  .catch({});

/** A token endpoint refusal as read from its body: RFC 6749 5.2's `error` and its description. */
export interface TokenEndpointRefusal {
  status: number;
  error: string | undefined;
  description: string | undefined;
}

/** RFC 6749 5.2 codes that say the client (our id or secret), not the grant, was refused. */
const CLIENT_BLAMING_ERRORS: ReadonlySet<string> = new Set(['invalid_client', 'unauthorized_client']);

/** The text Webex sends for a dead refresh token, under `invalid_grant` or `invalid_request` (WEBEX.md). */
const DEAD_REFRESH_TOKEN_TEXT = /refresh token provided is expired, revoked, malformed, or invalid/i;

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** True for `http://` on a loopback host: the only place plain HTTP is allowed (the simulator). */
export function isLoopbackHttp(baseUrl: string): boolean {
  const url = new URL(baseUrl);
  return url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname);
}

/** Parses `Retry-After`: seconds, or an HTTP date. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}

/**
 * The Webex REST and OAuth calls over HTTPS. Every answer is parsed with zod; every failure
 * becomes a WebexError whose `kind` the domain classifies on, carrying the status and Webex's
 * `trackingId` (Cisco support asks for it). Messages name the call, never a token or a code.
 */
export class HttpWebexClient
  implements WebexClient, WebexPersonAuthorizations, WebexAdminAudit, WebexServiceAppTokens, WebexWebhooks
{
  private readonly baseUrl: string;
  private readonly timeoutMs: number;
  private readonly fetchImpl: typeof fetch;
  private readonly insecure: boolean;
  private readonly authorizationServer: oauth.AuthorizationServer;
  private readonly tracing: WebexCallTracing;

  constructor(private readonly options: HttpWebexClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    const url = new URL(this.baseUrl);
    this.insecure = isLoopbackHttp(this.baseUrl);
    if (url.protocol !== 'https:' && !this.insecure) {
      throw new Error('The Webex base URL must be https (plain http only on loopback, for the simulator)');
    }
    this.timeoutMs = options.timeoutMs ?? DEFAULT_WEBEX_TIMEOUT_MS;
    this.fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
    this.tracing = options.tracing ?? untraced;
    this.authorizationServer = { issuer: this.baseUrl, token_endpoint: `${this.baseUrl}/v1/access_token` };
  }

  async exchangeCode(input: {
    clientId: string;
    clientSecret: string;
    code: string;
    codeVerifier: string;
    redirectUri: string;
  }): Promise<WebexTokenGrant> {
    const client: oauth.Client = { client_id: input.clientId };
    // The state was checked by the caller against its own store; this only brands the parameters.
    const callbackParameters = oauth.validateAuthResponse(
      this.authorizationServer,
      client,
      new URLSearchParams({ code: input.code }),
      oauth.skipStateCheck,
    );
    return this.tokenCall(CALLS.exchangeCode, () =>
      oauth.authorizationCodeGrantRequest(
        this.authorizationServer,
        client,
        oauth.ClientSecretPost(input.clientSecret),
        callbackParameters,
        input.redirectUri,
        input.codeVerifier,
        this.oauthOptions(),
      ),
    );
  }

  async refresh(input: {
    clientId: string;
    clientSecret: string;
    refreshToken: string;
  }): Promise<WebexTokenGrant> {
    return this.tokenCall(CALLS.refresh, () =>
      oauth.refreshTokenGrantRequest(
        this.authorizationServer,
        { client_id: input.clientId },
        oauth.ClientSecretPost(input.clientSecret),
        input.refreshToken,
        this.oauthOptions(),
      ),
    );
  }

  async getMe(accessToken: string): Promise<WebexPerson> {
    return this.getPersonJson(CALLS.getMe, '/v1/people/me', accessToken);
  }

  async getPerson(accessToken: string, personId: string): Promise<WebexPerson> {
    return this.getPersonJson(CALLS.getPerson, `/v1/people/${encodeURIComponent(personId)}`, accessToken);
  }

  async listRoles(accessToken: string): Promise<WebexRole[]> {
    const roles = await this.getJson(CALLS.listRoles, '/v1/roles', accessToken, rolesSchema);
    return roles.items;
  }

  async revokeAuthorizations(accessToken: string, input: { clientId: string; orgId: string }): Promise<void> {
    const query = new URLSearchParams({ clientId: input.clientId, orgId: input.orgId });
    await this.deleteAt(CALLS.revokeAuthorizations, `/v1/authorizations?${query}`, accessToken);
  }

  /** The person's authorizations (`identity:tokens_read`, an admin of the person's org). */
  async listAuthorizations(accessToken: string, personId: string): Promise<WebexAuthorizationItem[]> {
    const query = new URLSearchParams({ personId });
    const list = await this.getJson(
      CALLS.listAuthorizations,
      `/v1/authorizations?${query}`,
      accessToken,
      authorizationsSchema,
    );
    return list.items;
  }

  /** Deletes one authorization by id (`identity:tokens_write`); a `refresh` id ends its whole grant. */
  async deleteAuthorization(accessToken: string, authorizationId: string): Promise<void> {
    await this.deleteAt(
      CALLS.deleteAuthorization,
      `/v1/authorizations/${encodeURIComponent(authorizationId)}`,
      accessToken,
    );
  }

  /** One page of the org's admin audit events (`audit:events_read`, a Full Admin's authorization), newest first. */
  async listAdminAuditEvents(
    accessToken: string,
    query: { orgId: string; from: Date; to: Date; max: number; offset: number },
  ): Promise<{ items: WebexAuditEvent[]; trackingId?: string }> {
    const search = new URLSearchParams({
      orgId: query.orgId,
      from: query.from.toISOString(),
      to: query.to.toISOString(),
      max: String(query.max),
      offset: String(query.offset),
    });
    const { body, trackingId } = await this.getTrackedJson(
      CALLS.listAdminAuditEvents,
      `/v1/adminAudit/events?${search}`,
      accessToken,
      auditEventsSchema,
    );
    return {
      items: body.items.map(({ data, ...event }) => ({
        ...event,
        ...(data.actorEmail !== undefined ? { actorEmail: data.actorEmail } : {}),
        ...(data.actorName !== undefined ? { actorName: data.actorName } : {}),
        ...(data.eventCategory !== undefined ? { eventCategory: data.eventCategory } : {}),
        ...(data.eventDescription !== undefined ? { eventDescription: data.eventDescription } : {}),
        ...(data.targetId !== undefined ? { targetId: data.targetId } : {}),
      })),
      ...(trackingId ? { trackingId } : {}),
    };
  }

  /**
   * An org's Service App token pair. Refusals are read as REST answers (403: the org has not
   * authorized the app), not as OAuth token endpoint errors: the endpoint answers in Webex's own
   * error shape, without RFC 6749 codes.
   */
  async fetchServiceAppToken(
    vendorAccessToken: string,
    request: ServiceAppTokenRequest,
  ): Promise<WebexTokenGrant> {
    const call = CALLS.serviceAppToken;
    const response = await this.send(call, () =>
      this.fetchImpl(`${this.baseUrl}/v1/applications/${encodeURIComponent(request.applicationId)}/token`, {
        method: 'POST',
        headers: {
          Authorization: `Bearer ${vendorAccessToken}`,
          Accept: 'application/json',
          'Content-Type': 'application/json',
        },
        body: JSON.stringify({
          clientId: request.clientId,
          clientSecret: request.clientSecret,
          targetOrgId: request.targetOrgId,
        }),
        signal: AbortSignal.timeout(this.timeoutMs),
      }),
    );
    if (!response.ok) throw await this.failure(call, response);
    return this.grantOf(call, response);
  }

  /** The token owner's webhooks (one page of up to 100: a vendor registers a handful). */
  async listWebhooks(accessToken: string): Promise<WebexWebhook[]> {
    const list = await this.getJson(CALLS.listWebhooks, '/v1/webhooks?max=100', accessToken, webhooksSchema);
    return list.items;
  }

  /** Registers a webhook; the secret goes in the body only, never in a message or log. */
  async createWebhook(
    accessToken: string,
    webhook: Omit<WebexWebhook, 'id'> & { secret: string },
  ): Promise<WebexWebhook> {
    const call = CALLS.createWebhook;
    const response = await this.send(call, () =>
      this.fetchImpl(`${this.baseUrl}/v1/webhooks`, {
        method: 'POST',
        headers: {
          Authorization: `Bearer ${accessToken}`,
          Accept: 'application/json',
          'Content-Type': 'application/json',
        },
        body: JSON.stringify(webhook),
        signal: AbortSignal.timeout(this.timeoutMs),
      }),
    );
    if (!response.ok) throw await this.failure(call, response);
    const created = webhookSchema.safeParse(await this.readJson(call, response));
    if (!created.success) throw this.unexpectedShape(call, response);
    return created.data;
  }

  async deleteWebhook(accessToken: string, webhookId: string): Promise<void> {
    await this.deleteAt(CALLS.deleteWebhook, `/v1/webhooks/${encodeURIComponent(webhookId)}`, accessToken);
  }

  private oauthOptions(): oauth.TokenEndpointRequestOptions {
    return {
      signal: () => AbortSignal.timeout(this.timeoutMs),
      [oauth.customFetch]: this.fetchImpl,
      ...(this.insecure ? { [oauth.allowInsecureRequests]: true } : {}),
    };
  }

  private async tokenCall(call: WebexCall, request: () => Promise<Response>): Promise<WebexTokenGrant> {
    const response = await this.send(call, request);
    if (!response.ok) throw await this.failure(call, response, { tokenEndpoint: true });
    return this.grantOf(call, response);
  }

  private async grantOf(call: WebexCall, response: Response): Promise<WebexTokenGrant> {
    const body = tokenResponseSchema.safeParse(await this.readJson(call, response));
    if (!body.success) throw this.unexpectedShape(call, response);
    return {
      accessToken: body.data.access_token,
      refreshToken: body.data.refresh_token,
      expiresIn: body.data.expires_in,
      refreshTokenExpiresIn: body.data.refresh_token_expires_in,
      ...(body.data.scope ? { scope: body.data.scope } : {}),
    };
  }

  private async deleteAt(call: WebexCall, path: string, accessToken: string): Promise<void> {
    const response = await this.send(call, () =>
      this.fetchImpl(`${this.baseUrl}${path}`, {
        method: 'DELETE',
        headers: { Authorization: `Bearer ${accessToken}`, Accept: 'application/json' },
        signal: AbortSignal.timeout(this.timeoutMs),
      }),
    );
    if (!response.ok) throw await this.failure(call, response);
  }

  private async getJson<Schema extends z.ZodType>(
    call: WebexCall,
    path: string,
    accessToken: string,
    schema: Schema,
  ): Promise<z.infer<Schema>> {
    return (await this.getTrackedJson(call, path, accessToken, schema)).body;
  }

  /** A person, with the answer's `trackingId`: a person's answer can be the evidence of a cause. */
  private async getPersonJson(call: WebexCall, path: string, accessToken: string): Promise<WebexPerson> {
    const { body, trackingId } = await this.getTrackedJson(call, path, accessToken, personSchema);
    return { ...body, ...(trackingId ? { trackingId } : {}) };
  }

  private async getTrackedJson<Schema extends z.ZodType>(
    call: WebexCall,
    path: string,
    accessToken: string,
    schema: Schema,
  ): Promise<{ body: z.infer<Schema>; trackingId: string | undefined }> {
    const response = await this.send(call, () =>
      this.fetchImpl(`${this.baseUrl}${path}`, {
        headers: { Authorization: `Bearer ${accessToken}`, Accept: 'application/json' },
        signal: AbortSignal.timeout(this.timeoutMs),
      }),
    );
    if (!response.ok) throw await this.failure(call, response);
    const body = schema.safeParse(await this.readJson(call, response));
    if (!body.success) throw this.unexpectedShape(call, response);
    return { body: body.data, trackingId: trackingIdOf(response) };
  }

  /** Runs the request in the call's trace span; timeouts and network failures become transient WebexErrors. */
  private async send(call: WebexCall, request: () => Promise<Response>): Promise<Response> {
    return this.tracing(call.span, async (span) => {
      try {
        const response = await request();
        span.recordStatus(response.status);
        return response;
      } catch (error) {
        const timedOut =
          error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
        // fetch rejects with a TypeError when the network fails; anything else is our own bug.
        if (!timedOut && !(error instanceof TypeError)) throw error;
        const kind = timedOut ? 'timed out' : 'could not reach Webex';
        this.options.log?.warn('Webex call failed without an answer', { call: call.label, failure: kind });
        throw new WebexError('transient', `Webex ${call.label} ${kind}`);
      }
    });
  }

  private async readJson(call: WebexCall, response: Response): Promise<unknown> {
    try {
      return await response.json();
    } catch {
      throw this.unexpectedShape(call, response);
    }
  }

  /** An answer we cannot read counts as transient: it says nothing about the token (WEBEX.md). */
  private unexpectedShape(call: WebexCall, response: Response): WebexError {
    const trackingId = trackingIdOf(response);
    this.options.log?.warn('Webex answered in an unexpected shape', {
      call: call.label,
      status: response.status,
      trackingId,
    });
    return new WebexError(
      'transient',
      `Webex ${call.label} answered ${response.status} in an unexpected shape`,
      {
        status: response.status,
        ...(trackingId ? { trackingId } : {}),
      },
    );
  }

  private async failure(call: WebexCall, response: Response, options: { tokenEndpoint?: boolean } = {}) {
    const body = errorBodySchema.parse(await response.json().catch(() => ({})));
    const trackingId = trackingIdOf(response) ?? body.trackingId;
    const retryAfterSeconds = parseRetryAfter(response.headers.get('retry-after'));
    const kind = options.tokenEndpoint
      ? tokenEndpointFailureKind({
          status: response.status,
          error: body.error,
          description: body.error_description ?? body.message,
        })
      : failureKind(response.status);
    this.options.log?.warn('Webex refused a call', {
      call: call.label,
      status: response.status,
      kind,
      trackingId,
      ...(body.error ? { oauthError: body.error } : {}),
    });
    return new WebexError(
      kind,
      `Webex ${call.label} answered ${response.status}${body.error ? ` (${body.error})` : ''}`,
      {
        status: response.status,
        ...(trackingId ? { trackingId } : {}),
        ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
        ...(body.error ? { error: body.error } : {}),
      },
    );
  }
}

function trackingIdOf(response: Response): string | undefined {
  return response.headers.get('trackingid') ?? undefined;
}

/**
 * Status to kind for the REST calls: 401 means the token is dead. Statuses Webex does not
 * document for these calls count as transient, so an unknown answer never marks an authorization
 * invalid.
 */
export function failureKind(status: number): WebexFailureKind {
  if (status === 400) return 'rejected';
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not_found';
  return 'transient';
}

/**
 * Kind of a token endpoint refusal, from its RFC 6749 `error`, never from the status alone: only
 * a grant-level refusal (`invalid_grant`, or Webex's dead-refresh-token text, which it also sends
 * under `invalid_request`) is `rejected`, the one kind that may end an authorization. A refusal
 * of our client (`invalid_client`, `unauthorized_client`, or a 401, which RFC 6749 keeps for
 * client authentication) is `client_rejected`: our secret is wrong, every grant may be fine. Any
 * other answer (`invalid_scope`, `unsupported_grant_type`, an unknown code, no body) tells
 * nothing about the grant and counts as transient.
 */
export function tokenEndpointFailureKind(refusal: TokenEndpointRefusal): WebexFailureKind {
  const { status, error, description } = refusal;
  // 429 and 5xx are transient; a 403 or 404 here is undocumented and says nothing of the grant.
  if (status !== 400 && status !== 401) return 'transient';
  if (error !== undefined && CLIENT_BLAMING_ERRORS.has(error)) return 'client_rejected';
  if (error === 'invalid_grant') return 'rejected';
  if (status === 401) return 'client_rejected';
  if (
    (error === undefined || error === 'invalid_request') &&
    DEAD_REFRESH_TOKEN_TEXT.test(description ?? '')
  ) {
    return 'rejected';
  }
  return 'transient';
}
