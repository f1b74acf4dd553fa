import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HttpWebexClient, tokenEndpointFailureKind } from '#adapters/webex-client.js';
import { classifyProbeResult, outcomeOf, type ProbeResult } from '#domain/classification.js';
import { WebexError } from '#domain/ports.js';

/*
 * The token endpoint's refusals, read from their RFC 6749 5.2 body: only a grant-level refusal may
 * end an authorization; one that blames our client (a wrong or regenerated client secret) never
 * does, nor does anything ambiguous.
 */

const DEAD_REFRESH_TOKEN_TEXT = 'The refresh token provided is expired, revoked, malformed, or invalid';
const RFC_6749_ERRORS = [
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
] as const;

function refusingFetch(status: number, body: unknown): typeof fetch {
  return async () =>
    new Response(JSON.stringify(body), {
      status,
      headers: { 'Content-Type': 'application/json', TrackingId: 'ROUTER_tok' },
    });
}

async function refreshFailure(status: number, body: unknown): Promise<WebexError> {
  const client = new HttpWebexClient({
    baseUrl: 'https://webexapis.test',
    fetch: refusingFetch(status, body),
  });
  const error = await client
    .refresh({ clientId: 'C', clientSecret: 'wrong', refreshToken: 'RT-secret' })
    .then(
      () => undefined,
      (caught: unknown) => caught,
    );
  if (!(error instanceof WebexError)) throw new Error(`expected a WebexError, got ${String(error)}`);
  return error;
}

const healthyProbe: ProbeResult = {
  kind: 'answered',
  me: { id: 'p1', emails: ['a@x.example'], displayName: 'A', orgId: 'org-1', roles: [], type: 'person' },
  roles: 'not_checked',
};
const refusedProbe: ProbeResult = { kind: 'refused', failure: 'unauthorized', status: 401 };

describe('tokenEndpointFailureKind', () => {
  it.each([
    [400, 'invalid_grant', DEAD_REFRESH_TOKEN_TEXT, 'rejected'],
    [401, 'invalid_grant', undefined, 'rejected'],
    [400, 'invalid_request', DEAD_REFRESH_TOKEN_TEXT, 'rejected'],
    [400, undefined, DEAD_REFRESH_TOKEN_TEXT, 'rejected'],
    [400, 'invalid_client', 'Client authentication failed', 'client_rejected'],
    [401, 'invalid_client', 'Client authentication failed', 'client_rejected'],
    [400, 'unauthorized_client', undefined, 'client_rejected'],
    [401, undefined, undefined, 'client_rejected'],
    [401, 'invalid_request', DEAD_REFRESH_TOKEN_TEXT, 'client_rejected'],
    [400, 'invalid_request', 'The request is missing refresh_token', 'transient'],
    [400, 'invalid_scope', undefined, 'transient'],
    [400, 'unsupported_grant_type', undefined, 'transient'],
    [400, 'something_new', DEAD_REFRESH_TOKEN_TEXT, 'transient'],
    [400, undefined, undefined, 'transient'],
    [403, 'invalid_grant', undefined, 'transient'],
    [404, undefined, undefined, 'transient'],
    [429, undefined, undefined, 'transient'],
    [503, 'invalid_grant', undefined, 'transient'],
  ] as const)('%i %s (%s) -> %s', (status, error, description, kind) => {
    expect(tokenEndpointFailureKind({ status, error, description })).toBe(kind);
  });
});

describe('HttpWebexClient token endpoint refusals', () => {
  it('reads Webex invalid_client answer (the simulator shape) as client_rejected with its tracking id', async () => {
    const error = await refreshFailure(401, {
      error: 'invalid_client',
      error_description: 'Client authentication failed',
      message: 'Client authentication failed',
      errors: [{ description: 'Client authentication failed' }],
      trackingId: 'ROUTER_body',
    });
    expect(error.kind).toBe('client_rejected');
    expect(error.details).toMatchObject({ status: 401, trackingId: 'ROUTER_tok' });
    expect(error.message).toContain('invalid_client');
    expect(error.message).not.toContain('wrong');
    expect(outcomeOf(error)).toEqual({
      kind: 'client_refused',
      status: 401,
      trackingId: 'ROUTER_tok',
      error: 'invalid_client',
    });
  });

  it('reads Webex dead refresh token text under invalid_request (its `message`) as rejected', async () => {
    const error = await refreshFailure(400, { error: 'invalid_request', message: DEAD_REFRESH_TOKEN_TEXT });
    expect(error.kind).toBe('rejected');
  });

  it('reads a refusal whose body is not JSON or not an object as transient, or client_rejected on 401', async () => {
    for (const [status, kind] of [
      [400, 'transient'],
      [401, 'client_rejected'],
    ] as const) {
      for (const body of ['not json at all', [], null, 42]) {
        expect((await refreshFailure(status, body)).kind).toBe(kind);
      }
    }
  });
});

describe('a client-blaming refusal in the classification', () => {
  it('is client_refused whatever the probe answers, never dead or invalid', () => {
    const refresh = outcomeOf(new WebexError('client_rejected', 'no', { status: 401 }));
    for (const probe of [healthyProbe, refusedProbe]) {
      expect(classifyProbeResult({ refresh, probe, authorizer: undefined, tenantOrgId: 'org-1' }).kind).toBe(
        'client_refused',
      );
    }
  });
});

describe('property: only a grant-level token endpoint error may invalidate', () => {
  const errorCode = fc.option(fc.oneof(fc.constantFrom(...RFC_6749_ERRORS), fc.string({ maxLength: 30 })), {
    nil: undefined,
  });
  const description = fc.option(
    fc.oneof(fc.constant(DEAD_REFRESH_TOKEN_TEXT), fc.string({ maxLength: 80 })),
    {
      nil: undefined,
    },
  );

  it('400/401 x any error x any description: dead only for invalid_grant or Webex dead-token text', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(400, 401),
        errorCode,
        description,
        fc.constantFrom(healthyProbe, refusedProbe),
        async (status, error, text, probe) => {
          const failure = await refreshFailure(status, {
            ...(error !== undefined ? { error } : {}),
            ...(text !== undefined ? { error_description: text } : {}),
          });
          const verdict = classifyProbeResult({
            refresh: outcomeOf(failure),
            probe,
            authorizer: undefined,
            tenantOrgId: 'org-1',
          });
          const mayEnd = verdict.kind === 'dead' || verdict.kind === 'invalid';
          const grantLevel =
            error === 'invalid_grant' ||
            (status === 400 &&
              (error === undefined || error === 'invalid_request') &&
              text === DEAD_REFRESH_TOKEN_TEXT);
          expect(mayEnd).toBe(grantLevel);
          if (error === 'invalid_client' || error === 'unauthorized_client') {
            expect(verdict.kind).toBe('client_refused');
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
