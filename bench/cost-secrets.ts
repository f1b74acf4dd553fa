import { CONFIGURATION_SECRET_MAX_AGE_SECONDS } from '#adapters/secrets-manager-vault.js';
import { MONTH_MS } from './check-interval.js';

/*
 * Secrets Manager calls for the deployment's own secrets (client secrets, link-signing key). A
 * function reads each secret it is given once per container start and then again at most every
 * CONFIGURATION_SECRET_MAX_AGE_SECONDS while the container is warm (functions/adapters/
 * secrets-manager-vault.ts), so the calls follow the containers, not the checks: a fixed
 * monthly cost, counted here per cold start and per cache expiry.
 */

/**
 * Container starts per warm container slot and month: Lambda recycles an execution environment
 * after some hours even when it is busy. Assumed every two hours; not measured.
 */
export const COLD_STARTS_PER_CONTAINER_MONTH = MONTH_MS / (2 * 3_600_000);

/**
 * Containers of a function without a concurrency bound (the HTTP APIs) kept warm all month:
 * assumed two each; not measured.
 */
export const UNBOUNDED_FUNCTION_CONTAINERS = 2;

/** One function that reads configuration secrets, as the stack configures it. */
export interface SecretReader {
  function: string;
  /** Secret ids in its environment (`*_SECRET_ID`): each is read at every cold start and cache expiry. */
  secrets: number;
  /** Containers kept warm: its event source's maximum concurrency, or the assumption above. */
  containers: number;
  containersAssumed: boolean;
}

/** Reads of one secret per warm container and month: one per cache expiry plus one per cold start. */
export function readsPerSecretContainerMonth(): number {
  return MONTH_MS / (CONFIGURATION_SECRET_MAX_AGE_SECONDS * 1000) + COLD_STARTS_PER_CONTAINER_MONTH;
}

/** Secrets Manager calls per month for the deployment's own secrets: every function, every container. */
export function configurationSecretReadsPerMonth(readers: readonly SecretReader[]): number {
  return readers.reduce(
    (total, reader) => total + reader.secrets * reader.containers * readsPerSecretContainerMonth(),
    0,
  );
}
