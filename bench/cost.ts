import { priceOf } from './prices.js';

/**
 * The cost model: what one check, refresh, callback and alert used (counted by the bench at the
 * AWS clients, bench/aws-calls.ts) priced with bench/prices.ts, times how often each happens per
 * authorization and month, plus the deployment's fixed monthly costs shared by the tenants.
 */

/** The operations the bench measures. */
export const OPERATIONS = ['check', 'refresh', 'callback', 'alert'] as const;
export type Operation = (typeof OPERATIONS)[number];

/** AWS requests one client call stands for: `calls`, and the billed `units` (entries, recipients). */
export interface CallCount {
  calls: number;
  units: number;
}

/** What one operation used, averaged over the operations measured. */
export interface OperationUsage {
  /** Client calls by `Service:Command` (`KMS:Decrypt`, `SQS:SendMessageBatch`, ...). */
  requests: Record<string, CallCount>;
  /** DynamoDB capacity units, as the table reported them. */
  readUnits: number;
  writeUnits: number;
  /** Lambda invocations (a worker's batch of ten is a tenth of one per check). */
  invocations: number;
  /** Billed duration times configured memory. */
  gbSeconds: number;
  /** Bytes the functions wrote to their logs (log lines and metric lines), plus the platform's lines. */
  logBytes: number;
  /** HTTP API requests. */
  apiRequests: number;
  /** SQS requests of the Lambda event source (receive and delete), not made by our code. */
  eventSourceSqsRequests: number;
}

/** How often each operation happens per authorization and month. */
export type MonthlyFrequency = Record<Operation, number>;

/** Fixed monthly costs of one deployment, in dollars, by what they pay for. */
export type FixedMonthlyCosts = Record<string, number>;

/** The resource lines of the breakdown. */
export const COST_LINES = [
  'DynamoDB',
  'KMS',
  'Secrets Manager',
  'SQS',
  'E-mail',
  'EventBridge',
  'Lambda',
  'CloudWatch Logs',
  'X-Ray',
  'API Gateway',
] as const;
export type CostLine = (typeof COST_LINES)[number];

/**
 * Share of invocations X-Ray records beyond its reservoir of one a second (the default sampling
 * rule; Lambda's active tracing follows it). An assumption of the model, not measured.
 */
export const XRAY_SAMPLED_SHARE = 0.05;

/** SNS e-mail deliveries per publish: the ops address and one tenant contact (the bench's tenants have one). */
export const SNS_DELIVERIES_PER_PUBLISH = 2;

/** Thrown for a client call the model has no price for: a new AWS call must be priced, not ignored. */
export class UnpricedCallError extends Error {
  override readonly name = 'UnpricedCallError';
}

type PricedLines = Partial<Record<CostLine, number>>;

function add(lines: PricedLines, line: CostLine, usd: number): void {
  lines[line] = (lines[line] ?? 0) + usd;
}

/** Prices one client call kind (`Service:Command`) counted `count` times. */
function priceCall(key: string, count: CallCount, lines: PricedLines): void {
  const [service = '', command = ''] = key.split(':');
  const byService: Record<string, () => void> = {
    // Priced by the capacity units the table reported, not per call.
    DynamoDB: () => undefined,
    KMS: () => add(lines, 'KMS', priceOf('kmsRequest', count.calls)),
    SecretsManager: () => add(lines, 'Secrets Manager', priceOf('secretsManagerCall', count.calls)),
    SQS: () => add(lines, 'SQS', priceOf('sqsRequest', count.units)),
    EventBridge: () => add(lines, 'EventBridge', priceOf('eventBridgeEvent', count.units)),
    SESv2: () => {
      if (command !== 'SendEmail') throw new UnpricedCallError(`No price for ${key}`);
      add(lines, 'E-mail', priceOf('sesMail', count.units));
    },
    SNS: () => {
      if (command !== 'Publish') throw new UnpricedCallError(`No price for ${key}`);
      add(
        lines,
        'E-mail',
        priceOf('snsPublish', count.calls) +
          priceOf('snsEmailDelivery', count.calls * SNS_DELIVERIES_PER_PUBLISH),
      );
    },
  };
  const price = byService[service];
  if (!price)
    throw new UnpricedCallError(`No price for ${key}: add its service to bench/cost.ts and bench/prices.ts`);
  price();
}

/** Dollars one operation costs, by resource line. */
export function priceOperation(usage: OperationUsage): PricedLines {
  const lines: PricedLines = {};
  for (const [key, count] of Object.entries(usage.requests)) priceCall(key, count, lines);
  add(
    lines,
    'DynamoDB',
    priceOf('dynamoDbReadUnit', usage.readUnits) + priceOf('dynamoDbWriteUnit', usage.writeUnits),
  );
  add(lines, 'SQS', priceOf('sqsRequest', usage.eventSourceSqsRequests));
  add(
    lines,
    'Lambda',
    priceOf('lambdaRequest', usage.invocations) + priceOf('lambdaArmGbSecond', usage.gbSeconds),
  );
  add(lines, 'CloudWatch Logs', priceOf('logsIngestedGb', usage.logBytes));
  add(lines, 'X-Ray', priceOf('xrayTrace', usage.invocations * XRAY_SAMPLED_SHARE));
  add(lines, 'API Gateway', priceOf('httpApiRequest', usage.apiRequests));
  return lines;
}

/** What the model is computed from. */
export interface CostInput {
  usage: Record<Operation, OperationUsage>;
  frequency: MonthlyFrequency;
  integrationsPerTenant: number;
  /** Secrets Manager secrets kept per authorization (counted after seeding), each a secret-month. */
  secretsPerAuthorization: number;
  fixed: FixedMonthlyCosts;
}

/** Cost per tenant and month at one fleet size. */
export interface TenantMonthCost {
  tenants: number;
  /** Dollars per tenant-month that grow with the fleet, by resource line. */
  variable: Record<CostLine, number>;
  variableTotal: number;
  /** The fixed monthly costs divided by the tenants. */
  fixedShare: number;
  total: number;
}

/** Cost per tenant-month at `tenants` tenants. */
export function costPerTenantMonth(input: CostInput, tenants: number): TenantMonthCost {
  if (!(tenants > 0)) throw new RangeError('tenants must be positive');
  const variable = Object.fromEntries(COST_LINES.map((line) => [line, 0])) as Record<CostLine, number>;
  for (const operation of OPERATIONS) {
    const lines = priceOperation(input.usage[operation]);
    const times = input.frequency[operation] * input.integrationsPerTenant;
    for (const line of COST_LINES) variable[line] += (lines[line] ?? 0) * times;
  }
  variable['Secrets Manager'] += priceOf(
    'secretsManagerSecretMonth',
    input.secretsPerAuthorization * input.integrationsPerTenant,
  );
  const variableTotal = COST_LINES.reduce((total, line) => total + variable[line], 0);
  const fixedShare = Object.values(input.fixed).reduce((total, usd) => total + usd, 0) / tenants;
  return { tenants, variable, variableTotal, fixedShare, total: variableTotal + fixedShare };
}
