import type {
  AdminAuditEvent,
  Authorizer,
  CauseConfidence,
  InvalidationCause,
  WitnessOutcome,
} from './model.js';
import { WebexError, type WebexPerson, type WebexRole } from './ports.js';

/** The role name Webex gives the org's full administrators (resolved to an id through /v1/roles). */
export const FULL_ADMIN_ROLE_NAME = 'Full Administrator';

/** How one Webex call ended, as evidence. */
export type CallOutcome =
  | { kind: 'ok' }
  /** Webex refused the call for good (401, 403, 404, or a grant-level token endpoint refusal). */
  | { kind: 'refused'; status?: number; failure: WebexError['kind']; trackingId?: string; error?: string }
  /**
   * The token endpoint refused our client (its id or secret), not the grant: says nothing about
   * the authorization, and every authorization of the integration is refused alike.
   */
  | { kind: 'client_refused'; status?: number; trackingId?: string; error?: string }
  /** 429, 5xx, timeout or network: says nothing about the authorization. */
  | { kind: 'transient'; status?: number; retryAfterSeconds?: number; trackingId?: string };

/**
 * Turns a failed Webex call into evidence. Anything that is not a WebexError is a bug or an
 * outage of our own and is rethrown, so the message is retried rather than misread as evidence.
 */
export function outcomeOf(error: unknown): Exclude<CallOutcome, { kind: 'ok' }> {
  if (!(error instanceof WebexError)) throw error;
  const { status, trackingId, retryAfterSeconds, error: code } = error.details;
  if (error.kind === 'client_rejected') {
    return {
      kind: 'client_refused',
      ...(status !== undefined ? { status } : {}),
      ...(trackingId !== undefined ? { trackingId } : {}),
      ...(code !== undefined ? { error: code } : {}),
    };
  }
  if (error.kind === 'transient') {
    return {
      kind: 'transient',
      ...(status !== undefined ? { status } : {}),
      ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
      ...(trackingId !== undefined ? { trackingId } : {}),
    };
  }
  return {
    kind: 'refused',
    failure: error.kind,
    ...(status !== undefined ? { status } : {}),
    ...(trackingId !== undefined ? { trackingId } : {}),
    ...(code !== undefined ? { error: code } : {}),
  };
}

/** The id of the Full Administrator role, resolved by name (never hard-coded); undefined when absent. */
export function fullAdminRoleId(roles: readonly WebexRole[]): string | undefined {
  return roles.find((role) => role.name === FULL_ADMIN_ROLE_NAME)?.id;
}

/** Whether the person holds the Full Administrator role; undefined when the org lists no such role. */
export function holdsFullAdmin(person: WebexPerson, roles: readonly WebexRole[]): boolean | undefined {
  const adminRoleId = fullAdminRoleId(roles);
  return adminRoleId === undefined ? undefined : person.roles.includes(adminRoleId);
}

/** The result of probing `people/me` (and `/v1/roles`) with the authorization's own access token. */
export type ProbeResult =
  | {
      kind: 'answered';
      me: WebexPerson;
      /**
       * The org's roles, or `forbidden` when Webex refused to list them (admins only: a 403 there
       * is evidence the person lost their admin role), or `not_checked` when the authorization
       * has no roles scope or the call failed transiently.
       */
      roles: WebexRole[] | 'forbidden' | 'not_checked';
      trackingId?: string;
    }
  | Exclude<CallOutcome, { kind: 'ok' }>;

/** What the evidence says about an authorization after one check. */
export type Verdict =
  | { kind: 'healthy' }
  | { kind: 'transient'; detail: string; retryAfterSeconds?: number; trackingId?: string }
  /**
   * The token endpoint refused our client credentials: a credential incident of the integration
   * (validator-incident.ts). The authorization keeps its status; its checks pause.
   */
  | { kind: 'client_refused'; detail: string; trackingId?: string }
  /** Tokens refused: the cause needs the wider evidence of `classifyDeath`. */
  | { kind: 'dead'; detail: string; trackingId?: string }
  | {
      kind: 'invalid';
      cause: InvalidationCause;
      confidence: CauseConfidence;
      detail: string;
      trackingId?: string;
      /** Whether the tenant's witness could be read (absent: no witness), and the audit event it found. */
      witness?: WitnessOutcome;
      adminAuditEvent?: AdminAuditEvent;
    };

function tracking(trackingId: string | undefined): { trackingId?: string } {
  return trackingId !== undefined ? { trackingId } : {};
}

/** The verdict of a call that failed transiently: what happened to which step, and when to retry. */
function transientVerdict(
  outcome: Extract<CallOutcome, { kind: 'transient' }>,
  step: 'refresh' | 'probe',
): Verdict {
  const detail =
    outcome.status === 429
      ? `Webex rate-limited the ${step} (429${outcome.retryAfterSeconds !== undefined ? `, retry after ${outcome.retryAfterSeconds} s` : ''}).`
      : outcome.status !== undefined
        ? `Webex failed the ${step} with HTTP ${outcome.status}.`
        : `The ${step} timed out or could not reach Webex.`;
  return {
    kind: 'transient',
    detail,
    ...(outcome.retryAfterSeconds !== undefined ? { retryAfterSeconds: outcome.retryAfterSeconds } : {}),
    ...tracking(outcome.trackingId),
  };
}

function clientRefusedVerdict(outcome: Extract<CallOutcome, { kind: 'client_refused' }>): Verdict {
  return {
    kind: 'client_refused',
    detail: `Webex refused our client credentials${outcome.status !== undefined ? ` (HTTP ${outcome.status})` : ''}: the integration's client secret is wrong, not the authorization.`,
    ...tracking(outcome.trackingId),
  };
}

/**
 * Classifies one check from its direct evidence: the refresh's answer (when a refresh ran) and
 * the probe's answer.
 *
 * - A refresh refused for our client credentials is `client_refused`, whatever the probe says:
 *   it never counts against the authorization.
 * - A refused refresh means the grant needs re-consent even when the current access token still
 *   answers: `dead` (the cause comes from `classifyDeath`).
 * - A refused probe is `dead` unless the refresh failed transiently: then nothing is known yet.
 * - Any transient failure is `transient`, never `invalid`.
 * - A probe that answers but shows another org or another person is `invalid` (`unknown`: the
 *   token no longer speaks for the person who granted it); Full Admin gone is `admin_role_removed`,
 *   `confirmed` by the person's own roles in the answer, only `likely` when the roles list was
 *   refused (only admins may read it, but a refusal does not say which role went).
 */
export function classifyProbeResult(input: {
  refresh: CallOutcome | undefined;
  probe: ProbeResult;
  authorizer: Authorizer | undefined;
  tenantOrgId: string | undefined;
}): Verdict {
  const { refresh, probe, authorizer } = input;
  if (refresh?.kind === 'client_refused') return clientRefusedVerdict(refresh);
  if (probe.kind === 'client_refused') return clientRefusedVerdict(probe);
  if (refresh?.kind === 'refused') {
    return {
      kind: 'dead',
      detail: `Webex refused the refresh token${refresh.status !== undefined ? ` (HTTP ${refresh.status})` : ''}.`,
      ...tracking(refresh.trackingId),
    };
  }
  if (probe.kind === 'refused') {
    if (refresh?.kind === 'transient') {
      return transientVerdict(refresh, 'refresh');
    }
    return {
      kind: 'dead',
      detail: `Webex refused the access token${probe.status !== undefined ? ` (HTTP ${probe.status})` : ''}${refresh ? ' and the refresh did not help' : ''}.`,
      ...tracking(probe.trackingId),
    };
  }
  if (probe.kind === 'transient') {
    return transientVerdict(probe, 'probe');
  }
  const { me, roles } = probe;
  const orgId = input.tenantOrgId ?? authorizer?.orgId;
  if (orgId !== undefined && me.orgId !== orgId) {
    return {
      kind: 'invalid',
      cause: 'unknown',
      confidence: 'unknown',
      detail: 'The token now answers for another Webex organization than the one the tenant authorized.',
      ...tracking(probe.trackingId),
    };
  }
  if (authorizer && me.id !== authorizer.personId) {
    return {
      kind: 'invalid',
      cause: 'unknown',
      confidence: 'unknown',
      detail: `The token now answers for another person than ${authorizer.email}, who authorized it.`,
      ...tracking(probe.trackingId),
    };
  }
  if (roles === 'forbidden') {
    return {
      kind: 'invalid',
      cause: 'admin_role_removed',
      confidence: 'likely',
      detail: 'Webex refused to list the organization roles, which only administrators may read.',
      ...tracking(probe.trackingId),
    };
  }
  if (Array.isArray(roles)) {
    if (holdsFullAdmin(me, roles) === false) {
      return {
        kind: 'invalid',
        cause: 'admin_role_removed',
        confidence: 'confirmed',
        detail: `${authorizer?.email ?? 'The authorizing user'} no longer holds the ${FULL_ADMIN_ROLE_NAME} role.`,
        ...tracking(probe.trackingId),
      };
    }
  }
  if (refresh?.kind === 'transient') {
    // The token still works, but it could not be renewed: count it so a lasting outage shows.
    return transientVerdict(refresh, 'refresh');
  }
  return { kind: 'healthy' };
}

/** The state of another authorization of the same tenant by the same person, seen during this check. */
export interface SiblingState {
  integration: string;
  /** Display name, for the alert text. */
  name: string;
  /**
   * `dead`: refused now, or invalidated within the same sweep window; `alive`: its token answered
   * just now; `unknown`: could not be told (transient failure, access token already expired).
   */
  state: 'alive' | 'dead' | 'unknown';
  /** For a sibling invalidated in this sweep: the cause it was given, and how sure that was. */
  cause?: InvalidationCause;
  confidence?: CauseConfidence;
}

/**
 * What a working authorization with `spark-admin:people_read` says about the authorizer:
 * `loginEnabled` and `fullAdmin` as Webex answered them, absent when its answer did not say.
 */
export type PersonLookup =
  | { kind: 'found'; loginEnabled?: boolean; fullAdmin?: boolean; via: string }
  | { kind: 'not_found'; via: string };

/** All the evidence behind a dead authorization. */
export interface DeathEvidence {
  now: Date;
  sso: boolean;
  /** Display name of the dead authorization's integration. */
  name: string;
  authorizerEmail: string | undefined;
  /** The refresh token's recorded expiry (from the stored material). */
  refreshTokenExpiresAt: string | undefined;
  siblings: readonly SiblingState[];
  /** Absent when no working authorization of the tenant could look the person up. */
  lookup?: PersonLookup;
}

/** A cause, how sure it is, and the one sentence of evidence behind it, for people. */
export interface Classification {
  cause: InvalidationCause;
  confidence: CauseConfidence;
  detail: string;
}

/** `A`, `A and B`, `A, B and C`. */
function listNames(names: readonly string[]): string {
  return names.length <= 1
    ? names.join('')
    : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

/** Causes established from direct evidence; a sibling that died with one of these lends it. */
const DIRECT_CAUSES: readonly InvalidationCause[] = ['user_deactivated', 'admin_role_removed'];

/**
 * Names the cause of a dead authorization from all the evidence, strongest first, with how sure
 * it is (`confirmed` only where a Webex answer proves it):
 *
 * 1. the refresh token is past the expiry Webex gave it -> `refresh_token_expired`, confirmed;
 * 2. the authorizer looked up through a working authorization with admin read scope: gone (404)
 *    or `loginEnabled` false -> `user_deactivated`; no Full Administrator role ->
 *    `admin_role_removed`; both confirmed by that answer;
 * 3. a sibling by the same person died in the same sweep with a directly established cause
 *    (deactivation, role removal) -> the same cause, as sure as the sibling was (at most likely
 *    when the sibling did not confirm it);
 * 4. every other authorization by the same person died too ("all at once"): when the look-up
 *    shows the person active and still a Full Administrator, deactivation and role removal are
 *    ruled out -> `password_changed_or_revoked` (for an SSO tenant: an access reset), likely;
 *    otherwise Webex cannot tell a password change (or access reset) from a deactivation or a
 *    role removal -> `password_change_or_deactivation_or_role_removal`, likely, never one of them;
 * 5. another authorization by the same person still works ("one alone") -> `integration_revoked`,
 *    likely (Webex says only that this token is refused);
 * 6. nothing to compare with -> `unknown`.
 *
 * Siblings die "together" within one sweep, but their workers run in any order. The caller
 * therefore gives each sibling's state as of now: a sibling already invalidated in this sweep
 * counts as dead, and a sibling not yet checked is probed on the spot (getMe with its current
 * access token, no refresh). So whichever worker runs first or last, each sees the same picture
 * and the cause stays right.
 */
export function classifyDeath(evidence: DeathEvidence): Classification {
  const who = evidence.authorizerEmail ?? 'the authorizing user';
  const expiry = evidence.refreshTokenExpiresAt;
  if (expiry !== undefined && Date.parse(expiry) <= evidence.now.getTime()) {
    return {
      cause: 'refresh_token_expired',
      confidence: 'confirmed',
      detail: `The refresh token expired on ${expiry} without being renewed.`,
    };
  }
  const { lookup } = evidence;
  if (lookup?.kind === 'not_found') {
    return {
      cause: 'user_deactivated',
      confidence: 'confirmed',
      detail: `${who} is no longer a user of the Webex organization.`,
    };
  }
  if (lookup?.kind === 'found' && lookup.loginEnabled === false) {
    return {
      cause: 'user_deactivated',
      confidence: 'confirmed',
      detail: `${who} is deactivated in the Webex organization (sign-in disabled).`,
    };
  }
  if (lookup?.kind === 'found' && lookup.fullAdmin === false) {
    return {
      cause: 'admin_role_removed',
      confidence: 'confirmed',
      detail: `${who} no longer holds the ${FULL_ADMIN_ROLE_NAME} role.`,
    };
  }
  const dead = evidence.siblings.filter((sibling) => sibling.state === 'dead');
  const alive = evidence.siblings.filter((sibling) => sibling.state === 'alive');
  const lent = dead.find((sibling) => sibling.cause !== undefined && DIRECT_CAUSES.includes(sibling.cause));
  if (lent?.cause !== undefined) {
    return {
      cause: lent.cause,
      confidence: lent.confidence === 'confirmed' ? 'confirmed' : 'likely',
      detail: `${lent.name}, also authorized by ${who}, stopped working at the same time and showed the cause.`,
    };
  }
  if (dead.length > 0 && alive.length === 0) {
    return allAtOnce(evidence, dead, who);
  }
  if (alive.length > 0) {
    return {
      cause: 'integration_revoked',
      confidence: 'likely',
      detail: `Only this authorization stopped working; ${who}'s other authorizations (${listNames(alive.map((sibling) => sibling.name))}) still work.`,
    };
  }
  return {
    cause: 'unknown',
    confidence: 'unknown',
    detail: 'Webex refused the tokens, and no other authorization of the tenant could tell why.',
  };
}

/** Step 4 of `classifyDeath`: every authorization the person granted died at once. */
function allAtOnce(evidence: DeathEvidence, dead: readonly SiblingState[], who: string): Classification {
  // In one order whichever of them is classified, so an incident's mail states it once.
  const names = listNames([evidence.name, ...dead.map((sibling) => sibling.name)].sort());
  const count = dead.length + 1;
  const all = `${count === 2 ? 'Both' : `All ${count}`} authorizations that ${who} granted for this tenant (${names}) stopped working at the same time`;
  const { lookup } = evidence;
  if (lookup?.kind === 'found' && lookup.loginEnabled === true && lookup.fullAdmin === true) {
    return {
      cause: 'password_changed_or_revoked',
      confidence: 'likely',
      detail: evidence.sso
        ? `${all}; Webex shows the user still active and a ${FULL_ADMIN_ROLE_NAME}, and they sign in through SSO, so their access was most likely reset or revoked in Control Hub.`
        : `${all}; Webex shows the user still active and a ${FULL_ADMIN_ROLE_NAME}, which leaves a password change or a reset of the user's access.`,
    };
  }
  const unseen =
    lookup === undefined
      ? 'no other working authorization of the tenant could look the user up'
      : "Webex's answer on the user did not show both their status and their roles";
  return {
    cause: 'password_change_or_deactivation_or_role_removal',
    confidence: 'likely',
    detail: evidence.sso
      ? `${all}; the tenant signs in through SSO, so this is not a password change, and ${unseen} to tell a deactivation, a removed ${FULL_ADMIN_ROLE_NAME} role and a reset of their access apart.`
      : `${all}, and ${unseen} to tell a password change, a deactivation, a removed ${FULL_ADMIN_ROLE_NAME} role and a reset of their access apart.`,
  };
}
