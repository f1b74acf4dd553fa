import type { AlertContent } from './alert-content.js';
import type { ClosedDigest, DigestEntry, FlapCount } from './alert-ledger.js';
import { mailSubject, mailValue } from './mail-text.js';

/*
 * The ops digest: every transition of a period counted by what happened (type and cause) and by
 * tenant, the flaps apart, the authorizations that flap too often, and the status board link.
 * Counts only: each transition's detail is in the tenant's history and on the status board.
 */

/** What a digest is written from. */
export interface DigestInput {
  digest: ClosedDigest;
  periodSeconds: number;
  /** Authorizations past the day's flap limit, to flag. */
  flapping: FlapCount[];
  flapsPerDayFlagged: number;
  statusBoardUrl: string;
}

/** `invalidated (password_changed_or_revoked)`, or the type alone. */
function whatOf(entry: DigestEntry): string {
  return entry.cause ? `${entry.type} (${entry.cause})` : entry.type;
}

/** Counts by key, most first, then by key: `- key: n`. */
function countLines(keys: readonly string[]): string[] {
  const counts = new Map<string, number>();
  for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1);
  return [...counts.entries()]
    .sort(([a, m], [b, n]) => n - m || a.localeCompare(b))
    .map(([key, count]) => `- ${mailValue(key)}: ${count}`);
}

/** The ops digest of one period as an alert's content (sent as type `digest`). */
export function digestContent(input: DigestInput): AlertContent {
  const { digest, flapping } = input;
  const periodStart = new Date(Date.parse(digest.periodEnd) - input.periodSeconds * 1000).toISOString();
  const transitions = digest.entries.filter((entry) => !entry.flap);
  const flaps = digest.entries.filter((entry) => entry.flap);
  return {
    subject: mailSubject(
      `Ops digest: ${transitions.length} transitions, ${flaps.length} flaps until ${digest.periodEnd}`,
    ),
    integrations: [],
    facts: [`Period: ${periodStart} to ${digest.periodEnd}`],
    sections: [
      {
        heading: 'What happened',
        lines: [
          `${transitions.length} transitions and ${flaps.length} flaps (degraded, then restored within the flap window: mailed to nobody).`,
        ],
      },
      ...(transitions.length > 0
        ? [
            { heading: 'By what happened', lines: countLines(transitions.map(whatOf)) },
            { heading: 'By tenant', lines: countLines(transitions.map((entry) => entry.tenantId)) },
          ]
        : []),
      ...(flaps.length > 0
        ? [{ heading: 'Flaps by tenant', lines: countLines(flaps.map((entry) => entry.tenantId)) }]
        : []),
      ...(flapping.length > 0
        ? [
            {
              heading: `Flapping more than ${input.flapsPerDayFlagged} times today (flagged on the status board)`,
              lines: flapping.map(
                (entry) =>
                  `- ${mailValue(entry.tenantId)} ${mailValue(entry.integration)}: ${entry.flaps} flaps`,
              ),
            },
          ]
        : []),
    ],
    action: { label: 'Status board', url: input.statusBoardUrl },
    footer: [],
  };
}
