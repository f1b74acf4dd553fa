import { randomBytes } from 'node:crypto';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { createAdminApiHandler, type AdminApiDependencies } from '../../functions/admin-api.app.js';
import { createRepositories } from '../../functions/adapters/dynamodb/index.js';
import { HttpWebexClient } from '../../functions/adapters/webex-client.js';
import {
  linkIssuerWith,
  reauthorizeLinkIssuer,
  validateNowWith,
} from '../../functions/commons/composition-root.js';
import type { ContactSubscriptions } from '../../functions/domain/ports.js';
import { defaultCatalog } from '../../functions/adapters/catalog-file.js';
import type { AuthorizationEvent, Tenant, TokenMaterial } from '../../functions/domain/model.js';
import { issueOnboardingLink } from '../../functions/domain/onboarding-link.js';
import { callbackUrl } from '../../functions/domain/onboarding-portal.js';
import type { AlertMessage, Clock, EventPublisher, TokenVault } from '../../functions/domain/ports.js';
import {
  DEFAULT_VALIDATOR_CONFIG,
  type ValidatorDependencies,
} from '../../functions/domain/validator-config.js';
import { createPublicApiHandler, type PublicApiDependencies } from '../../functions/public-api.app.js';
import {
  startWebexSimulator,
  submitConsent,
  type WebexSimulator,
} from '../../local/webex-simulator/index.js';
import { CookieJar } from './cookie-jar.js';
import { createTestTable, type TestTable } from './dynamodb.js';

/** The portal's base URL in the in-process harness; the simulator redirects here. */
export const PORTAL = 'http://portal.test';

export const catalog = defaultCatalog();

/** Client secrets the simulator and the product share; random per run, so tests can look for them. */
export const clientSecrets: Record<string, string> = Object.fromEntries(
  catalog.keys.map((key) => [key, `client-secret-${key}-${randomBytes(12).toString('hex')}`]),
);

/**
 * A token vault in memory that counts its writes, so "the vault was not written" can be asserted
 * even when a write would put back the same value.
 */
export class CountingVault implements TokenVault {
  readonly secrets = new Map<string, TokenMaterial>();
  writes = 0;

  async store(tenantId: string, integration: string, material: TokenMaterial): Promise<string> {
    const secretId = `webex-auth-keeper/tokens/${tenantId}/${integration}`;
    this.writes += 1;
    this.secrets.set(secretId, structuredClone(material));
    return secretId;
  }

  async read(secretId: string): Promise<TokenMaterial> {
    const material = this.secrets.get(secretId);
    if (!material) throw new Error(`No token secret ${secretId}`);
    return structuredClone(material);
  }

  async destroy(secretId: string): Promise<void> {
    this.writes += 1;
    this.secrets.delete(secretId);
  }

  async destroyFor(tenantId: string, integration: string): Promise<void> {
    await this.destroy(`webex-auth-keeper/tokens/${tenantId}/${integration}`);
  }
}

/** An event publisher that keeps what it was given, in order. */
export class KeepingPublisher implements EventPublisher {
  readonly published: { event: AuthorizationEvent; alert?: AlertMessage }[] = [];
  async publish(event: AuthorizationEvent, alert?: AlertMessage): Promise<void> {
    this.published.push({
      event: structuredClone(event),
      ...(alert ? { alert: structuredClone(alert) } : {}),
    });
  }
}

/** Contact subscriptions in memory: the admin API's SNS side without AWS. */
export class MemoryContacts implements ContactSubscriptions {
  readonly byTenant = new Map<string, string[]>();
  async sync(tenantId: string, contacts: string[]): Promise<void> {
    this.byTenant.set(tenantId, [...contacts]);
  }
}

/** The real time, moved forward on demand (a retry "a minute later" without waiting a minute). */
export class ShiftingClock implements Clock {
  private offsetMs = 0;
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
  advance(seconds: number): void {
    this.offsetMs += seconds * 1000;
  }
  /** Moves the time instead of waiting; whatever runs alongside (a lease holder) still gets its turn. */
  async sleep(ms: number): Promise<void> {
    this.offsetMs += ms;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** What an API answered, headers lower-cased. */
export interface Answer {
  statusCode: number;
  headers: Record<string, string>;
  /** The Set-Cookie values (API Gateway's `cookies`). */
  cookies: string[];
  body: string;
}

/** A request as a hostile client may shape it; everything optional but the path. */
export interface RawRequest {
  method?: string;
  /** The raw path as API Gateway passes it (`rawPath`). */
  path: string;
  /** The raw query string, without `?`. */
  query?: string;
  headers?: Record<string, string>;
  cookies?: string[];
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
    ...(request.cookies && request.cookies.length > 0 ? { cookies: request.cookies } : {}),
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
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: `req-${randomBytes(4).toString('hex')}`,
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

/** A Lambda context as Powertools' middlewares read it. */
export function lambdaContext(functionName: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:eu-west-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: 'security-test',
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'test',
    getRemainingTimeInMillis: () => 20_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

const nothing = () => undefined;
const quiet = { debug: nothing, info: nothing, warn: nothing, error: nothing };

/** Powertools instances that write nothing: the properties run thousands of requests. */
export function silentObservability(name: string): { logger: Logger; metrics: Metrics } {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  return {
    logger: new Logger({ serviceName: name, logLevel: 'SILENT' }),
    metrics: new Metrics({ namespace: 'SecurityTest', serviceName: name, logger: quiet }),
  };
}

/** Everything a request could have written: table items, vault content and writes, events published. */
export interface WorldSnapshot {
  /** Every item but OAuth states, sorted by key. */
  durable: Record<string, unknown>[];
  /** Keys of the OAuth state items. */
  states: string[];
  vault: string;
  vaultWrites: number;
  published: number;
  contacts: string;
}

/** A person the simulator knows, with their org. */
export interface SimAdmin {
  email: string;
  orgId: string;
}

/**
 * The product's public and admin handlers wired in-process to real adapters: a fresh table in
 * DynamoDB Local, the HTTP Webex client against the simulator, plus in-memory vault, publisher and
 * contact subscriptions that keep what they were given.
 */
export class SecurityWorld {
  readonly repos: ReturnType<typeof createRepositories>;
  readonly vault = new CountingVault();
  readonly events = new KeepingPublisher();
  readonly contacts = new MemoryContacts();
  readonly linkKey = randomBytes(32);
  readonly clock = new ShiftingClock();
  readonly publicDependencies: PublicApiDependencies;
  readonly adminDependencies: AdminApiDependencies;
  readonly validator: ValidatorDependencies;
  /** The admin's browser: keeps what the portal sets and sends it back, as a real one does. */
  readonly browser = new CookieJar();
  private readonly publicHandler: ReturnType<typeof createPublicApiHandler>;
  private readonly adminHandler: ReturnType<typeof createAdminApiHandler>;

  private constructor(
    readonly table: TestTable,
    readonly sim: WebexSimulator,
  ) {
    this.repos = createRepositories(table.client, table.tableName);
    const clock = this.clock;
    const webex = new HttpWebexClient({ baseUrl: sim.url, timeoutMs: 3000 });
    const clientSecretSource = {
      get: async (key: string) => {
        const secret = clientSecrets[key];
        if (!secret) throw new Error(`no client secret for ${key}`);
        return secret;
      },
    };
    const linkKeys = { get: async () => this.linkKey };
    this.validator = {
      authorizations: this.repos.authorizations,
      tenants: this.repos.tenants,
      vault: this.vault,
      webex,
      clientSecrets: clientSecretSource,
      events: this.events,
      clock,
      catalog,
      config: { ...DEFAULT_VALIDATOR_CONFIG },
      reauthorizeLink: reauthorizeLinkIssuer({ linkKeys, clock, ttlDays: 14, publicBaseUrl: PORTAL }),
    };
    this.publicDependencies = {
      ...this.repos,
      vault: this.vault,
      webex,
      events: this.events,
      clientSecrets: clientSecretSource,
      linkKeys,
      catalog,
      clock,
      settings: {
        publicBaseUrl: PORTAL,
        webexApiBaseUrl: sim.url,
        passwordMaxAgeDays: 1825,
        linkTtlDays: 14,
        firstCheckDelaySeconds: 60,
      },
    };
    this.adminDependencies = {
      tenants: this.repos.tenants,
      authorizations: this.repos.authorizations,
      history: this.repos.history,
      contacts: this.contacts,
      catalog,
      clock,
      vault: this.vault,
      webex,
      events: this.events,
      passwordMaxAgeDays: 1825,
      reauthorizeLink: this.validator.reauthorizeLink,
      defaultLinkTtlDays: 14,
      leaseWaitMs: 300,
      issueLink: linkIssuerWith({ linkKeys, clock, publicBaseUrl: PORTAL }),
      validateNow: validateNowWith(this.validator),
    };
    this.publicHandler = createPublicApiHandler(this.publicDependencies, silentObservability('public-api'));
    this.adminHandler = createAdminApiHandler(this.adminDependencies, silentObservability('admin-api'));
  }

  /** A fresh table and a simulator with every catalog integration registered for the portal. */
  static async start(prefix = 'security'): Promise<SecurityWorld> {
    const table = await createTestTable(prefix);
    const sim = await startWebexSimulator({
      port: 0,
      integrations: catalog.integrations.map((integration) => ({
        clientId: integration.integrationId,
        clientSecret: clientSecrets[integration.key] ?? '',
        name: integration.name,
        redirectUris: [callbackUrl(PORTAL)],
      })),
    });
    return new SecurityWorld(table, sim);
  }

  async stop(): Promise<void> {
    await this.sim.close();
    await this.table.drop();
  }

  /** Calls the public handler as API Gateway would. */
  async publicCall(request: RawRequest): Promise<Answer> {
    return toAnswer(await this.publicHandler(apiGatewayEvent(request), lambdaContext('public-api')));
  }

  /** A public handler over other ports (say, ones that fail on purpose), called as API Gateway would. */
  publicHandlerWith(dependencies: PublicApiDependencies): (request: RawRequest) => Promise<Answer> {
    const handler = createPublicApiHandler(dependencies, silentObservability('public-api'));
    return async (request) => toAnswer(await handler(apiGatewayEvent(request), lambdaContext('public-api')));
  }

  /** A GET on the public API from a browser (the admin's by default); `pathAndQuery` as it sends it. */
  async get(pathAndQuery: string, browser: CookieJar = this.browser): Promise<Answer> {
    const [path = '/', query = ''] = pathAndQuery.split(/\?(.*)/s);
    const answer = await this.publicCall({ path, query, cookies: browser.cookiesFor(path) });
    browser.store(answer.cookies);
    return answer;
  }

  /** Calls the admin handler as API Gateway would after the IAM authorizer. */
  async adminCall(request: RawRequest): Promise<Answer> {
    return toAnswer(
      await this.adminHandler(
        apiGatewayEvent({ ...request, headers: { 'content-type': 'application/json', ...request.headers } }),
        lambdaContext('admin-api'),
      ),
    );
  }

  /** Creates an active tenant straight in the table (no contacts to subscribe). */
  async createTenant(tenantId: string, overrides: Partial<Tenant> = {}): Promise<Tenant> {
    const now = new Date().toISOString();
    const tenant: Tenant = {
      tenantId,
      name: `Tenant ${tenantId}`,
      contacts: [],
      sso: false,
      linkVersion: 1,
      status: 'active',
      createdAt: now,
      updatedAt: now,
      ...overrides,
    };
    await this.repos.tenants.create(tenant);
    return tenant;
  }

  /** A signed onboarding link token of the tenant's current link version. */
  async linkToken(tenantId: string, ttlDays = 14): Promise<string> {
    const tenant = await this.repos.tenants.get(tenantId);
    if (!tenant) throw new Error(`no tenant ${tenantId}`);
    return issueOnboardingLink({
      tenant,
      key: this.linkKey,
      clock: this.clock,
      ttlDays,
      publicBaseUrl: PORTAL,
    }).token;
  }

  /**
   * Opens the start route in a browser (the admin's by default) and returns Webex's authorize URL,
   * the state in it and the binding cookie (`name=value`) the browser got with it.
   */
  async start(
    linkToken: string,
    integration: string,
    browser: CookieJar = this.browser,
  ): Promise<{ authorizeUrl: string; state: string; cookie: string }> {
    const answer = await this.get(`/oauth/start?link=${linkToken}&integration=${integration}`, browser);
    if (answer.statusCode !== 302) throw new Error(`start answered ${answer.statusCode}`);
    const authorizeUrl = answer.headers.location ?? '';
    const cookie = answer.cookies[0]?.split(';')[0] ?? '';
    return { authorizeUrl, state: new URL(authorizeUrl).searchParams.get('state') ?? '', cookie };
  }

  /** Answers the simulator's consent page and returns the query Webex sends back to the callback. */
  async consent(
    authorizeUrl: string,
    person: string,
    decision: 'accept' | 'deny' = 'accept',
  ): Promise<string> {
    const response = await submitConsent(authorizeUrl, { person, decision });
    const location = response.headers.get('location');
    if (response.status !== 302 || !location) throw new Error(`consent answered ${response.status}`);
    return new URL(location).search.slice(1);
  }

  /** Portal start, consent as `person`, callback: the whole onboarding of one integration. */
  async onboard(tenantId: string, integration: string, person: string): Promise<Answer> {
    const { authorizeUrl } = await this.start(await this.linkToken(tenantId), integration);
    return this.get(`/oauth/callback?${await this.consent(authorizeUrl, person)}`);
  }

  /** A new org in the simulator with one Full Administrator. */
  async addOrgWithAdmin(name: string): Promise<SimAdmin> {
    const org = await this.simPost<{ orgId: string }>('orgs', { name });
    const email = `admin@${name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}.example`;
    await this.simPost('people', { email, orgId: org.orgId, fullAdmin: true });
    return { email, orgId: org.orgId };
  }

  /** The demo org's Full Administrator, seeded by the simulator. */
  demoAdmin(): SimAdmin {
    const person = this.sim.world.findPersonByEmail('admin@demo.example');
    if (!person) throw new Error('no demo admin');
    return { email: person.email, orgId: person.orgId };
  }

  /** Calls a `/_sim` control route with a JSON body. */
  async simPost<T = unknown>(path: string, body: unknown = {}): Promise<T> {
    const response = await fetch(`${this.sim.url}/_sim/${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (response.status >= 300) throw new Error(`/_sim/${path} answered ${response.status}`);
    return (await response.json()) as T;
  }

  /** Every item of the table and everything the in-memory ports hold. */
  async snapshot(): Promise<WorldSnapshot> {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.table.documentClient.send(
        new ScanCommand({ TableName: this.table.tableName, ConsistentRead: true, ExclusiveStartKey: start }),
      );
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    const key = (item: Record<string, unknown>) => `${String(item.pk)}|${String(item.sk)}`;
    items.sort((a, b) => key(a).localeCompare(key(b)));
    return {
      durable: items.filter((item) => !String(item.pk).startsWith('STATE#')),
      states: items.filter((item) => String(item.pk).startsWith('STATE#')).map(key),
      vault: JSON.stringify([...this.vault.secrets.entries()].sort()),
      vaultWrites: this.vault.writes,
      published: this.events.published.length,
      contacts: JSON.stringify([...this.contacts.byTenant.entries()].sort()),
    };
  }

  /** Whether an access token works at the simulator right now. */
  async accessTokenWorks(accessToken: string): Promise<boolean> {
    const response = await fetch(`${this.sim.url}/v1/people/me`, {
      headers: { Authorization: `Bearer ${accessToken}` },
    });
    return response.status === 200;
  }
}

function toAnswer(result: {
  statusCode?: number;
  headers?: Record<string, unknown>;
  cookies?: string[];
  body?: string;
}): Answer {
  return {
    statusCode: result.statusCode ?? 200,
    headers: Object.fromEntries(
      Object.entries(result.headers ?? {}).map(([name, value]) => [name.toLowerCase(), String(value)]),
    ),
    cookies: result.cookies ?? [],
    body: result.body ?? '',
  };
}
