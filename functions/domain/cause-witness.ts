import type { CallEvidenceLog } from './call-evidence.js';
import type { Catalog } from './catalog.js';
import {
  FULL_ADMIN_ROLE_NAME,
  holdsFullAdmin,
  outcomeOf,
  type CallOutcome,
  type Classification,
  type PersonLookup,
} from './classification.js';
import type {
  AdminAction,
  AdminAuditEvent,
  Authorization,
  InvalidationCause,
  TokenMaterial,
  WitnessOutcome,
} from './model.js';
import { adminAuditEventSchema } from './model.js';
import type {
  AuthorizationRepository,
  Log,
  TokenVault,
  WebexAdminAudit,
  WebexAuditEvent,
  WebexClient,
} from './ports.js';
import { isCheckable } from './status-machine.js';
import { holdsTokens, openTokens } from './token-storage.js';

/*
 * The witness: the tenant's authorization of the vendor's witness Service App (people, roles and
 * admin audit log read). Its org token survives any person's password change, deactivation or
 * role change, so when every token an authorizer granted died at once it can still say what
 * happened to them: their sign-in and roles, and the admin actions on them since the last healthy
 * check. A witness that cannot be read changes nothing but the event's `witness` field and a log
 * line for ops: the cause then keeps the confidence the other evidence gives.
 */

/** The ports the witness reads with. Without `adminAudit` it reads the person only. */
export interface WitnessDependencies {
  authorizations: Pick<AuthorizationRepository, 'get'>;
  vault: TokenVault;
  webex: Pick<WebexClient, 'getPerson' | 'listRoles'>;
  adminAudit?: WebexAdminAudit;
  catalog: Catalog;
  log: Log;
}

/** Why the witness could not be read, for ops. */
export type WitnessFailure =
  'witness_invalid' | 'unreadable_tokens' | 'token_expired' | 'refused' | 'transient' | 'client_refused';

/** What the witness said about the authorizer; `none` when the tenant has no witness. */
export type WitnessReport =
  | { outcome: 'none' }
  | {
      outcome: WitnessOutcome;
      /** The person as the witness read them, when it could. */
      lookup?: PersonLookup;
      /** Admin actions on the person since the last healthy check, oldest first. */
      adminActions: AdminAuditEvent[];
      failure?: WitnessFailure;
    };

/** Webex allows at most one year per audit request. */
const MAX_AUDIT_SPAN_MS = 365 * 24 * 3600 * 1000;
/** Webex's clock and ours may differ: the audit window opens this much before the last healthy check. */
const AUDIT_CLOCK_SKEW_MS = 2 * 60 * 1000;
/** Audit events per page (Webex's most) and pages read at most, newest first. */
export const AUDIT_PAGE_SIZE = 200;
const MAX_AUDIT_PAGES = 5;

/**
 * How an audit event's description names the actions that end a person's tokens. Webex's
 * wording is not in the spec (WEBEX.md): an event that matches none is not evidence, so an
 * unknown wording leaves the cause as the other evidence gives it, never a wrong one.
 */
const ADMIN_ACTION_WORDING: ReadonlyArray<readonly [AdminAction, RegExp]> = [
  ['user_deactivated', /\bdeactivat/i],
  ['full_admin_removed', /\bfull admin(istrator)?\b.*\bremoved\b|\bremoved\b.*\bfull admin/i],
  ['password_reset', /\bpassword\b.*\breset\b|\breset\b.*\bpassword\b/i],
];

/** The action an audit event's description names, if it is one that ends a person's tokens. */
export function adminActionOf(description: string | undefined): AdminAction | undefined {
  if (description === undefined) return undefined;
  return ADMIN_ACTION_WORDING.find(([, wording]) => wording.test(description))?.[0];
}

/** When the authorization was last seen working: its last check without a failure, else its last refresh or grant. */
export function lastHealthyAt(record: Authorization): Date {
  const seen =
    (record.consecutiveFailures === 0 ? record.validatedAt : undefined) ??
    record.refreshedAt ??
    record.grantedAt ??
    record.updatedAt;
  return new Date(seen);
}

/**
 * Reads the witness about the authorizer `personId` of a dead authorization:
 *
 * 1. the tenant's witness authorization (the catalog's witness Service App): none, or not
 *    checkable and not invalid -> `none`; invalid -> `failed`;
 * 2. its access token (never refreshed here: the witness's own check keeps it alive);
 * 3. `GET /v1/people/{personId}` (404: the person is gone) and `GET /v1/roles` (Full Admin held);
 * 4. `GET /v1/adminAudit/events` of the org from the last healthy check to now, the events whose
 *    target is the person and whose description names an action that ends tokens.
 *
 * Every call goes into `calls` (via the witness's key). A failed call ends the reading: what was
 * read before it still counts, and the outcome is `failed`, logged for ops without any token.
 */
export async function consultWitness(
  deps: WitnessDependencies,
  input: {
    tenantId: string;
    /** The dead authorization's key, for the log. */
    integration: string;
    personId: string;
    orgId: string | undefined;
    since: Date;
    now: Date;
    calls: CallEvidenceLog;
  },
): Promise<WitnessReport> {
  const witness = deps.catalog.witness;
  if (!witness) return { outcome: 'none' };
  const record = await deps.authorizations.get(input.tenantId, witness.key);
  if (!record || !holdsTokens(record)) return { outcome: 'none' };
  const read = new WitnessReading(deps, input, witness.key);
  if (!isCheckable(record.status)) {
    return record.status === 'invalid' ? read.failed('witness_invalid') : { outcome: 'none' };
  }
  let material: TokenMaterial;
  try {
    material = await openTokens(deps.vault, record);
  } catch {
    return read.failed('unreadable_tokens');
  }
  if (Date.parse(material.accessTokenExpiresAt) <= input.now.getTime()) return read.failed('token_expired');
  return read.run(material.accessToken);
}

/** One reading of the witness: its calls, what they showed, and the first failure. */
class WitnessReading {
  private lookup: PersonLookup | undefined;
  private adminActions: AdminAuditEvent[] = [];

  constructor(
    private readonly deps: WitnessDependencies,
    private readonly input: Parameters<typeof consultWitness>[1],
    private readonly via: string,
  ) {}

  async run(accessToken: string): Promise<WitnessReport> {
    const { calls, personId } = this.input;
    let person;
    try {
      person = await this.deps.webex.getPerson(accessToken, personId);
    } catch (error) {
      const outcome = outcomeOf(error);
      const gone = outcome.kind === 'refused' && outcome.failure === 'not_found';
      calls.failed('GET /v1/people/{personId}', this.via, outcome, gone ? 'person_not_found' : undefined);
      if (!gone) return this.failedCall(outcome);
      this.lookup = { kind: 'not_found', via: this.via };
    }
    if (person) {
      const login = person.loginEnabled;
      calls.answered('GET /v1/people/{personId}', this.via, {
        ...(person.trackingId !== undefined ? { trackingId: person.trackingId } : {}),
        ...(login === undefined ? {} : { finding: login ? 'sign_in_enabled' : 'sign_in_disabled' }),
      });
      this.lookup = { kind: 'found', via: this.via, ...(login !== undefined ? { loginEnabled: login } : {}) };
      try {
        const roles = await this.deps.webex.listRoles(accessToken);
        const fullAdmin = holdsFullAdmin(person, roles);
        calls.answered(
          'GET /v1/roles',
          this.via,
          fullAdmin === undefined ? {} : { finding: fullAdmin ? 'full_admin' : 'not_full_admin' },
        );
        if (fullAdmin !== undefined) this.lookup = { ...this.lookup, fullAdmin };
      } catch (error) {
        const outcome = outcomeOf(error);
        calls.failed('GET /v1/roles', this.via, outcome);
        return this.failedCall(outcome);
      }
    }
    return this.readAudit(accessToken);
  }

  /** Step 4: the admin actions on the person, read page by page (newest first) up to MAX_AUDIT_PAGES. */
  private async readAudit(accessToken: string): Promise<WitnessReport> {
    const { adminAudit } = this.deps;
    const { orgId, now, personId, calls } = this.input;
    if (!adminAudit || orgId === undefined) return this.answered();
    const from = new Date(
      Math.max(this.input.since.getTime() - AUDIT_CLOCK_SKEW_MS, now.getTime() - MAX_AUDIT_SPAN_MS),
    );
    const found: WebexAuditEvent[] = [];
    for (let page = 0; page < MAX_AUDIT_PAGES; page += 1) {
      let answer;
      try {
        answer = await adminAudit.listAdminAuditEvents(accessToken, {
          orgId,
          from,
          to: now,
          max: AUDIT_PAGE_SIZE,
          offset: page * AUDIT_PAGE_SIZE,
        });
      } catch (error) {
        const outcome = outcomeOf(error);
        calls.failed('GET /v1/adminAudit/events', this.via, outcome);
        return this.failedCall(outcome);
      }
      const onPerson = answer.items.filter(
        (event) => event.targetId === personId && adminActionOf(event.eventDescription) !== undefined,
      );
      found.push(...onPerson);
      calls.answered('GET /v1/adminAudit/events', this.via, {
        ...(answer.trackingId !== undefined ? { trackingId: answer.trackingId } : {}),
        finding: onPerson.length > 0 ? 'admin_action_found' : 'no_admin_action',
      });
      if (answer.items.length < AUDIT_PAGE_SIZE) break;
    }
    this.adminActions = found
      .flatMap((event) => {
        const parsed = adminAuditEventSchema.safeParse({
          action: adminActionOf(event.eventDescription),
          at: event.created,
          actorId: event.actorId,
          ...(event.actorEmail !== undefined ? { actorEmail: event.actorEmail } : {}),
          ...(event.actorName !== undefined ? { actorName: event.actorName } : {}),
        });
        return parsed.success ? [parsed.data] : [];
      })
      .sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
    return this.answered();
  }

  private answered(): WitnessReport {
    return {
      outcome: 'answered',
      adminActions: this.adminActions,
      ...(this.lookup ? { lookup: this.lookup } : {}),
    };
  }

  private failedCall(outcome: Exclude<CallOutcome, { kind: 'ok' }>): WitnessReport {
    const failure: WitnessFailure =
      outcome.kind === 'transient'
        ? 'transient'
        : outcome.kind === 'client_refused'
          ? 'client_refused'
          : 'refused';
    return this.failed(failure, outcome.status, outcome.trackingId);
  }

  failed(failure: WitnessFailure, status?: number, trackingId?: string): WitnessReport {
    this.deps.log.warn(
      'The witness could not be read; the cause keeps the confidence of the other evidence',
      {
        tenantId: this.input.tenantId,
        integration: this.input.integration,
        witness: this.via,
        failure,
        ...(status !== undefined ? { status } : {}),
        ...(trackingId !== undefined ? { trackingId } : {}),
      },
    );
    return {
      outcome: 'failed',
      adminActions: this.adminActions,
      failure,
      ...(this.lookup ? { lookup: this.lookup } : {}),
    };
  }
}

/** The cause each admin action proves. */
const CAUSE_OF_ACTION: Record<AdminAction, InvalidationCause> = {
  user_deactivated: 'user_deactivated',
  full_admin_removed: 'admin_role_removed',
  password_reset: 'password_changed_or_revoked',
};

/** Each admin action in a few words, for the mail. */
export const ADMIN_ACTION_TITLES: Record<AdminAction, string> = {
  user_deactivated: 'user deactivated',
  full_admin_removed: `${FULL_ADMIN_ROLE_NAME} role removed`,
  password_reset: 'password reset by an admin',
};

const ACTION_WORDS: Record<AdminAction, (who: string) => string> = {
  user_deactivated: (who) => `deactivated ${who}`,
  full_admin_removed: (who) => `removed the ${FULL_ADMIN_ROLE_NAME} role from ${who}`,
  password_reset: (who) => `reset the password of ${who}`,
};

/** The audit event in one sentence: who did what to `who`, and when. */
function auditedSentence(event: AdminAuditEvent, who: string): string {
  const actor = event.actorEmail ?? event.actorName ?? `the admin with Webex id ${event.actorId}`;
  return `Webex's admin audit log shows that ${actor} ${ACTION_WORDS[event.action](who)} at ${event.at}.`;
}

/** Causes the audit log never overrides: proven otherwise, or contradicted by a working sibling. */
const KEPT_CAUSES: readonly InvalidationCause[] = [
  'refresh_token_expired',
  'integration_revoked',
  'service_app_deauthorized',
];

/** A classification with the admin audit event that confirms it, when there is one. */
export type WitnessedClassification = Classification & { adminAuditEvent?: AdminAuditEvent };

/**
 * Confirms a death's cause with the admin audit log: an admin action on the authorizer since
 * their tokens were last seen working is Webex's own record of what ended them.
 *
 * - A cause already proven otherwise (the refresh token's expiry) or contradicted by a sibling
 *   that still works (`integration_revoked`) is kept as it is.
 * - A cause confirmed by the person's record (sign-in disabled, no Full Admin) takes the audit
 *   event of that action, for its time and actor; with none, it stays as it is.
 * - Otherwise the first admin action since then names the cause, confirmed.
 * - No admin action (or no witness): the classification is returned unchanged.
 */
export function confirmWithAuditLog(
  base: Classification,
  adminActions: readonly AdminAuditEvent[],
  who: string,
): WitnessedClassification {
  if (KEPT_CAUSES.includes(base.cause) || adminActions.length === 0) return base;
  const event =
    base.confidence === 'confirmed'
      ? adminActions.find((action) => CAUSE_OF_ACTION[action.action] === base.cause)
      : adminActions[0];
  if (!event) return base;
  const audited = auditedSentence(event, who);
  return {
    cause: CAUSE_OF_ACTION[event.action],
    confidence: 'confirmed',
    // A confirmed cause keeps its own proof; a guess gives way to the audit log's record.
    detail: base.confidence === 'confirmed' ? `${base.detail} ${audited}` : audited,
    adminAuditEvent: event,
  };
}
