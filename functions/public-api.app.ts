import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import middy, { type MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import * as z from 'zod';
import { boundBrowser, clearBrowserBinding, issueBrowserBinding } from './commons/oauth-browser-binding.js';
import { parseQueryString } from './commons/query-string.js';
import { tracedInvocation } from './commons/traced-invocation.js';
import { MAX_LINK_TOKEN_LENGTH } from './domain/onboarding-link.js';
import {
  BrowserMismatchError,
  InvalidRequestError,
  PageNotFoundError,
  StartNotFromPortalError,
} from './http/request-errors.js';
import { StateUnknownError } from './domain/onboarding-errors.js';
import { showPortal, showTroubleshooting } from './domain/onboarding-portal.js';
import {
  completeAuthorization,
  startAuthorization,
  type OnboardingDependencies,
} from './domain/onboarding.js';
import { renderOnboardingFailure } from './http/pages/failure-page.js';
import { CONTENT_SECURITY_POLICY, contentSecurityPolicy } from './http/pages/layout.js';
import { renderPortalPage } from './http/pages/portal-page.js';
import { renderSuccessPage } from './http/pages/success-page.js';
import { renderTroubleshootingPage } from './http/pages/troubleshooting-page.js';
import { hashOAuthState, oauthStateShape } from './domain/oauth-state.js';
import { logoOrigin, type Branding } from './domain/branding.js';
import { UNSUBSCRIBE_PATH, unsubscribeContact, UnsubscribeLinkError } from './domain/unsubscribe-link.js';
import { renderUnsubscribePage } from './http/pages/unsubscribe-page.js';
import { confirmServiceApp } from './domain/service-app-onboarding.js';
import type { ServiceAppWebhookDependencies } from './domain/service-app-webhook.js';
import { SERVICE_APP_WEBHOOK_PATH } from './domain/service-app-webhook-registration.js';
import { answerServiceAppWebhook } from './http/service-app-webhook-answer.js';

/** Where the portal's Service App card posts "I have authorized it". */
export const SERVICE_APP_CONFIRM_PATH = '/service-apps/confirm';

/**
 * Headers of every page we serve; the public API's answers replace the Content-Security-Policy with
 * one that lets the portal's forms start an authorization (publicApiHeaders).
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  // The portal's URLs carry the onboarding link: never send them to Webex or anyone else. Not
  // `no-referrer`: under it a browser sends `Origin: null` with our own form's POST, and a browser
  // without fetch metadata could then never prove that a start came from the portal.
  'Referrer-Policy': 'same-origin',
  'X-Frame-Options': 'DENY',
  'Cache-Control': 'no-store',
  'Strict-Transport-Security': 'max-age=63072000; includeSubDomains',
  'Cross-Origin-Opener-Policy': 'same-origin',
};

/** What the `serviceApp` webhook adds to onboarding's ports: its secret, the replay ledger, the org index. */
export type ServiceAppWebhookPorts = Pick<
  ServiceAppWebhookDependencies,
  'webhookSecret' | 'deliveries' | 'tenantsByOrg'
>;

/**
 * The use cases' ports, without the log (the handler supplies its logger), the vendor's branding
 * of the pages, when the deployment has one, and the `serviceApp` webhook's ports, when it has a
 * webhook secret (without them the webhook's path is not found).
 */
export type PublicApiDependencies = Omit<OnboardingDependencies, 'log'> & {
  branding?: Branding;
  serviceAppWebhook?: ServiceAppWebhookPorts;
};

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
const confirmServiceAppQuery = z.object({ link: linkToken, serviceApp: integrationKey });
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

/**
 * The public API's headers: SECURITY_HEADERS with forms allowed to post to the portal's origin and
 * to follow the start's redirect to Webex's authorize page (form-action governs redirects too).
 */
export function publicApiHeaders(
  settings: Pick<OnboardingDependencies['settings'], 'publicBaseUrl' | 'webexApiBaseUrl'>,
  branding?: Branding,
): Readonly<Record<string, string>> {
  const formActions = [new URL(settings.publicBaseUrl).origin, new URL(settings.webexApiBaseUrl).origin];
  const logo = logoOrigin(branding);
  return {
    ...SECURITY_HEADERS,
    'Content-Security-Policy': contentSecurityPolicy(formActions, logo === undefined ? [] : [logo]),
  };
}

/** How the public API answers: a page or a redirect, each with its headers. */
interface Answers {
  page(statusCode: number, body: string): Answer;
  redirect(location: string): Answer;
}

function answersWith(headers: Readonly<Record<string, string>>): Answers {
  return {
    page: (statusCode, body) => ({
      statusCode,
      headers: { ...headers, 'Content-Type': 'text/html; charset=utf-8' },
      body,
    }),
    redirect: (location) => ({ statusCode: 302, headers: { ...headers, Location: location }, body: '' }),
  };
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
 * Whether a start proves it was sent by a page of our own origin. A browser that sends fetch
 * metadata says so with `Sec-Fetch-Site: same-origin` (`none` when typed or opened from another
 * app, `cross-site` from another site); one that sends none proves it by its `Origin`, which every
 * browser puts on a form's POST. Nothing else starts: not `Origin: null` (a sandboxed frame's), not
 * a request without either header.
 */
function startedFromOurPages(headers: APIGatewayProxyEventV2['headers'], publicBaseUrl: string): boolean {
  const site = headers['sec-fetch-site'];
  if (site !== undefined) return site === 'same-origin';
  return headers.origin === new URL(publicBaseUrl).origin;
}

/**
 * Routes a request to its use case and renders the answer. Routing is on method and raw path,
 * so the same code serves API Gateway's explicit routes and the local run's catch-all.
 */
async function route(
  event: APIGatewayProxyEventV2,
  deps: OnboardingDependencies,
  brand: Branding | undefined,
  metrics: Metrics,
  answers: Answers,
  fail: FailureRenderer,
  webhook: ServiceAppWebhookDependencies | undefined,
): Promise<Answer> {
  const { page, redirect } = answers;
  const method = event.requestContext.http.method;
  const path = event.rawPath;
  const query = event.rawQueryString ?? '';
  if (path === SERVICE_APP_WEBHOOK_PATH) {
    if (method !== 'POST' || !webhook) throw new PageNotFoundError();
    return answerServiceAppWebhook(event, webhook, metrics, deps.log);
  }
  if (path === '/oauth/start' && (method === 'GET' || method === 'POST')) {
    const input = parseQueryString(query, startQuery);
    if (method === 'GET') {
      // A start URL opened from anywhere (an email, a chat, another site) could be an attacker's
      // link sent to another org's admin: it shows the portal, which names the tenant, and only the
      // portal's own form (a POST) starts anything.
      return page(200, renderPortalPage(await showPortal(deps, { linkToken: input.link }), brand));
    }
    if (!startedFromOurPages(event.headers, deps.settings.publicBaseUrl)) throw new StartNotFromPortalError();
    const { authorizeUrl, state, tenantId } = await startAuthorization(deps, {
      linkToken: input.link,
      integration: input.integration,
    });
    metrics.addMetric('AuthorizationStarted', MetricUnit.Count, 1);
    return {
      ...redirect(authorizeUrl),
      cookies: [issueBrowserBinding(state, deps.settings.publicBaseUrl, tenantId)],
    };
  }
  if (path === SERVICE_APP_CONFIRM_PATH && method === 'POST') {
    // Like a start, only the portal's own button confirms: it spends a Webex call and writes.
    if (!startedFromOurPages(event.headers, deps.settings.publicBaseUrl)) throw new StartNotFromPortalError();
    const input = parseQueryString(query, confirmServiceAppQuery);
    const confirmed = await confirmServiceApp(deps, { linkToken: input.link, serviceApp: input.serviceApp });
    metrics.addMetric('ServiceAppConfirmed', MetricUnit.Count, 1);
    return page(200, renderSuccessPage(confirmed, brand));
  }
  const unsubscribeLink = segmentAfter(path, `${UNSUBSCRIBE_PATH}/`);
  if (unsubscribeLink !== undefined && (method === 'GET' || method === 'POST')) {
    // POST is RFC 8058's one-click (from the mail client, with no Origin) and the page's button.
    const outcome = await unsubscribeContact(deps, {
      token: unsubscribeLink,
      confirm: method === 'POST',
    }).catch((error: unknown) => {
      throw error instanceof UnsubscribeLinkError
        ? new InvalidRequestError('Malformed unsubscribe link')
        : error;
    });
    if (outcome.kind === 'unsubscribed') metrics.addMetric('ContactUnsubscribed', MetricUnit.Count, 1);
    return page(200, renderUnsubscribePage(outcome, path, brand));
  }
  if (method !== 'GET') throw new PageNotFoundError();

  const connectLink = segmentAfter(path, '/connect/');
  if (connectLink !== undefined) {
    const link = linkToken.safeParse(connectLink);
    if (!link.success) throw new InvalidRequestError('Malformed link');
    return page(200, renderPortalPage(await showPortal(deps, { linkToken: link.data }), brand));
  }
  if (path === '/oauth/callback') {
    const input = parseQueryString(query, callbackQuery);
    // Before the state is consumed or Webex called, on a denial as on a code: a callback in another
    // browser than the one that started the attempt may be a victim's consent to someone else's.
    const binding = boundBrowser(event.cookies, input.state, deps.settings.publicBaseUrl);
    if (!binding) {
      // A state no longer stored was spent (a reload after the answer dropped the cookie) or never
      // ours: saying so is true whichever browser sends it, and the read changes nothing. A pending
      // state stays untouched for the browser that started it.
      const pending = await deps.oauthStates.has(hashOAuthState(input.state));
      throw pending ? new BrowserMismatchError() : new StateUnknownError();
    }
    // Past the check the attempt ends here whatever the outcome: its state is consumed first thing,
    // so no second callback could complete it. Every answer drops the cookie.
    const cookies = [clearBrowserBinding(input.state, deps.settings.publicBaseUrl)];
    try {
      const outcome = await completeAuthorization(deps, {
        state: input.state,
        tenantHint: binding.tenantHint,
        ...(input.code !== undefined ? { code: input.code } : {}),
        ...(input.error !== undefined ? { error: input.error } : {}),
        ...(input.error_description !== undefined ? { errorDescription: input.error_description } : {}),
      });
      if (outcome.kind === 'denied') {
        metrics.addMetric('AuthorizationDenied', MetricUnit.Count, 1);
        return { ...page(200, renderTroubleshootingPage(outcome.page, brand)), cookies };
      }
      metrics.addMetric('AuthorizationGranted', MetricUnit.Count, 1);
      return { ...page(200, renderSuccessPage(outcome.page, brand)), cookies };
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
        brand,
      ),
    );
  }
  throw new PageNotFoundError();
}

/**
 * The one place where failures become pages: expected refusals are logged as info with their
 * reason, anything else as an error, and the admin sees a page that reveals no internals.
 */
function failureRenderer(
  logger: Logger,
  metrics: Metrics,
  { page }: Answers,
  brand: Branding | undefined,
): FailureRenderer {
  return (error) => {
    const failure = renderOnboardingFailure(error, brand);
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
 * troubleshooting, Service App confirmation, the `serviceApp` webhook, and the alerts' unsubscribe links. The Lambda entry point and the local run both call this.
 */
export function createPublicApiHandler(
  dependencies: PublicApiDependencies,
  observability: PublicApiObservability = {},
) {
  const logger = observability.logger ?? new Logger({ serviceName: 'public-api' });
  const metrics = observability.metrics ?? new Metrics({ serviceName: 'public-api' });
  const { branding, serviceAppWebhook, ...ports } = dependencies;
  const deps: OnboardingDependencies = { ...ports, log: logger };
  const webhook = serviceAppWebhook ? { ...deps, ...serviceAppWebhook } : undefined;
  const answers = answersWith(publicApiHeaders(deps.settings, branding));
  const fail = failureRenderer(logger, metrics, answers, branding);
  return middy<APIGatewayProxyEventV2, Answer, Error, Context>()
    .use(tracedInvocation(observability.tracer))
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics))
    .use(renderFailures(fail))
    .handler(async (event) => route(event, deps, branding, metrics, answers, fail, webhook));
}
