import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { createRepositories } from '#adapters/dynamodb/index.js';
import { HttpWebexClient } from '#adapters/webex-client.js';
import { issueOnboardingLink } from '#domain/onboarding-link.js';
import { callbackUrl } from '#domain/onboarding-portal.js';
import { systemClock, type TenantRepository } from '#domain/ports.js';
import { createPublicApiHandler, type PublicApiDependencies } from '#functions/public-api.app.js';
import { localLambdaContext } from '#local/http-adapter.js';
import type { WebexSimulator } from '#local/webex-simulator/index.js';
import {
  BENCH_PUBLIC_BASE_URL,
  benchClientSecrets,
  catalog,
  CountingWebexClient,
  PathClock,
  tallyDynamoDb,
  type PathTimes,
} from './fixtures.js';
import { MemoryTokenVault, RecordingPublisher } from '#test-support/fakes/index.js';
import { percentile } from './stats.js';

export interface CallbackInput {
  client: DynamoDBClient;
  tableName: string;
  sim: WebexSimulator;
  latencyMs: number;
  /** Callbacks measured, after `warmup` unmeasured ones. */
  samples: number;
  warmup: number;
}

export interface CallbackReport {
  samples: number;
  /** Webex calls one callback makes (the same for every sample, or the bench fails). */
  webexCalls: number;
  /** Of those, the ones made one after the other: calls sent together count once (the same for every sample). */
  webexRoundTrips: number;
  rawMs: Percentiles;
  /** Raw time minus `webexRoundTrips × latencyMs`: the handler's own time with the local engine. */
  netMs: Percentiles;
  /**
   * DynamoDB calls of one callback and their round trips (a call started while none is in flight),
   * fewest and most over the samples: calls sent together, or beside a Webex call, overlap.
   */
  dynamoDb: { calls: Range; roundTrips: Range };
  /**
   * Of `netMs`, per sample ({@link PathClock}): DynamoDB calls in flight with no Webex call
   * (DynamoDB's share of the path, here DynamoDB Local's); Webex calls in flight past the
   * simulator's set latency (its own work, and HTTP at both ends); no call in flight (the handler's
   * own code). The three add up to the sample's `netMs`.
   */
  split: { dynamoDbMs: Percentiles; webexPastLatencyMs: Percentiles; ownMs: Percentiles };
  /**
   * Per callback, what the bench does in-process that the deployed function asks AWS for: token
   * seals (a KMS data key each) and events published (each on the bus, then on the topic).
   */
  inProcess: { seals: number; events: number };
}

export interface Percentiles {
  p50: number;
  p99: number;
}

function percentilesOf(samples: readonly number[]): Percentiles {
  return { p50: percentile(samples, 50), p99: percentile(samples, 99) };
}

/** The fewest and the most of a count over the samples. */
export interface Range {
  min: number;
  max: number;
}

function rangeOf(counts: readonly number[]): Range {
  return { min: Math.min(...counts), max: Math.max(...counts) };
}

/** A GET as API Gateway HTTP API (payload 2.0) delivers it to the public function. */
function getEvent(rawPath: string, rawQueryString: string, cookies: string[] = []): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString,
    ...(cookies.length > 0 ? { cookies } : {}),
    headers: { host: 'keeper.bench.invalid' },
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'bench',
      domainName: 'keeper.bench.invalid',
      domainPrefix: 'keeper',
      http: { method: 'GET', path: rawPath, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'bench' },
      requestId: 'bench',
      routeKey: '$default',
      stage: '$default',
      time: new Date().toUTCString(),
      timeEpoch: Date.now(),
    },
  };
}

/** The public handler as the bench calls it. */
export type PublicHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<{ statusCode?: number; body?: string; cookies?: string[]; headers?: Record<string, unknown> }>;

/**
 * A new tenant's first authorization of one integration, up to its callback: the tenant created,
 * its onboarding link signed with `linkKey`, the portal's POST to `/oauth/start` answered by the
 * handler (untimed), the admin's consent granted in the simulator in-process. Returns the
 * callback's event, with the cookies a browser would send back.
 */
export async function startAuthorization(input: {
  handler: PublicHandler;
  tenants: Pick<TenantRepository, 'create'>;
  linkKey: Buffer;
  sim: WebexSimulator;
  adminId: string;
  tenantId: string;
  integration: string;
}): Promise<APIGatewayProxyEventV2> {
  const now = systemClock.now().toISOString();
  const tenant = {
    tenantId: input.tenantId,
    name: `Callback Tenant ${input.tenantId}`,
    contacts: [`ops@${input.tenantId}.bench.example`],
    sso: false,
    linkVersion: 1,
    status: 'active' as const,
    createdAt: now,
    updatedAt: now,
  };
  await input.tenants.create(tenant);
  const link = issueOnboardingLink({
    tenant,
    key: input.linkKey,
    clock: systemClock,
    publicBaseUrl: BENCH_PUBLIC_BASE_URL,
  });
  // Authorize pressed on the portal: its form POSTs the start from the portal's own origin.
  const startEvent = getEvent(
    '/oauth/start',
    new URLSearchParams({ link: link.token, integration: input.integration }).toString(),
  );
  const start = await input.handler(
    {
      ...startEvent,
      headers: { ...startEvent.headers, origin: new URL(BENCH_PUBLIC_BASE_URL).origin },
      requestContext: {
        ...startEvent.requestContext,
        http: { ...startEvent.requestContext.http, method: 'POST' },
      },
    },
    localLambdaContext('public-api'),
  );
  if (start.statusCode !== 302)
    throw new Error(`The bench's /oauth/start did not redirect (${start.statusCode})`);
  // A browser sends back each cookie's name=value, without its attributes.
  const cookies = (start.cookies ?? []).map((cookie) => cookie.split(';')[0] ?? '');
  const query = new URL(String(start.headers?.Location)).searchParams;
  const code = input.sim.world.issueCode({
    clientId: query.get('client_id') ?? '',
    redirectUri: query.get('redirect_uri') ?? '',
    personId: input.adminId,
    scopes: (query.get('scope') ?? '').split(' '),
    codeChallenge: query.get('code_challenge') ?? '',
    codeChallengeMethod: 'S256',
  });
  const callback = new URLSearchParams({ state: query.get('state') ?? '', code });
  return getEvent(new URL(callbackUrl(BENCH_PUBLIC_BASE_URL)).pathname, callback.toString(), cookies);
}

/**
 * Times the OAuth callback in-process: the deployed public handler (middy, Powertools, the real
 * `completeAuthorization`) over DynamoDB Local and the simulator. Each sample is a new tenant's
 * first authorization of one integration (rotating through the catalog): the handler answers the
 * portal's POST to `/oauth/start` untimed (its cookies go back with the callback, as a browser's
 * would), the admin's consent is granted in the simulator in-process, and only the handler's answer
 * to the callback is timed. Sequential, so no sample waits on another.
 */
export async function benchCallback(input: CallbackInput): Promise<CallbackReport> {
  // Powertools would print one metrics line per invocation on stdout.
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  const repos = createRepositories(input.client, input.tableName);
  const path = new PathClock();
  const webex = new CountingWebexClient(new HttpWebexClient({ baseUrl: input.sim.url }), path);
  const linkKey = randomBytes(32);
  const vault = new MemoryTokenVault();
  const events = new RecordingPublisher();
  const deps: PublicApiDependencies = {
    tenants: repos.tenants,
    authorizations: repos.authorizations,
    history: repos.history,
    oauthStates: repos.oauthStates,
    vault,
    webex,
    events,
    clientSecrets: benchClientSecrets,
    linkKeys: { get: async () => linkKey },
    catalog,
    clock: systemClock,
    settings: {
      publicBaseUrl: BENCH_PUBLIC_BASE_URL,
      webexApiBaseUrl: input.sim.url,
      passwordMaxAgeDays: 1825,
      linkTtlDays: 14,
      firstCheckDelaySeconds: 3600,
    },
  };
  const handler = createPublicApiHandler(deps, {
    logger: new Logger({ serviceName: 'public-api', logLevel: 'SILENT' }),
    metrics: new Metrics({ namespace: 'Bench', serviceName: 'public-api' }),
  });
  const org = input.sim.world.createOrg('Callback Bench Org');
  const admin = input.sim.world.addPerson({
    email: 'admin@callback.bench.example',
    orgId: org.id,
    fullAdmin: true,
  });

  const raw: number[] = [];
  const calls = new Set<number>();
  const roundTrips = new Set<number>();
  const dynamoDbTally = tallyDynamoDb(input.client, path);
  const times: PathTimes[] = [];
  const seals = new Set<number>();
  const published = new Set<number>();
  const dynamoDbCalls: number[] = [];
  const dynamoDbRoundTrips: number[] = [];
  for (let index = 0; index < input.warmup + input.samples; index += 1) {
    const callbackEvent = await startAuthorization({
      handler,
      tenants: repos.tenants,
      linkKey,
      sim: input.sim,
      adminId: admin.id,
      tenantId: `callback-${index}`,
      integration: catalog.keys[index % catalog.keys.length] ?? '',
    });
    const before = webex.tally();
    const dynamoDbBefore = dynamoDbTally();
    const sealsBefore = vault.writes;
    const publishedBefore = events.published.length;
    const timesBefore = path.times();
    const started = performance.now();
    const answer = await handler(callbackEvent, localLambdaContext('public-api'));
    const elapsed = performance.now() - started;
    const timesAfter = path.times();
    const dynamoDbAfter = dynamoDbTally();
    if (answer.statusCode !== 200 || !String(answer.body).includes(admin.email)) {
      throw new Error(`The bench callback did not authorize (${answer.statusCode})`);
    }
    if (index < input.warmup) continue;
    raw.push(elapsed);
    times.push({
      dynamoDbAloneMs: timesAfter.dynamoDbAloneMs - timesBefore.dynamoDbAloneMs,
      webexMs: timesAfter.webexMs - timesBefore.webexMs,
      ownMs: timesAfter.ownMs - timesBefore.ownMs,
    });
    seals.add(vault.writes - sealsBefore);
    published.add(events.published.length - publishedBefore);
    const after = webex.tally();
    calls.add(after.totalCalls - before.totalCalls);
    roundTrips.add(after.roundTrips - before.roundTrips);
    dynamoDbCalls.push(dynamoDbAfter.totalCalls - dynamoDbBefore.totalCalls);
    dynamoDbRoundTrips.push(dynamoDbAfter.roundTrips - dynamoDbBefore.roundTrips);
  }
  const webexCalls = theOnly(calls, 'Webex calls');
  const webexRoundTrips = theOnly(roundTrips, 'Webex round trips');
  const latencyOnPathMs = webexRoundTrips * input.latencyMs;
  return {
    samples: raw.length,
    webexCalls,
    webexRoundTrips,
    rawMs: percentilesOf(raw),
    netMs: percentilesOf(raw.map((ms) => ms - latencyOnPathMs)),
    dynamoDb: { calls: rangeOf(dynamoDbCalls), roundTrips: rangeOf(dynamoDbRoundTrips) },
    split: {
      dynamoDbMs: percentilesOf(times.map((sample) => sample.dynamoDbAloneMs)),
      webexPastLatencyMs: percentilesOf(times.map((sample) => sample.webexMs - latencyOnPathMs)),
      ownMs: percentilesOf(times.map((sample) => sample.ownMs)),
    },
    inProcess: { seals: theOnly(seals, 'token seals'), events: theOnly(published, 'events published') },
  };
}

/** The one count every sample had, or an error: the bench compares like with like. */
function theOnly(counts: ReadonlySet<number>, what: string): number {
  const [only = 0, ...others] = [...counts];
  if (others.length > 0) throw new Error(`Callbacks made different numbers of ${what}: ${[...counts]}`);
  return only;
}
