import { ConfigError } from '../functions/commons/config.js';
import { CatalogError } from '../functions/domain/catalog.js';
import { LocalDynamoDbError } from './dynamodb-local.js';
import { parseLocalEnvironment } from './local-config.js';
import { LocalStartError, startLocalSystem } from './local-system.js';

/** `npm start`: the whole system on this machine. `--fresh` starts from empty data. */
async function main(): Promise<void> {
  const environment = parseLocalEnvironment();
  const system = await startLocalSystem({
    port: environment.PORT,
    simulatorPort: environment.WEBEX_SIM_PORT,
    ...(environment.DYNAMODB_PORT ? { dynamoDbPort: environment.DYNAMODB_PORT } : {}),
    dataDir: environment.LOCAL_DATA_DIR,
    opsEmail: environment.OPS_EMAIL,
    fresh: process.argv.includes('--fresh'),
  });
  console.log(`DynamoDB Local: ${system.dynamoDb.endpoint}`);
  console.log(`Webex simulator: ${system.simulator.url}`);
  console.log(`Data: ${environment.LOCAL_DATA_DIR} (kept across runs; npm start -- --fresh starts over)`);
  console.log('Running: DynamoDB Local and the Webex simulator. Press Ctrl-C to stop.');

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
  const known = [ConfigError, CatalogError, LocalDynamoDbError, LocalStartError].some(
    (type) => error instanceof type,
  );
  console.error(known ? (error as Error).message : error);
  process.exit(1);
});
