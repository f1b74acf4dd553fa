import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ListSubscriptionsByTopicCommand,
  SNSClient,
  SubscribeCommand,
  type Subscription,
} from '@aws-sdk/client-sns';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { mockClient, type AwsStub } from 'aws-sdk-client-mock';
import type { ServiceInputTypes, ServiceOutputTypes, SNSClientResolvedConfig } from '@aws-sdk/client-sns';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { createAdminApiHandler, type AdminApiDependencies } from '../../functions/admin-api.app.js';
import { createRepositories } from '../../functions/adapters/dynamodb/index.js';
import { SnsContactSubscriptions } from '../../functions/adapters/sns-contact-subscriptions.js';
import type { ValidationResult } from '../../functions/domain/admin.js';
import { defaultCatalog } from '../../functions/adapters/catalog-file.js';
import type { Authorization, AuthorizationEvent, TokenMaterial } from '../../functions/domain/model.js';
import { issueOnboardingLink } from '../../functions/domain/onboarding-link.js';
import type { AlertMessage, Clock, EventPublisher, WebexClient } from '../../functions/domain/ports.js';
import { FileTokenVault } from '../../local/adapters/file-token-vault.js';
import { createTestTable, type TestTable } from './dynamodb.js';

export const TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:webex-auth-keeper-alerts';
export const LINK_KEY = Buffer.alloc(32, 7);
export const PUBLIC_BASE_URL = 'https://auth.example.test';

/** A clock tests move by hand. */
export class ManualClock implements Clock {
  constructor(private current: Date) {}
  now(): Date {
    return new Date(this.current);
  }
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
  /** Moves the time instead of waiting; whatever runs alongside (a lease holder) still gets its turn. */
  async sleep(ms: number): Promise<void> {
    this.advance(ms);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** An EventPublisher that keeps what it was given. */
export class RecordingPublisher implements EventPublisher {
  readonly published: { event: AuthorizationEvent; alert?: AlertMessage }[] = [];
  async publish(event: AuthorizationEvent, alert?: AlertMessage): Promise<void> {
    this.published.push({ event, ...(alert ? { alert } : {}) });
  }
}

/** A Webex client for tests that never reach Webex: each call fails unless a test replaces it. */
export function unreachableWebex(): WebexClient {
  const fail = async (): Promise<never> => {
    throw new Error('Webex is not reachable in this test');
  };
  return {
    exchangeCode: fail,
    refresh: fail,
    getMe: fail,
    getPerson: fail,
    listRoles: fail,
    revokeAuthorizations: fail,
  };
}

type SnsMock = AwsStub<ServiceInputTypes, ServiceOutputTypes, SNSClientResolvedConfig>;

/** An SNS client whose topic starts with the given subscriptions; Subscribe answers with a fresh ARN. */
export function mockedSns(subscriptions: Subscription[] = []): { client: SNSClient; sns: SnsMock } {
  const client = new SNSClient({
    region: 'eu-west-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  const sns = mockClient(client);
  sns.on(ListSubscriptionsByTopicCommand).resolves({ Subscriptions: subscriptions });
  let next = 0;
  sns.on(SubscribeCommand).callsFake(() => ({ SubscriptionArn: `${TOPIC_ARN}:sub-${(next += 1)}` }));
  return { client, sns };
}

export interface AdminHarness {
  table: TestTable;
  repos: ReturnType<typeof createRepositories>;
  deps: AdminApiDependencies;
  sns: SnsMock;
  events: RecordingPublisher;
  vault: FileTokenVault;
  clock: ManualClock;
  validateCalls: { tenantId: string; integration: string }[];
  /** Invokes the handler as API Gateway would. */
  call(
    method: string,
    path: string,
    options?: {
      body?: unknown;
      rawBody?: string;
      base64?: boolean;
      query?: string;
      headers?: Record<string, string>;
    },
  ): Promise<{ status: number; headers: Record<string, string>; body: unknown; text: string }>;
  /** Every item of the table, sorted: compare before and after to prove nothing was written. */
  snapshot(): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

/** A Lambda context good enough for Powertools' middlewares. */
export function lambdaContext(): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'admin-api',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:admin-api',
    memoryLimitInMB: '512',
    awsRequestId: 'test-request',
    logGroupName: '/aws/lambda/admin-api',
    logStreamName: 'test',
    getRemainingTimeInMillis: () => 10_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** An HTTP API (payload v2) event, as API Gateway sends it after the IAM authorizer. */
export function apiEvent(
  method: string,
  path: string,
  options: { body?: string; base64?: boolean; query?: string; headers?: Record<string, string> } = {},
): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: options.query ?? '',
    headers: { 'content-type': 'application/json', ...options.headers },
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'api.example.test',
      domainPrefix: 'api',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' },
      requestId: 'req-1',
      routeKey: '$default',
      stage: '$default',
      time: '25/Nov/2026:10:00:00 +0000',
      timeEpoch: 0,
    },
    isBase64Encoded: options.base64 === true,
    ...(options.body !== undefined
      ? { body: options.base64 ? Buffer.from(options.body).toString('base64') : options.body }
      : {}),
  };
}

/** Quiet Powertools instances so test output stays readable. */
export function quietObservability() {
  return {
    logger: new Logger({ serviceName: 'admin-api-test', logLevel: 'SILENT' }),
    metrics: new Metrics({ namespace: 'Test', serviceName: 'admin-api-test' }),
  };
}

export async function createAdminHarness(
  options: {
    webex?: WebexClient;
    subscriptions?: Subscription[];
    validateNow?: (tenantId: string, integration: string) => Promise<ValidationResult>;
    /** Start of the harness clock; a fixed day by default. */
    now?: Date;
  } = {},
): Promise<AdminHarness> {
  const table = await createTestTable('admin');
  const repos = createRepositories(table.client, table.tableName);
  const { client, sns } = mockedSns(options.subscriptions);
  const events = new RecordingPublisher();
  const vault = await FileTokenVault.open(await mkdtemp(join(tmpdir(), 'admin-vault-')));
  const clock = new ManualClock(options.now ?? new Date('2026-11-25T10:00:00.000Z'));
  const catalog = defaultCatalog();
  const validateCalls: { tenantId: string; integration: string }[] = [];
  const deps: AdminApiDependencies = {
    tenants: repos.tenants,
    authorizations: repos.authorizations,
    history: repos.history,
    contacts: new SnsContactSubscriptions(client, TOPIC_ARN),
    catalog,
    clock,
    vault,
    webex: options.webex ?? unreachableWebex(),
    events,
    passwordMaxAgeDays: 1825,
    reauthorizeLink: async (tenant) =>
      issueOnboardingLink({ tenant, key: LINK_KEY, clock, ttlDays: 14, publicBaseUrl: PUBLIC_BASE_URL }).url,
    defaultLinkTtlDays: 14,
    leaseWaitMs: 300,
    issueLink: async (tenant, ttlDays) =>
      issueOnboardingLink({ tenant, key: LINK_KEY, clock, ttlDays, publicBaseUrl: PUBLIC_BASE_URL }),
    validateNow:
      options.validateNow ??
      (async (tenantId, integration) => {
        validateCalls.push({ tenantId, integration });
        const record = (await repos.authorizations.get(tenantId, integration)) as Authorization;
        const now = clock.now().toISOString();
        const saved = await repos.authorizations.save(
          { ...record, validatedAt: now, updatedAt: now },
          record.version,
        );
        return { outcome: { kind: 'checked', refreshed: false }, authorization: saved };
      }),
  };
  const handler = createAdminApiHandler(deps, quietObservability());

  return {
    table,
    repos,
    deps,
    sns,
    events,
    vault,
    clock,
    validateCalls,
    async call(method, path, callOptions = {}) {
      const body =
        callOptions.rawBody ??
        (callOptions.body === undefined ? undefined : JSON.stringify(callOptions.body));
      const result = await handler(
        apiEvent(method, path, {
          ...(body !== undefined ? { body } : {}),
          ...(callOptions.base64 ? { base64: true } : {}),
          ...(callOptions.query !== undefined ? { query: callOptions.query } : {}),
          ...(callOptions.headers ? { headers: callOptions.headers } : {}),
        }),
        lambdaContext(),
      );
      const text = result.body ?? '';
      const headers = Object.fromEntries(
        Object.entries(result.headers ?? {}).map(([name, value]) => [name.toLowerCase(), String(value)]),
      );
      const isJson = /json/.test(headers['content-type'] ?? '');
      return { status: result.statusCode ?? 200, headers, body: isJson ? JSON.parse(text) : text, text };
    },
    async snapshot() {
      const output = await table.documentClient.send(
        new ScanCommand({ TableName: table.tableName, ConsistentRead: true }),
      );
      return (output.Items ?? []).sort((a, b) =>
        `${String(a.pk)}|${String(a.sk)}`.localeCompare(`${String(b.pk)}|${String(b.sk)}`),
      );
    },
    close: () => table.drop(),
  };
}

/** Token material that is obviously fake and easy to search for in outputs. */
export function fakeMaterial(now: Date, tag = 'x'): TokenMaterial {
  return {
    accessToken: `ACCESS-SECRET-${tag}`,
    refreshToken: `REFRESH-SECRET-${tag}`,
    accessTokenExpiresAt: new Date(now.getTime() + 14 * 86_400_000).toISOString(),
    refreshTokenExpiresAt: new Date(now.getTime() + 90 * 86_400_000).toISOString(),
  };
}

/** An active authorization record over stored material. */
export async function seedAuthorization(
  harness: Pick<AdminHarness, 'repos' | 'vault' | 'clock'>,
  tenantId: string,
  integration: string,
  overrides: Partial<Authorization> = {},
): Promise<Authorization> {
  const now = harness.clock.now();
  const material = fakeMaterial(now, `${tenantId}-${integration}`);
  const secretId = await harness.vault.store(tenantId, integration, material);
  return harness.repos.authorizations.save(
    {
      tenantId,
      integration,
      status: 'active',
      scopes: ['spark:people_read'],
      authorizer: {
        personId: 'person-1',
        email: 'admin@customer.example',
        displayName: 'Ada Admin',
        orgId: 'org-1',
        fullAdmin: true,
      },
      accessTokenExpiresAt: material.accessTokenExpiresAt,
      refreshTokenExpiresAt: material.refreshTokenExpiresAt,
      grantedAt: now.toISOString(),
      consecutiveFailures: 0,
      secretId,
      version: 0,
      warningsSent: [],
      nextCheckAt: new Date(now.getTime() + 3_600_000).toISOString(),
      updatedAt: now.toISOString(),
      ...overrides,
    },
    undefined,
  );
}
