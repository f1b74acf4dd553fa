import { Logger } from '@aws-lambda-powertools/logger';
import { bundledCatalog } from './commons/bundled-catalog.js';
import { composeOnAws } from './commons/composition-root.js';
import { loadKeeperEnvironment } from './commons/environment.js';
import { tracer, webexCallTracing } from './commons/tracer.js';
import { createPublicApiHandler } from './public-api.app.js';

export { createPublicApiHandler } from './public-api.app.js';

const logger = new Logger({ serviceName: 'public-api' });

/**
 * Lambda entry point of the public routes (portal, OAuth start and callback, troubleshooting,
 * Service App confirmation, the `serviceApp` webhook, unsubscribe links).
 * The environment is parsed once at cold start, so a misconfigured function fails at init with a
 * message naming every bad variable; the clients are created once and reused by warm invocations.
 */
export const handler = createPublicApiHandler(
  composeOnAws(loadKeeperEnvironment(), {
    log: logger,
    webexTracing: webexCallTracing(tracer),
    shippedCatalog: bundledCatalog,
  }).publicApi,
  { logger, tracer },
);
