import { describe, expect, it } from 'vitest';
import { defaultCatalog } from '#adapters/catalog-file.js';
import type { AuthorizationEvent, Tenant } from '#domain/model.js';
import { notifyAuthorizationEvent, type NotifierDependencies } from '#domain/notifier.js';
import {
  InMemoryAuthorizationRepository,
  InMemorySentMailLedger,
  InMemoryTenantRepository,
  ManualClock,
  RecordingLog,
  RecordingMailSender,
} from '#test-support/fakes/index.js';
import { testAuthorization, testTenant } from '#test-support/fixtures.js';

const OPS = 'ops@vendor.example';

function setup(tenant: Tenant = testTenant({ contacts: ['it@acme.example', 'Boss@Acme.example'] })) {
  const tenants = new InMemoryTenantRepository(tenant);
  const authorizations = new InMemoryAuthorizationRepository();
  authorizations.put(
    testAuthorization('acme', 'call-control', {
      status: 'invalid',
      cause: 'integration_revoked',
      causeDetail: 'Webex refused the refresh token (HTTP 400).',
    }),
  );
  const mail = new RecordingMailSender();
  const sentMail = new InMemorySentMailLedger();
  const deps: NotifierDependencies = {
    tenants,
    authorizations,
    mail,
    sentMail,
    catalog: defaultCatalog(),
    reauthorizeLink: async () => 'https://portal.test/connect/link',
    passwordMaxAgeDays: 1825,
    opsEmail: OPS,
    clock: new ManualClock(),
    log: new RecordingLog(),
  };
  return { deps, mail, sentMail, tenants };
}

function invalidated(overrides: Partial<AuthorizationEvent> = {}): AuthorizationEvent {
  return {
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

describe('notifyAuthorizationEvent', () => {
  it('mails each contact and ops once, one mail per address, tagged with the tenant', async () => {
    const { deps, mail } = setup();
    const report = await notifyAuthorizationEvent(deps, invalidated());
    expect(mail.recipients()).toEqual(['it@acme.example', 'boss@acme.example', OPS]);
    expect(report.sent).toHaveLength(3);
    const first = mail.sent[0];
    expect(first?.subject).toContain('Action needed');
    expect(first?.text).toContain('Webex refused the refresh token (HTTP 400).');
    expect(first?.html).toMatch(/^<pre>.*<\/pre>$/s);
    expect(first?.idempotencyKey).toBe('evt-1#it@acme.example');
    expect(first?.tags).toEqual({ tenantId: 'acme', kind: 'invalidated' });
    expect(mail.sent[2]?.tags).toEqual({ kind: 'invalidated' });
  });

  it('escapes the html part', async () => {
    const { deps, mail } = setup(testTenant({ name: 'Acme <b>&</b>' }));
    await notifyAuthorizationEvent(deps, invalidated());
    expect(mail.sent[0]?.html).toContain('Acme &#60;b&#62;&#38;&#60;/b&#62;');
    expect(mail.sent[0]?.html).not.toContain('<b>');
  });

  it('sends no second mail when the same event is delivered again', async () => {
    const { deps, mail } = setup();
    await notifyAuthorizationEvent(deps, invalidated());
    const again = await notifyAuthorizationEvent(deps, invalidated());
    expect(mail.sent).toHaveLength(3);
    expect(again.alreadySent).toHaveLength(3);
  });

  it('gives a failed send its key back, so the retry sends only what is missing', async () => {
    const { deps, mail } = setup();
    mail.fail(new Error('throttled'), 1);
    await expect(notifyAuthorizationEvent(deps, invalidated())).rejects.toThrow('throttled');
    const retry = await notifyAuthorizationEvent(deps, invalidated());
    expect(retry.sent).toEqual(['it@acme.example', 'boss@acme.example', OPS]);
    expect(mail.recipients()).toEqual(['it@acme.example', 'boss@acme.example', OPS]);
  });

  it('skips suppressed contacts and still mails the others', async () => {
    const { deps, mail, tenants } = setup();
    await tenants.suppressContact('acme', {
      email: 'boss@acme.example',
      reason: 'bouncing',
      at: '2026-03-01T09:00:00.000Z',
    });
    const report = await notifyAuthorizationEvent(deps, invalidated());
    expect(mail.recipients()).toEqual(['it@acme.example', OPS]);
    expect(report.suppressed).toEqual(['boss@acme.example']);
  });

  it.each(['check_failing', 'org_bound', 'credential_incident', 'credential_resolved'] as const)(
    'mails ops alone for a %s event',
    async (type) => {
      const { deps, mail } = setup();
      await notifyAuthorizationEvent(deps, invalidated({ type, errorId: 'err-1' }));
      expect(mail.recipients()).toEqual([OPS]);
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

  it("leaves out the record's cause detail when the record has moved on to another cause", async () => {
    const { deps, mail } = setup();
    await notifyAuthorizationEvent(deps, invalidated({ cause: 'user_deactivated' }));
    expect(mail.sent[0]?.text).not.toContain('Webex refused the refresh token (HTTP 400).');
  });

  it('mails nobody when the tenant is gone', async () => {
    const { deps, mail } = setup();
    await notifyAuthorizationEvent(deps, invalidated({ tenantId: 'gone' }));
    expect(mail.sent).toEqual([]);
  });
});
