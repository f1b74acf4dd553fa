import { ConfigError } from '#commons/config.js';
import { alertPolicyFrom } from '#commons/environment.js';
import { CatalogError, type Catalog } from '#domain/catalog.js';
import { DEFAULT_CHECK_BUDGET_LIMITS } from '#domain/check-budget.js';
import { defaultCatalog, readCatalogFile } from '#adapters/catalog-file.js';
import { SimStateFileError } from './webex-simulator/index.js';
import { LocalDynamoDbError } from './dynamodb-local.js';
import { parseLocalEnvironment } from './local-config.js';
import { brandingOf } from '#commons/branding-environment.js';
import { LocalStartError, startLocalSystem } from './local-system.js';
import { LOCAL_API } from '#cli/api-client.js';

/**
 * The catalog of this run, read as text and validated before anything starts: CATALOG_FILE when
 * set, `config/catalog.json` otherwise. Any problem (unreadable, not JSON, bad field) is one line.
 */
function loadCatalog(catalogFile: string | undefined): Catalog {
  return catalogFile === undefined
    ? defaultCatalog()
    : readCatalogFile(catalogFile, `CATALOG_FILE=${catalogFile}`);
}

/** `npm start`: the whole system on this machine. `--fresh` starts from empty data. */
async function main(): Promise<void> {
  // The handlers' CloudWatch metrics (EMF lines on stdout) mean nothing on a laptop and bury the
  // terminal; the logs still come at LOG_LEVEL.
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const environment = parseLocalEnvironment();
  const catalog = loadCatalog(environment.CATALOG_FILE);
  const branding = brandingOf(environment);
  const system = await startLocalSystem({
    port: environment.PORT,
    simulatorPort: environment.WEBEX_SIM_PORT,
    ...(environment.DYNAMODB_PORT ? { dynamoDbPort: environment.DYNAMODB_PORT } : {}),
    dataDir: environment.LOCAL_DATA_DIR,
    opsEmail: environment.OPS_EMAIL,
    fresh: process.argv.includes('--fresh'),
    catalog,
    sweepIntervalSeconds: environment.SWEEP_INTERVAL_SECONDS,
    ...(environment.CHECK_INTERVAL_SECONDS !== undefined && {
      checkIntervalSeconds: environment.CHECK_INTERVAL_SECONDS,
    }),
    checkBudget: {
      maxInFlight: environment.ORG_CHECKS_IN_FLIGHT ?? DEFAULT_CHECK_BUDGET_LIMITS.maxInFlight,
      callsPerMinute: environment.ORG_WEBEX_CALLS_PER_MINUTE ?? DEFAULT_CHECK_BUDGET_LIMITS.callsPerMinute,
    },
    logLevel: environment.LOG_LEVEL,
    alertPolicy: alertPolicyFrom(environment),
    ...(branding ? { branding } : {}),
  });
  console.log(`Portal: ${await system.demoPortalUrl()}`);
  console.log(`Mailbox: ${system.api.url}/_local/mailbox`);
  console.log(`Status: ${system.api.url}/_local/status`);
  console.log(`Webex simulator: ${system.simulator.url}/_sim`);
  // The CLI's default is the default port's API: on any other port it must be told where to go.
  const cliApi = system.api.url === LOCAL_API ? '' : ` --api ${system.api.url}`;
  console.log(
    `Admin API: ${system.api.url}/admin/tenants (unsigned locally; npx webex-auth-keeper${cliApi} tenants list)`,
  );
  console.log(
    system.api.serviceAppWebhook
      ? `serviceApp webhook: ${system.api.serviceAppWebhook.targetUrl} (registered with the simulator)`
      : 'serviceApp webhook: registered with the simulator once the vendor tenant authorizes the vendor token',
  );
  console.log(`DynamoDB Local: ${system.dynamoDb.endpoint}`);
  console.log(
    `Sweep: every ${environment.SWEEP_INTERVAL_SECONDS} s, or now with: curl -X POST ${system.api.url}/_local/sweep`,
  );
  console.log(`Data: ${environment.LOCAL_DATA_DIR} (kept across runs; npm start -- --fresh starts over)`);
  console.log('Press Ctrl-C to stop.');

  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping`);
    void system.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((error: unknown) => {
  const known = [ConfigError, CatalogError, LocalDynamoDbError, LocalStartError, SimStateFileError].some(
    (type) => error instanceof type,
  );
  console.error(known ? (error as Error).message : error);
  process.exit(1);
});
