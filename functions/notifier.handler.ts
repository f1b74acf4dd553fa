import { bundledCatalog } from './commons/bundled-catalog.js';
import { composeNotifierOnAws } from './commons/composition-root.js';
import { loadNotifierEnvironment } from './commons/environment.js';
import { tracer } from './commons/tracer.js';
import { createNotifierHandler, notifierTools } from './notifier.app.js';

const tools = { ...notifierTools(), tracer };

/**
 * Lambda entry point of the notifier. The environment is parsed once at cold start, so a
 * misconfigured function fails at init naming every bad variable.
 */
export const handler = createNotifierHandler(
  composeNotifierOnAws(loadNotifierEnvironment(), { log: tools.logger, shippedCatalog: bundledCatalog }),
  tools,
);
