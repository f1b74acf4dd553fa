import { DEFAULT_CHECK_INTERVAL_MINUTES, defaultDeployInputs } from '#lib/deploy-inputs.js';
import { MONTH_MS, type CheckIntervalResult } from './check-interval.js';
import {
  COST_LINES,
  costPerTenantMonth,
  OPERATIONS,
  priceOperation,
  type CostInput,
  type FixedMonthlyCosts,
  type Operation,
  type OperationUsage,
} from './cost.js';
import { LAMBDA_PLATFORM_LOG_BYTES, type CostMeasurement } from './cost-measure.js';
import {
  COLD_STARTS_PER_CONTAINER_MONTH,
  configurationSecretReadsPerMonth,
  UNBOUNDED_FUNCTION_CONTAINERS,
} from './cost-secrets.js';
import { CONFIGURATION_SECRET_MAX_AGE_SECONDS } from '#adapters/secrets-manager-vault.js';
import { PRICES, priceOf, type UnitPrice } from './prices.js';
import { DEFAULT_ALERT_POLICY } from '#domain/alert-policy.js';

/** Issue 15's target: dollars per tenant-month at 10,000 tenants, at the default check interval. */
export const COST_TARGET_USD = 0.15;
export const TARGET_TENANTS = 10_000;
/** Fleet sizes the report prices. */
export const FLEET_SIZES = [10_000, 100_000] as const;
/** Integrations per tenant: the catalog's five. */
export const INTEGRATIONS_PER_TENANT = 5;
/** Check intervals compared (minutes). */
export const CHECK_INTERVALS = [15, 30, 60] as const;

/**
 * Assumptions of the model, not measured: a callback (a tenant authorizing an integration) and an
 * alert (an authorization invalidated) once a year per authorization.
 */
export const CALLBACKS_PER_AUTHORIZATION_MONTH = 1 / 12;
export const ALERTS_PER_AUTHORIZATION_MONTH = 1 / 12;
/**
 * Lambda's SQS event source long-polls an idle queue: five pollers, a 20-second poll each
 * (assumed), on each of the two queues (validation, notifier).
 */
const IDLE_POLL_REQUESTS_PER_MONTH = 2 * ((5 * 60) / 20) * (MONTH_MS / 60_000);
/** The notifier's flush schedule runs every minute (lib/mail.ts). */
const FLUSH_RUNS_PER_MONTH = MONTH_MS / 60_000;
/** The ops digest: one mail per period with anything in it, hourly by default; assumed every hour. */
const DIGESTS_PER_MONTH = Math.round(MONTH_MS / (DEFAULT_ALERT_POLICY.digestPeriodSeconds * 1000));
const SECONDS_PER_MONTH = MONTH_MS / 1000;

/** What the bench measured for the cost section. */
export interface CostResults {
  measurement: CostMeasurement;
  /** One simulation per compared interval, at the default sweep rate. */
  intervals: CheckIntervalResult[];
}

const usd = (value: number) => (value >= 0.1 ? `$${value.toFixed(3)}` : `$${value.toFixed(4)}`);
const micro = (value: number) => `$${(value * 1e6).toFixed(2)} µ`;

/** The deployment's fixed monthly costs, from the stack's resources and the measured sweep run. */
export function fixedMonthlyCosts(measurement: CostMeasurement, sweepRateMinutes: number): FixedMonthlyCosts {
  const { stack } = measurement;
  const sweepsPerMonth = MONTH_MS / (sweepRateMinutes * 60_000);
  const sweepRun = operationCost(measurement.sweepRun);
  const flushRun = operationCost(measurement.flushRun);
  const secretReads = configurationSecretReadsPerMonth(stack.secretReaders);
  return {
    [`KMS key${stack.keys === 1 ? '' : 's'} (${stack.keys}, rotated)`]: priceOf('kmsKeyMonth', stack.keys),
    [`configuration secrets (${stack.fixedSecrets})`]: priceOf(
      'secretsManagerSecretMonth',
      stack.fixedSecrets,
    ),
    [`alarms (${stack.alarms})`]: priceOf('alarmMonth', stack.alarms),
    [`dashboard${stack.dashboards === 1 ? '' : 's'} (${stack.dashboards})`]: priceOf(
      'dashboardMonth',
      stack.dashboards,
    ),
    [`custom metric series (${measurement.metricSeries}, as emitted)`]: priceOf(
      'customMetricMonth',
      measurement.metricSeries,
    ),
    [`dispatcher runs (${Math.round(sweepsPerMonth)} sweeps, measured run)`]: sweepRun * sweepsPerMonth,
    [`notifier flush schedule (${Math.round(FLUSH_RUNS_PER_MONTH)} runs, measured idle run)`]:
      flushRun * FLUSH_RUNS_PER_MONTH,
    [`ops digest (${DIGESTS_PER_MONTH} mails, one an hour at most)`]: priceOf('sesMail', DIGESTS_PER_MONTH),
    [`configuration secret reads (${Math.round(secretReads)}: ${stack.secretReaders
      .map(
        (reader) =>
          `${reader.function} ${reader.secrets} × ${reader.containers}${reader.containersAssumed ? ' assumed' : ''}`,
      )
      .join(', ')} containers)`]: priceOf('secretsManagerCall', secretReads),
    'idle queue polling by the event source (assumed)': priceOf('sqsRequest', IDLE_POLL_REQUESTS_PER_MONTH),
    'X-Ray reservoir, one trace a second (at most)': priceOf('xrayTrace', SECONDS_PER_MONTH),
  };
}

/** The model's input at one check interval. */
export function costInputAt(results: CostResults, interval: CheckIntervalResult): CostInput {
  const { measurement } = results;
  return {
    usage: measurement.usage,
    frequency: {
      check: interval.checksPerMonth,
      refresh: interval.refreshesPerMonth,
      callback: CALLBACKS_PER_AUTHORIZATION_MONTH,
      alert: ALERTS_PER_AUTHORIZATION_MONTH,
    },
    integrationsPerTenant: INTEGRATIONS_PER_TENANT,
    secretsPerAuthorization: measurement.secretsPerAuthorization,
    fixed: fixedMonthlyCosts(measurement, interval.sweepRateMinutes),
  };
}

function atDefault(results: CostResults): CheckIntervalResult {
  const interval = results.intervals.find(
    (each) => each.checkIntervalMinutes === DEFAULT_CHECK_INTERVAL_MINUTES,
  );
  if (!interval)
    throw new Error(`No simulation of the default check interval (${DEFAULT_CHECK_INTERVAL_MINUTES} min)`);
  return interval;
}

/** The target row: cost per tenant-month at 10,000 tenants at the default check interval. */
export function costTarget(results: CostResults): {
  name: string;
  pass: boolean;
  ratio: string;
  detail: string;
} {
  const cost = costPerTenantMonth(costInputAt(results, atDefault(results)), TARGET_TENANTS);
  const largest = [...COST_LINES].sort((a, b) => cost.variable[b] - cost.variable[a]).slice(0, 3);
  return {
    name: `Cost per tenant-month (five integrations) at most $${COST_TARGET_USD.toFixed(2)} at 10,000 tenants, default check interval (${DEFAULT_CHECK_INTERVAL_MINUTES} min)`,
    pass: cost.total <= COST_TARGET_USD,
    ratio: `${(cost.total / COST_TARGET_USD).toFixed(2)} (limit 1)`,
    detail:
      `${usd(cost.total)}: ${largest.map((line) => `${line} ${usd(cost.variable[line])}`).join(', ')}, ` +
      `fixed ${usd(cost.fixedShare)} (see Cost)`,
  };
}

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

function callList(usage: OperationUsage): string {
  const entries = Object.entries(usage.requests).sort(([a], [b]) => a.localeCompare(b));
  return entries.length === 0
    ? 'none'
    : entries.map(([key, count]) => `${key} ${count.calls.toFixed(2).replace(/\.00$/, '')}`).join(', ');
}

function operationCost(usage: OperationUsage): number {
  return Object.values(priceOperation(usage)).reduce((total, line) => total + line, 0);
}

const OPERATION_LABELS: Record<Operation, string> = {
  check: 'check (healthy, one of a batch of ten)',
  refresh: 'refresh (on top of its check; its event through the notifier)',
  callback: 'OAuth callback (its start included; its events through the notifier)',
  alert: 'death and alert (on top of its check; event, notifier, incident mail)',
};

/** The bench report's "Cost" section. */
export function renderCostSection(results: CostResults, command: string): string {
  const { measurement } = results;
  const chosen = atDefault(results);
  const sweepRate = defaultDeployInputs().sweepRateMinutes;
  const perOperation = table(
    [
      'Operation',
      'Samples',
      'AWS calls each (client level)',
      'RCU',
      'WCU',
      'Lambda GB-s',
      'Log bytes',
      'Cost each',
    ],
    OPERATIONS.map((operation) => {
      const usage = measurement.usage[operation];
      return [
        OPERATION_LABELS[operation],
        String(measurement.samples[operation]),
        callList(usage),
        usage.readUnits.toFixed(2),
        usage.writeUnits.toFixed(2),
        usage.gbSeconds.toFixed(4),
        usage.logBytes.toFixed(0),
        micro(operationCost(usage)),
      ];
    }),
  );
  const intervals = table(
    [
      'Check interval',
      'Detection delay p50',
      'p99',
      'Checks per authorization-month',
      'Refreshes',
      ...FLEET_SIZES.map((tenants) => `$ per tenant-month at ${tenants.toLocaleString('en-US')}`),
    ],
    results.intervals.map((interval) => [
      `${interval.checkIntervalMinutes} min${interval.checkIntervalMinutes === DEFAULT_CHECK_INTERVAL_MINUTES ? ' (default)' : ''}`,
      `${interval.detectionDelayMinutes.p50.toFixed(1)} min`,
      `${interval.detectionDelayMinutes.p99.toFixed(1)} min`,
      interval.checksPerMonth.toFixed(0),
      interval.refreshesPerMonth.toFixed(2),
      ...FLEET_SIZES.map((tenants) => usd(costPerTenantMonth(costInputAt(results, interval), tenants).total)),
    ]),
  );
  const byLine = FLEET_SIZES.map((tenants) => costPerTenantMonth(costInputAt(results, chosen), tenants));
  const breakdown = table(
    ['Per tenant-month', ...FLEET_SIZES.map((tenants) => `${tenants.toLocaleString('en-US')} tenants`)],
    [
      ...COST_LINES.map((line) => [line, ...byLine.map((cost) => usd(cost.variable[line]))]),
      ['fixed costs, shared', ...byLine.map((cost) => usd(cost.fixedShare))],
      ['**total**', ...byLine.map((cost) => `**${usd(cost.total)}**`)],
    ],
  );
  const fixed = fixedMonthlyCosts(measurement, sweepRate);
  const fixedTable = table(
    ['Fixed monthly cost', 'Per month'],
    Object.entries(fixed).map(([name, value]) => [name, usd(value)]),
  );
  const prices = table(
    ['Price', 'USD', 'per', 'Source', 'Read', 'Confirmed by'],
    Object.entries(PRICES).map(([name, price]: [string, UnitPrice]) => [
      name,
      String(price.usd),
      String(price.per),
      price.source,
      price.read,
      price.confirmedBy ?? 'the source page',
    ]),
  );
  return (
    `## Cost\n\n` +
    `Cost per tenant-month (five integrations), from what the deployed entry points actually did. The ` +
    `functions' handlers (functions/*.handler.ts, composed from their environment as on Lambda) ran in the ` +
    `bench's process over DynamoDB Local and the simulator; a middleware on every AWS client they use ` +
    `(functions/commons/aws-clients.ts) counted each call by service and command, DynamoDB's consumed capacity ` +
    `as the table reported it, and answered the other services in memory (bench/aws-calls.ts). Each invocation ` +
    `was timed and billed in whole milliseconds at the memory lib/ gives its function (worker ` +
    `${measurement.stack.memoryMb.worker} MB, dispatcher ${measurement.stack.memoryMb.dispatcher} MB, public API ` +
    `${measurement.stack.memoryMb.publicApi} MB); the bytes they wrote (log and metric lines) were counted, plus ` +
    `${LAMBDA_PLATFORM_LOG_BYTES} bytes of Lambda's own lines per invocation (assumed). Unit prices: ` +
    `bench/prices.ts (us-east-1 list prices, no free tier).\n\n` +
    perOperation +
    `\n\nThe refresh and the alert are what a check that refreshes, or finds a revoked token, used beyond a ` +
    `healthy one. Every event a run put on the bus then flows as on AWS: the bus's rule sends it to the ` +
    `notifier's queue (one SQS request, counted as \`SQS:SendMessage\`), the deployed notifier handler takes ` +
    `it in batches of its event source (receive and delete counted per batch), timed at the notifier's ` +
    `${measurement.stack.memoryMb.notifier} MB; for the alert, one run of the flush schedule follows with its ` +
    `clock past the incident window, which sends the incident's mail (one SES mail per recipient; the five ` +
    `authorizations of a tenant that die together are one incident) and writes the sent-mail ledger and the ` +
    `alert ledger, all counted. The callback's grant is counted the same way: its DynamoDB writes, its ` +
    `\`KMS:GenerateDataKey\`, and its Secrets Manager reads. Those reads (client secrets, link-signing key) are ` +
    `cached per container for ${CONFIGURATION_SECRET_MAX_AGE_SECONDS / 60} minutes, so a warm bench process ` +
    `makes almost none per operation; they are priced instead per container (fixed costs below): each ` +
    `function reads each secret its environment names at every container start (assumed ` +
    `${Math.round(COLD_STARTS_PER_CONTAINER_MONTH)} a month per container, one every two hours) and at every cache ` +
    `expiry while warm, on as many containers as its event source's maximum concurrency allows (the HTTP APIs: ` +
    `${UNBOUNDED_FUNCTION_CONTAINERS} each, assumed), warm all month: an upper bound. Secrets Manager secrets kept per authorization: ${measurement.secretsPerAuthorization.toFixed(2)} ` +
    `(${usd(priceOf('secretsManagerSecretMonth', measurement.secretsPerAuthorization * INTEGRATIONS_PER_TENANT))} ` +
    `per tenant-month on their own). DynamoDB calls without consumed capacity (priced at one unit each): ` +
    `${measurement.unmeteredDynamoDbCalls}.\n\n` +
    `### Check interval: detection delay against cost\n\n` +
    `Simulated with the validator's own scheduling (\`scheduleNextCheck\`, \`nextRefreshAt\`) under a moved ` +
    `clock (bench/check-interval.ts): ${chosen.authorizations} authorizations, the dispatcher every ${sweepRate} ` +
    `minutes, each token dying once at a random moment; the delay runs from the death to the first check after ` +
    `it (the invalidation and its alert follow within that check). Checks and refreshes per month feed the cost.\n\n` +
    intervals +
    `\n\n### Cost per tenant-month at the default interval (${DEFAULT_CHECK_INTERVAL_MINUTES} min)\n\n` +
    breakdown +
    `\n\nFrequencies: checks and refreshes from the simulation above; a callback and an alert once a year per ` +
    `authorization (assumed). Fixed monthly costs, divided by the tenants:\n\n` +
    fixedTable +
    `\n\nCommand: \`${command}\`. Prices used:\n\n` +
    prices
  );
}
