import type { Authorization, Tenant, TokenMaterial } from '#domain/model.js';
import type { AuthorizationRepository, TenantRepository, TokenVault } from '#domain/ports.js';
import type { SimWorld } from '#local/webex-simulator/index.js';
import { catalog } from './fixtures.js';

/** What the seeder writes through: the repositories of any adapter. */
interface Repositories {
  tenants: Pick<TenantRepository, 'create'>;
  authorizations: Pick<AuthorizationRepository, 'save'>;
}

/** One Full Admin per org, as a customer's admin who authorized the tenant's integrations. */
interface OrgAdmin {
  orgId: string;
  personId: string;
  email: string;
  displayName: string;
}

/**
 * The simulator's orgs and their admins, created on first use and reused by every scenario (the
 * simulator refuses a second org of the same name, and its e-mail look-ups are linear).
 */
export class BenchOrgs {
  private readonly admins: OrgAdmin[] = [];

  constructor(private readonly world: SimWorld) {}

  admin(index: number): OrgAdmin {
    for (let next = this.admins.length; next <= index; next += 1) {
      const org = this.world.createOrg(`Bench Org ${next}`);
      const person = this.world.addPerson({
        email: `admin@org-${next}.bench.example`,
        orgId: org.id,
        fullAdmin: true,
      });
      this.admins.push({
        orgId: org.id,
        personId: person.id,
        email: person.email,
        displayName: person.displayName,
      });
    }
    const admin = this.admins[index];
    if (!admin) throw new Error(`No bench org ${index}`);
    return admin;
  }
}

/** A PKCE verifier; with the `plain` method the challenge is the verifier itself. */
const VERIFIER = 'bench-pkce-verifier-0123456789-abcdefghijklmnopqrstuvwxyz';
const SECOND_MS = 1000;
const DAY_SECONDS = 86_400;
/** How many writes the seeder keeps in flight. */
const SEED_CONCURRENCY = 48;

export interface SeedInput {
  world: SimWorld;
  orgs: BenchOrgs;
  repos: Repositories;
  /** Where the token material goes: the bench's in-memory vault, or the deployed adapter. */
  vault: Pick<TokenVault, 'seal'>;
  /** Tenant ids are `<prefix>-<n>`; tables sharing one vault need different prefixes. */
  tenantPrefix: string;
  authorizations: number;
  /** Share of the authorizations due at `now` (0..1]. */
  dueFraction: number;
  now: Date;
  redirectUri: string;
}

export interface SeedReport {
  tenants: number;
  authorizations: number;
  due: number;
  ms: number;
}

/**
 * Whether authorization `index` is due: the golden-ratio sequence spreads the due ones evenly
 * over tenants and integrations (every tenth would always pick the same integration).
 */
function isDue(index: number, dueFraction: number): boolean {
  return dueFraction >= 1 || (index * 0.6180339887498949) % 1 < dueFraction;
}

/** Runs `work` over `items` with at most `limit` in flight. */
async function inParallel<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>) {
  let next = 0;
  const lane = async () => {
    for (let item = items[next++]; item !== undefined; item = items[next++]) await work(item);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

/**
 * Seeds real authorizations fast: tokens minted in the simulator in-process (code then exchange,
 * the same grant a consent produces, without its HTTP and pages), material sealed by the vault,
 * records through the real repository (`save`, so the item shape and the `due` index keys are
 * the product's), five integrations per tenant, each tenant bound to its own org. Due ones were
 * due a minute to ten minutes ago; the others fall due five to fifteen minutes from now, after
 * the sweep has run.
 */
export async function seedAuthorizations(input: SeedInput): Promise<SeedReport> {
  const started = Date.now();
  const { world, repos, vault, now } = input;
  const perTenant = catalog.integrations.length;
  const tenantCount = Math.ceil(input.authorizations / perTenant);
  const nowIso = now.toISOString();
  const tenants: Tenant[] = Array.from({ length: tenantCount }, (_, index) => ({
    tenantId: `${input.tenantPrefix}-${index}`,
    name: `Bench Tenant ${index}`,
    contacts: [`ops@tenant-${index}.bench.example`],
    sso: false,
    orgId: input.orgs.admin(index).orgId,
    linkVersion: 1,
    status: 'active',
    createdAt: nowIso,
    updatedAt: nowIso,
  }));
  await inParallel(tenants, SEED_CONCURRENCY, (tenant) => repos.tenants.create(tenant));

  // Each record is minted and sealed just before its save, not all of them first: minting 100,000
  // took about 30 s without a turn of the event loop, the engine closed the idle pooled
  // connections meanwhile, and the saves then failed on them ("socket hang up").
  const record = async (index: number, dueNow: boolean): Promise<Authorization> => {
    const tenantIndex = Math.floor(index / perTenant);
    const integration = catalog.integrations[index % perTenant];
    if (!integration) throw new Error('empty catalog');
    const admin = input.orgs.admin(tenantIndex);
    const code = world.issueCode({
      clientId: integration.integrationId,
      redirectUri: input.redirectUri,
      personId: admin.personId,
      scopes: integration.scopes,
      codeChallenge: VERIFIER,
      codeChallengeMethod: 'plain',
    });
    const grant = world.exchangeCode({
      clientId: integration.integrationId,
      code,
      redirectUri: input.redirectUri,
      codeVerifier: VERIFIER,
    });
    if (!grant.ok) throw new Error(`The simulator refused a bench grant: ${grant.description}`);
    const material: TokenMaterial = {
      accessToken: grant.tokens.accessToken,
      refreshToken: grant.tokens.refreshToken,
      accessTokenExpiresAt: new Date(now.getTime() + grant.tokens.expiresIn * SECOND_MS).toISOString(),
      refreshTokenExpiresAt: new Date(
        now.getTime() + grant.tokens.refreshTokenExpiresIn * SECOND_MS,
      ).toISOString(),
      scope: grant.tokens.scope,
    };
    const tenantId = `${input.tenantPrefix}-${tenantIndex}`;
    const sealedTokens = await vault.seal({ tenantId, integration: integration.key }, material);
    // Not due for a day: seeding 100,000 takes minutes, and a record due within them would be
    // swept too, so the due share would drift above the one asked for.
    const offsetSeconds = dueNow ? -(60 + (index % 540)) : DAY_SECONDS + (index % 600);
    return {
      tenantId,
      integration: integration.key,
      status: 'active',
      scopes: grant.tokens.scope.split(' '),
      authorizer: { ...admin, fullAdmin: true },
      accessTokenExpiresAt: material.accessTokenExpiresAt,
      refreshTokenExpiresAt: material.refreshTokenExpiresAt,
      grantedAt: new Date(now.getTime() - 3600 * SECOND_MS).toISOString(),
      validatedAt: new Date(now.getTime() - 900 * SECOND_MS).toISOString(),
      consecutiveFailures: 0,
      sealedTokens,
      version: 0,
      warningsSent: [],
      nextCheckAt: new Date(now.getTime() + offsetSeconds * SECOND_MS).toISOString(),
      updatedAt: nowIso,
    };
  };
  const indexes = Array.from({ length: input.authorizations }, (_, index) => index);
  let due = 0;
  await inParallel(indexes, SEED_CONCURRENCY, async (index) => {
    const dueNow = isDue(index, input.dueFraction);
    if (dueNow) due += 1;
    await repos.authorizations.save(await record(index, dueNow), undefined);
  });
  return { tenants: tenantCount, authorizations: indexes.length, due, ms: Date.now() - started };
}
