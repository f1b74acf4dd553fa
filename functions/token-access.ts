import { randomUUID } from 'node:crypto';
import type { Catalog } from './domain/catalog.js';
import { leaseWait, releaseLease, tryLease } from './domain/lease.js';
import { tokenMaterialOf } from './domain/refresh-policy.js';
import {
  holdsTokens,
  openTokens,
  saveRefreshedTokens,
  type SealedAuthorization,
} from './domain/token-storage.js';
import type { Authorization, CauseConfidence, InvalidationCause, TokenMaterial } from './domain/model.js';
import {
  ConflictError,
  WebexError,
  type AuthorizationRepository,
  type ClientSecretSource,
  type Clock,
  type Log,
  type TenantRepository,
  type TokenVault,
  type WebexClient,
  type WebexTokenGrant,
} from './domain/ports.js';

/**
 * Token access for the SaaS's own services: one call returns a valid access token for a
 * (tenant, integration). See docs/token-access.md.
 */

/**
 * Why there is no token to hand out: nothing was ever authorized, it is still pending, it was
 * revoked, the catalog has no such integration, the tenant is not active (offboarding has begun:
 * its authorizations are being revoked one by one), or there is no such tenant.
 */
export type NotAuthorizedReason =
  'not_found' | 'pending' | 'revoked' | 'unknown_integration' | 'tenant_inactive' | 'tenant_not_found';

/** The tenant has no usable authorization for the integration; a person must onboard it. */
export class NotAuthorizedError extends Error {
  override readonly name = 'NotAuthorizedError';
  constructor(
    readonly tenantId: string,
    readonly integration: string,
    readonly reason: NotAuthorizedReason,
  ) {
    super(`Tenant ${tenantId} has no usable authorization for ${integration} (${reason})`);
  }
}

/**
 * The authorization is invalid; a person must authorize again. `invalidationCause` is the
 * validator's classification, with its `confidence` (Webex may still accept the tokens: a person
 * who lost the Full Administrator role keeps them); both are absent when Webex refused the refresh
 * just now, before the validator (scheduled at once) had a look.
 */
export class AuthorizationInvalidError extends Error {
  override readonly name = 'AuthorizationInvalidError';
  constructor(
    readonly tenantId: string,
    readonly integration: string,
    readonly invalidationCause?: InvalidationCause,
    readonly causeDetail?: string,
    readonly confidence?: CauseConfidence,
  ) {
    super(
      `The ${integration} authorization of tenant ${tenantId} is invalid` +
        (invalidationCause ? ` (${invalidationCause})` : ' (Webex refused the refresh)'),
    );
  }
}

/** Why a token could not be had right now although the authorization may still be good. */
export type DegradedReason =
  'webex_unavailable' | 'refresh_busy' | 'client_credentials_refused' | 'authorization_degraded';

/**
 * A token is needed and could not be had right now: Webex failed transiently (429, 5xx, timeout)
 * while refreshing, refused our own client credentials (a credential incident: the grant may be
 * fine), another process kept the refresh lease too long, or the record is `degraded` (the
 * validator's last checks met transient Webex failures) and the caller did not accept that.
 * Retry later.
 */
export class AuthorizationDegradedError extends Error {
  override readonly name = 'AuthorizationDegradedError';
  constructor(
    readonly tenantId: string,
    readonly integration: string,
    readonly reason: DegradedReason,
    readonly retryAfterSeconds?: number,
  ) {
    super(
      reason === 'authorization_degraded'
        ? `The ${integration} authorization of tenant ${tenantId} is degraded (transient Webex failures at its last checks); retry after its next check, or accept degraded records`
        : `No access token for the ${integration} authorization of tenant ${tenantId} right now (${reason}); retry later`,
    );
  }
}

/** A usable access token. Never log it. */
export interface AccessToken {
  accessToken: string;
  expiresAt: string;
  scopes: string[];
  /**
   * The record's status: `degraded` (only when the caller accepts it) means the validator saw
   * transient Webex failures lately; `check_failing` that our own checks of it keep throwing
   * (nothing Webex said), so its tokens are still served while ops fix it.
   */
  status: 'active' | 'expiring' | 'degraded' | 'check_failing';
}

/** How one call takes a record the validator marked `degraded`. */
export interface GetAccessTokenOptions {
  /**
   * Hand out a `degraded` record's token while it is valid (Webex may well accept it) instead of
   * refusing with AuthorizationDegradedError (`authorization_degraded`). @default false
   */
  acceptDegraded?: boolean;
}

export interface TokenAccess {
  /**
   * A valid access token for the tenant's authorization of the integration, refreshed first when
   * it has expired or is within a minute of it. Throws NotAuthorizedError, AuthorizationInvalidError
   * or AuthorizationDegradedError (also for a `degraded` record, unless `acceptDegraded`); any other
   * error is an infrastructure failure.
   */
  getAccessToken(
    tenantId: string,
    integration: string,
    options?: GetAccessTokenOptions,
  ): Promise<AccessToken>;
}

export interface TokenAccessOptions {
  authorizations: AuthorizationRepository;
  /** The tenants: a tenant that is not active (offboarding under way) gets no token. */
  tenants: Pick<TenantRepository, 'get'>;
  vault: TokenVault;
  webex: Pick<WebexClient, 'refresh'>;
  clientSecrets: ClientSecretSource;
  catalog: Catalog;
  clock: Clock;
  /** Lease owner id of this process; a random one by default. */
  leaseOwner?: string;
  /** How long opened tokens stay cached for the same record version. @default 60 s */
  cacheTtlMs?: number;
  /** Refresh when less than this is left of the access token. @default 60 s */
  refreshMarginMs?: number;
  /** How long a caller that lost the lease waits for the holder's refresh. @default 5 s */
  leaseWaitMs?: number;
  log: Log;
}

const LEASE_MS = 30_000;
const USABLE: ReadonlySet<Authorization['status']> = new Set([
  'active',
  'expiring',
  'degraded',
  'check_failing',
]);

interface CachedTokens {
  /** The record's version: a new one (refresh, re-consent, revocation) never hits an old entry. */
  version: number;
  material: TokenMaterial;
  until: number;
}

/**
 * Creates token access over the ports. Each call reads the record (one consistent DynamoDB read,
 * so a revocation or invalidation is seen at once) and opens the sealed tokens it carries; the
 * opened tokens are cached in memory for a short time, keyed by record version, so repeated calls
 * make no KMS request. A refresh runs under the validator's lease and saves the new tokens on the
 * record in one conditional write, as the validator does; concurrent callers in this process
 * share one refresh, and a caller that loses the lease to another process waits for it.
 */
export function createTokenAccess(options: TokenAccessOptions): TokenAccess {
  const { clock, log } = options;
  const leases = { authorizations: options.authorizations, clock };
  const leaseOwner = options.leaseOwner ?? `token-access:${randomUUID()}`;
  const cacheTtlMs = options.cacheTtlMs ?? 60_000;
  const refreshMarginMs = options.refreshMarginMs ?? 60_000;
  const leaseWaitMs = options.leaseWaitMs ?? 5_000;
  const cache = new Map<string, CachedTokens>();
  const inflight = new Map<string, Promise<AccessToken>>();
  /** Record versions whose refresh Webex refused: answered at once until the validator rewrites them. */
  const refused = new Map<string, number>();

  const recordKey = (tenantId: string, integration: string) => `${tenantId}#${integration}`;

  /** The record, or the typed error that says why it gives no token. */
  function usable(
    record: Authorization | undefined,
    tenantId: string,
    integration: string,
    acceptDegraded: boolean,
  ): SealedAuthorization {
    if (!record) throw new NotAuthorizedError(tenantId, integration, 'not_found');
    if (record.status === 'pending') throw new NotAuthorizedError(tenantId, integration, 'pending');
    if (record.status === 'revoked') throw new NotAuthorizedError(tenantId, integration, 'revoked');
    if (record.status === 'invalid') {
      throw new AuthorizationInvalidError(
        tenantId,
        integration,
        record.cause,
        record.causeDetail,
        record.confidence,
      );
    }
    if (!USABLE.has(record.status) || !holdsTokens(record)) {
      throw new NotAuthorizedError(tenantId, integration, 'not_found');
    }
    if (refused.get(recordKey(tenantId, integration)) === record.version) {
      throw new AuthorizationInvalidError(tenantId, integration);
    }
    if (record.status === 'degraded' && !acceptDegraded) {
      throw new AuthorizationDegradedError(
        tenantId,
        integration,
        'authorization_degraded',
        secondsUntilRecheck(record),
      );
    }
    return record;
  }

  async function readMaterial(record: SealedAuthorization): Promise<TokenMaterial> {
    const entry = cache.get(recordKey(record.tenantId, record.integration));
    if (entry && entry.version === record.version && entry.until > clock.now().getTime())
      return entry.material;
    const material = await openTokens(options.vault, record);
    remember(record, material);
    return material;
  }

  function remember(record: Authorization, material: TokenMaterial): void {
    cache.set(recordKey(record.tenantId, record.integration), {
      version: record.version,
      material,
      until: clock.now().getTime() + cacheTtlMs,
    });
  }

  /** When a degraded record's next check is due, in whole seconds (at least 1); none when unknown. */
  function secondsUntilRecheck(record: Authorization): number | undefined {
    if (!record.nextCheckAt) return undefined;
    return Math.max(1, Math.ceil((Date.parse(record.nextCheckAt) - clock.now().getTime()) / 1000));
  }

  const isFresh = (material: TokenMaterial) =>
    Date.parse(material.accessTokenExpiresAt) - clock.now().getTime() > refreshMarginMs;

  function toAccessToken(record: Authorization, material: TokenMaterial): AccessToken {
    return {
      accessToken: material.accessToken,
      expiresAt: material.accessTokenExpiresAt,
      scopes: material.scope ? material.scope.split(' ').filter(Boolean) : record.scopes,
      status: record.status as AccessToken['status'],
    };
  }

  /** Refreshes under the lease, or waits for whoever holds it and takes their result. */
  async function obtain(
    tenantId: string,
    integration: string,
    acceptDegraded: boolean,
  ): Promise<AccessToken> {
    const wait = leaseWait(clock, leaseWaitMs);
    for (;;) {
      const stored = await options.authorizations.get(tenantId, integration);
      const record = usable(stored, tenantId, integration, acceptDegraded);
      const material = await readMaterial(record);
      if (isFresh(material)) return toAccessToken(record, material);
      const lease = await tryLease(leases, { tenantId, integration, owner: leaseOwner, holdMs: LEASE_MS });
      if (lease) {
        let refreshed: AccessToken | 'superseded';
        try {
          refreshed = await refreshUnderLease(lease.record, acceptDegraded);
        } finally {
          await releaseLease(leases, lease);
        }
        // Superseded: the next round reads the newer record and its tokens.
        if (refreshed !== 'superseded') return refreshed;
        continue;
      }
      if (wait.expired()) throw new AuthorizationDegradedError(tenantId, integration, 'refresh_busy');
      await wait.pause();
    }
  }

  /** The refreshed token, or `superseded` when a concurrent write changed or took away the tokens (nothing written). */
  async function refreshUnderLease(
    leased: Authorization,
    acceptDegraded: boolean,
  ): Promise<AccessToken | 'superseded'> {
    const { tenantId, integration } = leased;
    const record = usable(leased, tenantId, integration, acceptDegraded);
    // Whoever held the lease before may have refreshed already.
    const current = await readMaterial(record);
    if (isFresh(current)) return toAccessToken(record, current);

    // A Service App's tokens refresh as an integration's do, under its own client ID.
    const clientId = options.catalog.refreshClientIdOf(integration);
    if (clientId === undefined) throw new NotAuthorizedError(tenantId, integration, 'unknown_integration');
    let grant: WebexTokenGrant;
    try {
      grant = await options.webex.refresh({
        clientId,
        clientSecret: await options.clientSecrets.get(integration),
        refreshToken: current.refreshToken,
      });
    } catch (error) {
      if (!(error instanceof WebexError)) throw error;
      const details = {
        tenantId,
        integration,
        status: error.details.status,
        trackingId: error.details.trackingId,
      };
      if (error.kind === 'transient') {
        log.warn('Refreshing the access token failed transiently', details);
        throw new AuthorizationDegradedError(
          tenantId,
          integration,
          'webex_unavailable',
          error.details.retryAfterSeconds,
        );
      }
      if (error.kind === 'client_rejected') {
        // Our client secret is wrong, not the grant: the validator's check opens the incident.
        log.error('Webex refused our client credentials; the validator is asked to check now', details);
        await scheduleCheckNow(record);
        throw new AuthorizationDegradedError(tenantId, integration, 'client_credentials_refused');
      }
      log.warn('Webex refused the refresh; the validator is asked to check the authorization now', details);
      await scheduleCheckNow(record);
      throw new AuthorizationInvalidError(tenantId, integration);
    }

    const now = clock.now();
    const material = tokenMaterialOf(grant, now, current);
    // Saved at once, tokens and record in one write; a revocation or a new grant saved meanwhile
    // wins (the lease ran out, or offboarding did not wait), and the next round reads it.
    const saved = await saveRefreshedTokens(options, record, material, now, {
      releaseLease: true,
      describe: true,
    });
    if (saved === undefined) {
      log.warn('The record changed during an on-demand refresh; keeping the newer one', {
        tenantId,
        integration,
      });
      return 'superseded';
    }
    remember(saved, material);
    log.info('Refreshed the access token on demand', { tenantId, integration });
    return toAccessToken(saved, material);
  }

  /** Brings the next check forward so the validator classifies the refusal and alerts within one sweep. */
  async function scheduleCheckNow(record: Authorization): Promise<void> {
    const now = clock.now().toISOString();
    try {
      const saved = await options.authorizations.save(
        { ...record, nextCheckAt: now, updatedAt: now, leaseOwner: undefined, leaseUntil: undefined },
        record.version,
      );
      refused.set(recordKey(record.tenantId, record.integration), saved.version);
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
    }
  }

  return {
    async getAccessToken(tenantId, integration, callOptions = {}) {
      const acceptDegraded = callOptions.acceptDegraded ?? false;
      const [tenant, stored] = await Promise.all([
        options.tenants.get(tenantId),
        options.authorizations.get(tenantId, integration),
      ]);
      if (!tenant) throw new NotAuthorizedError(tenantId, integration, 'tenant_not_found');
      if (tenant.status !== 'active') throw new NotAuthorizedError(tenantId, integration, 'tenant_inactive');
      const record = usable(stored, tenantId, integration, acceptDegraded);
      const material = await readMaterial(record);
      if (isFresh(material)) return toAccessToken(record, material);
      // Callers that accept a degraded record share a refresh apart from those that do not.
      const key = `${recordKey(tenantId, integration)}#${acceptDegraded ? 'degraded-ok' : 'strict'}`;
      let pending = inflight.get(key);
      if (!pending) {
        pending = obtain(tenantId, integration, acceptDegraded).finally(() => inflight.delete(key));
        inflight.set(key, pending);
      }
      return pending;
    },
  };
}
