import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  LinkExpiredError,
  LinkRevokedError,
  LinkTamperedError,
  issueOnboardingLink,
  readOnboardingLinkToken,
  signOnboardingLinkToken,
  verifyOnboardingLink,
} from '#domain/onboarding-link.js';
import { InMemoryTenantRepository, ManualClock } from '#test-support/fakes/index.js';
import { testTenant } from '#test-support/fixtures.js';

const key = randomBytes(32);
const base64urlAlphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

function issue(clock = new ManualClock(), tenant = testTenant(), ttlDays?: number) {
  return issueOnboardingLink({
    tenant,
    key,
    clock,
    publicBaseUrl: 'https://portal.test/',
    ...(ttlDays ? { ttlDays } : {}),
  });
}

describe('onboarding links', () => {
  it('issues a portal URL that verifies back to the tenant', async () => {
    const clock = new ManualClock();
    const tenants = new InMemoryTenantRepository(testTenant());
    const link = issue(clock);

    expect(link.url).toBe(`https://portal.test/connect/${link.token}`);
    const verified = await verifyOnboardingLink({ token: link.token, key, clock, tenants });
    expect(verified.tenant.tenantId).toBe('acme');
    expect(verified.payload).toEqual({ tenantId: 'acme', linkVersion: 1, expiresAt: link.expiresAt });
  });

  it('expires after 14 days by default, or after the configured number of days', () => {
    const clock = new ManualClock(new Date('2026-03-01T10:00:00.000Z'));
    expect(issue(clock).expiresAt).toBe('2026-03-15T10:00:00.000Z');
    expect(issue(clock, testTenant(), 3).expiresAt).toBe('2026-03-04T10:00:00.000Z');
  });

  it('refuses the token when any single character is changed', () => {
    const clock = new ManualClock();
    const { token } = issue(clock);
    for (let index = 0; index < token.length; index += 1) {
      const original = token[index] ?? '';
      const replacement = original === 'A' ? 'B' : 'A';
      const tampered = token.slice(0, index) + replacement + token.slice(index + 1);
      expect(() => readOnboardingLinkToken(tampered, key, clock.now()), `position ${index}`).toThrow(
        LinkTamperedError,
      );
    }
  });

  it('refuses the token when its last MAC character is swapped for one that decodes to the same bytes', () => {
    const clock = new ManualClock();
    const { token } = issue(clock);
    const last = token.at(-1) ?? '';
    // The last of 43 base64url characters carries 4 bits of the MAC and 2 spare bits.
    const index = base64urlAlphabet.indexOf(last);
    const sibling = base64urlAlphabet[(index & ~0b11) | ((index + 1) & 0b11)] ?? '';
    const tampered = token.slice(0, -1) + sibling;
    const macOf = (value: string) => Buffer.from(value.split('.')[1] ?? '', 'base64url');
    expect(macOf(tampered)).toEqual(macOf(token));
    expect(() => readOnboardingLinkToken(tampered, key, clock.now())).toThrow(LinkTamperedError);
  });

  it('refuses a token signed with another key, truncated, extended or oversized', () => {
    const clock = new ManualClock();
    const { token } = issue(clock);
    const other = signOnboardingLinkToken(
      { tenantId: 'acme', linkVersion: 1, expiresAt: '2030-01-01T00:00:00.000Z' },
      randomBytes(32),
    );
    for (const bad of [other, token.slice(0, -1), `${token}A`, `${token}.x`, 'x'.repeat(600), '', 'a.b']) {
      expect(() => readOnboardingLinkToken(bad, key, clock.now())).toThrow(LinkTamperedError);
    }
  });

  it('says expired once the expiry has passed', () => {
    const clock = new ManualClock();
    const { token } = issue(clock);
    clock.advance(14 * 24 * 3600 - 1);
    expect(readOnboardingLinkToken(token, key, clock.now()).tenantId).toBe('acme');
    clock.advance(1);
    expect(() => readOnboardingLinkToken(token, key, clock.now())).toThrow(LinkExpiredError);
  });

  it('says replaced only when the tenant is active at a newer link version; ended when it was offboarded (its version bumped too) or is gone', async () => {
    const clock = new ManualClock();
    const { token } = issue(clock);
    const revocationWith = async (tenants: InMemoryTenantRepository) =>
      verifyOnboardingLink({ token, key, clock, tenants }).then(
        () => undefined,
        (error: unknown) => (error instanceof LinkRevokedError ? error.revocation : error),
      );
    expect(await revocationWith(new InMemoryTenantRepository(testTenant({ linkVersion: 2 })))).toBe(
      'replaced',
    );
    expect(
      await revocationWith(
        new InMemoryTenantRepository(testTenant({ status: 'offboarded', linkVersion: 2 })),
      ),
    ).toBe('access_ended');
    expect(await revocationWith(new InMemoryTenantRepository(testTenant({ status: 'offboarded' })))).toBe(
      'access_ended',
    );
    expect(await revocationWith(new InMemoryTenantRepository())).toBe('access_ended');
  });

  it('refuses to sign or verify with a key shorter than 32 bytes', () => {
    expect(() =>
      issueOnboardingLink({
        tenant: testTenant(),
        key: randomBytes(16),
        clock: new ManualClock(),
        publicBaseUrl: 'https://x',
      }),
    ).toThrow(/32 bytes/);
  });

  it('keeps the token URL-safe', () => {
    expect(issue().token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
  });
});
