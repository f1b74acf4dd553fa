import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { InvalidCursorError } from '#adapters/dynamodb/index.js';
import {
  AuthorizationNotFoundError,
  IntegrationNotFoundError,
  LiveAuthorizationsError,
  TenantExistsError,
  TenantNotFoundError,
  TenantNotOffboardedError,
  TenantOffboardedError,
  TenantVersionMismatchError,
} from '#domain/admin-errors.js';
import { ContactNotSuppressedError } from '#domain/admin-contacts.js';
import { RevokeWithoutOrgChangeError } from '#domain/admin-org.js';
import {
  AuthorizationBusyError,
  AuthorizationStatusError,
  ServiceAppRecoveryError,
  NoCredentialIncidentError,
  RefreshFailedError,
} from '#domain/admin-recovery.js';
import { ConflictError } from '#domain/ports.js';
import {
  AuthorizationDegradedError,
  AuthorizationInvalidError,
  NotAuthorizedError,
} from '#functions/token-access.js';
import { STATUS_BOARD_CONTENT_SECURITY_POLICY } from './pages/layout.js';

/*
 * The admin API's answers: JSON, and problem documents for refusals, with the one mapping from
 * the admin use cases' typed errors to HTTP status codes.
 */

/** What an admin API route answers (API Gateway HTTP API, payload v2). */
export type Answer = APIGatewayProxyStructuredResultV2;

/** The problem `type` when the deployment names no docs page (`PROBLEM_DOCS_URL`). */
const PROBLEM_URN_BASE = 'urn:webex-auth-keeper:problem:';

/**
 * One bad field of a refused request: where it is (`body.contacts.0`, `query.limit`,
 * `path.tenantId`, or just `body` when the whole body is unreadable) and what is wrong with it.
 */
export interface FieldError {
  path: string;
  message: string;
}

/** A request the API refuses, with the problem document it answers. `detail` is shown to the caller. */
export class ProblemError extends Error {
  override readonly name = 'ProblemError';
  constructor(
    readonly status: number,
    readonly slug: string,
    readonly title: string,
    readonly detail: string,
    readonly headers: Record<string, string> = {},
    /** Each bad field of a 400, for callers that show the error next to the field. */
    readonly errors: FieldError[] = [],
    /** Typed members a client branches on (RFC 9457 extension members), e.g. `reason`. */
    readonly extensions: Record<string, string | number> = {},
  ) {
    super(detail);
  }
}

const HEADERS = { 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' } as const;

/** A JSON answer with the API's headers. */
export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): Answer {
  return {
    statusCode,
    headers: { ...HEADERS, 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify(body),
  };
}

/**
 * A tenant's entity tag: its `updatedAt`, which every change moves forward, so one tag names one
 * version (a strong tag: `If-Match` compares it exactly).
 */
export function tenantETag(tenant: { updatedAt: string }): string {
  return `"${tenant.updatedAt}"`;
}

/**
 * The version a PATCH's `If-Match` names: undefined without the header (or with `*`, any current
 * version), else the `updatedAt` inside its one strong tag. A weak or listed tag is a 400.
 */
export function expectedVersionOf(ifMatch: string | undefined): string | undefined {
  if (ifMatch === undefined || ifMatch.trim() === '*') return undefined;
  const match = /^\s*"([^"]{1,64})"\s*$/.exec(ifMatch);
  if (!match?.[1]) {
    throw invalidField(
      'header',
      'if-match',
      'must be one strong entity tag as ETag gave it, e.g. "2026-11-25T10:00:00.000Z"',
    );
  }
  return match[1];
}

/** The status board page with the API's headers and the board's content security policy. */
export function htmlPage(statusCode: number, body: string): Answer {
  return {
    statusCode,
    headers: {
      ...HEADERS,
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy': STATUS_BOARD_CONTENT_SECURITY_POLICY,
    },
    body,
  };
}

/**
 * The problem `type` of a slug: the anchor `#problem-<slug>` of the deployment's admin API docs
 * page when it names one (docs/admin-api.md carries those anchors), else a URN.
 */
export function problemType(slug: string, docsUrl?: string): string {
  return docsUrl ? `${docsUrl.replace(/#.*$/, '')}#problem-${slug}` : `${PROBLEM_URN_BASE}${slug}`;
}

/** The problem document (RFC 9457) of a refusal, with `errors` when fields were at fault. */
export function problem(error: ProblemError, docsUrl?: string): Answer {
  return {
    statusCode: error.status,
    headers: { ...HEADERS, 'Content-Type': 'application/problem+json', ...error.headers },
    body: JSON.stringify({
      type: problemType(error.slug, docsUrl),
      title: error.title,
      status: error.status,
      detail: error.detail,
      ...error.extensions,
      ...(error.errors.length > 0 ? { errors: error.errors } : {}),
    }),
  };
}

/** A 400 whose detail names what is wrong with the request, and `errors` each bad field. */
export function invalid(detail: string, errors: FieldError[]): ProblemError {
  return new ProblemError(400, 'invalid-request', 'Invalid request', detail, {}, errors);
}

/** A 400 for one bad field: the detail is `Invalid <where>: <field>: <message>`. */
export function invalidField(
  where: 'body' | 'query' | 'path' | 'header',
  field: string,
  message: string,
): ProblemError {
  return invalid(`Invalid ${where}: ${field}: ${message}`, [{ path: `${where}.${field}`, message }]);
}

/** Maps the use cases' errors to problems; undefined for anything unexpected. */
export function toProblem(error: unknown): ProblemError | undefined {
  if (error instanceof ProblemError) return error;
  if (error instanceof TenantNotFoundError) {
    return new ProblemError(404, 'tenant-not-found', 'Tenant not found', `No tenant "${error.tenantId}"`);
  }
  if (error instanceof IntegrationNotFoundError) {
    return new ProblemError(
      404,
      'integration-not-found',
      'Integration not found',
      `No integration "${error.integration}" in the catalog`,
    );
  }
  if (error instanceof AuthorizationNotFoundError) {
    return new ProblemError(
      404,
      'authorization-not-found',
      'Authorization not found',
      `Tenant "${error.tenantId}" has not authorized "${error.integration}" yet`,
    );
  }
  if (error instanceof ContactNotSuppressedError) {
    const contact = error.isContact ? '' : ` (nor is it one of its contacts)`;
    return new ProblemError(
      404,
      'contact-not-suppressed',
      'Contact not suppressed',
      `Tenant "${error.tenantId}" does not suppress ${error.email}${contact}: there is nothing to restore`,
    );
  }
  if (error instanceof TenantExistsError) {
    return new ProblemError(
      409,
      'tenant-exists',
      'Tenant exists',
      `Tenant "${error.tenantId}" already exists`,
    );
  }
  if (error instanceof TenantVersionMismatchError) {
    return new ProblemError(
      412,
      'precondition-failed',
      'Tenant changed',
      `Tenant "${error.tenantId}" is not the version If-Match names: read it again (GET) and repeat the change on it`,
    );
  }
  if (error instanceof TenantOffboardedError) {
    return new ProblemError(
      409,
      'tenant-offboarded',
      'Tenant offboarded',
      `Tenant "${error.tenantId}" is offboarded; it can be read but not changed`,
    );
  }
  if (error instanceof LiveAuthorizationsError) {
    return new ProblemError(
      409,
      'authorizations-live',
      'Authorizations live',
      `Tenant "${error.tenantId}" has live authorizations of its current Webex org (${error.integrations.join(', ')}); add ?revokeAuthorizations=true to revoke them (as offboarding does) before the org changes`,
    );
  }
  if (error instanceof TenantNotOffboardedError) {
    return new ProblemError(
      409,
      'tenant-active',
      'Tenant active',
      `Tenant "${error.tenantId}" is active; only an offboarded tenant can be reactivated or purged (offboard it first)`,
    );
  }
  if (error instanceof RevokeWithoutOrgChangeError) {
    return invalidField('query', 'revokeAuthorizations', 'only goes with an orgId in the body');
  }
  if (error instanceof ServiceAppRecoveryError) {
    return new ProblemError(409, 'service-app-recovery', 'Not possible for a Service App', error.message);
  }
  if (error instanceof AuthorizationStatusError) {
    return new ProblemError(409, 'authorization-status', 'Not possible in this status', error.message);
  }
  if (error instanceof AuthorizationBusyError) {
    return new ProblemError(409, 'authorization-busy', 'Authorization busy', error.message);
  }
  if (error instanceof NoCredentialIncidentError) {
    return new ProblemError(409, 'no-credential-incident', 'No credential incident', error.message);
  }
  if (error instanceof RefreshFailedError) {
    return new ProblemError(502, 'refresh-failed', 'Webex did not renew the tokens', error.message);
  }
  if (error instanceof ConflictError) {
    return new ProblemError(
      409,
      'conflict',
      'Changed meanwhile',
      'The resource changed while this request ran; retry',
    );
  }
  const tokenRefusal = tokenAccessProblem(error);
  if (tokenRefusal) return tokenRefusal;
  if (error instanceof InvalidCursorError) {
    return invalidField(
      'query',
      'cursor',
      error.reason === 'other_query'
        ? 'belongs to another query (other filters, another tenant or listing); start again without it'
        : 'not a cursor this API issued',
    );
  }
  return undefined;
}

/**
 * Why token access gave no token, as a problem with the typed members a caller branches on. An
 * invalid authorization names its cause only when the validator classified it: a refusal seen
 * just now is not yet a cause.
 */
function tokenAccessProblem(error: unknown): ProblemError | undefined {
  if (error instanceof NotAuthorizedError) {
    const who = `"${error.tenantId}"/"${error.integration}"`;
    const reason = { reason: error.reason };
    switch (error.reason) {
      case 'tenant_not_found':
        return toProblem(new TenantNotFoundError(error.tenantId));
      case 'not_found':
        return new ProblemError(
          404,
          'authorization-not-found',
          'Authorization not found',
          `Tenant "${error.tenantId}" has not authorized "${error.integration}"`,
          {},
          [],
          reason,
        );
      case 'unknown_integration':
        return new ProblemError(
          404,
          'integration-not-found',
          'Integration not found',
          `No integration "${error.integration}" in the catalog`,
          {},
          [],
          reason,
        );
      case 'pending':
        return new ProblemError(
          409,
          'authorization-pending',
          'Authorization not finished',
          `The consent of ${who} is not finished: no token yet`,
          {},
          [],
          reason,
        );
      case 'revoked':
        return new ProblemError(
          409,
          'authorization-revoked',
          'Authorization revoked',
          `The authorization ${who} was revoked: onboard it again for a token`,
          {},
          [],
          reason,
        );
      case 'tenant_inactive':
        return new ProblemError(
          409,
          'tenant-inactive',
          'Tenant not active',
          `Tenant "${error.tenantId}" is offboarded or being offboarded: it gets no token`,
          {},
          [],
          reason,
        );
    }
  }
  if (error instanceof AuthorizationInvalidError) {
    const cause = error.invalidationCause
      ? `the validator classified the cause as ${error.invalidationCause}${error.confidence ? ` (${error.confidence})` : ''}`
      : 'Webex refused its refresh just now; the validator checks it at once and classifies the cause';
    return new ProblemError(
      409,
      'authorization-invalid',
      'Authorization invalid',
      `The authorization "${error.tenantId}"/"${error.integration}" is invalid: ${cause}; a person must authorize it again`,
      {},
      [],
      {
        ...(error.invalidationCause ? { invalidationCause: error.invalidationCause } : {}),
        ...(error.causeDetail ? { causeDetail: error.causeDetail } : {}),
      },
    );
  }
  if (error instanceof AuthorizationDegradedError) {
    const retryAfter = error.retryAfterSeconds;
    return new ProblemError(
      503,
      'authorization-degraded',
      'No token right now',
      error.reason === 'authorization_degraded'
        ? `The authorization "${error.tenantId}"/"${error.integration}" is degraded: the validator's last checks met transient Webex failures. Retry after its next check, or add acceptDegraded=true to take its token while that token is valid`
        : `No access token for "${error.tenantId}"/"${error.integration}" right now (${error.reason}); retry later`,
      retryAfter === undefined ? {} : { 'Retry-After': String(retryAfter) },
      [],
      { reason: error.reason, ...(retryAfter === undefined ? {} : { retryAfterSeconds: retryAfter }) },
    );
  }
  return undefined;
}
