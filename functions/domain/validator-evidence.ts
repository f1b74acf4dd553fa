import { ADMIN_PEOPLE_READ_SCOPE, type Integration } from './catalog.js';
import type { classifyDeath } from './classification.js';
import {
  fullAdminRoleId,
  outcomeOf,
  type PersonLookup,
  type ProbeResult,
  type SiblingState,
} from './classification.js';
import type { Authorization, Tenant, TokenMaterial } from './model.js';
import type { WebexClient } from './ports.js';
import { isCheckable } from './status-machine.js';
import type { ValidatorDependencies } from './validator-config.js';
import { SECOND_MS } from './validator-schedule.js';

/*
 * What Webex says of an authorization: the probe of its own token, and, when it died, the evidence
 * of its siblings and of the person, from which classification.ts names the cause.
 */

/** Scope that lets a token list the org's roles; without it a roles call fails with 403 whatever the role. */
export const ROLES_READ_SCOPE = 'spark-admin:roles_read';

/**
 * Probes `people/me` and, with the roles scope, `/v1/roles` with one access token. The two calls
 * do not depend on each other, so they go out together: a check waits for one Webex round trip,
 * not two. The roles answer only counts when `people/me` answered.
 */
export async function probeIdentity(
  webex: WebexClient,
  accessToken: string,
  scopes: readonly string[],
): Promise<ProbeResult> {
  const roles = scopes.includes(ROLES_READ_SCOPE) ? settle(webex.listRoles(accessToken)) : undefined;
  let me;
  try {
    me = await webex.getMe(accessToken);
  } catch (error) {
    return outcomeOf(error);
  }
  if (!roles) return { kind: 'answered', me, roles: 'not_checked' };
  const answer = await roles;
  if (answer.ok) return { kind: 'answered', me, roles: answer.value };
  const outcome = outcomeOf(answer.error);
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
 * - each sibling by the same person: invalidated within the together-window -> dead (with its
 *   cause); still checkable -> probed now with its own access token (getMe only: no refresh and
 *   no write, so no lease is needed); older invalidations say nothing about this death.
 * - the person looked up (getPerson, then roles) through the first working authorization of the
 *   tenant with `spark-admin:people_read` (the users-sync integration), by anyone.
 */
export async function gatherDeathEvidence(
  deps: ValidatorDependencies,
  record: Authorization,
  tenant: Tenant,
  integration: Integration,
  material: TokenMaterial,
  now: Date,
): Promise<Parameters<typeof classifyDeath>[0]> {
  const others = (await deps.authorizations.listForTenant(record.tenantId)).filter(
    (other) => other.integration !== record.integration,
  );
  const personId = record.authorizer?.personId;
  const windowMs = deps.config.togetherWindowSeconds * SECOND_MS;
  const siblings = (
    await Promise.all(
      others
        .filter((other) => personId !== undefined && other.authorizer?.personId === personId)
        .map(async (other): Promise<SiblingState | undefined> => {
          const name = deps.catalog.find(other.integration)?.name ?? other.integration;
          if (other.status === 'invalid') {
            const at = Date.parse(other.validatedAt ?? other.updatedAt);
            return now.getTime() - at <= windowMs
              ? {
                  integration: other.integration,
                  name,
                  state: 'dead',
                  ...(other.cause ? { cause: other.cause } : {}),
                }
              : undefined;
          }
          if (!isCheckable(other.status) || other.secretId === undefined) return undefined;
          return {
            integration: other.integration,
            name,
            state: await probeSibling(deps, other.secretId, now),
          };
        }),
    )
  ).filter((sibling): sibling is SiblingState => sibling !== undefined);

  const dead = new Set(siblings.filter((s) => s.state === 'dead').map((s) => s.integration));
  const lookup =
    personId === undefined
      ? undefined
      : await lookUpPerson(
          deps,
          others.filter(
            (other) =>
              isCheckable(other.status) &&
              other.secretId !== undefined &&
              other.scopes.includes(ADMIN_PEOPLE_READ_SCOPE) &&
              !dead.has(other.integration),
          ),
          personId,
          now,
        );
  return {
    now,
    sso: tenant.sso,
    name: integration.name,
    authorizerEmail: record.authorizer?.email,
    refreshTokenExpiresAt: material.refreshTokenExpiresAt,
    siblings,
    ...(lookup ? { lookup } : {}),
  };
}

/** A sibling's state right now, from its current access token; anything unclear is `unknown`. */
async function probeSibling(
  deps: ValidatorDependencies,
  secretId: string,
  now: Date,
): Promise<SiblingState['state']> {
  let material: TokenMaterial;
  try {
    material = await deps.vault.read(secretId);
  } catch {
    return 'unknown';
  }
  // An access token past its end is refused whatever happened to the person: no evidence.
  if (Date.parse(material.accessTokenExpiresAt) <= now.getTime()) return 'unknown';
  try {
    await deps.webex.getMe(material.accessToken);
    return 'alive';
  } catch (error) {
    return outcomeOf(error).kind === 'refused' ? 'dead' : 'unknown';
  }
}

/** Looks the authorizer up through the first candidate whose token still works. */
async function lookUpPerson(
  deps: ValidatorDependencies,
  candidates: readonly Authorization[],
  personId: string,
  now: Date,
): Promise<PersonLookup | undefined> {
  for (const candidate of candidates) {
    if (candidate.secretId === undefined) continue;
    let material: TokenMaterial;
    try {
      material = await deps.vault.read(candidate.secretId);
    } catch {
      continue;
    }
    if (Date.parse(material.accessTokenExpiresAt) <= now.getTime()) continue;
    let person;
    try {
      person = await deps.webex.getPerson(material.accessToken, personId);
    } catch (error) {
      const outcome = outcomeOf(error);
      if (outcome.kind === 'refused' && outcome.failure === 'not_found') {
        return { kind: 'not_found', via: candidate.integration };
      }
      continue;
    }
    let fullAdmin: boolean | undefined;
    if (candidate.scopes.includes(ROLES_READ_SCOPE)) {
      try {
        const adminRoleId = fullAdminRoleId(await deps.webex.listRoles(material.accessToken));
        if (adminRoleId !== undefined) fullAdmin = person.roles.includes(adminRoleId);
      } catch (error) {
        outcomeOf(error); // a Webex failure leaves the role unknown; anything else is rethrown
      }
    }
    return {
      kind: 'found',
      via: candidate.integration,
      ...(person.loginEnabled !== undefined ? { loginEnabled: person.loginEnabled } : {}),
      ...(fullAdmin !== undefined ? { fullAdmin } : {}),
    };
  }
  return undefined;
}
