import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { handleApi, RESOURCE_NOT_FOUND_MESSAGE } from './api-routes.js';
import { handleControlPage, isControlPagePath } from './control-page.js';
import { handleControl } from './control-routes.js';
import { HttpError, sendHtml, sendWebexError, type Exchange } from './http.js';
import { newTrackingId } from './ids.js';
import { decideConsent, issueTokens, showConsent } from './oauth-routes.js';
import { errorPage } from './pages.js';
import { handleServiceAppApi, isServiceAppApiPath } from './service-app-routes.js';
import { readStateFile, StateFileWriter } from './state-file.js';
import { SimWorld, type SimIntegration, type SimServiceApp } from './world.js';

export type { SimIntegration, SimServiceApp } from './world.js';
export { serviceAppId, SimWorld } from './world.js';
export { SERVICE_APP_NOT_AUTHORIZED_MESSAGE } from './service-app-routes.js';
export { signWebhookBody } from './webhooks.js';
export { ACCESS_DENIED_TEXT } from './pages.js';
export { FORBIDDEN_MESSAGE, INVALID_TOKEN_MESSAGE } from './api-routes.js';
export { DEAD_REFRESH_TOKEN_TEXT } from './world.js';
export { SimStateFileError } from './state-file.js';
export {
  authorizeUrl,
  newPkcePair,
  obtainTokens,
  readConsentForm,
  submitConsent,
  type ConsentForm,
  type TokenResponse,
} from './consent-client.js';

/** How to start the simulator; every field has a default. */
export interface WebexSimulatorOptions {
  /** Port to listen on; 0 (the default) picks a free one. */
  port?: number;
  /** Interface to listen on; default 127.0.0.1 (never exposed beyond the machine by default). */
  host?: string;
  /** `expires_in` of access tokens; default 1209599 s, Webex's example (about 14 days). */
  accessTokenLifetimeSeconds?: number;
  /** `refresh_token_expires_in`; default 7775999 s, Webex's example (about 90 days). */
  refreshTokenLifetimeSeconds?: number;
  /** Whether a refresh extends the refresh token's expiry (SimSettings); default true, as Webex does. */
  extendRefreshTokens?: boolean;
  /** Seed "Demo Org" with admin@, sso-admin@ and user@demo.example; default true. */
  seedDemoOrg?: boolean;
  /** Integrations registered from the start (more can be added through `/_sim/integrations`). */
  integrations?: SimIntegration[];
  /** Service Apps registered from the start (authorized per org through `/_sim/orgs/...`). */
  serviceApps?: SimServiceApp[];
  /**
   * A JSON file that keeps the state across restarts: loaded at start when it exists (a file that
   * does not parse is refused with SimStateFileError), saved shortly after every request that
   * changed the state and on `close()`. Integrations and Service Apps passed above win over those of the file.
   * Default: none, the state lives in memory only.
   */
  stateFile?: string;
}

/** A running simulator. */
export interface WebexSimulator {
  /** Base URL, e.g. `http://127.0.0.1:8788`, without a trailing slash. */
  url: string;
  /** The in-memory state; the `/_sim` routes call the same methods. */
  world: SimWorld;
  /** Stops listening, drops open connections and, with a `stateFile`, saves the state one last time. */
  close(): Promise<void>;
}

/**
 * Starts a Webex simulator: the OAuth routes, the REST routes the product uses, fault injection
 * and the `/_sim` control API, on one node:http server.
 */
export async function startWebexSimulator(options: WebexSimulatorOptions = {}): Promise<WebexSimulator> {
  const world = new SimWorld({
    accessTokenLifetimeSeconds: options.accessTokenLifetimeSeconds ?? 1_209_599,
    refreshTokenLifetimeSeconds: options.refreshTokenLifetimeSeconds ?? 7_775_999,
    extendRefreshTokens: options.extendRefreshTokens ?? true,
    seedDemoOrg: options.seedDemoOrg ?? true,
    integrations: options.integrations ?? [],
    serviceApps: options.serviceApps ?? [],
  });
  // Loaded before listening, so that a refused file leaves no port taken.
  const saved = options.stateFile ? await readStateFile(options.stateFile) : undefined;
  if (saved) world.restore(saved);
  const writer = options.stateFile
    ? new StateFileWriter(options.stateFile, () => world.snapshot())
    : undefined;
  const server = createServer((req, res) => {
    // Any request may change the state (even a GET records the caller's activity); the writer
    // compares before writing, so asking after each one costs no write when nothing changed.
    void handle(world, req, res).finally(() => writer?.schedule());
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}`,
    world,
    close: async () => {
      await new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
      await writer?.close();
    },
  };
}

async function handle(world: SimWorld, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const exchange: Exchange = {
    req,
    res,
    url: requestUrl(req.url),
    trackingId: newTrackingId(),
  };
  res.setHeader('TrackingId', exchange.trackingId);
  try {
    await route(exchange, world);
  } catch (error) {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (error instanceof HttpError) return sendWebexError(exchange, error.status, error.message);
    // Only the error's name goes to the log: a message could quote a request value.
    console.error(
      `Webex simulator: ${req.method ?? ''} ${exchange.url.pathname} failed: ${errorName(error)}`,
    );
    sendWebexError(exchange, 500, 'Something went wrong on the server.');
  }
}

async function route(exchange: Exchange, world: SimWorld): Promise<void> {
  const { pathname } = exchange.url;
  const method = exchange.req.method ?? 'GET';
  if (isControlPagePath(pathname)) return handleControlPage(exchange, world);
  if (pathname.startsWith('/_sim/')) return handleControl(exchange, world);
  // The consent page is a person's browser talking to Webex's login UI: faults do not apply.
  if (pathname === '/v1/authorize') {
    if (method === 'GET') return showConsent(exchange, world);
    if (method === 'POST') return decideConsent(exchange, world);
    return sendHtml(exchange, 405, errorPage('Method not allowed', `${method} is not supported here.`));
  }
  if (!pathname.startsWith('/v1/')) {
    return sendWebexError(exchange, 404, RESOURCE_NOT_FOUND_MESSAGE);
  }
  if (await injectFault(exchange, world)) return;
  if (pathname === '/v1/access_token') {
    if (method === 'POST') return issueTokens(exchange, world);
    return sendWebexError(exchange, 405, 'The request method is not supported for this resource.', {
      Allow: 'POST',
    });
  }
  if (isServiceAppApiPath(pathname)) return handleServiceAppApi(exchange, world);
  handleApi(exchange, world);
}

/** Applies latency, then answers 429 or 5xx when the fault settings say so. */
async function injectFault(exchange: Exchange, world: SimWorld): Promise<boolean> {
  const { latencyMs } = world.faults.current();
  if (latencyMs > 0) await sleep(latencyMs);
  const fault = world.faults.nextFault();
  if (!fault) return false;
  // Drain the request so the client sees a clean answer rather than a reset connection.
  exchange.req.resume();
  if (fault.status === 429) {
    sendWebexError(exchange, 429, 'Too Many Requests', { 'Retry-After': String(fault.retryAfterSeconds) });
  } else {
    const message = fault.status === 502 ? 'Bad Gateway' : 'Service Unavailable';
    sendWebexError(exchange, fault.status, message);
  }
  return true;
}

/** The request target as a URL; an unparsable one reads as `/`, which answers 404, not a crash. */
function requestUrl(target: string | undefined): URL {
  try {
    return new URL(target ?? '/', 'http://simulator.invalid');
  } catch {
    return new URL('/', 'http://simulator.invalid');
  }
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}
