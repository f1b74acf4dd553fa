import { describe, expect, it } from 'vitest';
import type { AuthorizationEvent, Tenant } from '#domain/model.js';
import { DEFAULT_ALERT_POLICY } from '#domain/alert-policy.js';
import { flushNotifications, notifyAuthorizationEvent } from '#domain/notifier.js';
import { InMemoryAuthorizationRepository } from '#test-support/fakes/index.js';
import { inMemoryNotifier } from '#test-support/notifier-harness.js';
import { testAuthorization, testTenant } from '#test-support/fixtures.js';

const OPS = 'ops@vendor.example';

function setup(tenant: Tenant = testTenant({ contacts: ['it@acme.example', 'Boss@Acme.example'] })) {
  const authorizations = new InMemoryAuthorizationRepository();
  authorizations.put(
    testAuthorization('acme', 'call-control', {
      status: 'invalid',
      cause: 'integration_revoked',
      causeDetail: 'Webex refused the refresh token (HTTP 400).',
    }),
  );
  return inMemoryNotifier({
    tenant,
    authorizations,
    unsubscribeUrl: async (tenantId, email) => `https://keeper.test/unsubscribe/${tenantId}.${email.length}`,
  });
}

function invalidated(overrides: Partial<AuthorizationEvent> = {}): AuthorizationEvent {
  return {
    version: 1,
    eventId: 'evt-1',
    type: 'invalidated',
    severity: 'critical',
    tenantId: 'acme',
    integration: 'call-control',
    occurredAt: '2026-03-01T10:00:00.000Z',
    status: 'invalid',
    previousStatus: 'active',
    cause: 'integration_revoked',
    confidence: 'likely',
    summary: 'Attendant Console call control stopped working.',
    ...overrides,
  };
}

/** An event the contacts get at once: the tenant was offboarded. */
function revoked(overrides: Partial<AuthorizationEvent> = {}): AuthorizationEvent {
  return invalidated({
    type: 'revoked',
    severity: 'info',
    status: 'revoked',
    summary: 'Attendant Console call control was revoked (tenant offboarded).',
    ...overrides,
  });
}

const CONTACTS = ['it@acme.example', 'boss@acme.example'];

describe('notifyAuthorizationEvent', () => {
  it('mails each contact once, one mail per address, tagged with the tenant, in text and HTML', async () => {
    const { deps, mail } = setup();
    const report = await notifyAuthorizationEvent(deps, revoked());
    expect(mail.recipients()).toEqual(CONTACTS);
    expect(report.sent).toHaveLength(2);
    const first = mail.sent[0];
    expect(first?.subject).toContain('Revoked');
    expect(first?.text).toContain('was revoked (tenant offboarded)');
    expect(first?.html).toContain('<!DOCTYPE html>');
    expect(first?.idempotencyKey).toBe('evt-1#it@acme.example');
    expect(first?.tags).toEqual({ tenantId: 'acme', kind: 'revoked' });
  });

  it("puts the vendor's branding in each mail it sends", async () => {
    const { deps, mail } = setup();
    const branding = { vendorName: 'Acme Attendant', supportEmail: 'support@acme-attendant.example' };
    await notifyAuthorizationEvent({ ...deps, branding }, revoked());
    expect(mail.sent).toHaveLength(2);
    for (const sent of mail.sent) {
      expect(sent.html).toContain('href="mailto:support@acme-attendant.example"');
      expect(sent.text).toContain('Questions? Write to Acme Attendant support');
    }
  });

  it('gives each contact its own unsubscribe link for this tenant, in the message and both parts', async () => {
    const { deps, mail } = setup();
    await notifyAuthorizationEvent(deps, revoked());
    const first = mail.sent[0];
    expect(first?.unsubscribeUrl).toBe('https://keeper.test/unsubscribe/acme.15');
    expect(first?.html).toContain('href="https://keeper.test/unsubscribe/acme.15"');
    expect(first?.text).toContain('https://keeper.test/unsubscribe/acme.15');
    expect(mail.sent[1]?.unsubscribeUrl).toBe('https://keeper.test/unsubscribe/acme.17');
  });

  it('escapes the html part', async () => {
    const { deps, mail } = setup(testTenant({ name: 'Acme <b>&</b>', contacts: ['it@acme.example'] }));
    await notifyAuthorizationEvent(deps, revoked());
    expect(mail.sent[0]?.html).toContain('Acme &lt;b&gt;&amp;&lt;/b&gt;');
    expect(mail.sent[0]?.html).not.toContain('<b>');
  });

  it('sends no second mail when the same event is delivered again', async () => {
    const { deps, mail } = setup();
    await notifyAuthorizationEvent(deps, revoked());
    const again = await notifyAuthorizationEvent(deps, revoked());
    expect(mail.sent).toHaveLength(2);
    expect(again.alreadySent).toHaveLength(2);
  });

  it('gives a failed send its key back, so the retry sends only what is missing', async () => {
    const { deps, mail } = setup();
    mail.fail(new Error('throttled'), 1);
    await expect(notifyAuthorizationEvent(deps, revoked())).rejects.toThrow('throttled');
    const retry = await notifyAuthorizationEvent(deps, revoked());
    expect(retry.sent).toEqual(CONTACTS);
    expect(mail.recipients()).toEqual(CONTACTS);
  });

  it('skips suppressed contacts and still mails the others', async () => {
    const { deps, mail, tenants } = setup();
    await tenants.suppressContact('acme', {
      email: 'boss@acme.example',
      reason: 'bouncing',
      at: '2026-03-01T09:00:00.000Z',
    });
    const report = await notifyAuthorizationEvent(deps, revoked());
    expect(mail.recipients()).toEqual(['it@acme.example']);
    expect(report.suppressed).toEqual(['boss@acme.example']);
  });

  it.each(['check_failing', 'org_bound', 'credential_incident', 'credential_resolved'] as const)(
    'mails ops alone, at once and with no unsubscribe link, for a %s event',
    async (type) => {
      const { deps, mail } = setup();
      await notifyAuthorizationEvent(deps, invalidated({ type, errorId: 'err-1' }));
      expect(mail.recipients()).toEqual([OPS]);
      expect(mail.sent[0]?.unsubscribeUrl).toBeUndefined();
      expect(mail.sent[0]?.tags).toEqual({ kind: type });
    },
  );

  it('mails nobody for a routine refresh or a denial inside the alert window', async () => {
    const { deps, mail } = setup();
    await notifyAuthorizationEvent(deps, invalidated({ type: 'refreshed', eventId: 'evt-2' }));
    await notifyAuthorizationEvent(
      deps,
      invalidated({ type: 'denied', eventId: 'evt-3', alertedAt: '2026-03-01T08:00:00.000Z' }),
    );
    expect(mail.sent).toEqual([]);
  });

  it('mails an invalidation once its incident closes, to the contacts, with the record’s cause detail', async () => {
    const { deps, mail, clock } = setup();
    await notifyAuthorizationEvent(deps, invalidated());
    expect(mail.sent).toEqual([]);
    clock.advance(DEFAULT_ALERT_POLICY.incidentWindowSeconds);
    const flushed = await flushNotifications(deps);
    expect(flushed.incidents).toBe(1);
    expect(mail.recipients()).toEqual(CONTACTS);
    expect(mail.sent[0]?.subject).toContain('Action needed');
    expect(mail.sent[0]?.text).toContain('Webex refused the refresh token (HTTP 400).');
    expect(mail.sent[0]?.idempotencyKey).toBe('incident:evt-1#it@acme.example');
    expect((await flushNotifications(deps)).sent).toEqual([]);
  });

  it("leaves out the record's cause detail when the record has moved on to another cause", async () => {
    const { deps, mail, clock } = setup();
    await notifyAuthorizationEvent(deps, invalidated({ cause: 'user_deactivated' }));
    clock.advance(DEFAULT_ALERT_POLICY.incidentWindowSeconds);
    await flushNotifications(deps);
    expect(mail.sent[0]?.text).toContain('deactivated');
    expect(mail.sent[0]?.text).not.toContain('Webex refused the refresh token (HTTP 400).');
  });

  it('mails nobody when the tenant is gone', async () => {
    const { deps, mail } = setup();
    await notifyAuthorizationEvent(deps, revoked({ tenantId: 'gone' }));
    expect(mail.sent).toEqual([]);
  });
});
