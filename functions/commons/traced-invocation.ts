import type { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import type { MiddlewareObj } from '@middy/core';

/*
 * Apart from tracer.ts, which builds the function's Tracer and so loads the X-Ray SDK: an app
 * given no tracer (the local run, the bench, tests) never loads it, and the SDK's async hooks,
 * which follow every promise of the process, cost it nothing.
 */

/**
 * The tracer's middy middleware (a subsegment per invocation, cold start annotated), or none
 * without a tracer. Responses are not recorded: admin answers carry onboarding links, and pages
 * say nothing a trace needs.
 */
export function tracedInvocation(on: Tracer | undefined): MiddlewareObj[] {
  return on ? [captureLambdaHandler(on, { captureResponse: false })] : [];
}
