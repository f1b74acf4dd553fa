import { describe, expect, it } from 'vitest';
import { CONFIGURATION_SECRET_MAX_AGE_SECONDS } from '#adapters/secrets-manager-vault.js';
import { MONTH_MS } from '#bench/check-interval.js';
import {
  COLD_STARTS_PER_CONTAINER_MONTH,
  configurationSecretReadsPerMonth,
  readsPerSecretContainerMonth,
} from '#bench/cost-secrets.js';
import { PRICES, type UnitPrice } from '#bench/prices.js';

describe('configuration secret reads in the cost model', () => {
  it('counts one read per cache expiry and one per cold start, for each secret of each container', () => {
    const perContainer =
      MONTH_MS / (CONFIGURATION_SECRET_MAX_AGE_SECONDS * 1000) + COLD_STARTS_PER_CONTAINER_MONTH;
    expect(readsPerSecretContainerMonth()).toBeCloseTo(perContainer, 6);
    const reads = configurationSecretReadsPerMonth([
      { function: 'worker', secrets: 2, containers: 5, containersAssumed: false },
      { function: 'notifier', secrets: 1, containers: 2, containersAssumed: false },
    ]);
    expect(reads).toBeCloseTo(12 * perContainer, 6);
  });

  it('reads nothing for a deployment whose functions hold no secret', () => {
    expect(configurationSecretReadsPerMonth([])).toBe(0);
  });
});

describe('unit prices', () => {
  it('confirms every price on a stored page, none from memory', () => {
    for (const price of Object.values(PRICES) as UnitPrice[]) {
      expect(price.confirmedBy ?? '').not.toMatch(/memory|could not be confirmed/);
    }
  });
});
