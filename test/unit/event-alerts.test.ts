import { describe, expect, it } from 'vitest';
import { defaultCatalog } from '#adapters/catalog-file.js';
import type { AuthorizationEvent } from '#domain/model.js';
import { notifyAuthorizationEvent } from '#domain/notifier.js';
import { InMemoryAuthorizationRepository } from '#test-support/fakes/index.js';
import { testAuthorization, testTenant } from '#test-support/fixtures.js';
import { NOTIFIER_OPS, NOTIFIER_SECRET_LOCATION, inMemoryNotifier } from '#test-support/notifier-harness.js';

/*
 * The mails of `denied`, `org_bound` and the credential incident's events, as the notifier writes
 * them from the event alone (what the deployed notifier gets from the bus): they name what their
 * producers' own mails named (the refusal, the org, the fix), not a generic summary.
 */

const presence = defaultCatalog().find('presence')!;

function eventOf(type: AuthorizationEvent['type'], fields: Partial<AuthorizationEvent>): AuthorizationEvent {
  return {
    version: 1,
    eventId: `evt-${type}`,
    type,
    severity: 'warning',
    tenantId: 'acme',
    integration: 'presence',
    occurredAt: '2026-03-01T10:00:00.000Z',
    summary: 'One line.',
    ...fields,
  };
}

async function mailsOf(event: AuthorizationEvent) {
  const authorizations = new InMemoryAuthorizationRepository();
  authorizations.put(
    testAuthorization('acme', 'presence', {
      authorizer: {
        personId: 'person-7',
        email: 'Admin@acme.example',
        displayName: 'Ada Admin',
        orgId: 'org-acme',
        fullAdmin: true,
      },
    }),
  );
  const { deps, mail } = inMemoryNotifier({
    tenant: testTenant({ contacts: ['it@acme.example'] }),
    authorizations,
  });
  await notifyAuthorizationEvent(deps, event);
  return mail.sent;
}

describe('mails the notifier writes from the event alone', () => {
  it("names a denial's Webex error, the Control Hub path, the Integration ID and one Authorize again button", async () => {
    const mails = await mailsOf(
      eventOf('denied', { webexError: 'access_denied', alertedAt: '2026-03-01T10:00:00.000Z' }),
    );
    const contact = mails.find((mail) => mail.to === 'it@acme.example');
    expect(contact?.subject).toBe(`Webex authorization denied: ${presence.name} (Acme Corp)`);
    for (const part of [contact?.text, contact?.html]) {
      expect(part).toContain('(access_denied)');
      expect(part).toContain(presence.integrationId);
      expect(part).toContain('https://portal.test/connect/link');
    }
    expect(contact?.text).toContain('Control Hub: Apps > Integrations');
    expect(contact?.html).toContain('Apps &gt; Integrations');
    expect(contact?.text).toContain('Authorize again: https://portal.test/connect/link');
    expect(contact?.html.match(/>Authorize again</g)).toHaveLength(1);
  });

  it('mails ops the org a first consent bound, who consented, and the commands that undo it', async () => {
    const mails = await mailsOf(
      eventOf('org_bound', { authorizerEmail: 'admin@acme.example', orgId: 'org-acme' }),
    );
    expect(mails.map((mail) => mail.to)).toEqual([NOTIFIER_OPS]);
    const [ops] = mails;
    expect(ops?.subject).toBe('Webex org bound: Acme Corp (acme)');
    expect(ops?.text).toContain('Webex org ID: org-acme');
    expect(ops?.text).toContain('Authorized by: Ada Admin <admin@acme.example> (person ID person-7)');
    expect(ops?.text).toContain(`Integration ID: ${presence.integrationId}`);
    expect(ops?.text).toContain(
      "npx webex-auth-keeper tenants update acme --org <the customer's Webex org ID> --revoke-authorizations",
    );
    expect(ops?.text).toContain('npx webex-auth-keeper tenants update acme --no-org --revoke-authorizations');
    expect(ops?.text).toContain('npx webex-auth-keeper link acme --revoke');
    expect(ops?.html).toContain('org-acme');
  });

  it("names only the event's email when the record's authorizer is another person", async () => {
    const [ops] = await mailsOf(
      eventOf('org_bound', { authorizerEmail: 'someone@else.example', orgId: 'org-other' }),
    );
    expect(ops?.text).toContain('Authorized by: someone@else.example\n');
    expect(ops?.text).not.toContain('Ada Admin');
    expect(ops?.text).toContain('Webex org ID: org-other');
  });

  it('mails ops a credential incident with the Integration ID, where the secret goes and the tracking ID', async () => {
    const mails = await mailsOf(
      eventOf('credential_incident', { severity: 'critical', trackingId: 'ROUTER_ABC' }),
    );
    expect(mails.map((mail) => mail.to)).toEqual([NOTIFIER_OPS]);
    const [ops] = mails;
    expect(ops?.subject).toBe(`Ops incident: Webex refuses the client secret of ${presence.name}`);
    expect(ops?.text).toContain(`Integration ID: ${presence.integrationId}`);
    expect(ops?.text).toContain(`under the key "presence" in ${NOTIFIER_SECRET_LOCATION}`);
    expect(ops?.text).toContain('Customers are not affected yet');
    expect(ops?.text).toContain('Webex tracking ID (for Cisco support): ROUTER_ABC');
    expect(ops?.html).toContain(presence.integrationId);
  });

  it('mails ops the end of a credential incident with when it opened', async () => {
    const [ops] = await mailsOf(
      eventOf('credential_resolved', { severity: 'info', incidentOpenedAt: '2026-03-01T08:00:00.000Z' }),
    );
    expect(ops?.to).toBe(NOTIFIER_OPS);
    expect(ops?.subject).toBe(`Resolved: Webex accepts the client secret of ${presence.name} again`);
    expect(ops?.text).toContain('the credential incident opened at 2026-03-01T08:00:00.000Z is closed');
    expect(ops?.text).toContain(`Integration ID: ${presence.integrationId}`);
  });
});
