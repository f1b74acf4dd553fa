import { describe, expect, it } from 'vitest';
import { simulateCheckInterval } from '#bench/check-interval.js';
import {
  costPerTenantMonth,
  priceOperation,
  UnpricedCallError,
  type CostInput,
  type OperationUsage,
} from '#bench/cost.js';
import { PRICES, priceOf } from '#bench/prices.js';

const nothing: OperationUsage = {
  requests: {},
  readUnits: 0,
  writeUnits: 0,
  invocations: 0,
  gbSeconds: 0,
  logBytes: 0,
  apiRequests: 0,
  eventSourceSqsRequests: 0,
};

describe('cost model arithmetic', () => {
  it('prices a unit by its published figure per quantity', () => {
    expect(priceOf('dynamoDbWriteUnit', 1_000_000)).toBeCloseTo(0.625, 10);
    expect(priceOf('kmsRequest', 10_000)).toBeCloseTo(0.03, 10);
    expect(priceOf('logsIngestedGb', 2_000_000_000)).toBeCloseTo(1, 10);
  });

  it('names a source page and a reading date for every price', () => {
    for (const price of Object.values(PRICES)) {
      expect(price.source).toMatch(/^https:\/\/aws\.amazon\.com\//);
      expect(price.read).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    }
  });

  it('prices one check from its counted calls, capacity, duration and log bytes', () => {
    const check: OperationUsage = {
      ...nothing,
      requests: {
        'KMS:Decrypt': { calls: 1, units: 1 },
        'DynamoDB:UpdateItem': { calls: 1, units: 1 },
        'SQS:SendMessageBatch': { calls: 0.1, units: 0.1 },
      },
      writeUnits: 4,
      readUnits: 0.01,
      invocations: 0.1,
      gbSeconds: 0.05,
      logBytes: 1000,
    };
    const lines = priceOperation(check);
    expect(lines.KMS).toBeCloseTo(0.03 / 10_000, 12);
    expect(lines.DynamoDB).toBeCloseTo((4 * 0.625 + 0.01 * 0.125) / 1e6, 12);
    expect(lines.SQS).toBeCloseTo((0.1 * 0.4) / 1e6, 12);
    expect(lines.Lambda).toBeCloseTo((0.1 * 0.2) / 1e6 + 0.05 * 0.0000133334, 12);
    expect(lines['CloudWatch Logs']).toBeCloseTo((1000 * 0.5) / 1e9, 12);
    expect(lines['X-Ray']).toBeCloseTo(0.1 * 0.05 * 5e-6, 12);
  });

  it('prices SES by recipient and EventBridge by entry, not by call', () => {
    const lines = priceOperation({
      ...nothing,
      requests: {
        'SESv2:SendEmail': { calls: 1, units: 3 },
        'EventBridge:PutEvents': { calls: 1, units: 2 },
      },
    });
    expect(lines['E-mail']).toBeCloseTo((3 * 0.1) / 1000, 12);
    expect(lines.EventBridge).toBeCloseTo(2 / 1e6, 12);
  });

  it('refuses a client call it has no price for instead of costing it nothing', () => {
    expect(() =>
      priceOperation({ ...nothing, requests: { 'S3:PutObject': { calls: 1, units: 1 } } }),
    ).toThrow(UnpricedCallError);
  });

  it('multiplies by frequency and integrations, and shares the fixed costs among the tenants', () => {
    const input: CostInput = {
      usage: {
        check: { ...nothing, writeUnits: 4 },
        refresh: { ...nothing, requests: { 'KMS:GenerateDataKey': { calls: 1, units: 1 } } },
        callback: nothing,
        alert: nothing,
      },
      frequency: { check: 1000, refresh: 2, callback: 0, alert: 0 },
      integrationsPerTenant: 5,
      secretsPerAuthorization: 1,
      fixed: { 'KMS key': 3, dashboard: 3 },
    };
    const at10k = costPerTenantMonth(input, 10_000);
    expect(at10k.variable.DynamoDB).toBeCloseTo(5 * 1000 * 4 * 0.625e-6, 12);
    expect(at10k.variable.KMS).toBeCloseTo(5 * 2 * 3e-6, 12);
    // One secret per authorization: five secret-months per tenant.
    expect(at10k.variable['Secrets Manager']).toBeCloseTo(5 * 0.4, 12);
    expect(at10k.fixedShare).toBeCloseTo(6 / 10_000, 12);
    expect(at10k.total).toBeCloseTo(at10k.variableTotal + 6 / 10_000, 12);
    const at100k = costPerTenantMonth(input, 100_000);
    expect(at100k.variableTotal).toBeCloseTo(at10k.variableTotal, 12);
    expect(at100k.fixedShare).toBeCloseTo(at10k.fixedShare / 10, 12);
    expect(() => costPerTenantMonth(input, 0)).toThrow(RangeError);
  });
});

describe('check interval simulation', () => {
  it('finds a dead token within one interval, and checks about once per interval', () => {
    for (const checkIntervalMinutes of [15, 60]) {
      const result = simulateCheckInterval({
        checkIntervalMinutes,
        sweepRateMinutes: 15,
        authorizations: 50,
        days: 10,
        seed: 7,
      });
      expect(result.detectionDelayMinutes.max).toBeLessThanOrEqual(checkIntervalMinutes);
      expect(result.detectionDelayMinutes.p50).toBeGreaterThan(checkIntervalMinutes / 4);
      expect(result.detectionDelayMinutes.p50).toBeLessThan((checkIntervalMinutes * 3) / 4);
      const perMonth = (30.4375 * 24 * 60) / checkIntervalMinutes;
      expect(result.checksPerMonth).toBeGreaterThan(perMonth * 0.9);
      expect(result.checksPerMonth).toBeLessThan(perMonth * 1.1);
      // Webex's 14-day access tokens, refreshed two days before their end: every 12 days or so.
      expect(result.refreshesPerMonth).toBeGreaterThan(2.4);
      expect(result.refreshesPerMonth).toBeLessThan(2.6);
    }
  });
});
