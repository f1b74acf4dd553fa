import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  OAUTH_STATE_TTL_SECONDS,
  createOAuthAttempt,
  hashOAuthState,
  isOAuthStateExpired,
  oauthStateShape,
} from '#domain/oauth-state.js';
import { ManualClock } from '#test-support/fakes/index.js';

const binding = {
  tenantId: 'acme',
  integration: 'presence',
  linkVersion: 3,
  linkExpiresAt: '2030-01-15T00:00:00.000Z',
};

describe('OAuth state', () => {
  it('carries at least 128 random bits and never repeats', async () => {
    const clock = new ManualClock();
    const states = new Set<string>();
    for (let index = 0; index < 500; index += 1) {
      const { state } = await createOAuthAttempt({ ...binding, clock });
      expect(state).toMatch(oauthStateShape);
      // 43 base64url characters = 256 bits.
      expect(Buffer.from(state, 'base64url').length * 8).toBeGreaterThanOrEqual(128);
      states.add(state);
    }
    expect(states.size).toBe(500);
  });

  it('is stored only as its SHA-256 hash, with the verifier, never the state itself', async () => {
    const attempt = await createOAuthAttempt({ ...binding, clock: new ManualClock() });
    expect(attempt.record.stateHash).toBe(createHash('sha256').update(attempt.state).digest('hex'));
    expect(hashOAuthState(attempt.state)).toBe(attempt.record.stateHash);
    expect(JSON.stringify(attempt.record)).not.toContain(attempt.state);
  });

  it('is bound to the tenant, the integration, the link version and the link expiry', async () => {
    const { record } = await createOAuthAttempt({ ...binding, clock: new ManualClock() });
    expect(record).toMatchObject(binding);
  });

  it('uses PKCE S256: the challenge is the base64url SHA-256 of the stored verifier', async () => {
    const { record, codeChallenge } = await createOAuthAttempt({ ...binding, clock: new ManualClock() });
    expect(record.codeVerifier).toMatch(/^[A-Za-z0-9_-]{43,128}$/);
    expect(codeChallenge).toBe(createHash('sha256').update(record.codeVerifier).digest('base64url'));
  });

  it('expires ten minutes after it was created', async () => {
    const clock = new ManualClock();
    const { record } = await createOAuthAttempt({ ...binding, clock });
    expect(OAUTH_STATE_TTL_SECONDS).toBe(600);
    clock.advance(599);
    expect(isOAuthStateExpired(record, clock.now())).toBe(false);
    clock.advance(1);
    expect(isOAuthStateExpired(record, clock.now())).toBe(true);
  });
});
