import { describe, expect, it } from 'vitest';
import { ContactNotSuppressedError, restoreContact } from '#domain/admin-contacts.js';
import type { AuthorizationEvent } from '#domain/model.js';
import { notifyAuthorizationEvent } from '#domain/notifier.js';
import { signUnsubscribeToken, unsubscribeContact } from '#domain/unsubscribe-link.js';
import { fixedLinkKeys, InMemoryAuthorizationRepository } from '#test-support/fakes/index.js';
import { testAuthorization, testTenant } from '#test-support/fixtures.js';
import { inMemoryNotifier } from '#test-support/notifier-harness.js';

/** An event the contacts get at once: the tenant's authorization was revoked. */
function revoked(eventId: string): AuthorizationEvent {
  return {
    version: 1,
    eventId,
    type: 'revoked',
    severity: 'info',
    tenantId: 'acme',
    integration: 'call-control',
    occurredAt: '2026-03-01T10:00:00.000Z',
    status: 'revoked',
    previousStatus: 'active',
    summary: 'Attendant Console call control was revoked.',
  };
}

function setup() {
  const authorizations = new InMemoryAuthorizationRepository();
  authorizations.put(testAuthorization('acme', 'call-control', { status: 'revoked' }));
  const notifier = inMemoryNotifier({
    tenant: testTenant({ contacts: ['it@acme.example', 'boss@acme.example'] }),
    authorizations,
  });
  const linkKeys = fixedLinkKeys();
  const unsubscribe = (email: string, confirm: boolean) =>
    unsubscribeContact(
      { tenants: notifier.tenants, linkKeys, clock: notifier.clock },
      { token: signUnsubscribeToken('acme', email, linkKeys.key), confirm },
    );
  return { ...notifier, unsubscribe };
}

describe('restoring a contact after it unsubscribed', () => {
  it('mails the address again from the next alert, and its unsubscribe link offers to stop them again', async () => {
    const { deps, mail, tenants, unsubscribe } = setup();
    expect(await unsubscribe('boss@acme.example', true)).toMatchObject({ kind: 'unsubscribed' });
    const whileStopped = await notifyAuthorizationEvent(deps, revoked('evt-1'));
    expect(whileStopped.suppressed).toEqual(['boss@acme.example']);
    expect(mail.recipients()).toEqual(['it@acme.example']);

    const restored = await restoreContact({ tenants }, 'acme', 'Boss@Acme.example');
    expect(restored.removedSuppressions.map((entry) => entry.reason)).toEqual(['unsubscribed']);

    const afterRestore = await notifyAuthorizationEvent(deps, revoked('evt-2'));
    expect(afterRestore.sent).toEqual(['it@acme.example', 'boss@acme.example']);
    expect(afterRestore.suppressed).toEqual([]);
    expect(await unsubscribe('boss@acme.example', false)).toMatchObject({ kind: 'confirm' });
  });

  it('restores a bounced address too, and refuses one the tenant does not suppress, writing nothing', async () => {
    const { deps, mail, tenants } = setup();
    await tenants.suppressContact('acme', {
      email: 'it@acme.example',
      reason: 'bouncing',
      at: '2026-03-01T09:00:00.000Z',
    });
    await restoreContact({ tenants }, 'acme', 'it@acme.example');
    await expect(restoreContact({ tenants }, 'acme', 'it@acme.example')).rejects.toBeInstanceOf(
      ContactNotSuppressedError,
    );
    expect((await tenants.get('acme'))?.suppressedContacts).toEqual([]);
    await notifyAuthorizationEvent(deps, revoked('evt-1'));
    expect(mail.recipients()).toContain('it@acme.example');
  });
});
