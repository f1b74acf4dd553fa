import { bundledCatalog } from './commons/bundled-catalog.js';
import { composeOnAws } from './commons/composition-root.js';
import { loadKeeperEnvironment } from './commons/environment.js';
import { tracer, webexCallTracing } from './commons/tracer.js';
import { createValidatorWorkerHandler, workerTools } from './validator-worker.app.js';

const tools = { ...workerTools(), tracer };

/**
 * Lambda entry point of the validator worker. The environment is parsed once at cold start, so a
 * misconfigured function fails at init naming every bad variable; the clients are created once
 * and reused by warm invocations.
 */
export const handler = createValidatorWorkerHandler(
  composeOnAws(loadKeeperEnvironment(), {
    log: tools.logger,
    webexTracing: webexCallTracing(tracer),
    shippedCatalog: bundledCatalog,
  }).validator,
  tools,
);
