import { describe, expect, it } from 'vitest';
import { signOnboardingLinkToken } from '#domain/onboarding-link.js';
import {
  contactOf,
  readUnsubscribeToken,
  signUnsubscribeToken,
  unsubscribeUrl,
  UnsubscribeLinkError,
} from '#domain/unsubscribe-link.js';

const KEY = Buffer.alloc(32, 7);
const OTHER_KEY = Buffer.alloc(32, 8);
const contacts = ['it@acme.example', 'noc@acme.example'];

describe('unsubscribe links', () => {
  it('name one contact of one tenant, found again by its hash, whatever its case', () => {
    const payload = readUnsubscribeToken(signUnsubscribeToken('acme', 'NOC@acme.example', KEY), KEY);
    expect(payload.tenantId).toBe('acme');
    expect(contactOf({ contacts }, payload)).toBe('noc@acme.example');
    expect(contactOf({ contacts: ['it@acme.example'] }, payload)).toBeUndefined();
  });

  it('never carry the address in the URL', () => {
    const url = unsubscribeUrl({
      publicBaseUrl: 'https://keeper.example/',
      tenantId: 'acme',
      email: 'it@acme.example',
      key: KEY,
    });
    expect(url).toMatch(/^https:\/\/keeper\.example\/unsubscribe\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    const [encoded = ''] = url.split('/').at(-1)?.split('.') ?? [];
    expect(Buffer.from(encoded, 'base64url').toString('utf8')).not.toContain('acme.example');
  });

  it('refuse a changed payload, another key, an onboarding token and garbage', () => {
    const token = signUnsubscribeToken('acme', 'it@acme.example', KEY);
    const [encoded = '', signature = ''] = token.split('.');
    const forged = Buffer.from(
      JSON.stringify({
        ...JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8')),
        tenantId: 'other',
      }),
    ).toString('base64url');
    const onboarding = signOnboardingLinkToken(
      { tenantId: 'acme', linkVersion: 1, expiresAt: '2030-01-01T00:00:00.000Z' },
      KEY,
    );
    for (const bad of [`${forged}.${signature}`, onboarding, 'x', `${'a'.repeat(300)}.${signature}`]) {
      expect(() => readUnsubscribeToken(bad, KEY)).toThrow(UnsubscribeLinkError);
    }
    expect(() => readUnsubscribeToken(token, OTHER_KEY)).toThrow(UnsubscribeLinkError);
  });
});
