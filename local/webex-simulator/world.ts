import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { AdminAuditLog, type AuditedAction } from './admin-audit.js';
import { definedOnly, FaultInjector } from './faults.js';
import { newAuthorizationCode, newToken, newUuid, stableUuid, webexId } from './ids.js';
import type { SimState } from './state-file.js';
import { WebhookRegistry, type ServiceAppChange, type SimWebhook } from './webhooks.js';

/** An OAuth client (a Webex Integration) the simulator knows. Its id is the Integration ID. */
export interface SimIntegration {
  clientId: string;
  clientSecret: string;
  name: string;
  redirectUris: string[];
}

/**
 * A Service App: a Full Admin authorizes it in Control Hub, then its vendor fetches org tokens of
 * a machine account from `POST /v1/applications/{applicationId}/token`.
 */
export interface SimServiceApp {
  clientId: string;
  clientSecret: string;
  name: string;
  scopes: string[];
  /** The ID Control Hub shows; default `serviceAppId(clientId)`. */
  applicationId?: string | undefined;
}

/** A registered Service App: its application id is always known. */
type RegisteredServiceApp = SimServiceApp & { applicationId: string };

/** What the token endpoint of Service Apps answers, before it is shaped as HTTP. */
export type ServiceAppTokenResult =
  | { ok: true; tokens: TokenSet }
  | { ok: false; reason: 'unknown_app' | 'bad_client' | 'not_authorized' | 'unknown_org' };

/** Roles as `/v1/roles` lists them; ids are stable so that stored role ids stay valid. */
export const ROLE_NAMES = [
  'Full Administrator',
  'User Administrator',
  'Read-only Administrator',
  'Device Administrator',
  'Support Administrator',
] as const;
export type RoleName = (typeof ROLE_NAMES)[number];
export const FULL_ADMIN_ROLE: RoleName = 'Full Administrator';

/** A role with its Webex-style id. */
export interface SimRole {
  id: string;
  name: RoleName;
}

/** Every role, in `/v1/roles` order. */
export const SIM_ROLES: readonly SimRole[] = ROLE_NAMES.map((name) => ({
  id: webexId('ROLE', stableUuid(`role:${name}`)),
  name,
}));

/** The one license each simulated person holds (Webex lists license ids on a person). */
export const SIM_LICENSE_ID = webexId('LICENSE', stableUuid('license:Webex Calling Professional'));

/** An organization. `uuid` is the tail of Webex tokens issued in it. */
export interface SimOrg {
  id: string;
  uuid: string;
  name: string;
}

/** A person as the simulator keeps it. */
export interface SimPerson {
  id: string;
  email: string;
  displayName: string;
  orgId: string;
  roles: Set<RoleName>;
  /** Signs in through the org's external IdP: a Webex password change does not touch them. */
  sso: boolean;
  /** False once deactivated: login disabled, tokens dead. */
  active: boolean;
  created: string;
  lastModified: string;
  lastActivity: string;
}

/** What it takes to add a person. */
export interface NewPerson {
  email: string;
  displayName?: string | undefined;
  orgId: string;
  fullAdmin?: boolean | undefined;
  sso?: boolean | undefined;
}

/** The control API's view of a person. */
export interface SimPersonView {
  id: string;
  email: string;
  displayName: string;
  orgId: string;
  fullAdmin: boolean;
  sso: boolean;
  active: boolean;
}

/** Settings that shape newly issued tokens. */
export interface SimSettings {
  accessTokenLifetimeSeconds: number;
  refreshTokenLifetimeSeconds: number;
  /**
   * A refresh pushes the refresh token's expiry out by its lifetime (Webex extends refresh tokens
   * that are used). False models one that keeps the expiry it was issued with, which WEBEX.md
   * leaves open: then it dies at that expiry however often it is used.
   */
  extendRefreshTokens: boolean;
}

/** One consent turned into tokens: a refresh token and the access tokens minted from it. */
interface Grant {
  /** The authorization id of the refresh token (what `/v1/authorizations` lists as `refresh`). */
  id: string;
  clientId: string;
  personId: string;
  orgId: string;
  scopes: string[];
  refreshToken: string;
  refreshTokenExpiresAt: number;
  created: number;
  alive: boolean;
  accessTokens: AccessToken[];
}

interface AccessToken {
  /** The authorization id of this access token (listed as `access`). */
  id: string;
  token: string;
  grant: Grant;
  created: number;
  expiresAt: number;
  alive: boolean;
}

/** What a consent binds an authorization code to. */
export interface CodeRequest {
  clientId: string;
  redirectUri: string;
  personId: string;
  scopes: string[];
  codeChallenge: string;
  codeChallengeMethod: CodeChallengeMethod;
}

interface PendingCode extends CodeRequest {
  expiresAt: number;
  used: boolean;
}

export type CodeChallengeMethod = 'S256' | 'plain';

/** The `error` codes of the token endpoint (RFC 6749 section 5.2). */
export type OAuthErrorCode =
  'invalid_request' | 'invalid_grant' | 'invalid_client' | 'unsupported_grant_type';

/** What the token endpoint hands out. */
export interface TokenSet {
  accessToken: string;
  expiresIn: number;
  refreshToken: string;
  refreshTokenExpiresIn: number;
  scope: string;
}

export type TokenResult =
  { ok: true; tokens: TokenSet } | { ok: false; error: OAuthErrorCode; description: string };

/** What a valid bearer token stands for. */
export interface Caller {
  person: SimPerson;
  scopes: ReadonlySet<string>;
  accessTokenExpiresAt: number;
}

/** An item of `GET /v1/authorizations`, before it is shaped as JSON. */
export interface AuthorizationItem {
  id: string;
  type: 'refresh' | 'access';
  clientId: string;
  personId: string;
  created: number;
}

/** The control API's view of a grant: everything but the token values. */
export interface GrantView {
  id: string;
  clientId: string;
  personId: string;
  orgId: string;
  scopes: string[];
  alive: boolean;
  created: string;
  refreshTokenExpiresAt: string;
  accessTokens: Array<{ id: string; alive: boolean; expiresAt: string }>;
}

/** Every secret the simulator issued or received, by kind. */
export interface SecretsView {
  accessTokens: string[];
  refreshTokens: string[];
  codes: string[];
  codeVerifiers: string[];
  clientSecrets: string[];
  /** The secrets webhooks were registered with (they sign the notifications). */
  webhookSecrets: string[];
  /** All of the above in one list. */
  all: string[];
}

type SecretKind = Exclude<keyof SecretsView, 'all'>;

/** Raised for an unknown email, org, integration or id; the control API answers 404. */
export class SimNotFoundError extends Error {
  override readonly name = 'SimNotFoundError';
}

/** Raised when a create would duplicate an email or org name; the control API answers 409. */
export class SimConflictError extends Error {
  override readonly name = 'SimConflictError';
}

/** The dead refresh token text Webex sends (see WEBEX.md). */
export const DEAD_REFRESH_TOKEN_TEXT =
  'The refresh token provided is expired, revoked, malformed, or invalid';

const CODE_LIFETIME_MS = 60_000;
const DEMO_ORG_NAME = 'Demo Org';
/** Seeded records get a fixed creation date so the demo org reads the same on every start. */
const SEED_CREATED = '2024-01-15T09:00:00.000Z';

export interface SimWorldOptions extends SimSettings {
  seedDemoOrg: boolean;
  integrations: SimIntegration[];
  /** Service Apps registered from the start; default none. */
  serviceApps?: SimServiceApp[] | undefined;
  /** Source of randomness for the fault rates; tests may pin it. */
  random?: () => number;
}

/**
 * The simulator's in-memory state: orgs, people, integrations, codes, tokens, blocks, faults and
 * its clock. The HTTP routes (Webex and `/_sim`) are thin shells over these methods, so tests and
 * scripts may drive it either way.
 */
export class SimWorld {
  readonly faults: FaultInjector;
  /** The orgs' admin audit logs, written by the admin actions below. */
  readonly auditLog = new AdminAuditLog();
  /** Webhooks registered through `/v1/webhooks`; configuration, so a reset keeps them. */
  readonly webhooks = new WebhookRegistry();
  private settings: SimSettings;
  private clockOffsetMs = 0;
  private readonly integrations = new Map<string, SimIntegration>();
  private readonly serviceApps = new Map<string, RegisteredServiceApp>();
  /** Authorized Service Apps by `blockKey(orgId, clientId)`. */
  private readonly serviceAppAuthorizations = new Map<string, { orgId: string; clientId: string }>();
  /** The machine accounts Service App tokens act as, by person id; made on authorization. */
  private readonly machineAccounts = new Map<string, SimPerson>();
  private readonly orgs = new Map<string, SimOrg>();
  private readonly people = new Map<string, SimPerson>();
  /** Blocked integrations by `blockKey`, with the pair kept whole for the state file. */
  private readonly blocks = new Map<string, { orgId: string; clientId: string }>();
  private readonly codes = new Map<string, PendingCode>();
  private readonly grants = new Map<string, Grant>();
  private readonly grantsByRefreshToken = new Map<string, Grant>();
  private readonly accessTokens = new Map<string, AccessToken>();
  private readonly accessTokensById = new Map<string, AccessToken>();
  private readonly secrets: Record<SecretKind, Set<string>> = {
    accessTokens: new Set(),
    refreshTokens: new Set(),
    codes: new Set(),
    codeVerifiers: new Set(),
    clientSecrets: new Set(),
    webhookSecrets: new Set(),
  };

  constructor(private readonly options: SimWorldOptions) {
    this.faults = new FaultInjector(options.random);
    this.settings = pickSettings(options);
    for (const integration of options.integrations) this.registerIntegration(integration);
    for (const app of options.serviceApps ?? []) this.registerServiceApp(app);
    this.seed();
  }

  // ---- clock and settings -------------------------------------------------------------------

  /** The simulator's time in epoch ms: the wall clock plus every `advanceClock`. */
  now(): number {
    return Date.now() + this.clockOffsetMs;
  }

  /** Moves the clock forward so tests can expire codes and tokens without waiting. */
  advanceClock(seconds: number): { now: string } {
    this.clockOffsetMs += seconds * 1000;
    return { now: new Date(this.now()).toISOString() };
  }

  currentSettings(): SimSettings {
    return { ...this.settings };
  }

  /** Changes token lifetimes for tokens issued or refreshed from now on. */
  updateSettings(patch: Partial<SimSettings>): SimSettings {
    this.settings = { ...this.settings, ...definedOnly(patch) };
    return this.currentSettings();
  }

  /**
   * Back to the seeded state: orgs and people reseeded; codes, tokens, blocks, faults, settings
   * and clock offset cleared. Integrations are kept (they are configuration, not state), and so
   * is the secrets log, so that a leak check still covers the whole run.
   */
  reset(): void {
    this.settings = pickSettings(this.options);
    this.clockOffsetMs = 0;
    this.faults.reset();
    this.clearState();
    this.seed();
  }

  // ---- persistence --------------------------------------------------------------------------

  /**
   * Everything that must outlive a restart, as plain data. Pending codes are left out (they live
   * 60 s, a restart is longer) and so is the secrets log (a leak check is about one run).
   */
  snapshot(): SimState {
    return {
      version: 1,
      clockOffsetMs: this.clockOffsetMs,
      settings: this.currentSettings(),
      faults: this.faults.current(),
      integrations: [...this.integrations.values()].map((integration) => ({
        ...integration,
        redirectUris: [...integration.redirectUris],
      })),
      orgs: this.listOrgs(),
      people: [...this.people.values()].map((person) => ({
        id: person.id,
        email: person.email,
        displayName: person.displayName,
        orgId: person.orgId,
        roles: [...person.roles],
        sso: person.sso,
        active: person.active,
        created: person.created,
        lastModified: person.lastModified,
        lastActivity: person.lastActivity,
      })),
      blocks: [...this.blocks.values()].map((block) => ({ ...block })),
      serviceApps: [...this.serviceApps.values()].map((app) => ({ ...app, scopes: [...app.scopes] })),
      serviceAppAuthorizations: [...this.serviceAppAuthorizations.values()].map((entry) => ({ ...entry })),
      auditEvents: this.auditLog.all(),
      webhooks: this.webhooks.all(),
      grants: [...this.grants.values()].map((grant) => ({
        id: grant.id,
        clientId: grant.clientId,
        personId: grant.personId,
        orgId: grant.orgId,
        scopes: [...grant.scopes],
        refreshToken: grant.refreshToken,
        refreshTokenExpiresAt: new Date(grant.refreshTokenExpiresAt).toISOString(),
        created: new Date(grant.created).toISOString(),
        alive: grant.alive,
        accessTokens: grant.accessTokens.map((token) => ({
          id: token.id,
          token: token.token,
          created: new Date(token.created).toISOString(),
          expiresAt: new Date(token.expiresAt).toISOString(),
          alive: token.alive,
        })),
      })),
    };
  }

  /**
   * Replaces the state with a snapshot: orgs, people, grants and tokens, blocks, settings, faults
   * and clock offset. The snapshot's integrations are added, but one registered already keeps
   * its registration: the configuration a simulator starts with is newer than any file.
   */
  restore(state: SimState): void {
    this.clearState();
    this.clockOffsetMs = state.clockOffsetMs;
    this.settings = pickSettings(state.settings);
    this.faults.reset();
    this.faults.update(state.faults);
    for (const integration of state.integrations) {
      if (!this.integrations.has(integration.clientId)) this.registerIntegration(integration);
    }
    for (const org of state.orgs) this.orgs.set(org.id, { ...org });
    for (const person of state.people) {
      this.people.set(person.id, { ...person, roles: new Set(person.roles) });
    }
    for (const block of state.blocks) this.blocks.set(blockKey(block.orgId, block.clientId), { ...block });
    for (const app of state.serviceApps) {
      if (!this.serviceApps.has(app.clientId)) this.registerServiceApp(app);
    }
    for (const entry of state.serviceAppAuthorizations) {
      this.serviceAppAuthorizations.set(blockKey(entry.orgId, entry.clientId), { ...entry });
      this.ensureMachineAccount(entry.orgId, entry.clientId);
    }
    this.auditLog.replace(state.auditEvents);
    this.webhooks.replace(state.webhooks);
    for (const webhook of state.webhooks) if (webhook.secret) this.remember('webhookSecrets', webhook.secret);
    for (const saved of state.grants) {
      const grant: Grant = {
        ...saved,
        scopes: [...saved.scopes],
        refreshTokenExpiresAt: Date.parse(saved.refreshTokenExpiresAt),
        created: Date.parse(saved.created),
        accessTokens: [],
      };
      this.grants.set(grant.id, grant);
      this.grantsByRefreshToken.set(grant.refreshToken, grant);
      // Restored tokens may show up in this run's logs as much as new ones: a leak check covers them.
      this.remember('refreshTokens', grant.refreshToken);
      for (const savedToken of saved.accessTokens) {
        const token: AccessToken = {
          ...savedToken,
          grant,
          created: Date.parse(savedToken.created),
          expiresAt: Date.parse(savedToken.expiresAt),
        };
        grant.accessTokens.push(token);
        this.accessTokens.set(token.token, token);
        this.accessTokensById.set(token.id, token);
        this.remember('accessTokens', token.token);
      }
    }
  }

  // ---- integrations -------------------------------------------------------------------------

  /** Registers an integration, replacing one with the same client id. */
  registerIntegration(integration: SimIntegration): SimIntegration {
    const copy = { ...integration, redirectUris: [...integration.redirectUris] };
    this.integrations.set(copy.clientId, copy);
    this.remember('clientSecrets', copy.clientSecret);
    return copy;
  }

  findIntegration(clientId: string): SimIntegration | undefined {
    return this.integrations.get(clientId);
  }

  /** Integrations without their secrets. */
  listIntegrations(): Array<Omit<SimIntegration, 'clientSecret'>> {
    return [...this.integrations.values()].map(({ clientId, name, redirectUris }) => ({
      clientId,
      name,
      redirectUris: [...redirectUris],
    }));
  }

  /**
   * Gives the integration a new client secret, as the developer portal's "Regenerate" does: the
   * old one is refused at once (`invalid_client`), the grants made with it live on.
   */
  regenerateClientSecret(clientId: string): { clientSecret: string } {
    const integration = this.integrations.get(clientId);
    if (!integration) throw new SimNotFoundError(`integration ${clientId} not found`);
    integration.clientSecret = randomBytes(32).toString('base64url');
    this.remember('clientSecrets', integration.clientSecret);
    return { clientSecret: integration.clientSecret };
  }

  /**
   * The integration or Service App when the secret is right (constant-time compare), else
   * undefined. Service Apps refresh their org tokens at the same token endpoint as integrations.
   */
  authenticateClient(clientId: string, clientSecret: string): { clientId: string } | undefined {
    this.remember('clientSecrets', clientSecret);
    const client = this.integrations.get(clientId) ?? this.serviceApps.get(clientId);
    if (!client) return undefined;
    return sameSecret(client.clientSecret, clientSecret) ? client : undefined;
  }

  // ---- Service Apps -------------------------------------------------------------------------

  /** Registers a webhook (`POST /v1/webhooks`); its secret joins the secrets log for leak checks. */
  registerWebhook(input: Omit<SimWebhook, 'id'>): SimWebhook {
    if (input.secret) this.remember('webhookSecrets', input.secret);
    return this.webhooks.register(input);
  }

  /** Registers a Service App, replacing one with the same client id. */
  registerServiceApp(app: SimServiceApp): RegisteredServiceApp {
    const applicationId = app.applicationId ?? serviceAppId(app.clientId);
    const copy = { ...app, scopes: [...app.scopes], applicationId };
    this.serviceApps.set(copy.clientId, copy);
    this.remember('clientSecrets', copy.clientSecret);
    return copy;
  }

  /** Service Apps without their secrets, with the application id Control Hub shows. */
  listServiceApps(): Array<{ applicationId: string; clientId: string; name: string; scopes: string[] }> {
    return [...this.serviceApps.values()].map(({ applicationId, clientId, name, scopes }) => ({
      applicationId,
      clientId,
      name,
      scopes: [...scopes],
    }));
  }

  /** The Service App whose application id (or client id) this is. */
  findServiceApp(applicationId: string): RegisteredServiceApp | undefined {
    return [...this.serviceApps.values()].find(
      (app) => app.applicationId === applicationId || app.clientId === applicationId,
    );
  }

  /** The orgs and Service Apps authorized now. */
  listServiceAppAuthorizations(): Array<{ orgId: string; clientId: string; applicationId: string }> {
    return [...this.serviceAppAuthorizations.values()].map((entry) => ({
      ...entry,
      applicationId: this.serviceApps.get(entry.clientId)?.applicationId ?? serviceAppId(entry.clientId),
    }));
  }

  isServiceAppAuthorized(orgId: string, clientId: string): boolean {
    return this.serviceAppAuthorizations.has(blockKey(orgId, clientId));
  }

  /**
   * A Full Admin of the org authorizes the Service App in Control Hub (`actorEmail`, else the
   * org's first active Full Admin). Returns the change to notify webhooks of, none when it was
   * authorized already.
   */
  authorizeServiceApp(
    orgId: string,
    applicationId: string,
    actorEmail?: string,
  ): { authorized: true; change?: ServiceAppChange } {
    const app = this.requireServiceApp(orgId, applicationId);
    const actor = this.requireFullAdmin(orgId, actorEmail);
    const key = blockKey(orgId, app.clientId);
    if (this.serviceAppAuthorizations.has(key)) return { authorized: true };
    this.serviceAppAuthorizations.set(key, { orgId, clientId: app.clientId });
    this.ensureMachineAccount(orgId, app.clientId);
    const change: ServiceAppChange = {
      event: 'authorized',
      applicationId: app.applicationId,
      orgId,
      actorId: actor.id,
      at: this.now(),
    };
    return { authorized: true, change };
  }

  /** The org's Full Admin deauthorizes the Service App: every token of it in the org dies. */
  deauthorizeServiceApp(
    orgId: string,
    applicationId: string,
    actorEmail?: string,
  ): { authorized: false; revokedTokens: number; change?: ServiceAppChange } {
    const app = this.requireServiceApp(orgId, applicationId);
    const actor = this.requireFullAdmin(orgId, actorEmail);
    const revokedTokens = this.revokeClientInOrg(app.clientId, orgId);
    if (!this.serviceAppAuthorizations.delete(blockKey(orgId, app.clientId))) {
      return { authorized: false, revokedTokens };
    }
    const change: ServiceAppChange = {
      event: 'deauthorized',
      applicationId: app.applicationId,
      orgId,
      actorId: actor.id,
      at: this.now(),
    };
    return { authorized: false, revokedTokens, change };
  }

  /**
   * `POST /v1/applications/{applicationId}/token`: a new token pair of the org's machine account,
   * when the Service App's credentials are right and the org authorized it.
   */
  issueServiceAppToken(input: {
    applicationId: string;
    clientId: string;
    clientSecret: string;
    targetOrgId: string;
  }): ServiceAppTokenResult {
    this.remember('clientSecrets', input.clientSecret);
    const app = this.findServiceApp(input.applicationId);
    if (app?.applicationId !== input.applicationId) return { ok: false, reason: 'unknown_app' };
    if (app.clientId !== input.clientId || !sameSecret(app.clientSecret, input.clientSecret)) {
      return { ok: false, reason: 'bad_client' };
    }
    const org = this.orgs.get(input.targetOrgId);
    if (!org) return { ok: false, reason: 'unknown_org' };
    if (!this.isServiceAppAuthorized(org.id, app.clientId)) return { ok: false, reason: 'not_authorized' };
    const account = this.ensureMachineAccount(org.id, app.clientId);
    return { ok: true, tokens: this.openGrant(app.clientId, account.id, org, [...app.scopes]) };
  }

  // ---- orgs and people ----------------------------------------------------------------------

  /** Creates an org; its id is derived from the name, so the same script gives the same ids. */
  createOrg(name: string): SimOrg {
    const uuid = stableUuid(`org:${name}`);
    const id = webexId('ORGANIZATION', uuid);
    // The id follows from the name, so a lookup by id finds an org of the same name (the bench
    // creates 20,000 orgs: a scan of every org per create took seconds).
    if (this.orgs.get(id)?.name === name) {
      throw new SimConflictError(`an org named "${name}" exists already`);
    }
    const org: SimOrg = { id, uuid, name };
    this.orgs.set(org.id, org);
    return org;
  }

  listOrgs(): SimOrg[] {
    return [...this.orgs.values()].map((org) => ({ ...org }));
  }

  findOrg(orgId: string): SimOrg | undefined {
    return this.orgs.get(orgId);
  }

  /** Adds a person to an org; the id is derived from the email. */
  addPerson(input: NewPerson, created: string = this.isoNow()): SimPersonView {
    const email = input.email.toLowerCase();
    if (!this.orgs.has(input.orgId)) throw new SimNotFoundError(`org ${input.orgId} not found`);
    if (this.findPersonByEmail(email)) throw new SimConflictError(`${email} exists already`);
    const person: SimPerson = {
      id: personIdOf(email),
      email,
      displayName: input.displayName ?? nameFromEmail(email),
      orgId: input.orgId,
      roles: new Set(input.fullAdmin ? [FULL_ADMIN_ROLE] : []),
      sso: input.sso ?? false,
      active: true,
      created,
      lastModified: created,
      lastActivity: created,
    };
    this.people.set(person.id, person);
    return viewPerson(person);
  }

  listPeople(): SimPersonView[] {
    return [...this.people.values()].map(viewPerson);
  }

  findPerson(personId: string): SimPerson | undefined {
    return this.people.get(personId);
  }

  findPersonByEmail(email: string): SimPerson | undefined {
    const wanted = email.toLowerCase();
    // A person's id follows from their email (addPerson), and emails never change.
    const person = this.people.get(personIdOf(wanted));
    return person?.email === wanted ? person : undefined;
  }

  // ---- switches -----------------------------------------------------------------------------

  /**
   * The person changes their Webex password: every token of theirs dies, unless they sign in
   * through SSO (the password then lives in their IdP and Webex revokes nothing).
   */
  changePassword(email: string, resetBy?: string): { email: string; sso: boolean; revokedTokens: number } {
    const person = this.requirePerson(email);
    // A reset by an admin is an admin action and goes to the audit log; the person's own change is not.
    if (resetBy) this.audit('passwordReset', person, resetBy);
    const revokedTokens = person.sso ? 0 : this.revokeGrants((grant) => grant.personId === person.id);
    return { email: person.email, sso: person.sso, revokedTokens };
  }

  /** An admin (`actorEmail`, see `audit`) deactivates the person: login disabled, every token of theirs dies. */
  deactivate(email: string, actorEmail?: string): { email: string; active: false; revokedTokens: number } {
    const person = this.requirePerson(email);
    this.audit('deactivated', person, actorEmail);
    person.active = false;
    person.lastModified = this.isoNow();
    return {
      email: person.email,
      active: false,
      revokedTokens: this.revokeGrants((grant) => grant.personId === person.id),
    };
  }

  /**
   * Removes the Full Administrator role. Whether Webex then revokes the tokens is not known
   * (WEBEX.md), so both behaviours are offered: revoke them, or keep them and let admin calls 403.
   */
  removeFullAdmin(
    email: string,
    revokeTokens: boolean,
    actorEmail?: string,
  ): { email: string; fullAdmin: false; revokedTokens: number } {
    const person = this.requirePerson(email);
    this.audit('fullAdminRemoved', person, actorEmail);
    person.roles.delete(FULL_ADMIN_ROLE);
    person.lastModified = this.isoNow();
    const revokedTokens = revokeTokens ? this.revokeGrants((grant) => grant.personId === person.id) : 0;
    return { email: person.email, fullAdmin: false, revokedTokens };
  }

  /** An admin revokes the integration for the org in Control Hub: all its tokens there die. */
  revokeIntegration(orgId: string, clientId: string): { revokedTokens: number } {
    this.requireOrgAndIntegration(orgId, clientId);
    return { revokedTokens: this.revokeClientInOrg(clientId, orgId) };
  }

  /** Blocks (or unblocks) the integration for an org: consent then ends on "Access denied". */
  setIntegrationBlocked(orgId: string, clientId: string, blocked: boolean): { blocked: boolean } {
    this.requireOrgAndIntegration(orgId, clientId);
    const key = blockKey(orgId, clientId);
    if (blocked) this.blocks.set(key, { orgId, clientId });
    else this.blocks.delete(key);
    return { blocked };
  }

  isBlocked(orgId: string, clientId: string): boolean {
    return this.blocks.has(blockKey(orgId, clientId));
  }

  // ---- OAuth --------------------------------------------------------------------------------

  /** Issues a single-use code, valid 60 s, bound to everything the token call must repeat. */
  issueCode(input: CodeRequest): string {
    const code = newAuthorizationCode();
    this.codes.set(code, { ...input, expiresAt: this.now() + CODE_LIFETIME_MS, used: false });
    this.remember('codes', code);
    return code;
  }

  /** The `authorization_code` grant; the client is already authenticated. */
  exchangeCode(input: {
    clientId: string;
    code: string;
    redirectUri: string;
    codeVerifier: string;
  }): TokenResult {
    this.remember('codes', input.code);
    this.remember('codeVerifiers', input.codeVerifier);
    const pending = this.codes.get(input.code);
    if (!pending || pending.clientId !== input.clientId) {
      return invalidGrant('The authorization code is invalid or was issued to another client');
    }
    if (pending.used) return invalidGrant('The authorization code has already been used');
    // Any presentation of a live code by its client burns it, so a wrong guess cannot be retried.
    pending.used = true;
    if (pending.expiresAt <= this.now()) return invalidGrant('The authorization code has expired');
    if (pending.redirectUri !== input.redirectUri) {
      return invalidGrant('The redirect_uri does not match the one of the authorization request');
    }
    if (!verifyPkce(pending.codeChallengeMethod, pending.codeChallenge, input.codeVerifier)) {
      return invalidGrant('The code_verifier does not match the code_challenge');
    }
    const person = this.people.get(pending.personId);
    if (!person?.active) return invalidGrant('The user of this authorization code cannot log in');
    const org = this.orgs.get(person.orgId);
    if (!org) return invalidGrant('The user of this authorization code has no organization');
    person.lastActivity = this.isoNow();
    return { ok: true, tokens: this.openGrant(pending.clientId, person.id, org, pending.scopes) };
  }

  /**
   * The `refresh_token` grant: a new access token, and the same refresh token with its expiry
   * pushed out (Webex extends refresh tokens that are used), unless `extendRefreshTokens` is off.
   */
  refresh(input: { clientId: string; refreshToken: string }): TokenResult {
    this.remember('refreshTokens', input.refreshToken);
    const grant = this.grantsByRefreshToken.get(input.refreshToken);
    const person = grant && this.principal(grant.personId);
    const org = grant && this.orgs.get(grant.orgId);
    if (!grant || !person || !org || !this.isGrantAlive(grant) || grant.clientId !== input.clientId) {
      return { ok: false, error: 'invalid_request', description: DEAD_REFRESH_TOKEN_TEXT };
    }
    const now = this.now();
    if (this.settings.extendRefreshTokens) {
      grant.refreshTokenExpiresAt = now + this.settings.refreshTokenLifetimeSeconds * 1000;
    }
    return { ok: true, tokens: this.mintAccessToken(grant, org.uuid, now) };
  }

  /** Who a bearer token stands for, or undefined when it is unknown, expired or revoked. */
  authenticate(accessToken: string): Caller | undefined {
    const token = this.accessTokens.get(accessToken);
    if (!token || !this.isAccessTokenAlive(token)) return undefined;
    const person = this.principal(token.grant.personId);
    if (!person?.active) return undefined;
    person.lastActivity = this.isoNow();
    return { person, scopes: new Set(token.grant.scopes), accessTokenExpiresAt: token.expiresAt };
  }

  // ---- authorizations -----------------------------------------------------------------------

  /** The live authorizations of a person: one `refresh` per grant and one `access` per token. */
  listAuthorizations(personId: string): AuthorizationItem[] {
    const items: AuthorizationItem[] = [];
    for (const grant of this.grants.values()) {
      if (grant.personId !== personId || !this.isGrantAlive(grant)) continue;
      items.push({
        id: grant.id,
        type: 'refresh',
        clientId: grant.clientId,
        personId,
        created: grant.created,
      });
      for (const token of grant.accessTokens) {
        if (!this.isAccessTokenAlive(token)) continue;
        items.push({
          id: token.id,
          type: 'access',
          clientId: grant.clientId,
          personId,
          created: token.created,
        });
      }
    }
    return items;
  }

  /** The org an authorization id belongs to, or undefined when the id is unknown. */
  authorizationOrg(authorizationId: string): string | undefined {
    return (this.grants.get(authorizationId) ?? this.accessTokensById.get(authorizationId)?.grant)?.orgId;
  }

  /**
   * Deletes one authorization: a `refresh` id kills the grant and all its access tokens, an
   * `access` id kills that access token only. Returns the number of tokens that died.
   */
  deleteAuthorization(authorizationId: string): number {
    const grant = this.grants.get(authorizationId);
    if (grant) return this.revokeGrants((candidate) => candidate === grant);
    const token = this.accessTokensById.get(authorizationId);
    if (!token) throw new SimNotFoundError(`authorization ${authorizationId} not found`);
    const wasAlive = this.isAccessTokenAlive(token);
    token.alive = false;
    return wasAlive ? 1 : 0;
  }

  /** Kills every token of a client in an org; returns how many died. */
  revokeClientInOrg(clientId: string, orgId: string): number {
    return this.revokeGrants((grant) => grant.clientId === clientId && grant.orgId === orgId);
  }

  /** Grants with their state and expiries, never their token values. */
  listGrants(): GrantView[] {
    return [...this.grants.values()].map((grant) => ({
      id: grant.id,
      clientId: grant.clientId,
      personId: grant.personId,
      orgId: grant.orgId,
      scopes: [...grant.scopes],
      alive: this.isGrantAlive(grant),
      created: new Date(grant.created).toISOString(),
      refreshTokenExpiresAt: new Date(grant.refreshTokenExpiresAt).toISOString(),
      accessTokens: grant.accessTokens.map((token) => ({
        id: token.id,
        alive: this.isAccessTokenAlive(token),
        expiresAt: new Date(token.expiresAt).toISOString(),
      })),
    }));
  }

  /** Every token, code, verifier and client secret issued or received since start. */
  listSecrets(): SecretsView {
    const byKind = {
      accessTokens: [...this.secrets.accessTokens],
      refreshTokens: [...this.secrets.refreshTokens],
      codes: [...this.secrets.codes],
      codeVerifiers: [...this.secrets.codeVerifiers],
      clientSecrets: [...this.secrets.clientSecrets],
      webhookSecrets: [...this.secrets.webhookSecrets],
    };
    return { ...byKind, all: [...new Set(Object.values(byKind).flat())] };
  }

  // ---- internals ----------------------------------------------------------------------------

  private seed(): void {
    if (!this.options.seedDemoOrg) return;
    const orgId = this.createOrg(DEMO_ORG_NAME).id;
    const demoPeople: NewPerson[] = [
      { email: 'admin@demo.example', displayName: 'Ada Admin', orgId, fullAdmin: true },
      { email: 'sso-admin@demo.example', displayName: 'Sam Sso-Admin', orgId, fullAdmin: true, sso: true },
      { email: 'user@demo.example', displayName: 'Uma User', orgId },
    ];
    for (const person of demoPeople) this.addPerson(person, SEED_CREATED);
  }

  /** A new grant (refresh token) of the client for the person, with its first access token. */
  private openGrant(clientId: string, personId: string, org: SimOrg, scopes: string[]): TokenSet {
    const now = this.now();
    const grant: Grant = {
      id: webexId('AUTHORIZATION', newUuid()),
      clientId,
      personId,
      orgId: org.id,
      scopes,
      refreshToken: newToken(org.uuid),
      refreshTokenExpiresAt: now + this.settings.refreshTokenLifetimeSeconds * 1000,
      created: now,
      alive: true,
      accessTokens: [],
    };
    this.grants.set(grant.id, grant);
    this.grantsByRefreshToken.set(grant.refreshToken, grant);
    this.remember('refreshTokens', grant.refreshToken);
    return this.mintAccessToken(grant, org.uuid, now);
  }

  /**
   * The machine account Service App tokens of an org act as. Its id is derived from the org and
   * the app, so a restart finds the same one. It holds the Full Administrator role because the
   * authorizing Full Admin lends the app the admin scopes it asked for; no person owns it.
   */
  private ensureMachineAccount(orgId: string, clientId: string): SimPerson {
    const id = webexId('PEOPLE', stableUuid(`machine:${orgId}:${clientId}`));
    const existing = this.machineAccounts.get(id);
    if (existing) return existing;
    const created = this.isoNow();
    const account: SimPerson = {
      id,
      email: `${stableUuid(`machine-email:${orgId}:${clientId}`)}@serviceapp.webex.invalid`,
      displayName: this.serviceApps.get(clientId)?.name ?? clientId,
      orgId,
      roles: new Set([FULL_ADMIN_ROLE]),
      sso: false,
      active: true,
      created,
      lastModified: created,
      lastActivity: created,
    };
    this.machineAccounts.set(id, account);
    return account;
  }

  /** A person or a machine account. */
  private principal(personId: string): SimPerson | undefined {
    return this.people.get(personId) ?? this.machineAccounts.get(personId);
  }

  private requireServiceApp(orgId: string, applicationId: string): RegisteredServiceApp {
    if (!this.orgs.has(orgId)) throw new SimNotFoundError(`org ${orgId} not found`);
    const app = this.findServiceApp(applicationId);
    if (!app) throw new SimNotFoundError(`Service App ${applicationId} not found`);
    return app;
  }

  /** The named Full Admin of the org, or its first active one; Control Hub lets only them act. */
  private requireFullAdmin(orgId: string, email?: string): SimPerson {
    const admin = email
      ? this.requirePerson(email)
      : [...this.people.values()].find(
          (person) => person.orgId === orgId && person.active && person.roles.has(FULL_ADMIN_ROLE),
        );
    if (!admin || admin.orgId !== orgId || !admin.active || !admin.roles.has(FULL_ADMIN_ROLE)) {
      throw new SimConflictError(`${email ?? 'the org'} has no active Full Administrator to do this`);
    }
    return admin;
  }

  /**
   * Writes the admin action to the org's audit log. The actor is the named admin, else another
   * active Full Admin of the org, else the person themself (the only admin acting on their own account).
   */
  private audit(action: AuditedAction, target: SimPerson, actorEmail?: string): void {
    const actor =
      (actorEmail ? this.requirePerson(actorEmail) : undefined) ??
      [...this.people.values()].find(
        (person) =>
          person.orgId === target.orgId &&
          person.id !== target.id &&
          person.active &&
          person.roles.has(FULL_ADMIN_ROLE),
      ) ??
      target;
    const org = this.orgs.get(target.orgId);
    this.auditLog.record(
      action,
      {
        actor: {
          id: actor.id,
          email: actor.email,
          displayName: actor.displayName,
          orgId: actor.orgId,
          fullAdmin: actor.roles.has(FULL_ADMIN_ROLE),
        },
        target: { id: target.id, displayName: target.displayName },
        org: { id: target.orgId, name: org?.name ?? target.orgId },
      },
      this.now(),
    );
  }

  /** `now` is the instant the grant's refresh expiry was set, so `refresh_token_expires_in` is exact. */
  private mintAccessToken(grant: Grant, orgUuid: string, now: number): TokenSet {
    const token: AccessToken = {
      id: webexId('AUTHORIZATION', newUuid()),
      token: newToken(orgUuid),
      grant,
      created: now,
      expiresAt: now + this.settings.accessTokenLifetimeSeconds * 1000,
      alive: true,
    };
    grant.accessTokens.push(token);
    this.accessTokens.set(token.token, token);
    this.accessTokensById.set(token.id, token);
    this.remember('accessTokens', token.token);
    return {
      accessToken: token.token,
      expiresIn: this.settings.accessTokenLifetimeSeconds,
      refreshToken: grant.refreshToken,
      refreshTokenExpiresIn: Math.max(0, Math.floor((grant.refreshTokenExpiresAt - now) / 1000)),
      scope: grant.scopes.join(' '),
    };
  }

  private isGrantAlive(grant: Grant): boolean {
    return grant.alive && grant.refreshTokenExpiresAt > this.now();
  }

  private isAccessTokenAlive(token: AccessToken): boolean {
    return token.alive && token.grant.alive && token.expiresAt > this.now();
  }

  /** Kills the matching grants and their access tokens; counts the tokens that were alive. */
  private revokeGrants(matches: (grant: Grant) => boolean): number {
    let revoked = 0;
    for (const grant of this.grants.values()) {
      if (!matches(grant)) continue;
      for (const token of grant.accessTokens) {
        if (this.isAccessTokenAlive(token)) revoked += 1;
        token.alive = false;
      }
      if (this.isGrantAlive(grant)) revoked += 1;
      grant.alive = false;
    }
    return revoked;
  }

  /**
   * Drops orgs, people, codes, grants, tokens, blocks, Service App authorizations and the audit
   * log; integrations, Service Apps, webhooks and settings stay.
   */
  private clearState(): void {
    const state = [this.orgs, this.people, this.blocks, this.codes, this.grants, this.grantsByRefreshToken];
    const serviceAppState = [this.serviceAppAuthorizations, this.machineAccounts];
    for (const collection of [...state, ...serviceAppState, this.accessTokens, this.accessTokensById]) {
      collection.clear();
    }
    this.auditLog.replace([]);
  }

  private requirePerson(email: string): SimPerson {
    const person = this.findPersonByEmail(email);
    if (!person) throw new SimNotFoundError(`${email} not found`);
    return person;
  }

  private requireOrgAndIntegration(orgId: string, clientId: string): void {
    if (!this.orgs.has(orgId)) throw new SimNotFoundError(`org ${orgId} not found`);
    if (!this.integrations.has(clientId)) throw new SimNotFoundError(`integration ${clientId} not found`);
  }

  private remember(kind: SecretKind, value: string): void {
    if (value) this.secrets[kind].add(value);
  }

  private isoNow(): string {
    return new Date(this.now()).toISOString();
  }
}

function pickSettings(options: SimSettings): SimSettings {
  return {
    accessTokenLifetimeSeconds: options.accessTokenLifetimeSeconds,
    refreshTokenLifetimeSeconds: options.refreshTokenLifetimeSeconds,
    extendRefreshTokens: options.extendRefreshTokens,
  };
}

function viewPerson(person: SimPerson): SimPersonView {
  return {
    id: person.id,
    email: person.email,
    displayName: person.displayName,
    orgId: person.orgId,
    fullAdmin: person.roles.has(FULL_ADMIN_ROLE),
    sso: person.sso,
    active: person.active,
  };
}

/** "jane.doe@x" -> "Jane Doe", so people created with only an email still read well. */
function nameFromEmail(email: string): string {
  const local = email.split('@')[0] ?? email;
  return local
    .split(/[._-]+/)
    .filter(Boolean)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join(' ');
}

/** The application id Control Hub shows for a Service App: Webex's id form of its client id. */
export function serviceAppId(clientId: string): string {
  return webexId('APPLICATION', clientId);
}

function blockKey(orgId: string, clientId: string): string {
  return `${orgId} ${clientId}`;
}

function invalidGrant(description: string): TokenResult {
  return { ok: false, error: 'invalid_grant', description };
}

/** RFC 7636: S256 compares base64url(sha256(verifier)) with the challenge; plain compares as is. */
export function verifyPkce(method: CodeChallengeMethod, challenge: string, verifier: string): boolean {
  // RFC 7636 4.1: 43 to 128 unreserved characters; a shorter verifier is a client bug worth catching.
  if (!/^[A-Za-z0-9\-._~]{43,128}$/.test(verifier)) return false;
  const derived = method === 'S256' ? createHash('sha256').update(verifier).digest('base64url') : verifier;
  return sameSecret(challenge, derived);
}

function sameSecret(expected: string, actual: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(actual);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A person's id, derived from their (lowercase) email. */
function personIdOf(email: string): string {
  return webexId('PEOPLE', stableUuid(`person:${email}`));
}
