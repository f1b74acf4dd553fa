import { randomBytes, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { App } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context, SQSEvent } from 'aws-lambda';
import { bundledCatalog } from '#commons/bundled-catalog.js';
import { composeNotifierOnAws, composeOnAws } from '#commons/composition-root.js';
import { loadKeeperEnvironment, loadNotifierEnvironment } from '#commons/environment.js';
import * as awsClients from '#commons/aws-clients.js';
import * as untracedAwsClients from '#commons/untraced-aws-clients.js';
import { DEFAULT_ALERT_POLICY } from '#domain/alert-policy.js';
import { silentLog, systemClock } from '#domain/ports.js';
import { createNotifierHandler, notifierTools } from '#functions/notifier.app.js';
import { defaultDeployInputs } from '#lib/deploy-inputs.js';
import { NOTIFIER_BATCH_SIZE } from '#lib/mail.js';
import { WORKER_BATCH_SIZE } from '#lib/validator.js';
import { WebexAuthKeeperStack } from '#lib/webex-auth-keeper-stack.js';
import { ensureTable } from '#local/dynamodb-local.js';
import { localLambdaContext } from '#local/http-adapter.js';
import type { WebexSimulator } from '#local/webex-simulator/index.js';
import {
  AwsCallTally,
  AwsStandIn,
  callsBetween,
  instrumentClient,
  type AwsCallSnapshot,
} from './aws-calls.js';
import { startAuthorization, type PublicHandler } from './callback.js';
import type { Operation, OperationUsage } from './cost.js';
import { BENCH_PUBLIC_BASE_URL, benchClientSecret, catalog } from './fixtures.js';
import { UNBOUNDED_FUNCTION_CONTAINERS, type SecretReader } from './cost-secrets.js';
import type { BenchOrgs } from './seed.js';
import { seedAuthorizations } from './seed.js';

/**
 * Measures what one check, refresh, callback and alert use on AWS, running the deployed entry
 * points (functions/*.handler.ts, composed by `composeOnAws` from their environment as on Lambda)
 * in this process: DynamoDB is DynamoDB Local, Webex the simulator, the other services the
 * in-memory stand-in; every client the functions use is counted (bench/aws-calls.ts), every byte
 * they write to stdout and stderr (their log and metric lines) is counted instead of printed,
 * and each invocation is timed and billed at the memory the stack gives its function.
 */

/**
 * Bytes Lambda itself writes to a function's log group per invocation (START, END and REPORT
 * lines, with the X-Ray trace id): an assumption of the model, not measured here.
 */
export const LAMBDA_PLATFORM_LOG_BYTES = 350;

/** Lifetime of the tokens seeded for the refresh run, in seconds. */
const SHORT_TOKEN_SECONDS = 4;

/** SQS requests Lambda's event source makes per worker batch: one receive, one batch delete. */
export const EVENT_SOURCE_REQUESTS_PER_BATCH = 2;

/** The functions' memory and the fixed resources, read from the stack in lib/ (not copied). */
export interface StackFacts {
  memoryMb: Record<'publicApi' | 'adminApi' | 'dispatcher' | 'worker' | 'notifier', number>;
  /** The functions that read configuration secrets, and how many containers each keeps. */
  secretReaders: SecretReader[];
  alarms: number;
  dashboards: number;
  keys: number;
  /** Secrets the stack itself creates (a fixed number, whatever the tenants). */
  fixedSecrets: number;
}

/** Builds the default stack (bundling skipped) and reads what the cost model needs from it. */
export function readStackFacts(): StackFacts {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new WebexAuthKeeperStack(app, 'CostBench', { inputs: defaultDeployInputs() });
  const memory = (fn: lambda.Function) => {
    const size = (fn.node.defaultChild as lambda.CfnFunction).memorySize;
    if (typeof size !== 'number') throw new Error(`${fn.node.path} has no memory size`);
    return size;
  };
  const all = stack.node.findAll();
  const functions = {
    publicApi: stack.api.publicFunction,
    adminApi: stack.api.adminFunction,
    dispatcher: stack.validator.dispatcher,
    worker: stack.validator.worker,
    notifier: stack.mail.notifier,
  };
  const secretReader = ([name, fn]: [string, lambda.Function]): SecretReader => {
    const environment = stack.resolve((fn.node.defaultChild as lambda.CfnFunction).environment) as
      { variables?: Record<string, unknown> } | undefined;
    const secrets = Object.keys(environment?.variables ?? {}).filter((key) => key.endsWith('_SECRET_ID'));
    const mapping = fn.node
      .findAll()
      .find((child): child is lambda.CfnEventSourceMapping => child instanceof lambda.CfnEventSourceMapping);
    const scaling = stack.resolve(mapping?.scalingConfig) as { maximumConcurrency?: number } | undefined;
    return {
      function: name,
      secrets: secrets.length,
      containers: scaling?.maximumConcurrency ?? UNBOUNDED_FUNCTION_CONTAINERS,
      containersAssumed: scaling?.maximumConcurrency === undefined,
    };
  };
  return {
    memoryMb: {
      publicApi: memory(functions.publicApi),
      adminApi: memory(functions.adminApi),
      dispatcher: memory(functions.dispatcher),
      worker: memory(functions.worker),
      notifier: memory(functions.notifier),
    },
    secretReaders: Object.entries(functions)
      .map(secretReader)
      .filter((reader) => reader.secrets > 0),
    alarms: all.filter((construct) => construct instanceof cloudwatch.Alarm).length,
    dashboards: all.filter((construct) => construct instanceof cloudwatch.Dashboard).length,
    keys: all.filter((construct) => construct instanceof kms.Key).length,
    fixedSecrets: all.filter((construct) => construct instanceof secretsmanager.Secret).length,
  };
}

/** What the measurement gives the report. */
export interface CostMeasurement {
  stack: StackFacts;
  /** Usage per operation, averaged. */
  usage: Record<Operation, OperationUsage>;
  /** Operations measured, per kind. */
  samples: Record<Operation, number>;
  /** What one dispatcher run (one sweep) uses, whatever it finds due: a fixed monthly cost. */
  sweepRun: OperationUsage;
  /** What one run of the notifier's flush schedule uses with nothing to mail: a fixed monthly cost. */
  flushRun: OperationUsage;
  /** Distinct metric series the functions emitted (name and dimension values). */
  metricSeries: number;
  unmeteredDynamoDbCalls: number;
  /** Secrets Manager secrets the adapters created per authorization seeded. */
  secretsPerAuthorization: number;
}

/** Counts what the handlers write instead of printing it. */
class OutputMeter {
  bytes = 0;
  readonly metricSeries = new Set<string>();

  async around<T>(work: () => Promise<T>): Promise<T> {
    const writes = [process.stdout.write, process.stderr.write] as const;
    const count = (chunk: unknown) => {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
      this.bytes += Buffer.byteLength(text, 'utf8');
      this.collectMetrics(text);
      return true;
    };
    process.stdout.write = count as typeof process.stdout.write;
    process.stderr.write = count as typeof process.stderr.write;
    try {
      return await work();
    } finally {
      [process.stdout.write, process.stderr.write] = writes;
    }
  }

  /** Metric series from Embedded Metric Format lines: each metric with its dimension values. */
  private collectMetrics(text: string): void {
    for (const line of text.split('\n')) {
      if (!line.includes('"_aws"')) continue;
      const record = JSON.parse(line) as {
        _aws: { CloudWatchMetrics: { Dimensions: string[][]; Metrics: { Name: string }[] }[] };
      } & Record<string, unknown>;
      for (const directive of record._aws.CloudWatchMetrics) {
        const dimensions = directive.Dimensions.flat().map((name) => `${name}=${String(record[name])}`);
        for (const metric of directive.Metrics)
          this.metricSeries.add(`${metric.Name}|${dimensions.join(',')}`);
      }
    }
  }
}

type Handler<E, R> = (event: E, context: Context) => Promise<R>;

/** Invokes a handler as Lambda would, timed and billed at `memoryMb`. */
type Timed = <E, R>(fn: Handler<E, R>, memoryMb: number, event: E) => Promise<R>;

/** One measured run of several invocations: calls, time and output. */
interface Run {
  calls: AwsCallSnapshot;
  invocations: number;
  gbSeconds: number;
  logBytes: number;
}

export interface CostMeasureInput {
  /** Client of DynamoDB Local, to create the table. */
  client: DynamoDBClient;
  endpoint: string;
  sim: WebexSimulator;
  orgs: BenchOrgs;
  redirectUri: string;
  /** Authorizations per measured kind (a multiple of the batch size is best). */
  samples: number;
  checkIntervalSeconds: number;
  progress: (line: string) => void;
}

function sqsEvent(bodies: readonly string[]): SQSEvent {
  const now = String(Date.now());
  return {
    Records: bodies.map((body) => ({
      messageId: randomUUID(),
      receiptHandle: randomUUID(),
      body,
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: now,
        SenderId: 'bench',
        ApproximateFirstReceiveTimestamp: now,
      },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:bench-validation',
      awsRegion: 'us-east-1',
    })),
  };
}

/** An SQS consumer's invocations over `bodies`, in batches of its event source's size. */
async function consumeInBatches(
  timed: Timed,
  consumer: unknown,
  memoryMb: number,
  bodies: readonly string[],
  batchSize: number,
): Promise<void> {
  for (let start = 0; start < bodies.length; start += batchSize) {
    await timed(
      consumer as Handler<SQSEvent, unknown>,
      memoryMb,
      sqsEvent(bodies.slice(start, start + batchSize)),
    );
  }
}

/** The flush schedule's message, as its rule puts it on the notifier's queue. */
const FLUSH_SCHEDULE_BODY = JSON.stringify({
  version: '0',
  id: 'bench-flush',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: '000000000000',
  time: new Date(0).toISOString(),
  region: 'us-east-1',
  resources: [],
  detail: {},
});

/** Two runs' calls, capacity, invocations, time and output together. */
function addRuns(first: Run, second: Run): Run {
  const requests = { ...first.calls.requests };
  for (const [key, count] of Object.entries(second.calls.requests)) {
    const before = requests[key] ?? { calls: 0, units: 0 };
    requests[key] = { calls: before.calls + count.calls, units: before.units + count.units };
  }
  return {
    calls: {
      ...first.calls,
      requests,
      readUnits: first.calls.readUnits + second.calls.readUnits,
      writeUnits: first.calls.writeUnits + second.calls.writeUnits,
      unmeteredDynamoDbCalls: first.calls.unmeteredDynamoDbCalls + second.calls.unmeteredDynamoDbCalls,
    },
    invocations: first.invocations + second.invocations,
    gbSeconds: first.gbSeconds + second.gbSeconds,
    logBytes: first.logBytes + second.logBytes,
  };
}

/** A run plus requests made on its behalf outside our code (the bus's deliveries to a queue). */
function withRequests(run: Run, extra: Record<string, number>): Run {
  const requests = { ...run.calls.requests };
  for (const [key, calls] of Object.entries(extra)) {
    if (calls === 0) continue;
    const before = requests[key] ?? { calls: 0, units: 0 };
    requests[key] = { calls: before.calls + calls, units: before.units + calls };
  }
  return { ...run, calls: { ...run.calls, requests } };
}

/** Subtracts the usage of a plain check from one with an extra step (a refresh, a death). */
function extra(total: OperationUsage, base: OperationUsage): OperationUsage {
  const requests: OperationUsage['requests'] = {};
  for (const [key, count] of Object.entries(total.requests)) {
    const plain = base.requests[key] ?? { calls: 0, units: 0 };
    if (count.calls > plain.calls)
      requests[key] = { calls: count.calls - plain.calls, units: count.units - plain.units };
  }
  const minus = (field: Exclude<keyof OperationUsage, 'requests'>) => Math.max(0, total[field] - base[field]);
  return {
    requests,
    readUnits: minus('readUnits'),
    writeUnits: minus('writeUnits'),
    invocations: minus('invocations'),
    gbSeconds: minus('gbSeconds'),
    logBytes: minus('logBytes'),
    apiRequests: minus('apiRequests'),
    eventSourceSqsRequests: minus('eventSourceSqsRequests'),
  };
}

/** A run's totals divided by the operations it performed. */
function perOperation(run: Run, count: number, extraFields: Partial<OperationUsage> = {}): OperationUsage {
  const requests: OperationUsage['requests'] = {};
  for (const [key, calls] of Object.entries(run.calls.requests)) {
    requests[key] = { calls: calls.calls / count, units: calls.units / count };
  }
  return {
    requests,
    readUnits: run.calls.readUnits / count,
    writeUnits: run.calls.writeUnits / count,
    invocations: run.invocations / count,
    gbSeconds: run.gbSeconds / count,
    logBytes: (run.logBytes + run.invocations * LAMBDA_PLATFORM_LOG_BYTES) / count,
    apiRequests: 0,
    eventSourceSqsRequests: 0,
    ...extraFields,
  };
}

/** Measures the four operations; see the module's comment. */
export async function measureCosts(input: CostMeasureInput): Promise<CostMeasurement> {
  const stack = readStackFacts();
  const tableName = `bench-cost-${randomUUID().slice(0, 8)}`;
  await ensureTable(input.client, tableName);
  const standIn = new AwsStandIn();
  const linkKey = randomBytes(32).toString('hex');
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_ENDPOINT_URL_DYNAMODB: input.endpoint,
    TABLE_NAME: tableName,
    KMS_KEY_ID: 'arn:aws:kms:us-east-1:000000000000:key/bench',
    CLIENT_SECRETS_SECRET_ID: 'bench/client-secrets',
    LINK_SIGNING_SECRET_ID: 'bench/link-signing-key',
    EVENT_BUS_NAME: 'bench-bus',
    ALERT_TOPIC_ARN: 'arn:aws:sns:us-east-1:000000000000:bench-alerts',
    WEBEX_API_BASE_URL: input.sim.url,
    PUBLIC_BASE_URL: BENCH_PUBLIC_BASE_URL,
    CHECK_INTERVAL_SECONDS: String(input.checkIntervalSeconds),
    VALIDATION_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/bench-validation',
    POWERTOOLS_METRICS_NAMESPACE: 'WebexAuthKeeper',
    POWERTOOLS_METRICS_DISABLED: 'false',
    MAIL_FROM_ADDRESS: 'alerts@mail.bench.example',
    MAIL_CONFIGURATION_SET: 'bench-mail',
    OPS_EMAIL: 'ops@bench.example',
  });
  standIn.secrets.set(
    'bench/client-secrets',
    JSON.stringify(Object.fromEntries(catalog.keys.map((key) => [key, benchClientSecret(key)]))),
  );
  standIn.secrets.set('bench/link-signing-key', linkKey);

  // Every client the functions can use, as the adapters get them (commons/aws-clients.ts, and the
  // dispatcher's commons/untraced-aws-clients.ts). A client made anywhere else would not be
  // counted, and would call AWS itself and fail.
  const tally = new AwsCallTally();
  for (const client of [...Object.values(awsClients), ...Object.values(untracedAwsClients)]) {
    if (typeof client !== 'function') continue;
    instrumentClient(client() as unknown as Parameters<typeof instrumentClient>[0], tally, standIn);
  }
  const [{ handler: dispatch }, { handler: work }, { handler: publicApi }, { handler: notifier }] =
    await Promise.all([
      import('#functions/sweep-dispatcher.handler.js'),
      import('#functions/validator-worker.handler.js'),
      import('#functions/public-api.handler.js'),
      import('#functions/notifier.handler.js'),
    ]);
  const ports = composeOnAws(loadKeeperEnvironment(), { log: silentLog }).ports;
  const notifierPorts = composeNotifierOnAws(loadNotifierEnvironment(), {
    log: silentLog,
    shippedCatalog: bundledCatalog,
  });
  const output = new OutputMeter();
  const gb = (mb: number) => mb / 1024;

  async function run(invoke: (timed: Timed) => Promise<void>): Promise<Run> {
    const before = tally.snapshot();
    const bytesBefore = output.bytes;
    let invocations = 0;
    let gbSeconds = 0;
    await output.around(() =>
      invoke(async (fn, memoryMb, event) => {
        const started = performance.now();
        const result = await fn(event, localLambdaContext('bench'));
        // Lambda bills whole milliseconds, rounded up.
        gbSeconds += (Math.ceil(performance.now() - started) / 1000) * gb(memoryMb);
        invocations += 1;
        return result;
      }),
    );
    return {
      calls: callsBetween(before, tally.snapshot()),
      invocations,
      gbSeconds,
      logBytes: output.bytes - bytesBefore,
    };
  }

  /**
   * What the events put on the bus since `fromEvent` cost downstream, as they flow on AWS: the
   * bus's rule sends each to the notifier's queue (one SQS request each, billed to the queue), the
   * deployed notifier handles them in batches of its event source, and with `flush` one run of the
   * flush schedule follows once the incident window has passed (its clock moved past the window:
   * the incident's mail goes out then, one SES mail per recipient).
   */
  async function notify(fromEvent: number, flush: boolean): Promise<Run> {
    const bodies = standIn.events.slice(fromEvent).map((entry) =>
      JSON.stringify({
        version: '0',
        id: randomUUID(),
        'detail-type': entry.DetailType,
        source: entry.Source,
        account: '000000000000',
        time: new Date().toISOString(),
        region: 'us-east-1',
        resources: [],
        detail: JSON.parse(entry.Detail) as unknown,
      }),
    );
    const delivered = await run(async (timed) => {
      await consumeInBatches(timed, notifier, stack.memoryMb.notifier, bodies, NOTIFIER_BATCH_SIZE);
      if (flush) await flushAfterWindow(timed);
    });
    return withRequests(delivered, { 'SQS:SendMessage': bodies.length + (flush ? 1 : 0) });
  }

  /** One run of the flush schedule, its clock moved past the incident window. */
  async function flushAfterWindow(timed: Timed): Promise<void> {
    const later = new Date(Date.now() + (DEFAULT_ALERT_POLICY.incidentWindowSeconds + 60) * 1000);
    const handler = createNotifierHandler(
      { ...notifierPorts, clock: { now: () => later, sleep: (ms) => systemClock.sleep(ms) } },
      notifierTools(),
    );
    await timed(handler, stack.memoryMb.notifier, sqsEvent([FLUSH_SCHEDULE_BODY]));
  }

  /** Seeds due authorizations of fresh tenants. */
  async function seed(prefix: string): Promise<void> {
    await seedAuthorizations({
      world: input.sim.world,
      orgs: input.orgs,
      repos: ports,
      vault: ports.vault,
      tenantPrefix: prefix,
      authorizations: input.samples,
      dueFraction: 1,
      now: new Date(),
      redirectUri: input.redirectUri,
    });
  }

  /**
   * One sweep: the dispatcher's run, then the worker over what it queued, in batches, then the
   * notifier over the events they published (the workers' run includes it).
   */
  async function sweep(flush = false): Promise<{ dispatcher: Run; workers: Run; checked: number }> {
    standIn.queued.length = 0;
    const fromEvent = standIn.events.length;
    const dispatcher = await run(async (timed) => {
      await timed(dispatch as Handler<unknown, unknown>, stack.memoryMb.dispatcher, {});
    });
    const bodies = [...standIn.queued];
    const workers = await run((timed) =>
      consumeInBatches(timed, work, stack.memoryMb.worker, bodies, WORKER_BATCH_SIZE),
    );
    return { dispatcher, workers: addRuns(workers, await notify(fromEvent, flush)), checked: bodies.length };
  }

  // Warm-up: compiled code and open connections, as in a warm function.
  await seed('cost-warmup');
  await sweep();

  input.progress(`cost: ${input.samples} healthy checks through the deployed worker`);
  const secretsBefore = standIn.secrets.size;
  await seed('cost-check');
  const secretsPerAuthorization = (standIn.secrets.size - secretsBefore) / input.samples;
  const healthy = await sweep();
  const checkUsage = (workers: Run, dispatcher: Run, checked: number) =>
    perOperation(
      {
        calls: {
          ...workers.calls,
          // The dispatcher's sends are per check; its query and invocation are per sweep.
          requests: {
            ...workers.calls.requests,
            ...Object.fromEntries(
              Object.entries(dispatcher.calls.requests).filter(([key]) => key.startsWith('SQS:')),
            ),
          },
        },
        invocations: workers.invocations,
        gbSeconds: workers.gbSeconds,
        logBytes: workers.logBytes,
      },
      checked,
      { eventSourceSqsRequests: (workers.invocations * EVENT_SOURCE_REQUESTS_PER_BATCH) / checked },
    );
  const check = checkUsage(healthy.workers, healthy.dispatcher, healthy.checked);
  const sweepRun = perOperation(
    { ...healthy.dispatcher, calls: { ...healthy.dispatcher.calls, requests: {} } },
    1,
  );

  input.progress(`cost: ${input.samples} checks that refresh`);
  // Tokens issued for a few seconds: once a quarter of that is left the check refreshes them, and
  // the refresh gets tokens of the usual lifetime again.
  const usualLifetime = input.sim.world.currentSettings().accessTokenLifetimeSeconds;
  input.sim.world.updateSettings({ accessTokenLifetimeSeconds: SHORT_TOKEN_SECONDS });
  await seed('cost-refresh');
  input.sim.world.updateSettings({ accessTokenLifetimeSeconds: usualLifetime });
  await new Promise((resolve) => setTimeout(resolve, SHORT_TOKEN_SECONDS * 1000));
  const refreshed = await sweep();
  const refresh = extra(checkUsage(refreshed.workers, refreshed.dispatcher, refreshed.checked), check);
  const sample = await ports.authorizations.get('cost-refresh-0', catalog.keys[0] ?? '');
  if (sample?.refreshedAt === undefined) throw new Error('The refresh run refreshed nothing');

  input.progress(`cost: ${input.samples} checks of revoked tokens (invalidation and alert)`);
  await seed('cost-alert');
  const tenants = Math.ceil(input.samples / catalog.integrations.length);
  for (let index = 0; index < tenants; index += 1)
    input.sim.world.changePassword(input.orgs.admin(index).email);
  const died = await sweep(true);
  const alert = extra(checkUsage(died.workers, died.dispatcher, died.checked), check);
  const idleFlush = withRequests(await run(flushAfterWindow), { 'SQS:SendMessage': 1 });
  const flushRun = perOperation(idleFlush, 1, {
    eventSourceSqsRequests: idleFlush.invocations * EVENT_SOURCE_REQUESTS_PER_BATCH,
  });

  input.progress(`cost: ${input.samples} OAuth callbacks through the deployed public API`);
  const admin = input.sim.world.addPerson({
    email: 'admin@cost.bench.example',
    orgId: input.sim.world.createOrg('Cost Bench Org').id,
    fullAdmin: true,
  });
  const handler = publicApi as unknown as PublicHandler;
  const callbackEvents = standIn.events.length;
  const callbackRuns = await run(async (timed) => {
    for (let index = 0; index < input.samples; index += 1) {
      const callbackEvent = await startAuthorization({
        // The start is an invocation of its own, billed like the callback.
        handler: (event) => timed(handler, stack.memoryMb.publicApi, event),
        tenants: ports.tenants,
        linkKey: Buffer.from(linkKey, 'utf8'),
        sim: input.sim,
        adminId: admin.id,
        tenantId: `cost-callback-${index}`,
        integration: catalog.keys[index % catalog.keys.length] ?? '',
      });
      const answer = await timed(handler, stack.memoryMb.publicApi, callbackEvent);
      if (answer.statusCode !== 200)
        throw new Error(`The cost bench's callback failed (${answer.statusCode})`);
    }
  });
  const callbacks = addRuns(callbackRuns, await notify(callbackEvents, false));
  const callback = perOperation(callbacks, input.samples, { apiRequests: 2 });

  return {
    stack,
    usage: { check, refresh, callback, alert },
    samples: {
      check: healthy.checked,
      refresh: refreshed.checked,
      callback: input.samples,
      alert: died.checked,
    },
    sweepRun,
    flushRun,
    metricSeries: output.metricSeries.size,
    unmeteredDynamoDbCalls: tally.snapshot().unmeteredDynamoDbCalls,
    secretsPerAuthorization,
  };
}
