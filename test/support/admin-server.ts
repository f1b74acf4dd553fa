import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdminApiHandler, type AdminApiDependencies } from '#functions/admin-api.app.js';
import {
  localLambdaContext,
  readLocalBody,
  sendApiGatewayResult,
  toApiGatewayEvent,
} from '#local/http-adapter.js';
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
