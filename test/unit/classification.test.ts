import { describe, expect, it } from 'vitest';
import {
  classifyDeath,
  classifyProbeResult,
  outcomeOf,
  type DeathEvidence,
  type ProbeResult,
  type SiblingState,
} from '#domain/classification.js';
import type { Authorizer } from '#domain/model.js';
import { WebexError, type WebexPerson } from '#domain/ports.js';

const NOW = new Date('2026-03-01T10:00:00.000Z');
const ORG = 'org-1';
const ADMIN_ROLE = { id: 'role-full', name: 'Full Administrator' };
const READ_ONLY_ROLE = { id: 'role-ro', name: 'Read-only Administrator' };

const authorizer: Authorizer = {
  personId: 'person-1',
  email: 'admin@demo.example',
  displayName: 'Ada Admin',
  orgId: ORG,
  fullAdmin: true,
};

function me(overrides: Partial<WebexPerson> = {}): WebexPerson {
  return {
    id: 'person-1',
    emails: ['admin@demo.example'],
    displayName: 'Ada Admin',
    orgId: ORG,
    roles: [ADMIN_ROLE.id],
    type: 'person',
    ...overrides,
  };
}

function answered(person: WebexPerson): ProbeResult {
  return { kind: 'answered', me: person, roles: [ADMIN_ROLE, READ_ONLY_ROLE] };
}

const refused401 = { kind: 'refused', failure: 'unauthorized', status: 401, trackingId: 'ROUTER_1' } as const;
const refused400 = { kind: 'refused', failure: 'rejected', status: 400, trackingId: 'ROUTER_2' } as const;
const throttled = { kind: 'transient', status: 429, retryAfterSeconds: 30, trackingId: 'ROUTER_3' } as const;
const serverError = { kind: 'transient', status: 503 } as const;

describe('outcomeOf', () => {
  it('reads a transient WebexError as transient with its Retry-After', () => {
    const error = new WebexError('transient', 'rate limited', { status: 429, retryAfterSeconds: 7 });
    expect(outcomeOf(error)).toEqual({ kind: 'transient', status: 429, retryAfterSeconds: 7 });
  });

  it('reads 401, 403, 404 and 400 as refusals', () => {
    for (const kind of ['unauthorized', 'forbidden', 'not_found', 'rejected'] as const) {
      expect(outcomeOf(new WebexError(kind, 'no'))).toMatchObject({ kind: 'refused', failure: kind });
    }
  });

  it('rethrows anything that is not a WebexError, so a bug is never read as evidence', () => {
    expect(() => outcomeOf(new TypeError('bug'))).toThrow(TypeError);
  });
});

describe('classifyProbeResult', () => {
  const base = { authorizer, tenantOrgId: ORG };

  it.each([
    ['healthy probe, no refresh', undefined, answered(me()), 'healthy'],
    ['healthy probe after a refresh', { kind: 'ok' } as const, answered(me()), 'healthy'],
    ['probe 429', undefined, throttled, 'transient'],
    ['probe 5xx', undefined, serverError, 'transient'],
    ['refresh 5xx, probe still answers', serverError, answered(me()), 'transient'],
    ['refresh 429, probe refused', throttled, refused401, 'transient'],
    ['probe refused, no refresh possible', undefined, refused401, 'dead'],
    ['probe refused after a refresh', { kind: 'ok' } as const, refused401, 'dead'],
    ['refresh refused, probe refused', refused400, refused401, 'dead'],
    ['refresh refused while the access token still answers', refused400, answered(me()), 'dead'],
  ] as const)('%s -> %s', (_name, refresh, probe, kind) => {
    expect(classifyProbeResult({ ...base, refresh, probe }).kind).toBe(kind);
  });

  it('never calls a transient failure invalid, and carries Retry-After and trackingId', () => {
    const verdict = classifyProbeResult({ ...base, refresh: undefined, probe: throttled });
    expect(verdict).toMatchObject({ kind: 'transient', retryAfterSeconds: 30, trackingId: 'ROUTER_3' });
  });

  it('marks a probe that works but shows Full Admin gone as admin_role_removed', () => {
    const verdict = classifyProbeResult({
      ...base,
      refresh: undefined,
      probe: answered(me({ roles: [READ_ONLY_ROLE.id] })),
    });
    expect(verdict).toMatchObject({ kind: 'invalid', cause: 'admin_role_removed', confidence: 'confirmed' });
  });

  it('resolves the Full Admin role by name, not by a fixed id', () => {
    const renamedIds = {
      kind: 'answered' as const,
      me: me({ roles: ['xyz'] }),
      roles: [{ id: 'xyz', name: 'Full Administrator' }],
    };
    expect(classifyProbeResult({ ...base, refresh: undefined, probe: renamedIds }).kind).toBe('healthy');
  });

  it('reads a refused roles list (admins only) as admin_role_removed', () => {
    const verdict = classifyProbeResult({
      ...base,
      refresh: undefined,
      probe: { kind: 'answered', me: me(), roles: 'forbidden' },
    });
    // A refusal says the person is no admin of any kind only by inference: likely, not confirmed.
    expect(verdict).toMatchObject({ kind: 'invalid', cause: 'admin_role_removed', confidence: 'likely' });
  });

  it('does not judge the role when the roles could not be checked', () => {
    const verdict = classifyProbeResult({
      ...base,
      refresh: undefined,
      probe: { kind: 'answered', me: me({ roles: [] }), roles: 'not_checked' },
    });
    expect(verdict.kind).toBe('healthy');
  });

  it('marks a token that now answers for another org invalid', () => {
    const verdict = classifyProbeResult({
      ...base,
      refresh: undefined,
      probe: answered(me({ orgId: 'org-2' })),
    });
    expect(verdict).toMatchObject({ kind: 'invalid', cause: 'unknown', confidence: 'unknown' });
    expect(verdict.kind === 'invalid' && verdict.detail).toMatch(/another Webex organization/);
  });

  it('marks a token that now answers for another person invalid', () => {
    const verdict = classifyProbeResult({
      ...base,
      refresh: undefined,
      probe: answered(me({ id: 'person-2' })),
    });
    expect(verdict).toMatchObject({ kind: 'invalid', cause: 'unknown', confidence: 'unknown' });
    expect(verdict.kind === 'invalid' && verdict.detail).toMatch(/another person/);
  });
});

describe('classifyDeath', () => {
  const evidence = (overrides: Partial<DeathEvidence>): DeathEvidence => ({
    now: NOW,
    sso: false,
    name: 'Attendant Console call control',
    authorizerEmail: 'admin@demo.example',
    refreshTokenExpiresAt: '2026-05-01T00:00:00.000Z',
    siblings: [],
    ...overrides,
  });
  const sibling = (
    state: SiblingState['state'],
    name = 'UCX Suite users sync',
    cause?: SiblingState['cause'],
  ): SiblingState => ({
    integration: name.toLowerCase().replace(/\W+/g, '-'),
    name,
    state,
    ...(cause ? { cause } : {}),
  });

  const activeAdmin = { kind: 'found', loginEnabled: true, fullAdmin: true, via: 'users-sync' } as const;

  it.each([
    [
      'every sibling by the person died too, nobody to look the person up with (password tenant)',
      evidence({ siblings: [sibling('dead'), sibling('dead', 'CDRs')] }),
      'password_change_or_deactivation_or_role_removal',
      'likely',
    ],
    [
      'every sibling died, SSO tenant, person unknown',
      evidence({ sso: true, siblings: [sibling('dead')] }),
      'password_change_or_deactivation_or_role_removal',
      'likely',
    ],
    [
      'every sibling died, the look-up shows the person active but not their roles',
      evidence({
        siblings: [sibling('dead')],
        lookup: { kind: 'found', loginEnabled: true, via: 'users-sync' },
      }),
      'password_change_or_deactivation_or_role_removal',
      'likely',
    ],
    [
      'every sibling died, SSO tenant, person still active and Full Admin',
      evidence({ sso: true, siblings: [sibling('dead')], lookup: activeAdmin }),
      'password_changed_or_revoked',
      'likely',
    ],
    [
      'every sibling died, password tenant, person still active and Full Admin',
      evidence({ siblings: [sibling('dead')], lookup: activeAdmin }),
      'password_changed_or_revoked',
      'likely',
    ],
    [
      'one alone died while siblings work',
      evidence({ siblings: [sibling('alive'), sibling('unknown', 'CDRs')] }),
      'integration_revoked',
      'likely',
    ],
    [
      'the look-up shows sign-in disabled',
      evidence({
        siblings: [sibling('dead')],
        lookup: { kind: 'found', loginEnabled: false, via: 'users-sync' },
      }),
      'user_deactivated',
      'confirmed',
    ],
    [
      'the look-up finds no such person',
      evidence({ lookup: { kind: 'not_found', via: 'users-sync' } }),
      'user_deactivated',
      'confirmed',
    ],
    [
      'the look-up shows no Full Admin role',
      evidence({
        siblings: [sibling('dead')],
        lookup: { kind: 'found', loginEnabled: true, fullAdmin: false, via: 'users-sync' },
      }),
      'admin_role_removed',
      'confirmed',
    ],
    [
      'the refresh token is past its recorded expiry',
      evidence({ refreshTokenExpiresAt: '2026-02-28T00:00:00.000Z', siblings: [sibling('dead')] }),
      'refresh_token_expired',
      'confirmed',
    ],
    [
      'a sibling that died with it showed the role removal (confidence not recorded)',
      evidence({ siblings: [sibling('dead', 'Presence', 'admin_role_removed'), sibling('dead')] }),
      'admin_role_removed',
      'likely',
    ],
    [
      'a sibling that died with it confirmed the deactivation',
      evidence({
        siblings: [{ ...sibling('dead', 'Presence', 'user_deactivated'), confidence: 'confirmed' }],
      }),
      'user_deactivated',
      'confirmed',
    ],
    [
      'a sibling that died with it only guessed the role removal',
      evidence({
        siblings: [{ ...sibling('dead', 'Presence', 'admin_role_removed'), confidence: 'likely' }],
      }),
      'admin_role_removed',
      'likely',
    ],
    ['nothing to compare with', evidence({}), 'unknown', 'unknown'],
    ['siblings could not be told', evidence({ siblings: [sibling('unknown')] }), 'unknown', 'unknown'],
    ['the person is fine, no siblings', evidence({ lookup: activeAdmin }), 'unknown', 'unknown'],
  ] as const)('%s -> %s (%s)', (_name, input, cause, confidence) => {
    expect(classifyDeath(input)).toMatchObject({ cause, confidence });
  });

  it('says so when all of the person’s authorizations died together, naming them', () => {
    const result = classifyDeath(
      evidence({
        siblings: [sibling('dead', 'UCX Suite users sync'), sibling('dead', 'Call Analytics CDRs')],
      }),
    );
    expect(result.detail).toContain('All 3 authorizations that admin@demo.example granted');
    expect(result.detail).toContain(
      'Attendant Console call control, Call Analytics CDRs and UCX Suite users sync',
    );
  });

  it('writes the same sentence whichever of the authorizations that died together it classifies', () => {
    const presence = classifyDeath(
      evidence({ name: 'Presence', siblings: [sibling('dead', 'Call Analytics CDRs')] }),
    );
    const cdr = classifyDeath(
      evidence({ name: 'Call Analytics CDRs', siblings: [sibling('dead', 'Presence')] }),
    );
    expect(presence.detail).toBe(cdr.detail);
    expect(presence.detail).toContain(
      'Both authorizations that admin@demo.example granted for this tenant (Call Analytics CDRs and Presence)',
    );
  });

  it('never blames a password change for an SSO tenant', () => {
    const result = classifyDeath(evidence({ sso: true, siblings: [sibling('dead')] }));
    expect(result.detail).toMatch(/not a password change/);
  });

  it('names the siblings that still work when one died alone', () => {
    expect(classifyDeath(evidence({ siblings: [sibling('alive', 'Presence')] })).detail).toContain(
      '(Presence) still work',
    );
  });
});
