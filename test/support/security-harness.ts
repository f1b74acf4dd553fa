import { notifierPreview } from './notifier-harness.js';
import { randomBytes } from 'node:crypto';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { createAdminApiHandler, type AdminApiDependencies } from '#functions/admin-api.app.js';
import { DynamoDbIdempotencyStore } from '#adapters/dynamodb/idempotency.store.js';
import { DynamoDbFleetBoardStore } from '#adapters/dynamodb/fleet-board.store.js';
import { createRepositories } from '#adapters/dynamodb/index.js';
import { HttpWebexClient } from '#adapters/webex-client.js';
import { validateNowWith } from '#commons/composition-root.js';
import { linkIssuerWith, reauthorizeLinkIssuer } from '#commons/link-issuers.js';
import { defaultCatalog } from '#adapters/catalog-file.js';
import type { Tenant } from '#domain/model.js';
import { issueOnboardingLink } from '#domain/onboarding-link.js';
import { callbackUrl } from '#domain/onboarding-portal.js';
import { DEFAULT_VALIDATOR_CONFIG, type ValidatorDependencies } from '#domain/validator-config.js';
import { createPublicApiHandler, type PublicApiDependencies } from '#functions/public-api.app.js';
import { startWebexSimulator, submitConsent, type WebexSimulator } from '#local/webex-simulator/index.js';
import { CookieJar } from './cookie-jar.js';
import { createTestTable, type TestTable } from './dynamodb.js';
import { clientSecretsFrom, ManualClock, MemoryTokenVault, RecordingPublisher } from './fakes/index.js';
import {
  apiGatewayEvent,
  lambdaContext,
  silentObservability,
  testTenant,
  type RawRequest,
} from './fixtures.js';
import { silentLog } from '#domain/ports.js';

/** The portal's base URL in the in-process harness; the simulator redirects here. */
export const PORTAL = 'http://portal.test';

export const catalog = defaultCatalog();

/** Client secrets the simulator and the product share; random per run, so tests can look for them. */
export const clientSecrets: Record<string, string> = Object.fromEntries(
  catalog.keys.map((key) => [key, `client-secret-${key}-${randomBytes(12).toString('hex')}`]),
);

/** What an API answered, headers lower-cased. */
export interface Answer {
  statusCode: number;
  headers: Record<string, string>;
  /** The Set-Cookie values (API Gateway's `cookies`). */
  cookies: string[];
  body: string;
}

/** Everything a request could have written: table items (tokens sealed on them), vault seals, events published. */
export interface WorldSnapshot {
  /** Every item but OAuth states, sorted by key. */
  durable: Record<string, unknown>[];
  /** Keys of the OAuth state items. */
  states: string[];
  vaultWrites: number;
  published: number;
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
  readonly vault = new MemoryTokenVault();
  /** What the product publishes, each with the mail the notifier writes about it then. */
  readonly events = new RecordingPublisher((event) =>
    notifierPreview({ ...this.validator, passwordMaxAgeDays: 1825 })(event),
  );
  readonly linkKey = randomBytes(32);
  readonly clock = ManualClock.fromSystemTime();
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
    const clientSecretSource = clientSecretsFrom(clientSecrets);
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
      log: silentLog,
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
      board: new DynamoDbFleetBoardStore(this.table.documentClient, this.table.tableName),
      tenants: this.repos.tenants,
      authorizations: this.repos.authorizations,
      history: this.repos.history,
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
      validator: this.validator,
      idempotency: new DynamoDbIdempotencyStore(table.documentClient, table.tableName),
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
    return toAnswer(
      await this.publicHandler(apiGatewayEvent(request), lambdaContext({ functionName: 'public-api' })),
    );
  }

  /** A public handler over other ports (say, ones that fail on purpose), called as API Gateway would. */
  publicHandlerWith(dependencies: PublicApiDependencies): (request: RawRequest) => Promise<Answer> {
    const handler = createPublicApiHandler(dependencies, silentObservability('public-api'));
    return async (request) =>
      toAnswer(await handler(apiGatewayEvent(request), lambdaContext({ functionName: 'public-api' })));
  }

  /** A GET on the public API from a browser (the admin's by default); `pathAndQuery` as it sends it. */
  async get(pathAndQuery: string, browser: CookieJar = this.browser): Promise<Answer> {
    const [path = '/', query = ''] = pathAndQuery.split(/\?(.*)/s);
    const answer = await this.publicCall({ path, query, cookies: browser.cookiesFor(path) });
    browser.store(answer.cookies);
    return answer;
  }

  /**
   * The portal's form pressed in a browser (the admin's by default): a POST of `pathAndQuery` from
   * the portal's origin, as the Authorize and retry buttons send it.
   */
  async press(pathAndQuery: string, browser: CookieJar = this.browser): Promise<Answer> {
    const [path = '/', query = ''] = pathAndQuery.split(/\?(.*)/s);
    const answer = await this.publicCall({
      method: 'POST',
      path,
      query,
      cookies: browser.cookiesFor(path),
      headers: { origin: PORTAL, 'content-type': 'application/x-www-form-urlencoded' },
    });
    browser.store(answer.cookies);
    return answer;
  }

  /** Calls the admin handler as API Gateway would after the IAM authorizer. */
  async adminCall(request: RawRequest): Promise<Answer> {
    return toAnswer(
      await this.adminHandler(
        apiGatewayEvent({ ...request, headers: { 'content-type': 'application/json', ...request.headers } }),
        lambdaContext({ functionName: 'admin-api' }),
      ),
    );
  }

  /** Creates an active tenant straight in the table (no contacts to subscribe). */
  async createTenant(tenantId: string, overrides: Partial<Tenant> = {}): Promise<Tenant> {
    const now = new Date().toISOString();
    const tenant = testTenant({
      tenantId,
      name: `Tenant ${tenantId}`,
      contacts: [],
      createdAt: now,
      updatedAt: now,
      ...overrides,
    });
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
   * Presses Authorize in a browser (the admin's by default) and returns Webex's authorize URL,
   * the state in it and the binding cookie (`name=value`) the browser got with it.
   */
  async start(
    linkToken: string,
    integration: string,
    browser: CookieJar = this.browser,
  ): Promise<{ authorizeUrl: string; state: string; cookie: string }> {
    const answer = await this.press(`/oauth/start?link=${linkToken}&integration=${integration}`, browser);
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
      vaultWrites: this.vault.writes,
      published: this.events.published.length,
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
