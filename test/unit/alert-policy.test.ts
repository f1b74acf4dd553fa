import { describe, expect, it } from 'vitest';
import type { AuthorizationEvent } from '#domain/model.js';
import { alertCatalog, alertInputFor } from '#test-support/alert-inputs.js';
import { AlertPolicyHarness, STATUS_BOARD_URL } from '#test-support/alert-policy-harness.js';

const CONTACTS = ['it@acme.example', 'noc@acme.example'];
const OPS = 'ops@vendor.example';
const FOUR = ['users-sync', 'presence', 'call-control', 'cdr'];

/** Publishes an event of the tenant's `integration` with the record it was saved with. */
async function publish(
  harness: AlertPolicyHarness,
  integration: string,
  event: Partial<AuthorizationEvent>,
  authorizerEmail = 'admin@acme.example',
): Promise<void> {
  const input = alertInputFor(
    integration,
    {
      eventId: `${event.type}-${integration}-${harness.clock.now().toISOString()}`,
      occurredAt: harness.clock.now().toISOString(),
      ...event,
    },
    {
      authorizer: {
        personId: authorizerEmail,
        email: authorizerEmail,
        displayName: 'Admin',
        orgId: 'org-1',
        fullAdmin: true,
      },
    },
  );
  await harness.publish(input.event, input.authorization);
}

function customerMails(harness: AlertPolicyHarness) {
  return harness.delivery.mails.filter((mail) => mail.to !== OPS);
}

describe('the alert policy: customer contacts', () => {
  it('get one mail per incident: four authorizations one password change killed, named in one mail', async () => {
    const harness = new AlertPolicyHarness();
    for (const integration of FOUR) {
      await publish(harness, integration, { type: 'invalidated' });
      harness.clock.advance(20);
    }
    expect(await harness.flush()).toEqual({ incidents: 0, digests: 0 });
    harness.clock.advance(harness.deps.policy.incidentWindowSeconds);
    expect((await harness.flush()).incidents).toBe(1);
    for (const contact of CONTACTS) {
      const mails = harness.delivery.to(contact);
      expect(mails).toHaveLength(1);
      const [mail] = mails;
      expect(mail?.subject).toBe('Action needed: Acme Corp - 4 integrations stopped working');
      for (const key of FOUR) {
        const entry = alertCatalog.find(key);
        expect(mail?.text).toContain(entry?.name);
        expect(mail?.integrationIds).toContain(entry?.integrationId);
      }
      expect(mail?.text.match(/^Re-authorize: /gm)).toHaveLength(1);
    }
    expect(await harness.flush()).toEqual({ incidents: 0, digests: 0 });
    expect(customerMails(harness)).toHaveLength(2);
  });

  it('get separate mails for two people’s authorizations that died with the same cause', async () => {
    const harness = new AlertPolicyHarness();
    await publish(harness, 'presence', { type: 'invalidated' }, 'ada@acme.example');
    await publish(harness, 'cdr', { type: 'invalidated' }, 'bob@acme.example');
    harness.clock.advance(harness.deps.policy.incidentWindowSeconds);
    await harness.flush();
    expect(harness.delivery.to('it@acme.example').map((mail) => mail.integrationIds.length)).toEqual([1, 1]);
  });

  it('get an invalidation that comes after its incident was mailed in a mail of its own', async () => {
    const harness = new AlertPolicyHarness();
    await publish(harness, 'presence', { type: 'invalidated' });
    harness.clock.advance(harness.deps.policy.incidentWindowSeconds);
    await harness.flush();
    await publish(harness, 'cdr', { type: 'invalidated' });
    harness.clock.advance(harness.deps.policy.incidentWindowSeconds);
    await harness.flush();
    expect(harness.delivery.to('it@acme.example')).toHaveLength(2);
  });

  it('keep an incident whose mail failed for the next flush', async () => {
    const harness = new AlertPolicyHarness();
    await publish(harness, 'presence', { type: 'invalidated' });
    harness.clock.advance(harness.deps.policy.incidentWindowSeconds);
    harness.delivery.failing = true;
    await expect(harness.flush()).rejects.toThrow('down');
    harness.delivery.failing = false;
    expect((await harness.flush()).incidents).toBe(1);
    expect(harness.delivery.to('it@acme.example')).toHaveLength(1);
  });

  it('get expiry warnings, restored after invalid and revoked at once', async () => {
    const harness = new AlertPolicyHarness();
    await publish(harness, 'presence', {
      type: 'expiring',
      status: 'expiring',
      deadline: '2026-03-08T10:00:00.000Z',
    });
    await publish(harness, 'cdr', { type: 'restored', status: 'active', previousStatus: 'invalid' });
    await publish(harness, 'sso', { type: 'revoked', status: 'revoked' });
    expect(harness.delivery.to('it@acme.example').map((mail) => mail.kind)).toEqual([
      'expiring',
      'restored',
      'revoked',
    ]);
  });

  it('never get degraded, a restored after degraded or expiring, or a granted', async () => {
    const harness = new AlertPolicyHarness();
    await publish(harness, 'presence', { type: 'degraded', status: 'degraded' });
    harness.clock.advance(4 * 3600);
    await publish(harness, 'presence', { type: 'restored', status: 'active', previousStatus: 'degraded' });
    await publish(harness, 'cdr', { type: 'restored', status: 'active', previousStatus: 'expiring' });
    await publish(harness, 'sso', { type: 'granted', status: 'active', previousStatus: 'pending' });
    harness.clock.advance(3600);
    await harness.flush();
    expect(customerMails(harness)).toEqual([]);
  });

  it('get a denial at most daily: a denial inside the window of the last alerted one is not mailed', async () => {
    const harness = new AlertPolicyHarness();
    const first = harness.clock.now().toISOString();
    await publish(harness, 'presence', { type: 'denied', alertedAt: first });
    harness.clock.advance(3600);
    await publish(harness, 'presence', { type: 'denied', alertedAt: first });
    expect(harness.delivery.to('it@acme.example').map((mail) => mail.kind)).toEqual(['denied']);
  });
});

describe('the alert policy: ops', () => {
  it('get vendor-side incidents at once, and the customer does not', async () => {
    const harness = new AlertPolicyHarness();
    await publish(harness, 'presence', { type: 'credential_incident' });
    await publish(harness, 'presence', { type: 'check_failing', status: 'check_failing', errorId: 'err-1' });
    expect(harness.delivery.to(OPS).map((mail) => mail.kind)).toEqual([
      'credential_incident',
      'check_failing',
    ]);
    expect(customerMails(harness)).toEqual([]);
  });

  it("get the vendor token's death at once, in its own mail naming what it puts at risk", async () => {
    const harness = new AlertPolicyHarness();
    await publish(harness, 'service-app-token', { type: 'invalidated', cause: 'user_deactivated' });
    const [opsMail, ...more] = harness.delivery.to(OPS);
    expect(more).toEqual([]);
    expect(opsMail?.subject).toBe('Ops incident: the vendor token is dead');
    expect(opsMail?.text).toContain("fetches every tenant's Service App tokens");
    expect(opsMail?.text).toContain('Re-authorize: ');
    // Its tenant's contacts still get the incident mail any invalidation gives.
    harness.clock.advance(3600);
    await harness.flush();
    expect(customerMails(harness).map((mail) => mail.kind)).toContain('invalidated');
  });

  it('get the vendor token degraded or expiring at once; another integration degraded only in the digest', async () => {
    const harness = new AlertPolicyHarness();
    await publish(harness, 'service-app-token', { type: 'degraded', status: 'degraded' });
    await publish(harness, 'service-app-token', { type: 'expiring', status: 'expiring' });
    await publish(harness, 'presence', { type: 'degraded', status: 'degraded' });
    expect(harness.delivery.to(OPS).map((mail) => mail.subject)).toEqual([
      'Ops incident: the vendor token cannot be checked (Webex failing)',
      'Ops incident: the vendor token expires soon',
    ]);
  });

  it('get one digest per period counting transitions by cause and by tenant, with the status board link', async () => {
    const harness = new AlertPolicyHarness();
    await publish(harness, 'presence', { type: 'invalidated', cause: 'user_deactivated' });
    await publish(harness, 'cdr', { type: 'invalidated', cause: 'user_deactivated' });
    await publish(harness, 'sso', { type: 'degraded', status: 'degraded' });
    await publish(harness, 'sso', { type: 'refreshed' });
    harness.clock.advance(harness.deps.policy.digestPeriodSeconds);
    expect((await harness.flush()).digests).toBe(1);
    expect((await harness.flush()).digests).toBe(0);
    const digests = harness.delivery.to(OPS).filter((mail) => mail.kind === 'digest');
    expect(digests).toHaveLength(1);
    const text = digests[0]?.text ?? '';
    expect(text).toContain('- invalidated (user_deactivated): 2');
    expect(text).toContain('- degraded: 1');
    expect(text).toContain('- acme: 3');
    expect(text).toContain(`Status board: ${STATUS_BOARD_URL}`);
    expect(text).not.toContain('refreshed');
  });

  it('get no digest for a period with nothing in it', async () => {
    const harness = new AlertPolicyHarness();
    harness.clock.advance(3 * harness.deps.policy.digestPeriodSeconds);
    expect((await harness.flush()).digests).toBe(0);
  });
});

describe('the alert policy: flap damping', () => {
  it('mails nobody for a degraded then restored within the window, and counts it as a flap', async () => {
    const harness = new AlertPolicyHarness({
      policy: { flapWindowSeconds: 600, digestPeriodSeconds: 86_400 },
    });
    await publish(harness, 'presence', { type: 'degraded', status: 'degraded' });
    harness.clock.advance(300);
    await publish(harness, 'presence', { type: 'restored', status: 'active', previousStatus: 'degraded' });
    expect(harness.delivery.mails).toEqual([]);
    harness.clock.advance(86_400);
    await harness.flush();
    const [digest] = harness.delivery.to(OPS);
    expect(digest?.text).toContain('1 transitions and 1 flaps');
  });

  it('flags an authorization that flaps more than N times a day', async () => {
    const harness = new AlertPolicyHarness({
      policy: { flapWindowSeconds: 600, flapsPerDayFlagged: 2, digestPeriodSeconds: 3600 },
      start: new Date('2026-03-01T00:00:00.000Z'),
    });
    for (let flap = 0; flap < 3; flap += 1) {
      await publish(harness, 'presence', { type: 'degraded', status: 'degraded' });
      harness.clock.advance(60);
      await publish(harness, 'presence', { type: 'restored', status: 'active', previousStatus: 'degraded' });
      harness.clock.advance(60);
    }
    expect(await harness.ledger.listFlapping('2026-03-01', 2)).toEqual([
      { tenantId: 'acme', integration: 'presence', day: '2026-03-01', flaps: 3 },
    ]);
    harness.clock.advance(3600);
    await harness.flush();
    expect(harness.delivery.to(OPS)[0]?.text).toContain('- acme presence: 3 flaps');
  });

  it('counts a restored long after degraded as a transition, not a flap', async () => {
    const harness = new AlertPolicyHarness({ policy: { flapWindowSeconds: 600 } });
    await publish(harness, 'presence', { type: 'degraded', status: 'degraded' });
    harness.clock.advance(601);
    await publish(harness, 'presence', { type: 'restored', status: 'active', previousStatus: 'degraded' });
    expect(await harness.ledger.listFlapping('2026-03-01', 0)).toEqual([]);
  });
});
