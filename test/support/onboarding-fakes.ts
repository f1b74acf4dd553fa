import { randomBytes } from 'node:crypto';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Catalog } from '../../functions/domain/catalog.js';
import type {
  Authorization,
  AuthorizationEvent,
  OAuthState,
  Tenant,
  TokenMaterial,
} from '../../functions/domain/model.js';
import { dueAt } from '../../functions/domain/model.js';
import {
  ConflictError,
  WebexError,
  type AlertMessage,
  type AuthorizationRepository,
  type CheckLease,
  type Clock,
  type ClientSecretSource,
  type EventPublisher,
  type HistoryRepository,
  type LinkSigningKeySource,
  type Log,
  type LogAttributes,
  type OAuthStateStore,
  type Page,
  type TenantRepository,
  type TokenVault,
  type WebexAuthorizationItem,
  type WebexClient,
  type WebexPerson,
  type WebexRole,
  type WebexTokenGrant,
} from '../../functions/domain/ports.js';
import type { OnboardingSettings } from '../../functions/domain/onboarding.js';

/**
 * What the repository's conditional lease write (`leaseForCheck`) does to `stored`, for the
 * in-memory repositories: taken when free (or expired, or `owner`'s) and, with `dueOnly`, due at
 * `now` or with an event to publish; otherwise refused with the record as it stands.
 */
export function checkLeaseOf(
  stored: Authorization | undefined,
  lease: { owner: string; until: Date; now: Date; dueOnly: boolean },
): CheckLease {
  if (!stored) return { refused: undefined };
  const now = lease.now.getTime();
  const held =
    stored.leaseUntil !== undefined &&
    Date.parse(stored.leaseUntil) >= now &&
    stored.leaseOwner !== lease.owner;
  const due = dueAt(stored);
  const notDue = lease.dueOnly && !stored.pendingEvent && (due === undefined || Date.parse(due) > now);
  if (held || notDue) return { refused: stored };
  return { leased: { ...stored, leaseOwner: lease.owner, leaseUntil: lease.until.toISOString() } };
}

/** A clock tests move by hand. */
export class ManualClock implements Clock {
  constructor(private current: Date = new Date('2026-03-01T10:00:00.000Z')) {}
  now(): Date {
    return new Date(this.current);
  }
  advance(seconds: number): void {
    this.current = new Date(this.current.getTime() + seconds * 1000);
  }
  /** Moves the time instead of waiting; whatever runs alongside (a lease holder) still gets its turn. */
  async sleep(ms: number): Promise<void> {
    this.advance(ms / 1000);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** The events a test's publisher received, in order. */
export class RecordingEventPublisher implements EventPublisher {
  readonly published: Array<{ event: AuthorizationEvent; alert?: AlertMessage }> = [];
  failWith?: Error;
  async publish(event: AuthorizationEvent, alert?: AlertMessage): Promise<void> {
    if (this.failWith) throw this.failWith;
    this.published.push({ event, ...(alert ? { alert } : {}) });
  }
}

/** A token vault in memory; `calls` shows the order of writes for the store-before-save rule. */
export class InMemoryTokenVault implements TokenVault {
  readonly secrets = new Map<string, TokenMaterial>();
  constructor(readonly calls: string[] = []) {}
  async store(tenantId: string, integration: string, material: TokenMaterial): Promise<string> {
    const secretId = `tokens/${tenantId}/${integration}`;
    this.calls.push(`store ${secretId}`);
    this.secrets.set(secretId, material);
    return secretId;
  }
  async read(secretId: string): Promise<TokenMaterial> {
    const material = this.secrets.get(secretId);
    if (!material) throw new Error(`no secret ${secretId}`);
    return material;
  }
  async destroy(secretId: string): Promise<void> {
    this.secrets.delete(secretId);
  }
  async destroyFor(tenantId: string, integration: string): Promise<void> {
    this.secrets.delete(`tokens/${tenantId}/${integration}`);
  }
}

/** A fixed link key (32 random bytes per test run). */
export function fixedLinkKeys(key: Buffer = randomBytes(32)): LinkSigningKeySource & { key: Buffer } {
  return { key, get: async () => key };
}

/** Client secrets from a plain record. */
export function clientSecretsFrom(secrets: Record<string, string>): ClientSecretSource {
  return {
    get: async (integration) => {
      const secret = secrets[integration];
      if (!secret) throw new Error(`no client secret for ${integration}`);
      return secret;
    },
  };
}

/** One client secret per catalog integration, known to the test and the simulator. */
export function testClientSecrets(catalog: Catalog): Record<string, string> {
  return Object.fromEntries(
    catalog.keys.map((key) => [key, `secret-${key}-${randomBytes(8).toString('hex')}`]),
  );
}

/** A log that keeps what was written, to assert that nothing secret reaches it. */
export class RecordingLog implements Log {
  readonly lines: Array<{ level: string; message: string; attributes: LogAttributes }> = [];
  debug(message: string, ...attributes: LogAttributes[]): void {
    this.record('debug', message, attributes);
  }
  info(message: string, ...attributes: LogAttributes[]): void {
    this.record('info', message, attributes);
  }
  warn(message: string, ...attributes: LogAttributes[]): void {
    this.record('warn', message, attributes);
  }
  error(message: string, ...attributes: LogAttributes[]): void {
    this.record('error', message, attributes);
  }
  private record(level: string, message: string, attributes: LogAttributes[]): void {
    this.lines.push({ level, message, attributes: Object.assign({}, ...attributes) as LogAttributes });
  }
  get text(): string {
    return JSON.stringify(this.lines);
  }
}

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

/** Powertools logger and metrics that write nothing, for handler tests. */
export function silentObservability(): { logger: Logger; metrics: Metrics } {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  return {
    logger: new Logger({ serviceName: 'public-api-test', logLevel: 'SILENT' }),
    metrics: new Metrics({ namespace: 'Test', serviceName: 'public-api-test' }),
  };
}

/** A Lambda context as Powertools' logger middleware reads it. */
export function testLambdaContext(): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'public-api',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:public-api',
    memoryLimitInMB: '256',
    awsRequestId: 'test-request',
    logGroupName: '/aws/lambda/public-api',
    logStreamName: 'test',
    getRemainingTimeInMillis: () => 10_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** A GET as API Gateway HTTP API (payload 2.0) delivers it, with the browser's cookies (`name=value` each). */
export function getEvent(pathAndQuery: string, cookies: readonly string[] = []): APIGatewayProxyEventV2 {
  const [rawPath = '/', rawQueryString = ''] = pathAndQuery.split(/\?(.*)/s);
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString,
    ...(cookies.length > 0 ? { cookies: [...cookies] } : {}),
    headers: { host: 'portal.test' },
    isBase64Encoded: false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'portal.test',
      domainPrefix: 'portal',
      http: { method: 'GET', path: rawPath, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' },
      requestId: 'request',
      routeKey: '$default',
      stage: '$default',
      time: '01/Mar/2026:10:00:00 +0000',
      timeEpoch: 0,
    },
  };
}

/** Tenants in memory, with `bindOrg` as the port describes it. */
export class InMemoryTenantRepository implements TenantRepository {
  readonly tenants = new Map<string, Tenant>();
  constructor(...initial: Tenant[]) {
    initial.forEach((tenant) => this.tenants.set(tenant.tenantId, tenant));
  }
  async create(tenant: Tenant): Promise<void> {
    if (this.tenants.has(tenant.tenantId)) throw new ConflictError(tenant.tenantId);
    this.tenants.set(tenant.tenantId, tenant);
  }
  async get(tenantId: string): Promise<Tenant | undefined> {
    return this.tenants.get(tenantId);
  }
  async list(): Promise<Page<Tenant>> {
    return { items: [...this.tenants.values()] };
  }
  async replace(tenant: Tenant): Promise<void> {
    this.tenants.set(tenant.tenantId, tenant);
  }
  async bindOrg(tenantId: string, orgId: string): Promise<boolean> {
    const tenant = this.tenants.get(tenantId);
    if (!tenant) return false;
    if (tenant.orgId !== undefined) return tenant.orgId === orgId;
    this.tenants.set(tenantId, { ...tenant, orgId });
    return true;
  }
}

/** Authorizations in memory with the same version rule as the DynamoDB repository. */
export class InMemoryAuthorizationRepository implements AuthorizationRepository {
  readonly records = new Map<string, Authorization>();
  readonly savedEvents: AuthorizationEvent[] = [];
  /** Throws ConflictError on the next N saves, as if a validator wrote meanwhile. */
  conflictsToThrow = 0;
  constructor(
    private readonly calls: string[] = [],
    ...initial: Authorization[]
  ) {
    initial.forEach((record) => this.records.set(`${record.tenantId}/${record.integration}`, record));
  }
  async get(tenantId: string, integration: string): Promise<Authorization | undefined> {
    return this.records.get(`${tenantId}/${integration}`);
  }
  async listForTenant(tenantId: string): Promise<Authorization[]> {
    return [...this.records.values()].filter((record) => record.tenantId === tenantId);
  }
  async save(
    authorization: Authorization,
    expectedVersion: number | undefined,
    event?: AuthorizationEvent,
  ): Promise<Authorization> {
    const key = `${authorization.tenantId}/${authorization.integration}`;
    const stored = this.records.get(key);
    if (this.conflictsToThrow > 0) {
      this.conflictsToThrow -= 1;
      throw new ConflictError(key);
    }
    if (stored?.version !== expectedVersion) throw new ConflictError(key);
    const saved = { ...authorization, version: (expectedVersion ?? 0) + 1 };
    this.calls.push(`save ${key}`);
    this.records.set(key, saved);
    if (event) this.savedEvents.push(event);
    return saved;
  }
  async acquireLease(
    tenantId: string,
    integration: string,
    owner: string,
    until: Date,
    now: Date,
  ): Promise<Authorization | undefined> {
    const lease = await this.leaseForCheck(tenantId, integration, owner, until, now, { dueOnly: false });
    return 'leased' in lease ? lease.leased : undefined;
  }
  async leaseForCheck(
    tenantId: string,
    integration: string,
    owner: string,
    until: Date,
    now: Date,
    options: { dueOnly: boolean },
  ): Promise<CheckLease> {
    const key = `${tenantId}/${integration}`;
    const lease = checkLeaseOf(this.records.get(key), { owner, until, now, dueOnly: options.dueOnly });
    if ('leased' in lease) {
      this.calls.push(`lease ${key}`);
      this.records.set(key, lease.leased);
    }
    return lease;
  }
  async releaseLease(tenantId: string, integration: string, owner: string): Promise<void> {
    const key = `${tenantId}/${integration}`;
    const stored = this.records.get(key);
    if (stored?.leaseOwner !== owner) return;
    const released = { ...stored };
    delete released.leaseOwner;
    delete released.leaseUntil;
    this.records.set(key, released);
  }
  async listDue(): Promise<Page<{ tenantId: string; integration: string }>> {
    throw new Error('not used by onboarding');
  }
}

/** History in memory. */
export class InMemoryHistory implements HistoryRepository {
  readonly events: AuthorizationEvent[] = [];
  async append(event: AuthorizationEvent): Promise<void> {
    this.events.push(event);
  }
  async list(): Promise<Page<AuthorizationEvent>> {
    return { items: [...this.events].reverse() };
  }
}

/** OAuth states in memory, consumed once. */
export class InMemoryOAuthStateStore implements OAuthStateStore {
  readonly states = new Map<string, OAuthState>();
  /** Every verifier ever stored, to check none leaks anywhere. */
  readonly verifiers: string[] = [];
  async put(state: OAuthState): Promise<void> {
    this.states.set(state.stateHash, state);
    this.verifiers.push(state.codeVerifier);
  }
  async consume(stateHash: string): Promise<OAuthState | undefined> {
    const state = this.states.get(stateHash);
    this.states.delete(stateHash);
    return state;
  }
}

/** A Webex client whose answers each test sets; it records the calls (without tokens). */
export class FakeWebexClient implements WebexClient {
  readonly calls: string[] = [];
  grant: WebexTokenGrant | Error = {
    accessToken: 'access-token-value',
    refreshToken: 'refresh-token-value',
    expiresIn: 1_209_599,
    refreshTokenExpiresIn: 7_775_999,
    scope: 'spark:people_read spark-admin:people_read',
  };
  person: WebexPerson | Error = {
    id: 'person-1',
    emails: ['admin@acme.example'],
    displayName: 'Ada Admin',
    orgId: 'org-acme',
    roles: ['role-full'],
    type: 'person',
  };
  roles: WebexRole[] | Error = [
    { id: 'role-full', name: 'Full Administrator' },
    { id: 'role-user', name: 'User Administrator' },
  ];
  revokeResult: Error | undefined = new WebexError(
    'forbidden',
    'Webex DELETE /v1/authorizations answered 403',
    {
      status: 403,
    },
  );
  lastExchange?: Parameters<WebexClient['exchangeCode']>[0];

  /** Changes who signs in (roles, type, org...). */
  signInAs(overrides: Partial<WebexPerson>): void {
    if (this.person instanceof Error) throw new Error('person is an error');
    this.person = { ...this.person, ...overrides };
  }

  async exchangeCode(input: Parameters<WebexClient['exchangeCode']>[0]): Promise<WebexTokenGrant> {
    this.calls.push('exchangeCode');
    this.lastExchange = input;
    if (this.grant instanceof Error) throw this.grant;
    return this.grant;
  }
  async refresh(): Promise<WebexTokenGrant> {
    throw new Error('not used by onboarding');
  }
  async getMe(): Promise<WebexPerson> {
    this.calls.push('getMe');
    if (this.person instanceof Error) throw this.person;
    return this.person;
  }
  async getPerson(): Promise<WebexPerson> {
    throw new Error('not used by onboarding');
  }
  async listRoles(): Promise<WebexRole[]> {
    this.calls.push('listRoles');
    if (this.roles instanceof Error) throw this.roles;
    return this.roles;
  }
  async revokeAuthorizations(
    _accessToken: string,
    input: { clientId: string; orgId: string },
  ): Promise<void> {
    this.calls.push(`revokeAuthorizations ${input.clientId} ${input.orgId}`);
    if (this.revokeResult) throw this.revokeResult;
  }
  /**
   * What `GET /v1/authorizations?personId=` answers; by default the one grant the last exchange
   * created, at the default ManualClock time (Webex's whole-second form).
   */
  authorizationItems?: WebexAuthorizationItem[] | Error;
  deleteResult: Error | undefined = undefined;
  async listAuthorizations(_accessToken: string, personId: string): Promise<WebexAuthorizationItem[]> {
    this.calls.push(`listAuthorizations ${personId}`);
    if (this.authorizationItems instanceof Error) throw this.authorizationItems;
    return (
      this.authorizationItems ?? [
        {
          id: REFUSED_GRANT_ID,
          clientId: this.lastExchange?.clientId ?? '',
          personId,
          type: 'refresh',
          created: '2026-03-01T10:00:00+00:00',
        },
      ]
    );
  }
  async deleteAuthorization(_accessToken: string, authorizationId: string): Promise<void> {
    this.calls.push(`deleteAuthorization ${authorizationId}`);
    if (this.deleteResult) throw this.deleteResult;
  }
}

/** The id FakeWebexClient lists for the grant of the last code exchange. */
export const REFUSED_GRANT_ID = 'authz-of-the-last-exchange';
