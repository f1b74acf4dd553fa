import { randomBytes } from 'node:crypto';
import type { TokenMaterial } from '#domain/model.js';
import {
  WebexError,
  type Clock,
  type WebexAuthorizationItem,
  type WebexClient,
  type WebexPerson,
  type WebexPersonAuthorizations,
  type ServiceAppTokenRequest,
  type WebexRole,
  type WebexTokenGrant,
} from '#domain/ports.js';

export const FULL_ADMIN: WebexRole = { id: 'role-full-admin', name: 'Full Administrator' };
export const USER_ADMIN: WebexRole = { id: 'role-user', name: 'User Administrator' };

/** A person of the fake Webex. */
export interface FakePerson {
  id: string;
  email: string;
  displayName: string;
  orgId: string;
  roles: string[];
  /** `person`, or `bot` and the like, which may not authorize. */
  type: string;
  loginEnabled: boolean;
  removed: boolean;
}

/** The WebexClient methods a test can make fail. */
export type FakeWebexMethod = keyof WebexClient | keyof WebexPersonAuthorizations;

interface FakeToken {
  personId: string;
  /** The integration key (`grant`) or Integration ID (`exchangeCode`) the token was issued to. */
  client: string;
  /** The Webex authorization (grant) the token belongs to. */
  authorizationId: string;
  expiresAt: number;
  revoked: boolean;
}

/** A code exchange the fake answered: what the product sent, and what it got. */
export interface FakeExchange {
  input: Parameters<WebexClient['exchangeCode']>[0];
  grant: WebexTokenGrant;
  authorizationId: string;
}

const unauthorized = () =>
  new WebexError('unauthorized', 'The request requires a valid access token', {
    status: 401,
    trackingId: 'ROUTER_401',
  });

/**
 * A small Webex in memory: people, grants and tokens bound to a person and an integration, the
 * kills Webex performs (password change, deactivation, revocation), consent (`signInAs`, then the
 * product's code exchange), the Authorizations API, and failures injected per method (`fail`).
 * Its calls are logged in `calls`, by name, without tokens. Time is the test's clock.
 */
export class FakeWebex implements WebexClient, WebexPersonAuthorizations {
  readonly people = new Map<string, FakePerson>();
  readonly calls: string[] = [];
  /** Every grant (`refresh`) and its access tokens (`access`), as `GET /v1/authorizations` lists them. */
  readonly authorizations: WebexAuthorizationItem[] = [];
  readonly exchanges: FakeExchange[] = [];
  accessLifetimeSeconds = 14 * 86_400;
  refreshLifetimeSeconds = 90 * 86_400;
  /** The scope a code exchange answers with; undefined: the answer carries none. */
  exchangeScope: string | undefined = 'spark:people_read spark-admin:people_read';
  /**
   * When true, a code exchange hands back the person's existing grant of the integration instead
   * of a new one (Webex does so for a person who holds one).
   */
  reusesExistingGrant = false;
  private readonly accessTokens = new Map<string, FakeToken>();
  private readonly refreshTokens = new Map<string, FakeToken>();
  private readonly faults = new Map<FakeWebexMethod, WebexError[]>();
  private consentingPersonId: string | undefined;
  private nextAuthorizationId = 1;

  constructor(private readonly clock: Clock) {}

  addPerson(
    id: string,
    email: string,
    options: { admin?: boolean; orgId?: string; displayName?: string; type?: string } = {},
  ): FakePerson {
    const person: FakePerson = {
      id,
      email,
      displayName: options.displayName ?? email,
      orgId: options.orgId ?? 'org-1',
      roles: options.admin === false ? [USER_ADMIN.id] : [FULL_ADMIN.id],
      type: options.type ?? 'person',
      loginEnabled: true,
      removed: false,
    };
    this.people.set(id, person);
    return person;
  }

  /** The person whose consent the next code exchange turns into a grant. */
  signInAs(personId: string): void {
    if (!this.people.has(personId)) throw new Error(`no person ${personId}`);
    this.consentingPersonId = personId;
  }

  /** The next calls of `method` throw these errors, in order; later calls answer normally. */
  fail(method: FakeWebexMethod, ...errors: WebexError[]): void {
    this.faults.set(method, [...(this.faults.get(method) ?? []), ...errors]);
  }

  /** Tokens as a consent would issue them (a new grant of the person for the integration). */
  grant(personId: string, integration: string): TokenMaterial {
    const issued = this.issue(personId, integration, this.newAuthorization(personId, integration));
    return {
      accessToken: issued.accessToken,
      refreshToken: issued.refreshToken,
      accessTokenExpiresAt: new Date(issued.now + issued.expiresIn * 1000).toISOString(),
      refreshTokenExpiresAt: new Date(issued.now + issued.refreshTokenExpiresIn * 1000).toISOString(),
    };
  }

  /** Every access and refresh token ever issued: none may appear in a log, an event or an error. */
  issuedTokens(): string[] {
    return [...this.accessTokens.keys(), ...this.refreshTokens.keys()];
  }

  /** Ends every token of the person (password change, Reset access, deactivation). */
  revokeAllOf(personId: string): void {
    this.revokeWhere((token) => token.personId === personId);
  }

  /** Ends the tokens of one integration (revoked in Control Hub). */
  revokeIntegration(personId: string, integration: string): void {
    this.revokeWhere((token) => token.personId === personId && token.client === integration);
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
    const token = this.accessTokens.get(accessToken);
    return token !== undefined && this.isLive(token);
  }

  async exchangeCode(input: Parameters<WebexClient['exchangeCode']>[0]): Promise<WebexTokenGrant> {
    this.call('exchangeCode');
    const personId = this.consentingPersonId;
    if (!personId) throw new Error('nobody consented: call signInAs first');
    const existing = this.reusesExistingGrant
      ? this.authorizations.find(
          (item) => item.personId === personId && item.clientId === input.clientId && item.type === 'refresh',
        )
      : undefined;
    const authorizationId = existing?.id ?? this.newAuthorization(personId, input.clientId);
    const { now: _now, ...issued } = this.issue(personId, input.clientId, authorizationId);
    const grant = { ...issued, ...(this.exchangeScope !== undefined ? { scope: this.exchangeScope } : {}) };
    this.exchanges.push({ input, grant, authorizationId });
    return grant;
  }

  async refresh(input: Parameters<WebexClient['refresh']>[0]): Promise<WebexTokenGrant> {
    this.call('refresh');
    const token = this.refreshTokens.get(input.refreshToken);
    if (!token || !this.isLive(token)) {
      throw new WebexError(
        'rejected',
        'The refresh token provided is expired, revoked, malformed, or invalid',
        {
          status: 400,
          trackingId: 'ROUTER_400',
          error: 'invalid_grant',
        },
      );
    }
    const now = this.clock.now().getTime();
    const accessToken = randomBytes(24).toString('base64url');
    this.accessTokens.set(accessToken, { ...token, expiresAt: now + this.accessLifetimeSeconds * 1000 });
    token.expiresAt = now + this.refreshLifetimeSeconds * 1000;
    return {
      accessToken,
      refreshToken: input.refreshToken,
      expiresIn: this.accessLifetimeSeconds,
      refreshTokenExpiresIn: this.refreshLifetimeSeconds,
    };
  }

  async getMe(accessToken: string): Promise<WebexPerson> {
    this.call('getMe');
    const person = this.caller(accessToken);
    return this.view(person, person.roles.includes(FULL_ADMIN.id));
  }

  async getPerson(accessToken: string, personId: string): Promise<WebexPerson> {
    this.call('getPerson');
    this.adminCaller(accessToken);
    const person = this.people.get(personId);
    if (!person || person.removed) throw new WebexError('not_found', 'no such person', { status: 404 });
    return this.view(person, true);
  }

  /** Non-admins may not list roles at all: Webex answers them 403. */
  async listRoles(accessToken: string): Promise<WebexRole[]> {
    this.call('listRoles');
    this.adminCaller(accessToken);
    return [FULL_ADMIN, USER_ADMIN];
  }

  /** The product's integrations hold no `identity:tokens_write` for the org: Webex answers 403. */
  async revokeAuthorizations(
    _accessToken: string,
    input: { clientId: string; orgId: string },
  ): Promise<void> {
    this.call(`revokeAuthorizations ${input.clientId} ${input.orgId}`, 'revokeAuthorizations');
    throw new WebexError('forbidden', 'Webex DELETE /v1/authorizations answered 403', { status: 403 });
  }

  async listAuthorizations(_accessToken: string, personId: string): Promise<WebexAuthorizationItem[]> {
    this.call(`listAuthorizations ${personId}`, 'listAuthorizations');
    return this.authorizations.filter((item) => item.personId === personId).map((item) => ({ ...item }));
  }

  /** Deletes the grant and so kills its tokens. */
  async deleteAuthorization(_accessToken: string, authorizationId: string): Promise<void> {
    this.call(`deleteAuthorization ${authorizationId}`, 'deleteAuthorization');
    const index = this.authorizations.findIndex((item) => item.id === authorizationId);
    if (index < 0) throw new WebexError('not_found', 'no such authorization', { status: 404 });
    this.authorizations.splice(index, 1);
    this.revokeWhere((token) => token.authorizationId === authorizationId);
  }

  private call(entry: string, method: FakeWebexMethod = entry as FakeWebexMethod): void {
    this.calls.push(entry);
    const fault = this.faults.get(method)?.shift();
    if (fault) throw fault;
  }

  private newAuthorization(personId: string, client: string): string {
    const id = `authz-${this.nextAuthorizationId++}`;
    // Webex gives `created` in whole seconds.
    const created = `${this.clock.now().toISOString().slice(0, 19)}+00:00`;
    this.authorizations.push({ id, clientId: client, personId, type: 'refresh', created });
    return id;
  }

  private issue(personId: string, client: string, authorizationId: string) {
    const now = this.clock.now().getTime();
    const accessToken = randomBytes(24).toString('base64url');
    const refreshToken = randomBytes(24).toString('base64url');
    const token = { personId, client, authorizationId, revoked: false };
    this.accessTokens.set(accessToken, { ...token, expiresAt: now + this.accessLifetimeSeconds * 1000 });
    this.refreshTokens.set(refreshToken, { ...token, expiresAt: now + this.refreshLifetimeSeconds * 1000 });
    return {
      now,
      accessToken,
      refreshToken,
      expiresIn: this.accessLifetimeSeconds,
      refreshTokenExpiresIn: this.refreshLifetimeSeconds,
    };
  }

  private revokeWhere(matches: (token: FakeToken) => boolean): void {
    for (const token of [...this.accessTokens.values(), ...this.refreshTokens.values()]) {
      if (matches(token)) token.revoked = true;
    }
  }

  private isLive(token: FakeToken): boolean {
    return !token.revoked && token.expiresAt > this.clock.now().getTime();
  }

  private caller(accessToken: string): FakePerson {
    const token = this.accessTokens.get(accessToken);
    if (!token || !this.isLive(token)) throw unauthorized();
    const person = this.people.get(token.personId);
    if (!person) throw new WebexError('unauthorized', 'no person', { status: 401 });
    return person;
  }

  private adminCaller(accessToken: string): FakePerson {
    const caller = this.caller(accessToken);
    if (!caller.roles.includes(FULL_ADMIN.id))
      throw new WebexError('forbidden', 'admins only', { status: 403 });
    return caller;
  }

  private view(person: FakePerson, admin: boolean): WebexPerson {
    return {
      id: person.id,
      emails: [person.email],
      displayName: person.displayName,
      orgId: person.orgId,
      roles: person.roles,
      type: person.type,
      ...(admin ? { loginEnabled: person.loginEnabled } : {}),
    };
  }
}

/** A Webex where Ada Admin (`person-1`, Full Administrator of `org-acme`) is the one who consents. */
export function webexWithConsentingAdmin(clock: Clock): FakeWebex {
  const webex = new FakeWebex(clock);
  webex.addPerson('person-1', 'admin@acme.example', { displayName: 'Ada Admin', orgId: 'org-acme' });
  webex.signInAs('person-1');
  return webex;
}

/** A Webex client for tests that never reach Webex: each call fails. */
export function unreachableWebex(): WebexClient {
  const fail = async (): Promise<never> => {
    throw new Error('Webex is not reachable in this test');
  };
  return {
    exchangeCode: fail,
    refresh: fail,
    getMe: fail,
    getPerson: fail,
    listRoles: fail,
    revokeAuthorizations: fail,
  };
}

/** Webex's Service App token endpoint as a test scripts it: answers the next grant, or throws the next error. */
export class ScriptedServiceAppTokens {
  readonly requests: Array<{ vendorAccessToken: string; request: ServiceAppTokenRequest }> = [];
  answer: WebexTokenGrant | WebexError = {
    accessToken: 'org-access-token',
    refreshToken: 'org-refresh-token',
    expiresIn: 3600,
    refreshTokenExpiresIn: 7_776_000,
  };

  async fetchServiceAppToken(vendorAccessToken: string, request: ServiceAppTokenRequest) {
    this.requests.push({ vendorAccessToken, request });
    if (this.answer instanceof WebexError) throw this.answer;
    return this.answer;
  }
}
