import type { Integration } from './catalog.js';
import { classifyDeath, classifyProbeResult, type ProbeResult, type Verdict } from './classification.js';
import { confirmWithAuditLog, type WitnessedClassification } from './cause-witness.js';
import type {
  AdminAuditEvent,
  Authorization,
  CallEvidence,
  CauseConfidence,
  InvalidationCause,
  WitnessOutcome,
} from './model.js';
import type { ValidatorDependencies } from './validator-config.js';
import { gatherDeathEvidence } from './validator-evidence.js';
import type { TenantOnce, TokenSession } from './validator-session.js';

/*
 * The verdict of one check (step 6 of validateAuthorization): from the probe's and the refresh's
 * answers, and for a dead token from all the evidence, a cause with its confidence.
 */

/** What one check judges from. */
export interface CheckEvidence {
  record: Authorization;
  integration: Integration;
  tokens: TokenSession;
  probe: ProbeResult;
  tenant: TenantOnce;
  now: Date;
}

/**
 * The verdict: `classifyProbeResult` on the direct evidence; a dead token's cause and confidence
 * from `classifyDeath` on its siblings and the person, confirmed by the admin audit log when the
 * tenant's witness found an admin action on the person (`confirmWithAuditLog`). `tenant_inactive`
 * when a death's tenant is gone or offboarded (nobody to alert, nothing to classify).
 */
export async function judgeCheck(
  deps: ValidatorDependencies,
  input: CheckEvidence,
): Promise<Verdict | 'tenant_inactive'> {
  const { record, integration, tokens, tenant, now } = input;
  const verdict = classifyProbeResult({
    refresh: tokens.refreshOutcome,
    probe: input.probe,
    authorizer: record.authorizer,
    tenantOrgId: (await tenant.ifRead())?.orgId,
  });
  if (verdict.kind !== 'dead') return verdict;
  const active = await tenant.active();
  if (!active) return 'tenant_inactive';
  const { evidence, witness } = await gatherDeathEvidence(
    deps,
    record,
    active,
    integration,
    tokens.material,
    now,
    tokens.calls,
  );
  const classification: WitnessedClassification =
    witness.outcome === 'none'
      ? classifyDeath(evidence)
      : confirmWithAuditLog(
          classifyDeath(evidence),
          witness.adminActions,
          evidence.authorizerEmail ?? 'the authorizing user',
        );
  return {
    kind: 'invalid',
    cause: classification.cause,
    confidence: classification.confidence,
    detail: `${verdict.detail} ${classification.detail}`,
    ...(verdict.trackingId !== undefined ? { trackingId: verdict.trackingId } : {}),
    ...(witness.outcome !== 'none' ? { witness: witness.outcome } : {}),
    ...(classification.adminAuditEvent ? { adminAuditEvent: classification.adminAuditEvent } : {}),
  };
}

/** The cause fields an invalidation's record and event carry; all absent for any other verdict. */
export interface CauseFields {
  cause?: InvalidationCause;
  confidence?: CauseConfidence;
  evidence?: CallEvidence[];
  /** Event only: whether the tenant's witness could be read, and the audit event that confirms the cause. */
  witness?: WitnessOutcome;
  adminAuditEvent?: AdminAuditEvent;
}

/** The cause, its confidence and the check's Webex calls (and the witness's findings), for an invalid verdict only. */
export function causeFieldsOf(verdict: Verdict, tokens: TokenSession): CauseFields {
  if (verdict.kind !== 'invalid') return {};
  return {
    cause: verdict.cause,
    confidence: verdict.confidence,
    evidence: tokens.calls.list(),
    ...(verdict.witness ? { witness: verdict.witness } : {}),
    ...(verdict.adminAuditEvent ? { adminAuditEvent: verdict.adminAuditEvent } : {}),
  };
}
