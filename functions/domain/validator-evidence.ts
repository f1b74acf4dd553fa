import type { CallEvidenceLog } from './call-evidence.js';
import { ADMIN_PEOPLE_READ_SCOPE, type Integration } from './catalog.js';
import { consultWitness, lastHealthyAt, type WitnessReport } from './cause-witness.js';
import {
  holdsFullAdmin,
  outcomeOf,
  type DeathEvidence,
  type PersonLookup,
  type ProbeResult,
  type SiblingState,
} from './classification.js';
import type { Authorization, Tenant, TokenMaterial } from './model.js';
import type { WebexClient, WebexPerson, WebexRole } from './ports.js';
import { signsInWithSso } from './password-policy.js';
import { isCheckable } from './status-machine.js';
import { holdsTokens, openTokens, type SealedAuthorization } from './token-storage.js';
import type { ValidatorDependencies } from './validator-config.js';
import { SECOND_MS } from './validator-schedule.js';

/*
 * What Webex says of an authorization: the probe of its own token, and, when it died, the evidence
 * of its siblings and of the person, from which classification.ts names the cause.
 */

/** Scope that lets a token list the org's roles; without it a roles call fails with 403 whatever the role. */
export const ROLES_READ_SCOPE = 'spark-admin:roles_read';

/** The trackingId of a person's answer, for the evidence. */
function tracked(person: WebexPerson): { trackingId?: string } {
  return person.trackingId !== undefined ? { trackingId: person.trackingId } : {};
}

/** The evidence of a roles answer: whether the person holds Full Admin, when it tells. */
function recordRoles(
  calls: CallEvidenceLog,
  via: string,
  person: WebexPerson,
  roles: readonly WebexRole[],
): void {
  const fullAdmin = holdsFullAdmin(person, roles);
  calls.answered(
    'GET /v1/roles',
    via,
    fullAdmin === undefined ? {} : { finding: fullAdmin ? 'full_admin' : 'not_full_admin' },
  );
}

/**
 * Probes `people/me` and, with the roles scope, `/v1/roles` with one access token (of the
 * authorization `via`), recording both answers in `calls`. The two calls do not depend on each
 * other, so they go out together: a check waits for one Webex round trip, not two. The roles
 * answer only counts when `people/me` answered.
 */
export async function probeIdentity(
  webex: WebexClient,
  accessToken: string,
  scopes: readonly string[],
  calls: CallEvidenceLog,
  via: string,
): Promise<ProbeResult> {
  const roles = scopes.includes(ROLES_READ_SCOPE) ? settle(webex.listRoles(accessToken)) : undefined;
  let me;
  try {
    me = await webex.getMe(accessToken);
  } catch (error) {
    const outcome = outcomeOf(error);
    calls.failed('GET /v1/people/me', via, outcome);
    return outcome;
  }
  calls.answered('GET /v1/people/me', via, tracked(me));
  if (!roles) return { kind: 'answered', me, roles: 'not_checked' };
  const answer = await roles;
  if (answer.ok) {
    recordRoles(calls, via, me, answer.value);
    return { kind: 'answered', me, roles: answer.value };
  }
  const outcome = outcomeOf(answer.error);
  calls.failed('GET /v1/roles', via, outcome);
  if (outcome.kind === 'refused' && outcome.failure === 'forbidden') {
    return {
      kind: 'answered',
      me,
      roles: 'forbidden',
      ...(outcome.trackingId !== undefined ? { trackingId: outcome.trackingId } : {}),
    };
  }
  return outcome;
}

/** A call's result as a value, so that a failure nobody waits for is never an unhandled rejection. */
function settle<T>(call: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  return call.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

/**
 * Collects what the tenant's other authorizations say about a dead one, at this moment:
 *
 * - each sibling by the same person: invalidated within the together-window, and since this
 *   record's grant -> dead (with its cause); still checkable -> probed now with its own access
 *   token (getMe only: no refresh and no write, so no lease is needed); older invalidations say
 *   nothing about this death.
 * - the tenant's witness, when it has one (cause-witness.ts): the person, their roles and the admin
 *   actions on them since the last healthy check, read with the witness Service App's org token;
 * - when the witness did not read the person: the person looked up (getPerson, then roles) through
 *   the first working authorization of the tenant with `spark-admin:people_read` (the users-sync
 *   integration), by anyone.
 *
 * Every Webex call it makes goes into `calls`.
 */
export async function gatherDeathEvidence(
  deps: ValidatorDependencies,
  record: Authorization,
  tenant: Tenant,
  integration: Integration,
  material: TokenMaterial,
  now: Date,
  calls: CallEvidenceLog,
): Promise<{ evidence: DeathEvidence; witness: WitnessReport }> {
  const others = (await deps.authorizations.listForTenant(record.tenantId)).filter(
    (other) => other.integration !== record.integration,
  );
  const personId = record.authorizer?.personId;
  const windowMs = deps.config.togetherWindowSeconds * SECOND_MS;
  // A sibling that died before this record's tokens were granted did not die with them.
  const grantedAt = record.grantedAt === undefined ? -Infinity : Date.parse(record.grantedAt);
  const siblings = (
    await Promise.all(
      others
        .filter((other) => personId !== undefined && other.authorizer?.personId === personId)
        .map(async (other): Promise<SiblingState | undefined> => {
          const name = deps.catalog.find(other.integration)?.name ?? other.integration;
          if (other.status === 'invalid') {
            const at = Date.parse(other.validatedAt ?? other.updatedAt);
            return now.getTime() - at <= windowMs && at >= grantedAt
              ? {
                  integration: other.integration,
                  name,
                  state: 'dead',
                  ...(other.cause ? { cause: other.cause } : {}),
                  ...(other.confidence ? { confidence: other.confidence } : {}),
                }
              : undefined;
          }
          if (!isCheckable(other.status) || !holdsTokens(other)) return undefined;
          return {
            integration: other.integration,
            name,
            state: await probeSibling(deps, other, now, calls),
          };
        }),
    )
  ).filter((sibling): sibling is SiblingState => sibling !== undefined);

  const dead = new Set(siblings.filter((s) => s.state === 'dead').map((s) => s.integration));
  const witness: WitnessReport =
    personId === undefined
      ? { outcome: 'none' }
      : await consultWitness(deps, {
          tenantId: record.tenantId,
          integration: record.integration,
          personId,
          orgId: tenant.orgId ?? record.authorizer?.orgId,
          since: lastHealthyAt(record),
          now,
          calls,
        });
  const witnessed = witness.outcome === 'none' ? undefined : witness.lookup;
  const lookup =
    personId === undefined || witnessed
      ? witnessed
      : await lookUpPerson(
          deps,
          others.filter(
            (other) =>
              isCheckable(other.status) &&
              holdsTokens(other) &&
              other.integration !== deps.catalog.witness?.key &&
              other.scopes.includes(ADMIN_PEOPLE_READ_SCOPE) &&
              !dead.has(other.integration),
          ),
          personId,
          now,
          calls,
        );
  const evidence: DeathEvidence = {
    now,
    sso: signsInWithSso(tenant, record.authorizer),
    name: integration.name,
    authorizerEmail: record.authorizer?.email,
    refreshTokenExpiresAt: material.refreshTokenExpiresAt,
    siblings,
    ...(lookup ? { lookup } : {}),
  };
  return { evidence, witness };
}

/** A sibling's state right now, from its current access token; anything unclear is `unknown`. */
async function probeSibling(
  deps: ValidatorDependencies,
  sibling: SealedAuthorization,
  now: Date,
  calls: CallEvidenceLog,
): Promise<SiblingState['state']> {
  let material: TokenMaterial;
  try {
    material = await openTokens(deps.vault, sibling);
  } catch {
    return 'unknown';
  }
  // An access token past its end is refused whatever happened to the person: no evidence.
  if (Date.parse(material.accessTokenExpiresAt) <= now.getTime()) return 'unknown';
  try {
    const me = await deps.webex.getMe(material.accessToken);
    calls.answered('GET /v1/people/me', sibling.integration, tracked(me));
    return 'alive';
  } catch (error) {
    const outcome = outcomeOf(error);
    calls.failed('GET /v1/people/me', sibling.integration, outcome);
    return outcome.kind === 'refused' ? 'dead' : 'unknown';
  }
}

/** Looks the authorizer up through the first candidate whose token still works. */
async function lookUpPerson(
  deps: ValidatorDependencies,
  candidates: readonly Authorization[],
  personId: string,
  now: Date,
  calls: CallEvidenceLog,
): Promise<PersonLookup | undefined> {
  for (const candidate of candidates) {
    if (!holdsTokens(candidate)) continue;
    let material: TokenMaterial;
    try {
      material = await openTokens(deps.vault, candidate);
    } catch {
      continue;
    }
    if (Date.parse(material.accessTokenExpiresAt) <= now.getTime()) continue;
    const via = candidate.integration;
    let person;
    try {
      person = await deps.webex.getPerson(material.accessToken, personId);
    } catch (error) {
      const outcome = outcomeOf(error);
      const gone = outcome.kind === 'refused' && outcome.failure === 'not_found';
      calls.failed('GET /v1/people/{personId}', via, outcome, gone ? 'person_not_found' : undefined);
      if (gone) return { kind: 'not_found', via };
      continue;
    }
    const login = person.loginEnabled;
    calls.answered('GET /v1/people/{personId}', via, {
      ...tracked(person),
      ...(login === undefined ? {} : { finding: login ? 'sign_in_enabled' : 'sign_in_disabled' }),
    });
    let fullAdmin: boolean | undefined;
    if (candidate.scopes.includes(ROLES_READ_SCOPE)) {
      try {
        const roles = await deps.webex.listRoles(material.accessToken);
        fullAdmin = holdsFullAdmin(person, roles);
        recordRoles(calls, via, person, roles);
      } catch (error) {
        // A Webex failure leaves the role unknown; anything else is rethrown by outcomeOf.
        calls.failed('GET /v1/roles', via, outcomeOf(error));
      }
    }
    return {
      kind: 'found',
      via,
      ...(person.loginEnabled !== undefined ? { loginEnabled: person.loginEnabled } : {}),
      ...(fullAdmin !== undefined ? { fullAdmin } : {}),
    };
  }
  return undefined;
}
