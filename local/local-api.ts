import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { createAdminApiHandler } from '../functions/admin-api.app.js';
import { tableDefinition } from '../functions/adapters/table-definition.js';
import { composeKeeper, type KeeperComposition } from '../functions/commons/composition-root.js';
import { renderStatusBoardPage } from '../functions/http/pages/status-board-page.js';
import { CONTENT_SECURITY_POLICY } from '../functions/http/pages/layout.js';
import type { Clock, Log } from '../functions/domain/ports.js';
import { buildStatusBoard } from '../functions/domain/status-board.js';
import { runSweep, type SweepReport } from '../functions/domain/sweep.js';
import { createPublicApiHandler } from '../functions/public-api.app.js';
import {
  localLambdaContext,
  readLocalBody,
  sendApiGatewayResult,
  toApiGatewayEvent,
} from './http-adapter.js';
import type { LocalInfrastructure } from './local-system.js';
import { renderMailboxPage } from './pages/mailbox-page.js';

export interface LocalApiOptions {
  port: number;
  /** Seconds between two checks of a healthy authorization; the local sweep timer runs as often. */
  checkIntervalSeconds: number;
  passwordMaxAgeDays: number;
  linkTtlDays: number;
  /** Powertools log level of the handlers; WARN keeps the terminal readable. */
  logLevel: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  clock?: Clock;
}

export interface LocalApi {
  url: string;
  /**
   * One sweep in-process: dispatch from the `due` index and validate what is due, or, with a
   * horizon, also what falls due within it (the timer passes none; `/_local/sweep` one interval).
   */
  sweep(horizonSeconds?: number): Promise<SweepReport>;
  close(): Promise<void>;
}

/**
 * The composition over the local adapters: the one composition root the Lambda handlers use, with
 * DynamoDB Local, the simulator as Webex, and the local vault, secrets and event sink in place
 * of their AWS adapters.
 */
export function composeLocal(
  system: LocalInfrastructure,
  options: Pick<LocalApiOptions, 'checkIntervalSeconds' | 'passwordMaxAgeDays' | 'linkTtlDays' | 'clock'>,
  log: Log,
): KeeperComposition {
  return composeKeeper({
    dynamoDb: system.dynamoDb.client,
    tableName: system.tableName,
    settings: {
      publicBaseUrl: system.publicBaseUrl,
      webexApiBaseUrl: system.simulator.url,
      passwordMaxAgeDays: options.passwordMaxAgeDays,
      linkTtlDays: options.linkTtlDays,
      checkIntervalSeconds: options.checkIntervalSeconds,
      // Locally a new authorization is checked by the next sweep, so a demo sees it at once.
      firstCheckDelaySeconds: 0,
    },
    platform: {
      vault: system.vault,
      clientSecrets: system.secrets.clientSecretSource,
      linkKeys: system.secrets.linkSigningKeySource,
      events: system.events,
      contacts: system.events,
    },
    catalog: system.catalog,
    ...(options.clock ? { clock: options.clock } : {}),
    log,
  });
}

const pageHeaders = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
};

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res
    .writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' })
    .end(JSON.stringify(body));
}

const ignore = () => undefined;
const silent = { debug: ignore, info: ignore, warn: ignore, error: ignore };

/**
 * Serves the deployed handlers on localhost with API Gateway HTTP API (v2) events: the public
 * routes and `/admin/*` (unsigned here: the local run has no IAM), plus the local-only pages
 * `/_local/mailbox`, `/_local/status` and `POST /_local/sweep`.
 */
export async function startLocalApi(
  system: LocalInfrastructure,
  options: LocalApiOptions,
): Promise<LocalApi> {
  const logger = new Logger({ serviceName: 'local', logLevel: options.logLevel });
  // No CloudWatch here (start.ts disables the EMF output): Metrics' own diagnostics, such as
  // "No application metrics to publish" after every request, would only bury the terminal.
  const metrics = new Metrics({ namespace: 'WebexAuthKeeper', serviceName: 'local', logger: silent });
  const { ports, validator, publicApi, adminApi } = composeLocal(system, options, logger);
  const publicHandler = createPublicApiHandler(publicApi, { logger, metrics });
  const adminHandler = createAdminApiHandler(adminApi, { logger, metrics });

  // Sweeps never overlap: a timer tick or a /_local/sweep during a sweep waits for it and runs after.
  let running: Promise<SweepReport> = Promise.resolve({ dispatched: 0, outcomes: [], errors: [] });
  const sweep = (horizonSeconds = 0) => {
    running = running
      .catch(() => undefined)
      .then(() => runSweep(validator, { shards: tableDefinition.dueShards, horizonSeconds }));
    return running;
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const method = req.method ?? 'GET';
    if (path === '/_local/sweep' && method === 'POST') {
      // "Sweep now" does what the next scheduled sweep would: everything due before it runs.
      const report = await sweep(options.checkIntervalSeconds);
      return sendJson(res, 200, {
        dispatched: report.dispatched,
        outcomes: report.outcomes,
        errors: report.errors.map(({ key, error }) => ({
          ...key,
          error: error instanceof Error ? error.name : 'Error',
        })),
      });
    }
    if (path === '/_local/mailbox.json' && method === 'GET')
      return sendJson(res, 200, system.events.mailbox());
    if (path === '/_local/mailbox' && method === 'GET') {
      res.writeHead(200, pageHeaders).end(renderMailboxPage(system.events.mailbox()));
      return;
    }
    if (path === '/_local/status' && method === 'GET') {
      const board = await buildStatusBoard({
        tenants: ports.tenants,
        authorizations: ports.authorizations,
        catalog: ports.catalog,
        passwordMaxAgeDays: options.passwordMaxAgeDays,
        now: ports.clock.now(),
      });
      res.writeHead(200, pageHeaders).end(renderStatusBoardPage(board));
      return;
    }
    const event = toApiGatewayEvent(req, await readLocalBody(req));
    const isAdmin = path === '/admin' || path.startsWith('/admin/');
    const result = isAdmin
      ? await adminHandler(event, localLambdaContext('admin-api'))
      : await publicHandler(event, localLambdaContext('public-api'));
    sendApiGatewayResult(res, result);
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      logger.error('local API request failed', { error: error instanceof Error ? error.name : 'Error' });
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error, see the terminal' });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    sweep,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
