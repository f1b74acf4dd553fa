import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTokenClient } from '#scripts/build-token-client.js';
import {
  linkTokenOf,
  onboardOverHttp,
  request,
  startTestLocalSystem,
  type TestLocalSystem,
} from '#test-support/security-local.js';

const run = promisify(execFile);
const repo = join(import.meta.dirname, '..', '..');
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** A service's script: reads a token, a refused one and a refreshed one; prints no token, only its hash. */
const CONSUMER = `
import { createHash } from 'node:crypto';
import { createTokenAccess, LocalKeyDataKeys, NotAuthorizedError } from '@webex-auth-keeper/token-client';

const env = JSON.parse(process.env.LOCAL_RUN);
const options = {
  tableName: env.tableName,
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  endpoints: { dynamoDb: env.dynamoDbEndpoint },
  dataKeys: new LocalKeyDataKeys(Buffer.from(env.vaultKey, 'base64')),
  clientSecrets: { get: async (integration) => env.clientSecrets[integration] },
  webexApiBaseUrl: env.webexApiBaseUrl,
};
const hash = (text) => createHash('sha256').update(text).digest('hex');
const read = await createTokenAccess(options).getAccessToken('demo', 'presence');
const refused = await createTokenAccess(options).getAccessToken('demo', 'cdr').catch((error) => error);
// A margin longer than the token lives: the token is refreshed at Webex and saved, sealed, on the record.
const refreshed = await createTokenAccess({ ...options, refreshMarginMs: 30 * 86400000 }).getAccessToken('demo', 'presence');
console.log(JSON.stringify({
  read: { ...read, accessToken: hash(read.accessToken) },
  refused: { notAuthorized: refused instanceof NotAuthorizedError, reason: refused.reason },
  refreshed: { ...refreshed, accessToken: hash(refreshed.accessToken) },
}));
`;

/** The same in TypeScript, type-checked against the package's declarations only. */
const TYPED_CONSUMER = `
import { createTokenAccess, AuthorizationInvalidError, type AccessToken } from '@webex-auth-keeper/token-client';

const tokens = createTokenAccess({ tableName: 'webex-auth-keeper-table', region: 'eu-west-1' });
export async function tokenOf(tenantId: string): Promise<AccessToken | 'reauthorize'> {
  try {
    return await tokens.getAccessToken(tenantId, 'presence');
  } catch (error) {
    if (error instanceof AuthorizationInvalidError) return 'reauthorize';
    throw error;
  }
}
// @ts-expect-error the table name is required
createTokenAccess({ region: 'eu-west-1' });
`;

/*
 * The token client as a service gets it: built (npm run build), packed (npm pack), installed from
 * the tarball into a project outside the repo, then run against the local run (DynamoDB Local, the
 * local key, the Webex simulator) through its endpoint and key options.
 */
describe('the token client package, packed and installed outside the repo', () => {
  let local: TestLocalSystem;
  let consumerDir: string;

  beforeAll(async () => {
    const [, started] = await Promise.all([
      (async () => {
        await buildTokenClient();
        consumerDir = await mkdtemp(join(tmpdir(), 'token-client-consumer-'));
        await run(
          'npm',
          ['pack', join(repo, 'packages', 'token-client'), '--pack-destination', consumerDir],
          {
            cwd: repo,
          },
        );
        const tarball = (await readdir(consumerDir)).find((name) => name.endsWith('.tgz'));
        if (!tarball) throw new Error('npm pack wrote no tarball');
        await writeFile(
          join(consumerDir, 'package.json'),
          JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
        );
        await run('npm', ['install', `./${tarball}`, '--prefer-offline', '--no-audit', '--no-fund'], {
          cwd: consumerDir,
        });
      })(),
      startTestLocalSystem(),
    ]);
    local = started;
    const onboarded = await onboardOverHttp(
      local.system,
      linkTokenOf(await local.system.demoPortalUrl()),
      'presence',
      'admin@demo.example',
    );
    expect(onboarded.callback.status).toBe(200);
  }, 240_000);

  afterAll(async () => {
    await local?.stop();
    if (consumerDir) await rm(consumerDir, { recursive: true, force: true });
  });

  it('installs with exports, types and ESM, and only its own dependencies', async () => {
    const manifest = JSON.parse(
      await readFile(
        join(consumerDir, 'node_modules', '@webex-auth-keeper', 'token-client', 'package.json'),
        'utf8',
      ),
    ) as { type: string; exports: Record<string, { types: string; import: string }> };
    expect(manifest.type).toBe('module');
    expect(Object.keys(manifest.exports)).toEqual(['.']);
    const installed = await readdir(join(consumerDir, 'node_modules'));
    expect(installed).not.toContain('aws-cdk-lib');
    expect(installed).not.toContain('@middy');
  });

  it('reads the token the local run holds, a typed refusal, and a refreshed token', async () => {
    const { system, dataDir } = local;
    const viaHttp = await request(`${system.api.url}/admin/tenants/demo/authorizations/presence/token`);
    expect(viaHttp.status).toBe(200);
    const expected = JSON.parse(viaHttp.body) as { accessToken: string; expiresAt: string };

    await writeFile(join(consumerDir, 'read-token.mjs'), CONSUMER);
    const { stdout } = await run(process.execPath, ['read-token.mjs'], {
      cwd: consumerDir,
      env: {
        ...process.env,
        LOCAL_RUN: JSON.stringify({
          tableName: system.tableName,
          dynamoDbEndpoint: system.dynamoDb.endpoint,
          vaultKey: (await readFile(join(dataDir, 'vault', 'vault.key'), 'utf8')).trim(),
          clientSecrets: system.secrets.clientSecrets,
          webexApiBaseUrl: system.simulator.url,
        }),
      },
    });
    const result = JSON.parse(stdout) as {
      read: { accessToken: string; expiresAt: string; status: string };
      refused: { notAuthorized: boolean; reason: string };
      refreshed: { accessToken: string; status: string };
    };

    expect(result.read).toMatchObject({
      accessToken: sha256(expected.accessToken),
      expiresAt: expected.expiresAt,
      status: 'active',
    });
    expect(result.refused).toEqual({ notAuthorized: true, reason: 'not_found' });
    expect(result.refreshed.accessToken).not.toBe(result.read.accessToken);
    const afterRefresh = await request(`${system.api.url}/admin/tenants/demo/authorizations/presence/token`);
    expect(sha256((JSON.parse(afterRefresh.body) as { accessToken: string }).accessToken)).toBe(
      result.refreshed.accessToken,
    );
  });

  it('type-checks a TypeScript consumer against the installed declarations', async () => {
    await writeFile(join(consumerDir, 'consumer.ts'), TYPED_CONSUMER);
    const tsc = join(repo, 'node_modules', 'typescript', 'bin', 'tsc');
    const checked = await run(
      process.execPath,
      [
        tsc,
        '--noEmit',
        '--strict',
        '--module',
        'nodenext',
        '--moduleResolution',
        'nodenext',
        '--target',
        'es2022',
        '--skipLibCheck',
        '--types',
        'node',
        '--typeRoots',
        join(repo, 'node_modules', '@types'),
        'consumer.ts',
      ],
      { cwd: consumerDir },
    ).catch((error: { stdout: string }) => ({ stdout: error.stdout, failed: true }));
    expect(checked.stdout).toBe('');
  });
});
