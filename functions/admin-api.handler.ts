import { Logger } from '@aws-lambda-powertools/logger';
import { createAdminApiHandler } from './admin-api.app.js';
import { bundledCatalog } from './commons/bundled-catalog.js';
import { composeOnAws } from './commons/composition-root.js';
import { loadKeeperEnvironment } from './commons/environment.js';
import { tracer, webexCallTracing } from './commons/tracer.js';

export { createAdminApiHandler } from './admin-api.app.js';

const logger = new Logger({ serviceName: 'admin-api' });

/**
 * Lambda entry point of the IAM-authorized admin routes (tenants, links, authorizations and
 * their access tokens, history, validate-now, offboarding, status board). The environment is parsed once at cold
 * start, so a misconfigured function fails at init naming every bad variable; clients are
 * created once and reused by warm invocations.
 */
const environment = loadKeeperEnvironment();

export const handler = createAdminApiHandler(
  composeOnAws(environment, {
    log: logger,
    webexTracing: webexCallTracing(tracer),
    shippedCatalog: bundledCatalog,
  }).adminApi,
  {
    logger,
    tracer,
    ...(environment.PROBLEM_DOCS_URL ? { problemDocsUrl: environment.PROBLEM_DOCS_URL } : {}),
  },
);
