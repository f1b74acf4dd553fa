import * as z from 'zod';
import { ConflictError, type AuthorizationRepository, type TokenVault } from '#domain/ports.js';

/** A small seeded PRNG (mulberry32): a failing chaos run can be replayed with its seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** How often each injected fault strikes (0..1 per call). */
export interface ChaosRates {
  /** A concurrent writer bumps the record just before a save, which then fails its condition. */
  saveConflict: number;
  /** The lease is found taken. */
  leaseTaken: number;
  /** A vault write fails (Secrets Manager throttling or an outage). */
  vaultWrite: number;
  /** A vault read fails. */
  vaultRead: number;
}

/** What was injected, to prove the run was chaotic. */
export interface ChaosCounts {
  saveConflicts: number;
  leasesRefused: number;
  vaultWriteFailures: number;
  vaultReadFailures: number;
}

/**
 * An injected infrastructure failure; never a WebexError, so it can only fail a run, not classify one.
 * It is marked a server fault as the AWS SDK marks a 5xx of Secrets Manager or DynamoDB, so the
 * worker leaves it to SQS's retries rather than counting it against the authorization.
 */
export class InjectedFaultError extends Error {
  override readonly name = 'InjectedFaultError';
  readonly $fault = 'server';
}

/**
 * Wraps the authorization repository and the vault so that conditional conflicts, taken leases and
 * vault failures strike at the given rates while `enabled`. A conflict is real: another writer
 * saves the stored record (same content, version + 1) first, so the wrapped save meets the
 * condition failure DynamoDB would raise. The same record never conflicts twice in a row, as a
 * writer that keeps losing would in production be one run, not a storm.
 */
export class Chaos {
  enabled = true;
  readonly counts: ChaosCounts = {
    saveConflicts: 0,
    leasesRefused: 0,
    vaultWriteFailures: 0,
    vaultReadFailures: 0,
  };
  private readonly lastConflicted = new Set<string>();
  /*
   * One stream per kind of fault: the n-th vault write fails or not whatever number of reads,
   * saves and leases came before it, which concurrent sweeps and reads interleave differently
   * from run to run. One shared stream let a seed that once struck every kind miss one later.
   */
  private readonly streams: Record<keyof ChaosRates, () => number>;

  constructor(
    private readonly rates: ChaosRates,
    seed: number,
  ) {
    this.streams = {
      saveConflict: seededRandom(seed),
      leaseTaken: seededRandom(seed + 101),
      vaultWrite: seededRandom(seed + 202),
      vaultRead: seededRandom(seed + 303),
    };
  }

  private strikes(kind: keyof ChaosRates): boolean {
    return this.enabled && this.streams[kind]() < this.rates[kind];
  }

  repository(inner: AuthorizationRepository): AuthorizationRepository {
    return {
      get: (tenantId, integration) => inner.get(tenantId, integration),
      listForTenant: (tenantId) => inner.listForTenant(tenantId),
      listDue: (shard, now, options) => inner.listDue(shard, now, options),
      releaseLease: (tenantId, integration, owner) => inner.releaseLease(tenantId, integration, owner),
      acquireLease: async (tenantId, integration, owner, until, now) => {
        if (this.strikes('leaseTaken')) {
          this.counts.leasesRefused += 1;
          return undefined;
        }
        return inner.acquireLease(tenantId, integration, owner, until, now);
      },
      leaseForCheck: async (tenantId, integration, owner, until, now, options) => {
        const current = this.strikes('leaseTaken') ? await inner.get(tenantId, integration) : undefined;
        if (current) {
          // Another worker holds it: the refusal carries that lease, as DynamoDB's would.
          this.counts.leasesRefused += 1;
          return { refused: { ...current, leaseOwner: 'chaos', leaseUntil: until.toISOString() } };
        }
        return inner.leaseForCheck(tenantId, integration, owner, until, now, options);
      },
      save: async (authorization, expectedVersion, event) => {
        const key = `${authorization.tenantId}/${authorization.integration}`;
        const repeat = this.lastConflicted.has(key);
        this.lastConflicted.delete(key);
        if (!repeat && expectedVersion !== undefined && this.strikes('saveConflict')) {
          const stored = await inner.get(authorization.tenantId, authorization.integration);
          if (stored) {
            try {
              await inner.save(stored, stored.version);
              this.counts.saveConflicts += 1;
              this.lastConflicted.add(key);
            } catch (error) {
              if (!(error instanceof ConflictError)) throw error;
            }
          }
        }
        return inner.save(authorization, expectedVersion, event);
      },
    };
  }

  vault(inner: TokenVault): TokenVault {
    return {
      seal: async (context, material) => {
        if (this.strikes('vaultWrite')) {
          this.counts.vaultWriteFailures += 1;
          throw new InjectedFaultError('vault seal failed (injected)');
        }
        return inner.seal(context, material);
      },
      open: async (context, sealed) => {
        if (this.strikes('vaultRead')) {
          this.counts.vaultReadFailures += 1;
          throw new InjectedFaultError('vault open failed (injected)');
        }
        return inner.open(context, sealed);
      },
    };
  }
}

/** The seed of a run when `SEED` is not set: every run is the same run unless asked otherwise. */
export const DEFAULT_SEED = 20_261_125;

const seedSchema = z.coerce
  .number()
  .int()
  .min(0)
  .max(2 ** 32 - 1);

/** The run's seed: `SEED` from the environment (a whole number), else {@link DEFAULT_SEED}. */
export function seedFromEnvironment(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.SEED;
  if (raw === undefined || raw.trim() === '') return DEFAULT_SEED;
  const parsed = seedSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`SEED must be a whole number from 0 to 4294967295, not "${raw}"`);
  return parsed.data;
}

/** How many of `calls` calls a fault striking each with probability `rate` hits, drawn from `random`. */
export function strikesAmong(random: () => number, calls: number, rate: number): number {
  let strikes = 0;
  for (let call = 0; call < calls; call += 1) if (random() < rate) strikes += 1;
  return strikes;
}

/** The items in an order drawn from `random` (Fisher-Yates); the input is left as it was. */
export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const order = [...items];
  for (let index = order.length - 1; index > 0; index -= 1) {
    const other = Math.floor(random() * (index + 1));
    [order[index], order[other]] = [order[other]!, order[index]!];
  }
  return order;
}
