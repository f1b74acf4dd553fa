import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdminApiHandler, type AdminApiDependencies } from '#functions/admin-api.app.js';
import {
  localLambdaContext,
  readLocalBody,
  sendApiGatewayResult,
  toApiGatewayEvent,
} from '#local/http-adapter.js';
import { afterAll, beforeAll } from 'vitest';
import { createAdminHarness, type AdminHarness } from './admin-harness.js';
import { silentObservability } from './fixtures.js';

export interface AdminServer {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  url: string;
  close(): Promise<void>;
}

/**
 * Serves the admin handler on loopback through the local run's API Gateway adapter, so a CLI
 * subprocess talks to the same code the stack deploys.
 */
export async function startAdminServer(deps: AdminApiDependencies): Promise<AdminServer> {
  const handler = createAdminApiHandler(deps, silentObservability('admin-api'));
  const server: Server = createServer((req, res) => {
    void (async () => {
      try {
        const event = toApiGatewayEvent(req, await readLocalBody(req));
        sendApiGatewayResult(res, await handler(event, localLambdaContext('admin-api')));
      } catch {
        res.writeHead(500).end();
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** An admin harness and its handler served on loopback, set up once for the enclosing describe block. */
export interface ServedAdminApi {
  /** The harness over DynamoDB Local (its deps are what the server serves). */
  h: AdminHarness;
  /** The CLI's flags that point it at the server: `--api <url>`. */
  api: string[];
}

/**
 * Registers the describe block's beforeAll and afterAll that start and stop a served admin API;
 * the returned object is filled in before the first test runs.
 */
export function useServedAdminApi(): ServedAdminApi {
  const served = { api: [] as string[] } as ServedAdminApi;
  let server: AdminServer | undefined;
  beforeAll(async () => {
    served.h = await createAdminHarness();
    server = await startAdminServer(served.h.deps);
    served.api = ['--api', server.url];
  });
  afterAll(async () => {
    await server?.close();
    await served.h?.close();
  });
  return served;
}
