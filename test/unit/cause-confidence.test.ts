import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  classifyDeath,
  classifyProbeResult,
  type DeathEvidence,
  type PersonLookup,
  type ProbeResult,
  type SiblingState,
} from '#domain/classification.js';
import { CAUSE_CONFIDENCES, INVALIDATION_CAUSES, type InvalidationCause } from '#domain/model.js';
import type { WebexPerson, WebexRole } from '#domain/ports.js';

/*
 * A cause is `confirmed` only where a Webex answer proves it: over every input the classifier can
 * be given, a confirmed cause always has its proving evidence among the inputs, and a cause no
 * Webex answer can prove (a password change, a revocation, the three-way guess) is never confirmed.
 */

const NOW = new Date('2026-03-01T10:00:00.000Z');
const FULL_ADMIN: WebexRole = { id: 'role-full', name: 'Full Administrator' };
const OTHER_ROLE: WebexRole = { id: 'role-ro', name: 'Read-only Administrator' };

const optionalBoolean = fc.constantFrom(true, false, undefined);

const lookupArbitrary: fc.Arbitrary<PersonLookup | undefined> = fc.oneof(
  fc.constant(undefined),
  fc.constant({ kind: 'not_found', via: 'users-sync' } as const),
  fc
    .record({ loginEnabled: optionalBoolean, fullAdmin: optionalBoolean })
    .map(({ loginEnabled, fullAdmin }) => ({
      kind: 'found' as const,
      via: 'users-sync',
      ...(loginEnabled !== undefined ? { loginEnabled } : {}),
      ...(fullAdmin !== undefined ? { fullAdmin } : {}),
    })),
);

const siblingArbitrary: fc.Arbitrary<SiblingState> = fc
  .record({
    state: fc.constantFrom('alive', 'dead', 'unknown'),
    cause: fc.option(fc.constantFrom(...INVALIDATION_CAUSES), { nil: undefined }),
    confidence: fc.option(fc.constantFrom(...CAUSE_CONFIDENCES), { nil: undefined }),
    index: fc.nat(20),
  })
  .map(({ state, cause, confidence, index }) => ({
    integration: `integration-${index}`,
    name: `Integration ${index}`,
    state,
    ...(cause !== undefined ? { cause } : {}),
    ...(confidence !== undefined ? { confidence } : {}),
  }));

const deathEvidenceArbitrary: fc.Arbitrary<DeathEvidence> = fc
  .record({
    sso: fc.boolean(),
    expiryOffsetHours: fc.option(fc.integer({ min: -2000, max: 2000 }), { nil: undefined }),
    siblings: fc.array(siblingArbitrary, { maxLength: 5 }),
    lookup: lookupArbitrary,
    authorizerEmail: fc.option(fc.constant('admin@demo.example'), { nil: undefined }),
  })
  .map(({ sso, expiryOffsetHours, siblings, lookup, authorizerEmail }) => ({
    now: NOW,
    sso,
    name: 'Attendant Console call control',
    authorizerEmail,
    refreshTokenExpiresAt:
      expiryOffsetHours === undefined
        ? undefined
        : new Date(NOW.getTime() + expiryOffsetHours * 3_600_000).toISOString(),
    siblings,
    ...(lookup ? { lookup } : {}),
  }));

/** A dead sibling of the same person whose own check confirmed `cause`. */
function confirmedBySibling(evidence: DeathEvidence, cause: InvalidationCause): boolean {
  return evidence.siblings.some(
    (sibling) => sibling.state === 'dead' && sibling.cause === cause && sibling.confidence === 'confirmed',
  );
}

/** The Webex answer that proves `cause`, when the evidence holds one. */
function proves(evidence: DeathEvidence, cause: InvalidationCause): boolean {
  const { lookup } = evidence;
  switch (cause) {
    case 'refresh_token_expired':
      return (
        evidence.refreshTokenExpiresAt !== undefined &&
        Date.parse(evidence.refreshTokenExpiresAt) <= evidence.now.getTime()
      );
    case 'user_deactivated':
      return (
        lookup?.kind === 'not_found' ||
        (lookup?.kind === 'found' && lookup.loginEnabled === false) ||
        confirmedBySibling(evidence, cause)
      );
    case 'admin_role_removed':
      return (lookup?.kind === 'found' && lookup.fullAdmin === false) || confirmedBySibling(evidence, cause);
    default:
      return false;
  }
}

describe('cause confidence', () => {
  it('classifyDeath gives confirmed only with the proving Webex answer among its inputs', () => {
    fc.assert(
      fc.property(deathEvidenceArbitrary, (evidence) => {
        const result = classifyDeath(evidence);
        if (result.confidence === 'confirmed') expect(proves(evidence, result.cause)).toBe(true);
        if (result.cause === 'unknown') expect(result.confidence).toBe('unknown');
      }),
      { numRuns: 2000 },
    );
  });

  it('never names one of password change, deactivation and role removal as fact without a look-up or a lent cause', () => {
    // The single-admin tenant: every authorization of the one admin died (or could not be told),
    // and no working token is left to look the person up with.
    const singleAdmin = fc
      .record({
        sso: fc.boolean(),
        deadNames: fc.array(fc.string({ minLength: 1, maxLength: 20 }), { minLength: 1, maxLength: 4 }),
        unknownSiblings: fc.nat(2),
        expiresInHours: fc.option(fc.integer({ min: 1, max: 2000 }), { nil: undefined }),
      })
      .map(({ sso, deadNames, unknownSiblings, expiresInHours }): DeathEvidence => ({
        now: NOW,
        sso,
        name: 'Attendant Console call control',
        authorizerEmail: 'admin@demo.example',
        refreshTokenExpiresAt:
          expiresInHours === undefined
            ? undefined
            : new Date(NOW.getTime() + expiresInHours * 3_600_000).toISOString(),
        siblings: [
          ...deadNames.map((name, index) => ({ integration: `dead-${index}`, name, state: 'dead' as const })),
          ...Array.from({ length: unknownSiblings }, (_, index) => ({
            integration: `unknown-${index}`,
            name: `Unknown ${index}`,
            state: 'unknown' as const,
          })),
        ],
      }));
    fc.assert(
      fc.property(singleAdmin, (evidence) => {
        expect(classifyDeath(evidence)).toMatchObject({
          cause: 'password_change_or_deactivation_or_role_removal',
          confidence: 'likely',
        });
      }),
    );
  });

  it('classifyProbeResult confirms a removed Full Admin role only from the person’s own roles', () => {
    const personArbitrary = fc.subarray([FULL_ADMIN.id, OTHER_ROLE.id]).map((roles): WebexPerson => ({
      id: 'person-1',
      emails: ['admin@demo.example'],
      displayName: 'Ada Admin',
      orgId: 'org-1',
      roles,
      type: 'person',
    }));
    const rolesArbitrary = fc.oneof(
      fc.constantFrom('forbidden' as const, 'not_checked' as const),
      fc.subarray([FULL_ADMIN, OTHER_ROLE]),
    );
    fc.assert(
      fc.property(personArbitrary, rolesArbitrary, (me, roles) => {
        const probe: ProbeResult = { kind: 'answered', me, roles };
        const verdict = classifyProbeResult({
          refresh: undefined,
          probe,
          authorizer: undefined,
          tenantOrgId: 'org-1',
        });
        if (verdict.kind !== 'invalid' || verdict.confidence !== 'confirmed') return;
        expect(verdict.cause).toBe('admin_role_removed');
        expect(Array.isArray(roles) && roles.includes(FULL_ADMIN)).toBe(true);
        expect(me.roles).not.toContain(FULL_ADMIN.id);
      }),
    );
  });
});
