import { describe, expect, it } from 'vitest';
import { DEGRADED_AFTER_FAILURES, nextStatus } from '#domain/status-machine.js';

describe('nextStatus', () => {
  it.each([
    // previous, failures, outcome, expiring, newWarning -> status, failures, event
    ['active', 0, 'healthy', false, false, 'active', 0, undefined],
    ['active', 2, 'healthy', false, false, 'active', 0, undefined],
    ['active', 0, 'transient', false, false, 'active', 1, undefined],
    ['active', 1, 'transient', false, false, 'active', 2, undefined],
    ['active', 2, 'transient', false, false, 'degraded', 3, 'degraded'],
    ['expiring', 2, 'transient', false, false, 'degraded', 3, 'degraded'],
    ['expiring', 0, 'transient', false, false, 'expiring', 1, undefined],
    ['degraded', 3, 'transient', false, false, 'degraded', 4, undefined],
    ['degraded', 7, 'healthy', false, false, 'active', 0, 'restored'],
    ['degraded', 7, 'healthy', true, true, 'expiring', 0, 'restored'],
    ['active', 0, 'healthy', true, true, 'expiring', 0, 'expiring'],
    ['expiring', 0, 'healthy', true, false, 'expiring', 0, undefined],
    ['expiring', 0, 'healthy', true, true, 'expiring', 0, 'expiring'],
    ['expiring', 0, 'healthy', false, false, 'active', 0, 'restored'],
    ['active', 0, 'invalid', false, false, 'invalid', 0, 'invalidated'],
    ['expiring', 0, 'invalid', false, false, 'invalid', 0, 'invalidated'],
    ['degraded', 5, 'invalid', false, false, 'invalid', 5, 'invalidated'],
  ] as const)(
    '%s (%i failures) + %s (expiring %s, new warning %s) -> %s, %i failures, event %s',
    (previous, failures, outcome, expiring, newWarning, status, consecutiveFailures, event) => {
      const change = nextStatus({
        previous: { status: previous, consecutiveFailures: failures },
        outcome,
        expiring,
        newWarning,
      });
      expect(change.status).toBe(status);
      expect(change.consecutiveFailures).toBe(consecutiveFailures);
      expect(change.event?.type).toBe(event);
    },
  );

  it('needs three transient failures in a row to degrade, and never invalidates on them', () => {
    let previous = { status: 'active' as const, consecutiveFailures: 0 };
    const statuses: string[] = [];
    for (let i = 0; i < 10; i += 1) {
      const change = nextStatus({ previous, outcome: 'transient' });
      statuses.push(change.status);
      previous = { status: change.status as 'active', consecutiveFailures: change.consecutiveFailures };
    }
    expect(statuses.indexOf('degraded')).toBe(DEGRADED_AFTER_FAILURES - 1);
    expect(statuses).not.toContain('invalid');
  });

  it('gives each event the severity a person needs', () => {
    expect(
      nextStatus({ previous: { status: 'active', consecutiveFailures: 0 }, outcome: 'invalid' }).event
        ?.severity,
    ).toBe('critical');
    expect(
      nextStatus({ previous: { status: 'active', consecutiveFailures: 2 }, outcome: 'transient' }).event
        ?.severity,
    ).toBe('warning');
    expect(
      nextStatus({ previous: { status: 'degraded', consecutiveFailures: 3 }, outcome: 'healthy' }).event
        ?.severity,
    ).toBe('info');
  });
});
