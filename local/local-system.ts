import { rm } from 'node:fs/promises';
import { createServer as createNetServer } from 'node:net';
import { join, resolve } from 'node:path';
import { type Catalog } from '#domain/catalog.js';
import { defaultCatalog } from '#adapters/catalog-file.js';
import { createRepositories } from '#adapters/dynamodb/index.js';
import type { Tenant } from '#domain/model.js';
import {
  connectLocalDynamoDb,
  ensureTable,
  startLocalDynamoDb,
  type LocalDynamoDb,
} from './dynamodb-local.js';
import { FileTokenVault } from './adapters/file-token-vault.js';
import { LocalEventSink } from './adapters/local-event-sink.js';
import { LocalMailbox } from './adapters/local-mailbox.js';
import { LocalSecrets } from './adapters/local-secrets.js';
import { startWebexSimulator, type WebexSimulator } from './webex-simulator/index.js';
import type { Branding } from '#domain/branding.js';
import { startLocalApi, type LocalApi, type LocalApiOptions } from './local-api.js';
import { issueOnboardingLink } from '#domain/onboarding-link.js';
import { systemClock, type Clock } from '#domain/ports.js';
import { DEFAULT_ALERT_POLICY, type AlertPolicySettings } from '#domain/alert-policy.js';

export const LOCAL_TABLE_NAME = 'webex-auth-keeper';
export const DEMO_TENANT_ID = 'demo';
/**
 * The vendor's own tenant of the local run (VENDOR_TENANT_ID): created like any tenant (`tenants
 * create vendor`), it holds the vendor token of Service Apps (docs/service-apps.md).
 */
export const VENDOR_TENANT_ID = 'vendor';

export class LocalStartError extends Error {
  override readonly name = 'LocalStartError';
}

export interface LocalSystemOptions {
  port: number;
  simulatorPort: number;
  dynamoDbPort?: number;
  /**
   * A DynamoDB Local engine already running and the table to use on it, instead of an engine of
   * the system's own with its data under `<dataDir>/dynamodb`: test files share their tier's warm
   * engine this way rather than each starting a JVM. The table is created when missing.
   */
  dynamoDb?: { endpoint: string; tableName: string };
  dataDir: string;
  opsEmail: string;
  /** Delete the data directory first. */
  fresh?: boolean;
  catalog?: Catalog;
  /** Seconds between sweeps; 0: no timer, sweep on demand. */
  sweepIntervalSeconds: number;
  /** Seconds between two checks of a healthy authorization; default the sweep interval (900 without a timer). */
  checkIntervalSeconds?: number;
  /** The Webex call budget of one org's checks; default the deployed one. */
  checkBudget?: LocalApiOptions['checkBudget'];
  passwordMaxAgeDays?: number;
  linkTtlDays?: number;
  logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  /** The alert policy's tunables (docs/alerts.md); each one not given keeps its default. */
  alertPolicy?: Partial<AlertPolicySettings>;
  clock?: Clock;
  /** The vendor's branding of the portal and the public pages; a generic head without it. */
  branding?: Branding;
}

/** The parts the local API is built on. */
export interface LocalInfrastructure {
  simulator: WebexSimulator;
  dynamoDb: LocalDynamoDb;
  vault: FileTokenVault;
  events: LocalEventSink;
  /** Where the notifier's mail goes instead of SES. */
  mailbox: LocalMailbox;
  /** The vendor's ops address: vendor-side incidents and the digest. */
  opsEmail: string;
  secrets: LocalSecrets;
  /** The table on DynamoDB Local, and repositories over it for seeding and tests. */
  tableName: string;
  repositories: ReturnType<typeof createRepositories>;
  catalog: Catalog;
  publicBaseUrl: string;
  /** The vendor's own tenant id (VENDOR_TENANT_ID); not seeded: the vendor creates it like any tenant. */
  vendorTenantId: string;
}

/** Everything `npm start` runs, in one process; end-to-end tests start it too. */
export interface LocalSystem extends LocalInfrastructure {
  api: LocalApi;
  /** A fresh onboarding link of the demo tenant. */
  demoPortalUrl(): Promise<string>;
  stop(): Promise<void>;
}

async function assertPortFree(port: number, what: string, variable: string): Promise<void> {
  await new Promise<void>((resolvePort, reject) => {
    const probe = createNetServer();
    probe.once('error', () =>
      reject(
        new LocalStartError(
          `Port ${port} (${what}) is busy. Fix: stop what listens there, or start with ${variable}=<another port>`,
        ),
      ),
    );
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolvePort()));
  });
}

/** The demo tenant the local run seeds, so a new user can onboard at once. */
function demoTenant(now: Date): Tenant {
  return {
    tenantId: DEMO_TENANT_ID,
    name: 'Demo Customer',
    contacts: ['it@demo.example'],
    sso: false,
    linkVersion: 1,
    status: 'active',
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
  };
}

/**
 * Starts the local system: DynamoDB Local (data under `<dataDir>/dynamodb`, or the engine given),
 * the table, the Webex simulator with the catalog's integrations registered, the local vault,
 * secrets, event sink and mailbox, and the demo tenant. Stops whatever it started if a later step
 * fails.
 */
export async function startLocalSystem(options: LocalSystemOptions): Promise<LocalSystem> {
  const dataDir = resolve(options.dataDir);
  const catalog = options.catalog ?? defaultCatalog();
  if (options.fresh) await rm(dataDir, { recursive: true, force: true });
  await assertPortFree(options.port, 'API', 'PORT');
  await assertPortFree(options.simulatorPort, 'Webex simulator', 'WEBEX_SIM_PORT');

  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const step of stops.reverse()) await step().catch(() => undefined);
  };
  try {
    const tableName = options.dynamoDb?.tableName ?? LOCAL_TABLE_NAME;
    const dynamoDb = options.dynamoDb
      ? connectLocalDynamoDb(options.dynamoDb.endpoint)
      : await startLocalDynamoDb({
          dataDir: join(dataDir, 'dynamodb'),
          ...(options.dynamoDbPort ? { port: options.dynamoDbPort } : {}),
        });
    stops.push(() => dynamoDb.stop());
    await ensureTable(dynamoDb.client, tableName);
    const repositories = createRepositories(dynamoDb.client, tableName);

    const secrets = await LocalSecrets.open(join(dataDir, 'secrets'), catalog);
    // 127.0.0.1 rather than localhost: the API listens on IPv4 loopback only, whatever localhost resolves to.
    const publicBaseUrl = `http://127.0.0.1:${options.port}`;
    const simulator = await startWebexSimulator({
      port: options.simulatorPort,
      integrations: [...catalog.integrations, ...catalog.vendorIntegrations].map((integration) => ({
        clientId: integration.integrationId,
        clientSecret: secrets.clientSecrets[integration.key]!,
        name: integration.name,
        redirectUris: [`${publicBaseUrl}/oauth/callback`],
      })),
      serviceApps: catalog.serviceApps.map((app) => ({
        clientId: app.clientId,
        clientSecret: secrets.clientSecrets[app.key]!,
        name: app.name,
        scopes: app.scopes,
        applicationId: app.applicationId,
      })),
      stateFile: join(dataDir, 'webex-simulator.json'),
    });
    stops.push(() => simulator.close());

    const vault = await FileTokenVault.open(join(dataDir, 'vault'), tableName);
    const clock = options.clock ?? systemClock;
    const events = await LocalEventSink.open(join(dataDir, 'events'));
    const mailbox = await LocalMailbox.open(join(dataDir, 'events'), () => clock.now());

    if (!(await repositories.tenants.get(DEMO_TENANT_ID))) {
      const tenant = demoTenant(clock.now());
      await repositories.tenants.create(tenant);
    }
    const infrastructure = {
      simulator,
      dynamoDb,
      vault,
      events,
      mailbox,
      opsEmail: options.opsEmail,
      secrets,
      tableName,
      repositories,
      catalog,
      publicBaseUrl,
      vendorTenantId: VENDOR_TENANT_ID,
    };
    const linkTtlDays = options.linkTtlDays ?? 14;
    const api = await startLocalApi(infrastructure, {
      port: options.port,
      checkIntervalSeconds:
        options.checkIntervalSeconds ??
        (options.sweepIntervalSeconds > 0 ? options.sweepIntervalSeconds : 900),
      passwordMaxAgeDays: options.passwordMaxAgeDays ?? 1825,
      linkTtlDays,
      ...(options.branding ? { branding: options.branding } : {}),
      ...(options.checkBudget ? { checkBudget: options.checkBudget } : {}),
      ...(options.sweepIntervalSeconds > 0 ? { sweepRateSeconds: options.sweepIntervalSeconds } : {}),
      logLevel: options.logLevel ?? 'WARN',
      alertPolicy: { ...DEFAULT_ALERT_POLICY, ...options.alertPolicy },
      clock,
    });
    stops.push(() => api.close());
    if (options.sweepIntervalSeconds > 0) {
      const timer = setInterval(() => {
        api.sweep().catch((error: unknown) => console.error(`Sweep failed: ${(error as Error).message}`));
      }, options.sweepIntervalSeconds * 1000);
      stops.push(async () => clearInterval(timer));
    }
    const demoPortalUrl = async () => {
      const tenant = await repositories.tenants.get(DEMO_TENANT_ID);
      if (!tenant) throw new LocalStartError('The demo tenant is gone; start with --fresh to seed it again');
      return issueOnboardingLink({
        tenant,
        key: await secrets.linkSigningKeySource.get(),
        clock,
        ttlDays: linkTtlDays,
        publicBaseUrl,
      }).url;
    };
    return { ...infrastructure, api, demoPortalUrl, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
