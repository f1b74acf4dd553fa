import type { CallOutcome } from './classification.js';
import type { CALL_FINDINGS, CallEvidence, EVIDENCE_CALLS } from './model.js';
import { MAX_CALL_EVIDENCE, OAUTH_ERROR_CODE_PATTERN, TRACKING_ID_PATTERN } from './model.js';
import type { Clock } from './ports.js';

/*
 * The Webex calls one check made, kept as the evidence of the cause it finds: which endpoint,
 * with whose token, what Webex answered and when. Only our own words and values that match a
 * strict pattern go in (a trackingId or OAuth error code that does not is dropped), so the
 * evidence can be shown in a mail or a page as it is, and it never holds a token.
 */

type EvidenceCall = (typeof EVIDENCE_CALLS)[number];
type CallFinding = (typeof CALL_FINDINGS)[number];

/** A value Webex sent, kept only when it matches its pattern. */
function matching(value: string | undefined, pattern: RegExp): string | undefined {
  return value !== undefined && pattern.test(value) ? value : undefined;
}

/** The Webex calls of one check, oldest first; at most MAX_CALL_EVIDENCE are kept. */
export class CallEvidenceLog {
  private readonly calls: CallEvidence[] = [];

  constructor(private readonly clock: Clock) {}

  /** A call Webex answered; `finding` is what the answer showed that bears on a cause. */
  answered(
    call: EvidenceCall,
    via: string,
    answer: { trackingId?: string; finding?: CallFinding } = {},
  ): void {
    const trackingId = matching(answer.trackingId, TRACKING_ID_PATTERN);
    this.add({
      call,
      via,
      answer: 'ok',
      ...(answer.finding ? { finding: answer.finding } : {}),
      ...(trackingId ? { trackingId } : {}),
    });
  }

  /** A call that failed, as `outcomeOf` read it. */
  failed(
    call: EvidenceCall,
    via: string,
    outcome: Exclude<CallOutcome, { kind: 'ok' }>,
    finding?: CallFinding,
  ): void {
    const trackingId = matching(outcome.trackingId, TRACKING_ID_PATTERN);
    const error =
      outcome.kind === 'transient' ? undefined : matching(outcome.error, OAUTH_ERROR_CODE_PATTERN);
    this.add({
      call,
      via,
      answer: outcome.kind,
      ...(outcome.status !== undefined ? { status: outcome.status } : {}),
      ...(error ? { error } : {}),
      ...(finding ? { finding } : {}),
      ...(trackingId ? { trackingId } : {}),
    });
  }

  /** What was recorded, oldest first. */
  list(): CallEvidence[] {
    return [...this.calls];
  }

  private add(call: Omit<CallEvidence, 'at'>): void {
    if (this.calls.length >= MAX_CALL_EVIDENCE) return;
    this.calls.push({ ...call, at: this.clock.now().toISOString() });
  }
}
