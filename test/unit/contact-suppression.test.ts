import { describe, expect, it } from 'vitest';
import { isContactSuppressed, suppressesAddress } from '#domain/contact-suppression.js';
import { testTenant } from '#test-support/fixtures.js';

const AT = '2026-03-01T09:00:00.000Z';

describe('contact suppression', () => {
  it('matches an entry to an address case aside, and nothing else', () => {
    expect(suppressesAddress({ email: 'Boss@Acme.example' }, 'boss@acme.example')).toBe(true);
    expect(suppressesAddress({ email: 'boss@acme.example' }, 'BOSS@ACME.EXAMPLE')).toBe(true);
    expect(suppressesAddress({ email: 'boss@acme.example' }, 'boss@acme.example.org')).toBe(false);
    expect(suppressesAddress({ email: 'boss@acme.example' }, 'it@acme.example')).toBe(false);
  });

  it('suppresses an address for any reason, and none on a tenant without entries', () => {
    for (const reason of ['bouncing', 'complained', 'unsubscribed'] as const) {
      const tenant = testTenant({ suppressedContacts: [{ email: 'IT@acme.example', reason, at: AT }] });
      expect(isContactSuppressed(tenant, 'it@acme.example'), reason).toBe(true);
      expect(isContactSuppressed(tenant, 'boss@acme.example'), reason).toBe(false);
    }
    expect(isContactSuppressed(testTenant(), 'it@acme.example')).toBe(false);
    expect(isContactSuppressed(testTenant({ suppressedContacts: [] }), 'it@acme.example')).toBe(false);
  });
});
