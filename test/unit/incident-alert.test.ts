import { describe, expect, it } from 'vitest';
import { alertText } from '#domain/alert-content.js';
import { incidentAlertContent } from '#domain/incident-alert.js';
import type { CallEvidence } from '#domain/model.js';
import { alertInputFor } from '#test-support/alert-inputs.js';

const DETAIL =
  'Both authorizations that admin@acme.example granted for this tenant (Call Analytics CDRs and Presence) stopped working at the same time.';

function probe(via: string, at: string, trackingId: string): CallEvidence {
  return { call: 'GET /v1/people/me', via, answer: 'refused', status: 401, trackingId, at };
}

/** The invalidation of `integration`, refused with `trackingId`, whose check made `calls`. */
function death(integration: string, trackingId: string, calls: CallEvidence[]) {
  return alertInputFor(integration, { trackingId, evidence: calls }, { causeDetail: DETAIL });
}

/** Two authorizations one password change killed: each check probed the other too. */
function incident() {
  return incidentAlertContent([
    death('presence', 'ROUTER_PRESENCE', [
      probe('presence', '2026-03-01T10:00:00.700Z', 'T2'),
      probe('cdr', '2026-03-01T10:00:00.900Z', 'T4'),
    ]),
    death('cdr', 'ROUTER_CDR', [
      probe('cdr', '2026-03-01T10:00:00.600Z', 'T1'),
      probe('presence', '2026-03-01T10:00:00.800Z', 'T3'),
    ]),
  ]);
}

describe("an incident's mail", () => {
  it('states an evidence sentence its authorizations share once', () => {
    const text = alertText(incident());
    expect(text.split(DETAIL)).toHaveLength(2);
  });

  it('lists the Webex calls of all its checks as one timeline, oldest first', () => {
    const text = alertText(incident());
    const order = ['T1', 'T2', 'T3', 'T4'].map((id) => text.indexOf(`tracking ID ${id}`));
    expect(order.every((position) => position > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it("names the integration of each refusal's Webex tracking ID", () => {
    const text = alertText(incident());
    expect(text).toContain(
      'Webex tracking ID of Attendant Console Webex presence retrieval (for Cisco support): ROUTER_PRESENCE',
    );
    expect(text).toMatch(
      'Webex tracking ID of Call Analytics CDRs retrieval from Control Hub (for Cisco support): ROUTER_CDR',
    );
  });
});
