import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { createPublicApiHandler } from '#functions/public-api.app.js';
import {
  localLambdaContext,
  readLocalBody,
  sendApiGatewayResult,
  toApiGatewayEvent,
} from '#local/http-adapter.js';

type PublicApiHandler = ReturnType<typeof createPublicApiHandler>;

/** A local HTTP server in front of a public API handler, for the browser tests. */
export interface PublicApiServer {
  /** `http://127.0.0.1:<port>`: the public base URL the handler's settings need. */
  publicBaseUrl: string;
  /** Routes every request to the handler from now on (a request before it gets a 500). */
  serve(handler: PublicApiHandler): void;
  close(): Promise<void>;
}

/**
 * Listens first and takes the handler afterwards: the simulator needs the server's redirect URI,
 * and the handler the simulator's URL.
 */
export async function startPublicApiServer(): Promise<PublicApiServer> {
  let handler: PublicApiHandler | undefined;
  const server = createServer((req, res) => {
    void (async () => {
      if (!handler) throw new Error('handler not ready');
      const event = toApiGatewayEvent(req, await readLocalBody(req));
      sendApiGatewayResult(res, await handler(event, localLambdaContext('public-api')));
    })().catch(() => {
      res.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    publicBaseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    serve: (next) => {
      handler = next;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
