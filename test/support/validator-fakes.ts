import { randomBytes } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import {
  authorizationSchema,
  dueAt,
  type Authorization,
  type AuthorizationEvent,
  type Tenant,
  type TokenMaterial,
} from '../../functions/domain/model.js';
import {
  ConflictError,
  WebexError,
  type AlertMessage,
  type AuthorizationRepository,
  type CheckLease,
  type Clock,
  type EventPublisher,
  type Page,
  type TenantRepository,
  type TokenVault,
  type WebexClient,
  type WebexPerson,
  type WebexRole,
  type WebexTokenGrant,
} from '../../functions/domain/ports.js';

import { checkLeaseOf } from './onboarding-fakes.js';

export { ManualClock } from './onboarding-fakes.js';

const keyOf = (tenantId: string, integration: string) => `${tenantId}/${integration}`;

/**
 * Authorizations in memory with the DynamoDB repository's rules: version check on save, the
 * history event in the same write, a lease that does not bump the version, and a due list of
 * checkable records ordered by `nextCheckAt`, paged with a cursor.
 */
export class MemoryAuthorizationRepository implements AuthorizationRepository {
  readonly records = new Map<string, Authorization>();
  readonly history: AuthorizationEvent[] = [];
  /** Every call in order, for ordering assertions (`save`, `lease`, `release`). */
  readonly calls: string[];

  constructor(calls: string[] = []) {
    this.calls = calls;
  }

  put(record: Authorization): void {
    this.records.set(keyOf(record.tenantId, record.integration), authorizationSchema.parse(record));
  }

  async get(tenantId: string, integration: string): Promise<Authorization | undefined> {
    const record = this.records.get(keyOf(tenantId, integration));
    return record ? structuredClone(record) : undefined;
  }

  async listForTenant(tenantId: string): Promise<Authorization[]> {
    return [...this.records.values()].filter((r) => r.tenantId === tenantId).map((r) => structuredClone(r));
  }

  async save(
    authorization: Authorization,
    expectedVersion: number | undefined,
    event?: AuthorizationEvent,
  ): Promise<Authorization> {
    const key = keyOf(authorization.tenantId, authorization.integration);
    if (this.records.get(key)?.version !== expectedVersion) throw new ConflictError(key);
    const saved = authorizationSchema.parse({ ...authorization, version: (expectedVersion ?? 0) + 1 });
    this.calls.push(`save ${key} ${saved.status}${event ? ` +${event.type}` : ''}`);
    this.records.set(key, saved);
    if (event) this.history.push(event);
    return structuredClone(saved);
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
    const key = keyOf(tenantId, integration);
    const lease = checkLeaseOf(this.records.get(key), { owner, until, now, dueOnly: options.dueOnly });
    if ('leased' in lease) {
      this.calls.push(`lease ${key}`);
      this.records.set(key, lease.leased);
    }
    return structuredClone(lease);
  }

  async releaseLease(tenantId: string, integration: string, owner: string): Promise<void> {
    const key = keyOf(tenantId, integration);
    const record = this.records.get(key);
    if (record?.leaseOwner !== owner) return;
    this.calls.push(`release ${key}`);
    const released = { ...record };
    delete released.leaseOwner;
    delete released.leaseUntil;
    this.records.set(key, released);
  }

  /** Shard = a stable hash of the key; the cursor is an offset. */
  async listDue(
    shard: number,
    now: Date,
    options: { limit: number; cursor?: string },
  ): Promise<Page<{ tenantId: string; integration: string }>> {
    const due = [...this.records.values()]
      .flatMap((r) => {
        const at = dueAt(r);
        return at !== undefined &&
          Date.parse(at) <= now.getTime() &&
          MemoryAuthorizationRepository.shardOf(r) === shard
          ? [{ r, at: Date.parse(at) }]
          : [];
      })
      .sort((a, b) => a.at - b.at)
      .map(({ r }) => r);
    const start = options.cursor ? Number(options.cursor) : 0;
    const items = due
      .slice(start, start + options.limit)
      .map((r) => ({ tenantId: r.tenantId, integration: r.integration }));
    const next = start + options.limit;
    return { items, ...(next < due.length ? { cursor: String(next) } : {}) };
  }

  static shards = 16;
  static shardOf(record: { tenantId: string; integration: string }): number {
    let hash = 0;
    for (const char of keyOf(record.tenantId, record.integration))
      hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
    return hash % MemoryAuthorizationRepository.shards;
  }
}

/** Tenants in memory (only what the validator reads). */
export class MemoryTenants implements Pick<TenantRepository, 'get'> {
  readonly tenants = new Map<string, Tenant>();
  put(tenant: Tenant): void {
    this.tenants.set(tenant.tenantId, tenant);
  }
  async get(tenantId: string): Promise<Tenant | undefined> {
    return this.tenants.get(tenantId);
  }
}

/** A token vault in memory that keeps every version written, like Secrets Manager. */
export class MemoryVault implements TokenVault {
  readonly versions = new Map<string, TokenMaterial[]>();
  constructor(readonly calls: string[] = []) {}
  async store(tenantId: string, integration: string, material: TokenMaterial): Promise<string> {
    const secretId = `tokens/${tenantId}/${integration}`;
    this.calls.push(`store ${secretId}`);
    this.versions.set(secretId, [...(this.versions.get(secretId) ?? []), structuredClone(material)]);
    return secretId;
  }
  async read(secretId: string): Promise<TokenMaterial> {
    const material = this.versions.get(secretId)?.at(-1);
    if (!material) throw new Error(`no secret ${secretId}`);
    return structuredClone(material);
  }
  async destroy(secretId: string): Promise<void> {
    this.versions.delete(secretId);
  }
  async destroyFor(tenantId: string, integration: string): Promise<void> {
    this.versions.delete(`tokens/${tenantId}/${integration}`);
  }
  /** Every token ever stored: none may appear in an event or an alert. */
  allTokens(): string[] {
    return [...this.versions.values()].flat().flatMap((m) => [m.accessToken, m.refreshToken]);
  }
}

/** The events a test's publisher received, in order; `failNext` makes the next calls throw. */
export class RecordingPublisher implements EventPublisher {
  readonly published: Array<{ event: AuthorizationEvent; alert?: AlertMessage }> = [];
  failNext = 0;
  async publish(event: AuthorizationEvent, alert?: AlertMessage): Promise<void> {
    if (this.failNext > 0) {
      this.failNext -= 1;
      throw new Error('publish failed');
    }
    this.published.push({ event, ...(alert ? { alert } : {}) });
  }
  types(): string[] {
    return this.published.map((p) => `${p.event.integration}:${p.event.type}`);
  }
}

export const FULL_ADMIN: WebexRole = { id: 'role-full-admin', name: 'Full Administrator' };
const USER_ROLE: WebexRole = { id: 'role-user', name: 'User Administrator' };

interface FakePerson {
  id: string;
  email: string;
  orgId: string;
  roles: string[];
  loginEnabled: boolean;
  removed: boolean;
}

interface FakeToken {
  personId: string;
  integration: string;
  expiresAt: number;
  revoked: boolean;
}

/**
 * A small Webex in memory for unit tests: people, tokens bound to a person and an integration,
 * the kills Webex performs (password change, deactivation, revocation), and injected failures.
 */
export class FakeWebex implements WebexClient {
  readonly people = new Map<string, FakePerson>();
  private readonly access = new Map<string, FakeToken>();
  private readonly refreshTokens = new Map<string, FakeToken>();
  /** Errors thrown by the next calls, in order. */
  readonly faults: WebexError[] = [];
  readonly calls: string[] = [];
  accessLifetimeSeconds = 14 * 86_400;
  refreshLifetimeSeconds = 90 * 86_400;

  constructor(private readonly clock: Clock) {}

  addPerson(id: string, email: string, options: { admin?: boolean; orgId?: string } = {}): FakePerson {
    const person = {
      id,
      email,
      orgId: options.orgId ?? 'org-1',
      roles: options.admin === false ? [USER_ROLE.id] : [FULL_ADMIN.id],
      loginEnabled: true,
      removed: false,
    };
    this.people.set(id, person);
    return person;
  }

  /** Tokens as a consent would issue them. */
  grant(personId: string, integration: string): TokenMaterial {
    const now = this.clock.now().getTime();
    const accessToken = randomBytes(24).toString('base64url');
    const refreshToken = randomBytes(24).toString('base64url');
    this.access.set(accessToken, {
      personId,
      integration,
      expiresAt: now + this.accessLifetimeSeconds * 1000,
      revoked: false,
    });
    this.refreshTokens.set(refreshToken, {
      personId,
      integration,
      expiresAt: now + this.refreshLifetimeSeconds * 1000,
      revoked: false,
    });
    return {
      accessToken,
      refreshToken,
      accessTokenExpiresAt: new Date(now + this.accessLifetimeSeconds * 1000).toISOString(),
      refreshTokenExpiresAt: new Date(now + this.refreshLifetimeSeconds * 1000).toISOString(),
    };
  }

  /** Ends every token of the person (password change, Reset access, deactivation). */
  revokeAllOf(personId: string): void {
    for (const token of [...this.access.values(), ...this.refreshTokens.values()]) {
      if (token.personId === personId) token.revoked = true;
    }
  }

  /** Ends the tokens of one integration (revoked in Control Hub). */
  revokeIntegration(personId: string, integration: string): void {
    for (const token of [...this.access.values(), ...this.refreshTokens.values()]) {
      if (token.personId === personId && token.integration === integration) token.revoked = true;
    }
  }

  deactivate(personId: string): void {
    const person = this.people.get(personId);
    if (person) person.loginEnabled = false;
    this.revokeAllOf(personId);
  }

  removeFullAdmin(personId: string, revokeTokens = true): void {
    const person = this.people.get(personId);
    if (person) person.roles = person.roles.filter((role) => role !== FULL_ADMIN.id);
    if (revokeTokens) this.revokeAllOf(personId);
  }

  isWorking(accessToken: string): boolean {
    const token = this.access.get(accessToken);
    return token !== undefined && !token.revoked && token.expiresAt > this.clock.now().getTime();
  }

  private fault(call: string): void {
    this.calls.push(call);
    const fault = this.faults.shift();
    if (fault) throw fault;
  }

  private caller(accessToken: string): FakePerson {
    const token = this.access.get(accessToken);
    if (!token || token.revoked || token.expiresAt <= this.clock.now().getTime()) {
      throw new WebexError('unauthorized', 'The request requires a valid access token', {
        status: 401,
        trackingId: 'ROUTER_401',
      });
    }
    const person = this.people.get(token.personId);
    if (!person) throw new WebexError('unauthorized', 'no person', { status: 401 });
    return person;
  }

  private view(person: FakePerson, admin: boolean): WebexPerson {
    return {
      id: person.id,
      emails: [person.email],
      displayName: person.email,
      orgId: person.orgId,
      roles: person.roles,
      type: 'person',
      ...(admin ? { loginEnabled: person.loginEnabled } : {}),
    };
  }

  async exchangeCode(): Promise<WebexTokenGrant> {
    throw new Error('not used by the validator');
  }

  async refresh(input: {
    clientId: string;
    clientSecret: string;
    refreshToken: string;
  }): Promise<WebexTokenGrant> {
    this.fault('refresh');
    const token = this.refreshTokens.get(input.refreshToken);
    if (!token || token.revoked || token.expiresAt <= this.clock.now().getTime()) {
      throw new WebexError(
        'rejected',
        'The refresh token provided is expired, revoked, malformed, or invalid',
        { status: 400, trackingId: 'ROUTER_400' },
      );
    }
    const now = this.clock.now().getTime();
    const accessToken = randomBytes(24).toString('base64url');
    this.access.set(accessToken, { ...token, expiresAt: now + this.accessLifetimeSeconds * 1000 });
    token.expiresAt = now + this.refreshLifetimeSeconds * 1000;
    return {
      accessToken,
      refreshToken: input.refreshToken,
      expiresIn: this.accessLifetimeSeconds,
      refreshTokenExpiresIn: this.refreshLifetimeSeconds,
    };
  }

  async getMe(accessToken: string): Promise<WebexPerson> {
    this.fault('getMe');
    const person = this.caller(accessToken);
    return this.view(person, person.roles.includes(FULL_ADMIN.id));
  }

  async getPerson(accessToken: string, personId: string): Promise<WebexPerson> {
    this.fault('getPerson');
    const caller = this.caller(accessToken);
    if (!caller.roles.includes(FULL_ADMIN.id))
      throw new WebexError('forbidden', 'admins only', { status: 403 });
    const person = this.people.get(personId);
    if (!person || person.removed) throw new WebexError('not_found', 'no such person', { status: 404 });
    return this.view(person, true);
  }

  async listRoles(accessToken: string): Promise<WebexRole[]> {
    this.fault('listRoles');
    const caller = this.caller(accessToken);
    if (!caller.roles.includes(FULL_ADMIN.id))
      throw new WebexError('forbidden', 'admins only', { status: 403 });
    return [FULL_ADMIN, USER_ROLE];
  }

  async revokeAuthorizations(): Promise<void> {
    throw new Error('not used by the validator');
  }
}

/** Powertools logger and metrics that write nothing. */
export function silentTools(service: string): { logger: Logger; metrics: Metrics } {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  return {
    logger: new Logger({ serviceName: service, logLevel: 'SILENT' }),
    metrics: new Metrics({ namespace: 'WebexAuthKeeperTest', serviceName: service }),
  };
}

/** A Lambda context whose remaining time the test controls. */
export function lambdaContext(remainingTimeMs: () => number = () => 60_000): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'test-function',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:test-function',
    memoryLimitInMB: '256',
    awsRequestId: 'test-request',
    logGroupName: '/aws/lambda/test-function',
    logStreamName: 'test',
    getRemainingTimeInMillis: remainingTimeMs,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
