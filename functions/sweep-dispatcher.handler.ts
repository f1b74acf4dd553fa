import { composeDispatcher } from './commons/dispatcher-composition.js';
import { loadDispatcherEnvironment } from './commons/environment.js';
import { createSweepDispatcherHandler, dispatcherTools } from './sweep-dispatcher.app.js';

/**
 * Lambda entry point of the sweep dispatcher. The environment is parsed once at cold start, so a
 * misconfigured function fails at init naming every bad variable.
 */
export const handler = createSweepDispatcherHandler(
  composeDispatcher(loadDispatcherEnvironment()),
  dispatcherTools(),
);
