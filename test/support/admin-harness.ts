import { notifierPreview } from './notifier-harness.js';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SNSClient } from '@aws-sdk/client-sns';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { createAdminApiHandler, type AdminApiDependencies } from '#functions/admin-api.app.js';
import { DynamoDbFleetBoardStore } from '#adapters/dynamodb/fleet-board.store.js';
import { createRepositories } from '#adapters/dynamodb/index.js';
import type { ValidationResult } from '#domain/admin.js';
import { defaultCatalog } from '#adapters/catalog-file.js';
import type { Authorization } from '#domain/model.js';
import { issueOnboardingLink } from '#domain/onboarding-link.js';
import { silentLog, type ClientSecretSource, type WebexClient } from '#domain/ports.js';
import { DEFAULT_VALIDATOR_CONFIG } from '#domain/validator-config.js';
import { DynamoDbCredentialIncidentStore } from '#adapters/dynamodb/credential-incident.store.js';
import { DynamoDbIdempotencyStore } from '#adapters/dynamodb/idempotency.store.js';
import { simClientSecrets } from './sim-authorization.js';
import { FileTokenVault } from '#local/adapters/file-token-vault.js';
import { createTestTable, type TestTable } from './dynamodb.js';
import { ManualClock, RecordingPublisher, unreachableWebex } from './fakes/index.js';
import {
  adminEvent,
  fakeMaterial,
  grantedAuthorization,
  lambdaContext,
  silentObservability,
} from './fixtures.js';

export const LINK_KEY = Buffer.alloc(32, 7);
export const PUBLIC_BASE_URL = 'https://auth.example.test';

/**
 * Every SNS and SES client of the process, mocked: the admin API must call neither (contacts live
 * in the table), and a test counts their calls to prove it.
 */
export interface AwsMessagingMocks {
  /** SNS and SES calls since the last reset. */
  calls(): number;
  resetHistory(): void;
  /** Gives the clients back their real `send`. */
  restore(): void;
}

function mockMessaging(): AwsMessagingMocks {
  const sns = mockClient(SNSClient);
  const ses = mockClient(SESv2Client);
  return {
    calls: () => sns.calls().length + ses.calls().length,
    resetHistory: () => {
      sns.resetHistory();
      ses.resetHistory();
    },
    restore: () => {
      sns.restore();
      ses.restore();
    },
  };
}

export interface AdminHarness {
  table: TestTable;
  repos: ReturnType<typeof createRepositories>;
  deps: AdminApiDependencies;
  aws: AwsMessagingMocks;
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

export async function createAdminHarness(
  options: {
    webex?: WebexClient;
    validateNow?: (tenantId: string, integration: string) => Promise<ValidationResult>;
    /** The client secrets the validator's ports use (recheck, refresh, reload); the simulator's by default. */
    clientSecrets?: ClientSecretSource;
    /** Start of the harness clock; a fixed day by default. */
    now?: Date;
    /** The docs page problem `type`s link into; URNs without it. */
    problemDocsUrl?: string;
  } = {},
): Promise<AdminHarness> {
  const table = await createTestTable('admin');
  const repos = createRepositories(table.client, table.tableName);
  const aws = mockMessaging();
  // Each publication carries the mail the notifier writes about it (notifierPreview).
  const events = new RecordingPublisher((event) =>
    notifierPreview({
      tenants: repos.tenants,
      authorizations: repos.authorizations,
      catalog,
      reauthorizeLink,
      passwordMaxAgeDays: 1825,
    })(event),
  );
  const vault = await FileTokenVault.open(await mkdtemp(join(tmpdir(), 'admin-vault-')), table.tableName);
  const clock = new ManualClock(options.now ?? new Date('2026-11-25T10:00:00.000Z'));
  const catalog = defaultCatalog();
  const validateCalls: { tenantId: string; integration: string }[] = [];
  const webex = options.webex ?? unreachableWebex();
  const reauthorizeLink: AdminApiDependencies['reauthorizeLink'] = async (tenant) =>
    issueOnboardingLink({ tenant, key: LINK_KEY, clock, ttlDays: 14, publicBaseUrl: PUBLIC_BASE_URL }).url;
  const deps: AdminApiDependencies = {
    board: new DynamoDbFleetBoardStore(table.documentClient, table.tableName),
    tenants: repos.tenants,
    authorizations: repos.authorizations,
    history: repos.history,
    catalog,
    clock,
    vault,
    webex,
    events,
    passwordMaxAgeDays: 1825,
    reauthorizeLink,
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
    validator: {
      authorizations: repos.authorizations,
      tenants: repos.tenants,
      vault,
      webex,
      clientSecrets: options.clientSecrets ?? simClientSecrets,
      events,
      clock,
      catalog,
      config: { ...DEFAULT_VALIDATOR_CONFIG },
      reauthorizeLink,
      credentialIncidents: {
        store: new DynamoDbCredentialIncidentStore(table.documentClient, table.tableName),
      },
      random: () => 0.5,
      log: silentLog,
    },
    idempotency: new DynamoDbIdempotencyStore(table.documentClient, table.tableName),
  };
  const handler = createAdminApiHandler(deps, {
    ...silentObservability('admin-api'),
    ...(options.problemDocsUrl ? { problemDocsUrl: options.problemDocsUrl } : {}),
  });

  return {
    table,
    repos,
    deps,
    aws,
    events,
    vault,
    clock,
    validateCalls,
    async call(method, path, callOptions = {}) {
      const body =
        callOptions.rawBody ??
        (callOptions.body === undefined ? undefined : JSON.stringify(callOptions.body));
      const result = await handler(
        adminEvent(method, path, {
          ...(body !== undefined ? { body } : {}),
          ...(callOptions.base64 ? { base64: true } : {}),
          ...(callOptions.query !== undefined ? { query: callOptions.query } : {}),
          ...(callOptions.headers ? { headers: callOptions.headers } : {}),
        }),
        lambdaContext({ functionName: 'admin-api' }),
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
    close: async () => {
      aws.restore();
      await table.drop();
    },
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
  const sealedTokens = await harness.vault.seal({ tenantId, integration }, material);
  return harness.repos.authorizations.save(
    grantedAuthorization({ tenantId, integration, material, sealedTokens, now }, overrides),
    undefined,
  );
}
