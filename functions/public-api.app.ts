import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import middy, { type MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import * as z from 'zod';
import { clearBrowserBinding, isBoundBrowser, issueBrowserBinding } from './commons/oauth-browser-binding.js';
import { parseQueryString } from './commons/query-string.js';
import { tracedInvocation } from './commons/tracer.js';
import { MAX_LINK_TOKEN_LENGTH } from './domain/onboarding-link.js';
import { BrowserMismatchError, InvalidRequestError, PageNotFoundError } from './http/request-errors.js';
import { showPortal, showTroubleshooting } from './domain/onboarding-portal.js';
import {
  completeAuthorization,
  startAuthorization,
  type OnboardingDependencies,
} from './domain/onboarding.js';
import { renderOnboardingFailure } from './http/pages/failure-page.js';
import { CONTENT_SECURITY_POLICY } from './http/pages/layout.js';
import { renderPortalPage } from './http/pages/portal-page.js';
import { renderSuccessPage } from './http/pages/success-page.js';
import { renderTroubleshootingPage } from './http/pages/troubleshooting-page.js';
import { oauthStateShape } from './domain/oauth-state.js';

/** Headers on every answer of the public API. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  // The portal's URLs carry the onboarding link: never send them to Webex or anyone else.
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cache-Control': 'no-store',
  'Strict-Transport-Security': 'max-age=63072000; includeSubDomains',
  'Cross-Origin-Opener-Policy': 'same-origin',
};

/** The use cases' ports, without the log: the handler supplies its logger. */
export type PublicApiDependencies = Omit<OnboardingDependencies, 'log'>;

/** Logger and metrics; the defaults are Powertools' with the service name `public-api` (namespace from the environment). */
export interface PublicApiObservability {
  logger?: Logger;
  metrics?: Metrics;
  /** X-Ray tracing of each invocation; the local run and tests pass none. */
  tracer?: Tracer;
}

const linkToken = z.string().min(1).max(MAX_LINK_TOKEN_LENGTH);
const integrationKey = z.string().regex(/^[a-z][a-z0-9-]{1,31}$/);

const startQuery = z.object({ link: linkToken, integration: integrationKey });
const troubleshootQuery = z.object({ link: linkToken });
const callbackQuery = z.object({
  state: z.string().regex(oauthStateShape),
  code: z.string().min(1).max(2048).optional(),
  error: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/)
    .optional(),
  error_description: z.string().max(500).optional(),
});

type Answer = APIGatewayProxyStructuredResultV2;

/** Renders a failure as its page; logs and counts it on the way. */
type FailureRenderer = (error: unknown) => Answer;

function page(statusCode: number, body: string): Answer {
  return {
    statusCode,
    headers: { ...SECURITY_HEADERS, 'Content-Type': 'text/html; charset=utf-8' },
    body,
  };
}

function redirect(location: string): Answer {
  return { statusCode: 302, headers: { ...SECURITY_HEADERS, Location: location }, body: '' };
}

/** One path segment after a prefix, decoded; undefined when the path does not match. */
function segmentAfter(path: string, prefix: string): string | undefined {
  if (!path.startsWith(prefix)) return undefined;
  const rest = path.slice(prefix.length);
  if (rest === '' || rest.includes('/')) return undefined;
  try {
    return decodeURIComponent(rest);
  } catch {
    throw new InvalidRequestError('Malformed path');
  }
}

/**
 * Routes a request to its use case and renders the answer. Routing is on method and raw path,
 * so the same code serves API Gateway's explicit routes and the local run's catch-all.
 */
/**
 * Whether a browser says the request comes from one of our own pages. Browsers send
 * `Sec-Fetch-Site` on every navigation (`none` when typed or opened from another app); clients
 * that send none at all (scripts, very old browsers) are let through, as no victim's browser is.
 */
function startedFromOurPages(headers: APIGatewayProxyEventV2['headers']): boolean {
  const site = headers['sec-fetch-site'];
  return site === undefined || site === 'same-origin';
}

async function route(
  event: APIGatewayProxyEventV2,
  deps: OnboardingDependencies,
  metrics: Metrics,
  fail: FailureRenderer,
): Promise<Answer> {
  const method = event.requestContext.http.method;
  const path = event.rawPath;
  const query = event.rawQueryString ?? '';
  if (method !== 'GET') throw new PageNotFoundError();

  const connectLink = segmentAfter(path, '/connect/');
  if (connectLink !== undefined) {
    const link = linkToken.safeParse(connectLink);
    if (!link.success) throw new InvalidRequestError('Malformed link');
    return page(200, renderPortalPage(await showPortal(deps, { linkToken: link.data })));
  }
  if (path === '/oauth/start') {
    const input = parseQueryString(query, startQuery);
    if (!startedFromOurPages(event.headers)) {
      // A start URL opened from elsewhere (an email, a chat, another site) could be an attacker's
      // link sent to another org's admin: show the portal, which names the tenant, and let the
      // admin press Authorize there.
      return page(200, renderPortalPage(await showPortal(deps, { linkToken: input.link })));
    }
    const { authorizeUrl, state } = await startAuthorization(deps, {
      linkToken: input.link,
      integration: input.integration,
    });
    metrics.addMetric('AuthorizationStarted', MetricUnit.Count, 1);
    return { ...redirect(authorizeUrl), cookies: [issueBrowserBinding(state, deps.settings.publicBaseUrl)] };
  }
  if (path === '/oauth/callback') {
    const input = parseQueryString(query, callbackQuery);
    // Before the state is consumed or Webex called, on a denial as on a code: a callback in another
    // browser than the one that started the attempt may be a victim's consent to someone else's.
    if (!isBoundBrowser(event.cookies, input.state, deps.settings.publicBaseUrl)) {
      throw new BrowserMismatchError();
    }
    // Past the check the attempt ends here whatever the outcome: its state is consumed first thing,
    // so no second callback could complete it. Every answer drops the cookie.
    const cookies = [clearBrowserBinding(input.state, deps.settings.publicBaseUrl)];
    try {
      const outcome = await completeAuthorization(deps, {
        state: input.state,
        ...(input.code !== undefined ? { code: input.code } : {}),
        ...(input.error !== undefined ? { error: input.error } : {}),
        ...(input.error_description !== undefined ? { errorDescription: input.error_description } : {}),
      });
      if (outcome.kind === 'denied') {
        metrics.addMetric('AuthorizationDenied', MetricUnit.Count, 1);
        return { ...page(200, renderTroubleshootingPage(outcome.page)), cookies };
      }
      metrics.addMetric('AuthorizationGranted', MetricUnit.Count, 1);
      return { ...page(200, renderSuccessPage(outcome.page)), cookies };
    } catch (error) {
      return { ...fail(error), cookies };
    }
  }
  const troubleshootKey = segmentAfter(path, '/troubleshoot/');
  if (troubleshootKey !== undefined) {
    const key = integrationKey.safeParse(troubleshootKey);
    if (!key.success) throw new InvalidRequestError('Malformed integration');
    const input = parseQueryString(query, troubleshootQuery);
    return page(
      200,
      renderTroubleshootingPage(
        await showTroubleshooting(deps, { linkToken: input.link, integration: key.data }),
      ),
    );
  }
  throw new PageNotFoundError();
}

/**
 * The one place where failures become pages: expected refusals are logged as info with their
 * reason, anything else as an error, and the admin sees a page that reveals no internals.
 */
function failureRenderer(logger: Logger, metrics: Metrics): FailureRenderer {
  return (error) => {
    const failure = renderOnboardingFailure(error);
    if (failure.expected) {
      logger.info('Onboarding request refused', {
        reason: failure.reason,
        error: error instanceof Error ? error.message : undefined,
        trackingId: trackingIdOf(error),
      });
      metrics.addMetric('OnboardingRefused', MetricUnit.Count, 1);
    } else {
      logger.error('Onboarding request failed', error instanceof Error ? error : String(error));
      metrics.addMetric('PublicApiError', MetricUnit.Count, 1);
    }
    return page(failure.statusCode, failure.html);
  };
}

/** Renders whatever a route throws; the callback renders its own failures to add its cookie. */
function renderFailures(fail: FailureRenderer): MiddlewareObj<APIGatewayProxyEventV2, Answer> {
  return {
    onError: async (request) => {
      request.response = fail(request.error);
    },
  };
}

function trackingIdOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('trackingId' in error)) return undefined;
  return typeof error.trackingId === 'string' ? error.trackingId : undefined;
}

/**
 * Builds the public API handler over the given ports: portal, OAuth start and callback,
 * troubleshooting. The Lambda entry point and the local run both call this.
 */
export function createPublicApiHandler(
  dependencies: PublicApiDependencies,
  observability: PublicApiObservability = {},
) {
  const logger = observability.logger ?? new Logger({ serviceName: 'public-api' });
  const metrics = observability.metrics ?? new Metrics({ serviceName: 'public-api' });
  const deps: OnboardingDependencies = { ...dependencies, log: logger };
  const fail = failureRenderer(logger, metrics);
  return middy<APIGatewayProxyEventV2, Answer, Error, Context>()
    .use(tracedInvocation(observability.tracer))
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics))
    .use(renderFailures(fail))
    .handler(async (event) => route(event, deps, metrics, fail));
}
