import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { createAdminApiHandler, parseStatusBoardQuery } from '#functions/admin-api.app.js';
import { toProblem } from '#http/admin-answers.js';
import { tableDefinition } from '#adapters/table-definition.js';
import {
  composeKeeper,
  composeNotifier,
  type KeeperComposition,
  type KeeperSettings,
  type NotifierComposition,
} from '#commons/composition-root.js';
import type { AlertPolicySettings } from '#domain/alert-policy.js';
import { flushNotifications, notifyAuthorizationEvent } from '#domain/notifier.js';
import { renderStatusBoardPage } from '#http/pages/status-board-page.js';
import { STATUS_BOARD_CONTENT_SECURITY_POLICY } from '#http/pages/layout.js';
import type { Clock, Log } from '#domain/ports.js';
import type { Branding } from '#domain/branding.js';
import { getStatusBoard } from '#domain/admin.js';
import type { StatusBoard } from '#domain/status-board.js';
import { runSweep, type SweepReport } from '#domain/sweep.js';
import { SECURITY_HEADERS, createPublicApiHandler } from '#functions/public-api.app.js';
import {
  LocalBodyTooLargeError,
  MAX_LOCAL_BODY_BYTES,
  localLambdaContext,
  readLocalBody,
  sendApiGatewayResult,
  splitRequestTarget,
  toApiGatewayEvent,
} from './http-adapter.js';
import type { LocalInfrastructure } from './local-system.js';
import { keepServiceAppWebhookRegistered } from './service-app-webhook.js';
import type { RegisteredWebhooks } from '#domain/service-app-webhook-registration.js';
import { MAILBOX_CONTENT_SECURITY_POLICY, renderMailboxPage } from './pages/mailbox-page.js';
import { renderStatusQueryRefusalPage } from './pages/status-query-refusal-page.js';

export interface LocalApiOptions {
  port: number;
  /** Seconds between two checks of a healthy authorization; the local sweep timer runs as often. */
  checkIntervalSeconds: number;
  passwordMaxAgeDays: number;
  linkTtlDays: number;
  /** Seconds between two sweeps of the timer, when it runs more often than the check interval. */
  sweepRateSeconds?: number;
  /** The Webex call budget of one org's checks (ORG_CHECKS_IN_FLIGHT, ORG_WEBEX_CALLS_PER_MINUTE); absent, the deployed defaults. */
  checkBudget?: KeeperSettings['checkBudget'];
  /** Powertools log level of the handlers; WARN keeps the terminal readable. */
  logLevel: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  /** The alert policy the notifier follows (docs/alerts.md). */
  alertPolicy: AlertPolicySettings;
  clock?: Clock;
  /** The vendor's branding of the portal and the public pages; a generic head without it. */
  branding?: Branding;
}

export interface LocalApi {
  url: string;
  /**
   * One sweep in-process: dispatch from the `due` index and validate what is due, or, with a
   * horizon, also what falls due within it (the timer passes none; `/_local/sweep` one interval);
   * then the notifier's flush, as the deployed schedule runs it: the incidents that closed and the
   * digest periods that ended are mailed.
   */
  sweep(horizonSeconds?: number): Promise<SweepReport>;
  /** The `serviceApp` webhook as registered at start; undefined until the vendor token exists. */
  serviceAppWebhook: RegisteredWebhooks | undefined;
  close(): Promise<void>;
}

/**
 * The composition over the local adapters: the one composition root the Lambda handlers use, with
 * DynamoDB Local, the simulator as Webex, and the local vault, secrets and event sink in place
 * of their AWS adapters.
 */
export function composeLocal(
  system: LocalInfrastructure,
  options: Pick<
    LocalApiOptions,
    | 'checkIntervalSeconds'
    | 'passwordMaxAgeDays'
    | 'linkTtlDays'
    | 'clock'
    | 'branding'
    | 'checkBudget'
    | 'sweepRateSeconds'
  >,
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
      ...(options.sweepRateSeconds ? { sweepRateSeconds: options.sweepRateSeconds } : {}),
      ...(options.checkBudget ? { checkBudget: options.checkBudget } : {}),
      // Locally a new authorization is checked by the next sweep, so a demo sees it at once.
      firstCheckDelaySeconds: 0,
      vendorTenantId: system.vendorTenantId,
      ...(options.branding ? { branding: options.branding } : {}),
    },
    platform: {
      vault: system.vault,
      clientSecrets: system.secrets.clientSecretSource,
      linkKeys: system.secrets.linkSigningKeySource,
      events: system.events,
    },
    catalog: system.catalog,
    ...(options.clock ? { clock: options.clock } : {}),
    log,
    webhookSecret: system.secrets.webhookSecretSource,
  });
}

/**
 * The notifier over the local adapters: the one composition the deployed notifier uses, on
 * DynamoDB Local (its alert ledger and sent-mail keys in the table) with the local mailbox in
 * place of SES; the digest links the local status board.
 */
export function composeLocalNotifier(
  system: LocalInfrastructure,
  options: Pick<LocalApiOptions, 'passwordMaxAgeDays' | 'linkTtlDays' | 'alertPolicy' | 'clock'>,
  log: Log,
): NotifierComposition {
  return composeNotifier({
    dynamoDb: system.dynamoDb.client,
    tableName: system.tableName,
    catalog: system.catalog,
    linkKeys: system.secrets.linkSigningKeySource,
    mail: system.mailbox,
    opsEmail: system.opsEmail,
    publicBaseUrl: system.publicBaseUrl,
    linkTtlDays: options.linkTtlDays,
    passwordMaxAgeDays: options.passwordMaxAgeDays,
    policy: options.alertPolicy,
    statusBoardUrl: `${system.publicBaseUrl}/_local/status`,
    clientSecretLocation: system.secrets.clientSecretsPath,
    ...(options.clock ? { clock: options.clock } : {}),
    log,
  });
}

/** The local pages' headers: the public pages' own (CSP, framing, referrer, no-store...). */
const pageHeaders = { ...SECURITY_HEADERS, 'Content-Type': 'text/html; charset=utf-8' };

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res
    .writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': 'application/json' })
    .end(JSON.stringify(body));
}

/** A refusal of the request itself: its status and one line that says why, nothing read further. */
function refuse(res: ServerResponse, status: number, reason: string): void {
  res
    .writeHead(status, {
      ...SECURITY_HEADERS,
      'Content-Type': 'text/plain; charset=utf-8',
      Connection: 'close',
    })
    .end(`${reason}\n`);
}

const ADMIN_WRITES = new Set(['POST', 'PATCH', 'PUT', 'DELETE']);

/** `application/json`, with or without parameters such as `charset`. */
function isJson(contentType: string | undefined): boolean {
  return contentType?.split(';')[0]?.trim().toLowerCase() === 'application/json';
}

/**
 * Why the local API refuses a request before reading it, if it does: a `Host` other than its own
 * loopback names (a DNS-rebinding page's request arrives with the attacker's host name), a target
 * that is not a path, a declared body over MAX_LOCAL_BODY_BYTES, or an admin write from a web page
 * (any `Origin` not ours: the unsigned local admin API must not take a cross-site POST).
 */
function refusalOf(
  req: IncomingMessage,
  hosts: ReadonlySet<string>,
): { status: number; reason: string } | undefined {
  const host = req.headers.host?.toLowerCase();
  if (host === undefined || !hosts.has(host)) {
    return {
      status: 421,
      reason: `Misdirected request: this local API answers only Host ${[...hosts].join(' or ')}.`,
    };
  }
  const target = splitRequestTarget(req.url ?? '');
  if (!target) return { status: 400, reason: 'Bad request: the request target must be a path.' };
  if (Number(req.headers['content-length'] ?? 0) > MAX_LOCAL_BODY_BYTES) {
    return { status: 413, reason: `Request body too large: at most ${MAX_LOCAL_BODY_BYTES} bytes.` };
  }
  const origin = req.headers.origin?.toLowerCase();
  const fromOurPages = origin === undefined || [...hosts].some((own) => origin === `http://${own}`);
  if (isAdminPath(target.rawPath) && ADMIN_WRITES.has(req.method ?? '') && !fromOurPages) {
    return { status: 403, reason: 'Forbidden: the local admin API takes no request from another site.' };
  }
  return undefined;
}

function isAdminPath(path: string): boolean {
  return path === '/admin' || path.startsWith('/admin/');
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
  // One logger per handler, as each deployed function has its own: a shared one would carry the
  // Lambda context of whichever handler ran last (sweep lines said `function_name: public-api`).
  const loggerOf = (functionName: string) => {
    const logger = new Logger({ serviceName: functionName, logLevel: options.logLevel });
    logger.addContext(localLambdaContext(functionName));
    return logger;
  };
  const publicLogger = loggerOf('public-api');
  const adminLogger = loggerOf('admin-api');
  const sweepLogger = loggerOf('sweep');
  const serverLogger = loggerOf('local-api');
  // No CloudWatch here (start.ts disables the EMF output): Metrics' own diagnostics, such as
  // "No application metrics to publish" after every request, would only bury the terminal.
  const metrics = new Metrics({ namespace: 'WebexAuthKeeper', serviceName: 'local', logger: silent });
  // A composition per handler, so the adapters (the Webex client, the contact sync) log under the
  // handler that called them.
  const { validator } = composeLocal(system, options, sweepLogger);
  const { publicApi } = composeLocal(system, options, publicLogger);
  const { adminApi } = composeLocal(system, options, adminLogger);
  // The bus's rule onto the notifier's queue, in-process: every event goes through the alert policy.
  const notifier = composeLocalNotifier(system, options, loggerOf('notifier'));
  system.events.subscribe(async (event) => {
    await notifyAuthorizationEvent(notifier, event);
  });
  const publicHandler = createPublicApiHandler(publicApi, { logger: publicLogger, metrics });
  const adminHandler = createAdminApiHandler(adminApi, { logger: adminLogger, metrics });

  // Sweeps never overlap: a timer tick or a /_local/sweep during a sweep waits for it and runs after.
  let running: Promise<SweepReport> = Promise.resolve({
    dispatched: 0,
    outcomes: [],
    errors: [],
    checkFailing: [],
  });
  const sweep = (horizonSeconds = 0) => {
    running = running
      .catch(() => undefined)
      .then(async () => {
        const report = await runSweep(validator, { shards: tableDefinition.dueShards, horizonSeconds });
        await flushNotifications(notifier);
        return report;
      });
    return running;
  };

  /** The Host values this API answers, once it listens: its own address and localhost, with its port. */
  let hosts: ReadonlySet<string> = new Set();

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const refusal = refusalOf(req, hosts);
    if (refusal) return refuse(res, refusal.status, refusal.reason);
    const path = splitRequestTarget(req.url ?? '/')?.rawPath ?? '/';
    const method = req.method ?? 'GET';
    if (path === '/_local/sweep' && method === 'POST') {
      // "Sweep now" does what the next scheduled sweep would: everything due before it runs.
      const report = await sweep(options.checkIntervalSeconds);
      return sendJson(res, 200, {
        dispatched: report.dispatched,
        outcomes: report.outcomes,
        errors: report.errors.map(({ key, error, errorId }) => ({
          ...key,
          error: error instanceof Error ? error.name : 'Error',
          ...(errorId ? { errorId } : {}),
        })),
        checkFailing: report.checkFailing.map(({ key, errorId }) => ({ ...key, errorId })),
      });
    }
    if (path === '/_local/mailbox.json' && method === 'GET')
      return sendJson(res, 200, system.mailbox.mailbox());
    if (path === '/_local/mailbox' && method === 'GET') {
      res
        .writeHead(200, { ...pageHeaders, 'Content-Security-Policy': MAILBOX_CONTENT_SECURITY_POLICY })
        .end(renderMailboxPage(system.mailbox.mailbox()));
      return;
    }
    if (path === '/_local/status' && method === 'GET') {
      // The admin API's board (same query, same refusals, same page), unsigned: the filter form
      // submits here. A bad cursor is only found by the listing, so the refusal covers the read.
      let board: StatusBoard;
      try {
        const rawQueryString = splitRequestTarget(req.url ?? '/')?.rawQueryString ?? '';
        board = await getStatusBoard(adminApi, parseStatusBoardQuery({ rawQueryString }, adminApi.catalog));
      } catch (error) {
        const refusal = toProblem(error);
        if (refusal?.status !== 400) throw error;
        res.writeHead(400, pageHeaders).end(renderStatusQueryRefusalPage(refusal.detail));
        return;
      }
      res
        .writeHead(200, { ...pageHeaders, 'Content-Security-Policy': STATUS_BOARD_CONTENT_SECURITY_POLICY })
        .end(renderStatusBoardPage(board));
      return;
    }
    let body: string;
    try {
      body = await readLocalBody(req);
    } catch (error) {
      if (!(error instanceof LocalBodyTooLargeError)) throw error;
      return refuse(res, 413, `Request body too large: at most ${MAX_LOCAL_BODY_BYTES} bytes.`);
    }
    const isAdmin = isAdminPath(path);
    if (isAdmin && ADMIN_WRITES.has(method) && body !== '' && !isJson(req.headers['content-type'])) {
      return refuse(res, 415, 'Unsupported media type: an admin request body must be application/json.');
    }
    const event = toApiGatewayEvent(req, body);
    const result = isAdmin
      ? await adminHandler(event, localLambdaContext('admin-api'))
      : await publicHandler(event, localLambdaContext('public-api'));
    sendApiGatewayResult(res, result);
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      serverLogger.error('local API request failed', {
        error: error instanceof Error ? error.name : 'Error',
      });
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error, see the terminal' });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  hosts = new Set([`${address}:${port}`, `127.0.0.1:${port}`, `localhost:${port}`]);
  // Once the API listens: registering makes the simulator answer deliveries to it.
  const serviceAppWebhook = await keepServiceAppWebhookRegistered({
    webhooks: adminApi.serviceAppWebhooks,
    events: system.events,
    catalog: system.catalog,
    vendorTenantId: system.vendorTenantId,
    log: adminLogger,
  });
  return {
    url: `http://127.0.0.1:${port}`,
    sweep,
    serviceAppWebhook,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
