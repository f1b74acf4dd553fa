import { notifierPreview } from './notifier-harness.js';
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { createRepositories } from '#adapters/dynamodb/index.js';
import { tableDefinition } from '#adapters/table-definition.js';
import { HttpWebexClient } from '#adapters/webex-client.js';
import { reauthorizeLinkIssuer } from '#commons/link-issuers.js';
import { defaultCatalog } from '#adapters/catalog-file.js';
import type { Authorization, Tenant } from '#domain/model.js';
import { issueOnboardingLink } from '#domain/onboarding-link.js';
import { callbackUrl } from '#domain/onboarding-portal.js';
import {
  completeAuthorization,
  startAuthorization,
  type OnboardingDependencies,
} from '#domain/onboarding.js';
import { silentLog, systemClock, type Clock } from '#domain/ports.js';
import { runSweep, type SweepReport } from '#domain/sweep.js';
import {
  DEFAULT_VALIDATOR_CONFIG,
  type ValidationOutcome,
  type ValidatorDependencies,
} from '#domain/validator-config.js';
import { validateAuthorization } from '#domain/validator.js';
import { startWebexSimulator, submitConsent, type WebexSimulator } from '#local/webex-simulator/index.js';
import { createTestTable, type TestTable } from './dynamodb.js';
import { MemoryTokenVault, RecordingPublisher } from './fakes/index.js';
import { testTenant } from './fixtures.js';

export const PUBLIC_BASE_URL = 'http://keeper.test';
export const catalog = defaultCatalog();
const simClientSecret = (key: string) => `sim-secret-${key}-0123456789abcdef`;

/** The simulator with every catalog integration registered under its real Integration ID. */
export async function startSimulator(
  lifetimes: { accessTokenLifetimeSeconds?: number; refreshTokenLifetimeSeconds?: number } = {},
): Promise<WebexSimulator> {
  return startWebexSimulator({
    port: 0,
    ...lifetimes,
    integrations: catalog.integrations.map((integration) => ({
      clientId: integration.integrationId,
      clientSecret: simClientSecret(integration.key),
      name: integration.name,
      redirectUris: [callbackUrl(PUBLIC_BASE_URL)],
    })),
  });
}

/**
 * The validator's ports against the simulator (its client secrets, the shipped catalog, default
 * settings) over the given repositories, vault, publisher and clock.
 */
export function validatorOnSimulator(input: {
  repos: Pick<ValidatorDependencies, 'authorizations' | 'tenants'>;
  vault: ValidatorDependencies['vault'];
  webex: ValidatorDependencies['webex'];
  events: ValidatorDependencies['events'];
  clock: Clock;
  linkKeys: { get(): Promise<Buffer> };
}): ValidatorDependencies {
  return {
    authorizations: input.repos.authorizations,
    tenants: input.repos.tenants,
    vault: input.vault,
    webex: input.webex,
    clientSecrets: { get: async (key: string) => simClientSecret(key) },
    events: input.events,
    clock: input.clock,
    catalog,
    config: { ...DEFAULT_VALIDATOR_CONFIG },
    log: silentLog,
    reauthorizeLink: reauthorizeLinkIssuer({
      linkKeys: input.linkKeys,
      clock: input.clock,
      ttlDays: 14,
      publicBaseUrl: PUBLIC_BASE_URL,
    }),
  };
}

/**
 * One tenant on a fresh table of DynamoDB Local, authorized against the simulator through the real
 * onboarding use cases, and the validator wired to the same real adapters (DynamoDB repositories,
 * HTTP Webex client) with an in-memory vault and a recording publisher. The validator's clock is
 * the simulator's, so both agree on what has expired.
 */
export class ValidatorHarness {
  readonly clock: Clock;
  readonly repos: ReturnType<typeof createRepositories>;
  readonly vault = new MemoryTokenVault();
  /** What the validator publishes, each with the mail the notifier writes about it then. */
  readonly events = new RecordingPublisher((event) => notifierPreview(this.previewPorts())(event));
  readonly deps: ValidatorDependencies;
  private readonly onboarding: OnboardingDependencies;
  private readonly linkKey = randomBytes(32);

  private previewPorts() {
    return { ...this.deps, passwordMaxAgeDays: this.deps.config.passwordMaxAgeDays };
  }

  private constructor(
    readonly sim: WebexSimulator,
    readonly table: TestTable,
    readonly tenant: Tenant,
  ) {
    // The simulator's time is the wall clock plus its offset, so a wait is a real one.
    this.clock = { now: () => new Date(sim.world.now()), sleep: systemClock.sleep };
    this.repos = createRepositories(table.client, table.tableName);
    const webex = new HttpWebexClient({ baseUrl: sim.url, timeoutMs: 2000 });
    const clientSecrets = { get: async (key: string) => simClientSecret(key) };
    const linkKeys = { get: async () => this.linkKey };
    this.onboarding = {
      ...this.repos,
      vault: this.vault,
      webex,
      events: new RecordingPublisher(),
      clientSecrets,
      linkKeys,
      catalog,
      clock: this.clock,
      settings: {
        publicBaseUrl: PUBLIC_BASE_URL,
        webexApiBaseUrl: sim.url,
        passwordMaxAgeDays: 1825,
        linkTtlDays: 14,
        firstCheckDelaySeconds: 60,
      },
      log: silentLog,
    };
    this.deps = validatorOnSimulator({
      repos: this.repos,
      vault: this.vault,
      webex,
      events: this.events,
      clock: this.clock,
      linkKeys,
    });
  }

  /**
   * A tenant on the simulator; by default on a fresh table of its own with the simulator reset
   * (pass `table` to share one, e.g. for many short-lived tenants in a loop).
   */
  static async create(
    sim: WebexSimulator,
    options: { tenant?: Partial<Tenant>; table?: TestTable } = {},
  ): Promise<ValidatorHarness> {
    if (!options.table) await fetch(`${sim.url}/_sim/reset`, { method: 'POST' });
    const table = options.table ?? (await createTestTable('validator'));
    const now = new Date(sim.world.now()).toISOString();
    const record = testTenant({ createdAt: now, updatedAt: now, ...options.tenant });
    const harness = new ValidatorHarness(sim, table, record);
    await harness.repos.tenants.create(record);
    return harness;
  }

  async drop(): Promise<void> {
    await this.table.drop();
  }

  /** The person consents in the simulator and the onboarding callback stores the authorization. */
  async authorize(integration: string, person = 'admin@demo.example'): Promise<Authorization> {
    const tenant = (await this.repos.tenants.get(this.tenant.tenantId)) ?? this.tenant;
    const link = issueOnboardingLink({
      tenant,
      key: this.linkKey,
      clock: this.clock,
      publicBaseUrl: PUBLIC_BASE_URL,
    });
    const { authorizeUrl } = await startAuthorization(this.onboarding, {
      linkToken: link.token,
      integration,
    });
    const consent = await submitConsent(authorizeUrl, { person, decision: 'accept' });
    const location = new URL(consent.headers.get('location') ?? '');
    const outcome = await completeAuthorization(this.onboarding, {
      state: location.searchParams.get('state') ?? '',
      code: location.searchParams.get('code') ?? '',
    });
    expect(outcome.kind).toBe('authorized');
    return this.record(integration);
  }

  async record(integration: string): Promise<Authorization> {
    const record = await this.repos.authorizations.get(this.tenant.tenantId, integration);
    if (!record) throw new Error(`no authorization ${integration}`);
    return record;
  }

  /** Moves the simulator's clock (and so the validator's). */
  advance(seconds: number): void {
    this.sim.world.advanceClock(seconds);
  }

  /** One sweep a check interval later: everything due is validated in-process. */
  async sweep(): Promise<SweepReport> {
    this.advance(this.deps.config.checkIntervalSeconds);
    return runSweep(this.deps, { shards: tableDefinition.dueShards });
  }

  /** Moves the clock to the earliest next check of the tenant's authorizations, then sweeps. */
  async sweepWhenDue(): Promise<SweepReport> {
    const records = await this.repos.authorizations.listForTenant(this.tenant.tenantId);
    const next = Math.min(...records.map((record) => Date.parse(record.nextCheckAt ?? '') || Infinity));
    const wait = Math.max(0, Math.ceil((next - this.clock.now().getTime()) / 1000));
    if (Number.isFinite(wait)) this.advance(wait);
    return runSweep(this.deps, { shards: tableDefinition.dueShards });
  }

  validate(integration: string, deps: ValidatorDependencies = this.deps): Promise<ValidationOutcome> {
    return validateAuthorization(deps, { tenantId: this.tenant.tenantId, integration });
  }

  /** Calls a `/_sim` control route. */
  async control(path: string, body: unknown = {}): Promise<unknown> {
    const response = await fetch(`${this.sim.url}/_sim/${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(response.status).toBeLessThan(300);
    return response.json();
  }

  /**
   * Short lifetimes (12 h access tokens, 2-day refresh tokens) and refreshes that keep the first
   * expiry, as when Webex stops extending a refresh token; checks hourly.
   */
  async shortUnextendedRefreshTokens(): Promise<void> {
    await this.control('settings', {
      accessTokenLifetimeSeconds: 12 * 3600,
      refreshTokenLifetimeSeconds: 2 * 86_400,
      extendRefreshTokens: false,
    });
    this.deps.config.checkIntervalSeconds = 3600;
  }

  async demoOrgId(): Promise<string> {
    const orgs = (await (await fetch(`${this.sim.url}/_sim/orgs`)).json()) as Array<{ id: string }>;
    return orgs[0]?.id ?? '';
  }

  /** Whether the record's current access token for the integration works at Webex right now. */
  async tokenWorks(integration: string): Promise<boolean> {
    const record = await this.record(integration);
    const material = await this.vault.tokensOf(record);
    const response = await fetch(`${this.sim.url}/v1/people/me`, {
      headers: { Authorization: `Bearer ${material.accessToken}` },
    });
    return response.status === 200;
  }

  /** Fails when any token, code or secret the simulator ever issued appears in an event or an email. */
  async expectNoSecretPublished(): Promise<void> {
    const secrets = (await (await fetch(`${this.sim.url}/_sim/secrets`)).json()) as { all: string[] };
    const published = JSON.stringify(this.events.published);
    for (const secret of secrets.all) expect(published).not.toContain(secret);
  }

  /** The published events as `integration:type`. */
  types(): string[] {
    return this.events.types();
  }
}

/**
 * The simulator for a whole test file and a harness per test, dropped after it. Call it in a
 * `describe`; the function it returns makes the test's harness (a fresh table, the simulator reset).
 */
export function harnessPerTest(): (tenant?: Partial<Tenant>) => Promise<ValidatorHarness> {
  let sim: WebexSimulator | undefined;
  let harness: ValidatorHarness | undefined;
  beforeAll(async () => {
    sim = await startSimulator();
  });
  afterAll(async () => {
    await sim?.close();
  });
  afterEach(async () => {
    await harness?.drop();
    harness = undefined;
  });
  return async (tenant = {}) => {
    if (!sim) throw new Error('The simulator is not started: make harnesses inside tests');
    await harness?.drop();
    harness = await ValidatorHarness.create(sim, { tenant });
    return harness;
  };
}
