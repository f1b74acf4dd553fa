import { CallEvidenceLog } from './call-evidence.js';
import type { Integration } from './catalog.js';
import { outcomeOf, type CallOutcome } from './classification.js';
import type { Tenant, TokenMaterial } from './model.js';
import { WebexError, type WebexTokenGrant } from './ports.js';
import { tokenMaterialOf } from './refresh-policy.js';
import { openTokens, saveRefreshedTokens, type SealedAuthorization } from './token-storage.js';
import type { ValidatorDependencies } from './validator-config.js';

/*
 * What one check holds while it runs: the tenant, read on first need, and the token session
 * (load, refresh saved on the record at once, what Webex answered).
 */

/**
 * The tenant of one check, read on first need only: a healthy check far from its deadlines needs
 * nothing of it (the org to compare is the authorizer's, which the tenant is bound to), so most
 * checks make one DynamoDB read fewer. Every step that writes tokens, alerts or needs the SSO flag
 * asks `active()` first and skips the check when the tenant is gone or offboarded; offboarding
 * then revokes the record under its lease.
 */
export class TenantOnce {
  private read: Promise<Tenant | undefined> | undefined;

  constructor(
    private readonly deps: ValidatorDependencies,
    private readonly tenantId: string,
  ) {}

  /** The tenant when it is active, read the first time it is asked for. */
  active(): Promise<Tenant | undefined> {
    this.read ??= this.deps.tenants
      .get(this.tenantId)
      .then((tenant) => (tenant?.status === 'active' ? tenant : undefined));
    return this.read;
  }

  /** The tenant if an earlier step read it, without reading it. */
  async ifRead(): Promise<Tenant | undefined> {
    return this.read;
  }
}

/**
 * The authorization's token material during one check: opens it, refreshes it (saving the new
 * tokens on the record at once), and remembers what the refresh answered. `calls` is the evidence log of every Webex call the check
 * makes, the refreshes first.
 */
export class TokenSession {
  material!: TokenMaterial;
  refreshOutcome: CallOutcome | undefined;
  refreshed = false;
  readonly calls: CallEvidenceLog;

  constructor(
    private readonly deps: ValidatorDependencies,
    /** The record as this session last saved it: the leased one until a refresh saves a newer one. */
    public record: SealedAuthorization,
    /** Whose client refreshes the tokens: an integration, or a Service App under its client ID. */
    private readonly integration: Pick<Integration, 'key' | 'integrationId'>,
    private readonly now: Date,
  ) {
    this.calls = new CallEvidenceLog(deps.clock);
  }

  async load(): Promise<void> {
    this.material = await openTokens(this.deps.vault, this.record);
  }

  /**
   * Refreshes the tokens and saves them on the record at once (saveRefreshedTokens), keeping the
   * lease. Returns what Webex answered, or `superseded` when a concurrent write changed or took
   * away the tokens (then nothing is saved: the newer record's tokens must not be overwritten).
   */
  async refresh(): Promise<CallOutcome | 'superseded'> {
    const { deps, record, now } = this;
    let grant;
    try {
      grant = await this.grantWithCurrentSecret();
    } catch (error) {
      let outcome: CallOutcome = outcomeOf(error);
      if (outcome.kind === 'refused') {
        // A run whose lease we outlived may have refreshed (and Webex rotated the refresh token)
        // meanwhile: a refusal of a stale token is no evidence. Use the newer material instead.
        const latest = await deps.authorizations.get(record.tenantId, record.integration);
        const latestMaterial = latest?.sealedTokens
          ? await deps.vault.open(latest, latest.sealedTokens)
          : undefined;
        if (latestMaterial && latestMaterial.refreshToken !== this.material.refreshToken) {
          this.material = latestMaterial;
          outcome = { kind: 'ok' };
        }
      }
      if (outcome.kind !== 'ok') this.calls.failed('POST /v1/access_token', this.integration.key, outcome);
      this.refreshOutcome = outcome;
      return outcome;
    }
    this.calls.answered('POST /v1/access_token', this.integration.key);
    return this.store(tokenMaterialOf(grant, now, this.material));
  }

  /**
   * Takes a new token pair Webex issued otherwise than by refreshing (a Service App's token
   * endpoint): saved on the record at once, and counted as this check's refresh.
   */
  async replace(grant: WebexTokenGrant): Promise<CallOutcome | 'superseded'> {
    return this.store(tokenMaterialOf(grant, this.now, this.material));
  }

  private async store(fresh: TokenMaterial): Promise<CallOutcome | 'superseded'> {
    const saved = await saveRefreshedTokens(this.deps, this.record, fresh, this.now, {
      releaseLease: false,
      describe: false,
    });
    if (saved === undefined) return 'superseded';
    this.record = saved;
    this.material = fresh;
    this.refreshOutcome = { kind: 'ok' };
    this.refreshed = true;
    return this.refreshOutcome;
  }

  /**
   * Webex's answer to the refresh with our client secret. When Webex refuses our client and an
   * admin reload was asked for after this function read its copy, the secret is read again and
   * the refresh tried once more: a warm function never reports a secret ops already fixed.
   */
  private async grantWithCurrentSecret(): Promise<WebexTokenGrant> {
    const clientSecret = await this.deps.clientSecrets.get(this.integration.key);
    try {
      return await this.refreshWith(clientSecret);
    } catch (error) {
      if (!(error instanceof WebexError) || error.kind !== 'client_rejected') throw error;
      const reloaded = await this.reloadedSecret(clientSecret);
      if (reloaded === undefined) throw error;
      return this.refreshWith(reloaded);
    }
  }

  private refreshWith(clientSecret: string): Promise<WebexTokenGrant> {
    return this.deps.webex.refresh({
      clientId: this.integration.integrationId,
      clientSecret,
      refreshToken: this.material.refreshToken,
    });
  }

  /** The client secret read again after the integration's last reload; undefined when unchanged or none. */
  private async reloadedSecret(refused: string): Promise<string | undefined> {
    const key = this.integration.key;
    const notCachedBefore = await this.deps.credentialIncidents?.store.reloadRequestedAt(key);
    if (notCachedBefore === undefined) return undefined;
    const secret = await this.deps.clientSecrets.get(key, { notCachedBefore });
    return secret === refused ? undefined : secret;
  }
}
