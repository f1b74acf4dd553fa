import { describe, expect, it } from 'vitest';
import type { Authorization } from '#domain/model.js';
import { saveRefreshedTokens, type SealedAuthorization } from '#domain/token-storage.js';
import { InMemoryAuthorizationRepository, ManualClock, MemoryTokenVault } from '#test-support/fakes/index.js';
import { fakeMaterial, grantedAuthorization } from '#test-support/fixtures.js';

const key = { tenantId: 'acme', integration: 'presence' };

async function world() {
  const clock = new ManualClock();
  const vault = new MemoryTokenVault();
  const authorizations = new InMemoryAuthorizationRepository();
  const granted = fakeMaterial(clock.now(), 'granted');
  const saved = await authorizations.save(
    grantedAuthorization({
      ...key,
      material: granted,
      sealedTokens: await vault.seal(key, granted),
      now: clock.now(),
    }),
    undefined,
  );
  const record = {
    ...saved,
    leaseOwner: 'worker-1',
    leaseUntil: clock.now().toISOString(),
  } as SealedAuthorization;
  await authorizations.save(record, saved.version);
  const leased = (await authorizations.get(key.tenantId, key.integration)) as SealedAuthorization;
  clock.advance(3600);
  const refreshed = fakeMaterial(clock.now(), 'refreshed');
  return { clock, vault, authorizations, leased, refreshed };
}

type World = Awaited<ReturnType<typeof world>>;

/** The refresh's save of `w.refreshed` over the leased record. */
function saveRefreshed(w: World, options = { releaseLease: false, describe: true }) {
  return saveRefreshedTokens(
    { authorizations: w.authorizations, vault: w.vault },
    w.leased,
    w.refreshed,
    w.clock.now(),
    options,
  );
}

/** A write by someone else while the refresh was at Webex. */
async function writeMeanwhile(
  repo: InMemoryAuthorizationRepository,
  change: (record: Authorization) => Authorization,
) {
  const current = (await repo.get(key.tenantId, key.integration))!;
  await repo.save(change(current), current.version);
}

describe('saveRefreshedTokens', () => {
  it('saves the sealed tokens and the expiries that describe them in one write, keeping the lease', async () => {
    const w = await world();
    const { clock, vault, authorizations, leased, refreshed } = w;
    const saved = await saveRefreshed(w);
    const stored = (await authorizations.get(key.tenantId, key.integration))!;
    expect(saved?.version).toBe(leased.version + 1);
    expect(stored).toMatchObject({
      version: leased.version + 1,
      accessTokenExpiresAt: refreshed.accessTokenExpiresAt,
      refreshTokenExpiresAt: refreshed.refreshTokenExpiresAt,
      refreshedAt: clock.now().toISOString(),
      leaseOwner: 'worker-1',
    });
    expect(await vault.tokensOf(stored)).toEqual(refreshed);
  });

  it('leaves the expiries to the caller when not asked to describe the tokens', async () => {
    const w = await world();
    const { vault, authorizations, leased, refreshed } = w;
    await saveRefreshed(w, { releaseLease: false, describe: false });
    const stored = (await authorizations.get(key.tenantId, key.integration))!;
    expect(stored.accessTokenExpiresAt).toBe(leased.accessTokenExpiresAt);
    expect(stored.refreshedAt).toBe(leased.refreshedAt);
    expect(await vault.tokensOf(stored)).toEqual(refreshed);
  });

  it('releases its own lease when asked', async () => {
    const w = await world();
    const { authorizations } = w;
    await saveRefreshed(w, { releaseLease: true, describe: true });
    expect((await authorizations.get(key.tenantId, key.integration))?.leaseOwner).toBeUndefined();
  });

  it('builds on a concurrent write that left the tokens alone, keeping that write', async () => {
    const w = await world();
    const { clock, vault, authorizations, refreshed } = w;
    const nextCheckAt = clock.now().toISOString();
    await writeMeanwhile(authorizations, (record) => ({ ...record, nextCheckAt }));
    const saved = await saveRefreshed(w);
    expect(saved).toBeDefined();
    const stored = (await authorizations.get(key.tenantId, key.integration))!;
    expect(stored.nextCheckAt).toBe(nextCheckAt);
    expect(await vault.tokensOf(stored)).toEqual(refreshed);
  });

  it('writes nothing over a re-authorization saved meanwhile', async () => {
    const w = await world();
    const { clock, vault, authorizations } = w;
    const regranted = fakeMaterial(clock.now(), 'regranted');
    const sealedTokens = await vault.seal(key, regranted);
    await writeMeanwhile(authorizations, (record) => ({ ...record, sealedTokens }));
    expect(await saveRefreshed(w)).toBeUndefined();
    expect(await vault.tokensOf(await authorizations.get(key.tenantId, key.integration))).toEqual(regranted);
  });

  it('brings no token back onto a record revoked meanwhile', async () => {
    const w = await world();
    const { authorizations } = w;
    await writeMeanwhile(authorizations, (record) => ({
      ...record,
      status: 'revoked',
      sealedTokens: undefined,
    }));
    expect(await saveRefreshed(w)).toBeUndefined();
    const stored = (await authorizations.get(key.tenantId, key.integration))!;
    expect(stored.status).toBe('revoked');
    expect(stored.sealedTokens).toBeUndefined();
  });
});
