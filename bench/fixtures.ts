import { Agent } from 'node:http';
import { performance } from 'node:perf_hooks';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { defaultCatalog } from '#adapters/catalog-file.js';
import type { ClientSecretSource, WebexClient } from '#domain/ports.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '#local/dynamodb-local.js';
import type { SimIntegration } from '#local/webex-simulator/index.js';
import { clientSecretsFrom } from '#test-support/fakes/index.js';

/** The shipped catalog: the bench checks the same five integrations a fleet carries. */
export const catalog = defaultCatalog();

/** Where the simulator sends the admin back; never dereferenced, only compared. */
export const BENCH_PUBLIC_BASE_URL = 'https://keeper.bench.invalid';

/** Test-only client secret of an integration in the simulator (never a real one). */
export function benchClientSecret(integration: string): string {
  return `bench-client-secret-of-${integration}-0123456789`;
}

export const benchClientSecrets: ClientSecretSource = clientSecretsFrom(benchClientSecret);

/** The catalog's integrations as the simulator registers them, under their real Integration IDs. */
export function simIntegrations(redirectUri: string): SimIntegration[] {
  return catalog.integrations.map((integration) => ({
    clientId: integration.integrationId,
    clientSecret: benchClientSecret(integration.key),
    name: integration.name,
    redirectUris: [redirectUri],
  }));
}

/** Calls and time per Webex method, summed over every caller. */
export interface WebexTally {
  calls: Record<string, number>;
  totalCalls: number;
  /** Time spent waiting on Webex, summed over calls (calls of concurrent checks overlap). */
  totalMs: number;
  /**
   * Round trips: the times a call started while none was in flight. Calls sent together count as
   * one, so for a single caller this is how many Webex latencies lie on its path.
   */
  roundTrips: number;
}

/** A kind of outside call whose time on a caller's path {@link PathClock} tells apart. */
export type OutsideCall = 'webex' | 'dynamoDb';

/** Where one caller's time went so far, as {@link PathClock} splits it. */
export interface PathTimes {
  /** A DynamoDB call in flight and no Webex call: DynamoDB's share of the path. */
  dynamoDbAloneMs: number;
  /** A Webex call in flight (a DynamoDB call sent beside it hides behind it). */
  webexMs: number;
  /** No outside call in flight: the caller's own code. */
  ownMs: number;
}

/**
 * For one caller at a time: splits its time into DynamoDB calls in flight while no Webex call is,
 * Webex calls in flight, and neither (the caller's own code). The three add up to the time the
 * clock has run. The Webex client and the DynamoDB tally report each call's start and end.
 */
export class PathClock {
  private readonly inFlight: Record<OutsideCall, number> = { webex: 0, dynamoDb: 0 };
  private since: number;
  private readonly totals: PathTimes = { dynamoDbAloneMs: 0, webexMs: 0, ownMs: 0 };

  constructor(private readonly now: () => number = () => performance.now()) {
    this.since = now();
  }

  begin(kind: OutsideCall): void {
    this.advance();
    this.inFlight[kind] += 1;
  }

  end(kind: OutsideCall): void {
    this.advance();
    this.inFlight[kind] -= 1;
  }

  /** The split so far; a caller's share is the difference of two readings. */
  times(): PathTimes {
    this.advance();
    return { ...this.totals };
  }

  private advance(): void {
    const now = this.now();
    const elapsed = now - this.since;
    if (this.inFlight.webex > 0) this.totals.webexMs += elapsed;
    else if (this.inFlight.dynamoDb > 0) this.totals.dynamoDbAloneMs += elapsed;
    else this.totals.ownMs += elapsed;
    this.since = now;
  }
}

/**
 * Wraps a WebexClient to count its calls per method and time them, so the bench reports how
 * many calls a check makes instead of assuming it.
 */
export class CountingWebexClient implements WebexClient {
  private readonly calls = new Map<string, number>();
  private totalMs = 0;
  private inFlight = 0;
  private roundTrips = 0;

  constructor(
    private readonly inner: WebexClient,
    private readonly path?: PathClock,
  ) {}

  tally(): WebexTally {
    const calls = Object.fromEntries(this.calls);
    return {
      calls,
      totalCalls: Object.values(calls).reduce((sum, count) => sum + count, 0),
      totalMs: this.totalMs,
      roundTrips: this.roundTrips,
    };
  }

  private async timed<T>(method: string, call: () => Promise<T>): Promise<T> {
    this.calls.set(method, (this.calls.get(method) ?? 0) + 1);
    if (this.inFlight === 0) this.roundTrips += 1;
    this.inFlight += 1;
    this.path?.begin('webex');
    const started = performance.now();
    try {
      return await call();
    } finally {
      this.path?.end('webex');
      this.inFlight -= 1;
      this.totalMs += performance.now() - started;
    }
  }

  exchangeCode(input: Parameters<WebexClient['exchangeCode']>[0]) {
    return this.timed('exchangeCode', () => this.inner.exchangeCode(input));
  }
  refresh(input: Parameters<WebexClient['refresh']>[0]) {
    return this.timed('refresh', () => this.inner.refresh(input));
  }
  getMe(accessToken: string) {
    return this.timed('getMe', () => this.inner.getMe(accessToken));
  }
  getPerson(accessToken: string, personId: string) {
    return this.timed('getPerson', () => this.inner.getPerson(accessToken, personId));
  }
  listRoles(accessToken: string) {
    return this.timed('listRoles', () => this.inner.listRoles(accessToken));
  }
  revokeAuthorizations(accessToken: string, input: { clientId: string; orgId: string }) {
    return this.timed('revokeAuthorizations', () => this.inner.revokeAuthorizations(accessToken, input));
  }
}

/** DynamoDB calls seen on one client: per command (with the index a query used), and their time. */
export interface DynamoDbTally {
  commands: Record<string, number>;
  totalCalls: number;
  /** Time spent waiting on DynamoDB, summed over calls. */
  totalMs: number;
  /** Round trips: the times a call started while none was in flight (as {@link WebexTally} counts them). */
  roundTrips: number;
}

/**
 * Records every command sent through `client` (and so through every document client built on
 * it): the name, the index of a Query, and the time to its answer. This is how the bench proves
 * the sweep sends no Scan, and how it splits a check's time between DynamoDB and Webex.
 */
export function tallyDynamoDb(client: DynamoDBClient, path?: PathClock): () => DynamoDbTally {
  const commands = new Map<string, number>();
  let totalMs = 0;
  let inFlight = 0;
  let roundTrips = 0;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { IndexName?: unknown };
      const name = `${context.commandName ?? 'unknown'}${typeof input.IndexName === 'string' ? `(${input.IndexName})` : ''}`;
      commands.set(name, (commands.get(name) ?? 0) + 1);
      if (inFlight === 0) roundTrips += 1;
      inFlight += 1;
      path?.begin('dynamoDb');
      const started = performance.now();
      try {
        return await next(args);
      } finally {
        path?.end('dynamoDb');
        inFlight -= 1;
        totalMs += performance.now() - started;
      }
    },
    { step: 'initialize', name: 'benchTally' },
  );
  return () => {
    const snapshot = Object.fromEntries(commands);
    return {
      commands: snapshot,
      totalCalls: Object.values(snapshot).reduce((sum, count) => sum + count, 0),
      totalMs,
      roundTrips,
    };
  };
}

/** Read and write capacity units, summed. */
export interface Capacity {
  read: number;
  write: number;
}

/** A capacity meter for `createRepositories` and the total it sums. */
export function capacityCounter(): { meter: (consumed: Capacity) => void; total: Capacity } {
  const total: Capacity = { read: 0, write: 0 };
  return {
    total,
    meter: (consumed) => {
      total.read += consumed.read;
      total.write += consumed.write;
    },
  };
}

/**
 * A client for the local engine with room for `maxSockets` calls in flight: the SDK's default
 * agent caps them at 50, which would queue a 64-slot sweep on sockets rather than on DynamoDB.
 */
export function benchDynamoDbClient(endpoint: string, maxSockets: number): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    requestHandler: { httpAgent: new Agent({ keepAlive: true, maxSockets }) },
  });
}
