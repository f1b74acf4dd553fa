import { describe, expect, it } from 'vitest';
import { authorizationEventSchema, type AuthorizationEvent } from '#domain/model.js';
import { expectThreeWayCauseMail } from '#test-support/cause-mail.js';
import { harnessPerTest, type ValidatorHarness } from '#test-support/validator-harness.js';

/*
 * Causes with their confidence and evidence, end to end: real onboarding against the Webex
 * simulator, its switches, sweeps of the real validator over DynamoDB Local. A cause is confirmed
 * only where a Webex answer proves it; when nothing can tell a password change, a deactivation and
 * a Full Admin removal apart, the mail says so and points at Control Hub.
 */
describe('causes with confidence against DynamoDB Local and the Webex simulator', () => {
  const newHarness = harnessPerTest();

  /** The tenant's invalidations as its history (DynamoDB) holds them, parsed with the event schema. */
  async function invalidationsInHistory(h: ValidatorHarness): Promise<AuthorizationEvent[]> {
    const page = await h.repos.history.list(h.tenant.tenantId, { limit: 50 });
    return page.items
      .map((item) => authorizationEventSchema.parse(item))
      .filter((event) => event.type === 'invalidated');
  }

  it('a single-admin tenant: deactivating the admin gives the three-way cause, likely, never a confirmed password change', async () => {
    const h = await newHarness();
    const keys = ['users-sync', 'presence', 'call-control'];
    for (const key of keys) await h.authorize(key);
    await h.sweep();
    await h.control('people/admin@demo.example/deactivate');
    const report = await h.sweep();
    expect(report.errors).toEqual([]);

    for (const key of keys) {
      expect(await h.record(key)).toMatchObject({
        status: 'invalid',
        cause: 'password_change_or_deactivation_or_role_removal',
        confidence: 'likely',
      });
    }
    expect(h.types().sort()).toEqual([
      'call-control:invalidated',
      'presence:invalidated',
      'users-sync:invalidated',
    ]);
    for (const { event, alert } of h.events.published) {
      expect(event.confidence).toBe('likely');
      const text = alert?.text ?? '';
      expectThreeWayCauseMail(text, 'admin@demo.example');
      // Webex sends a dead refresh token's refusal as invalid_grant or invalid_request (WEBEX.md).
      expect(text).toMatch(
        /POST \/v1\/access_token with the \S+ token: refused \(HTTP 400 invalid_(grant|request)\), tracking ID ROUTER_/,
      );
    }

    const history = await invalidationsInHistory(h);
    expect(history.map((event) => event.integration).sort()).toEqual(keys.slice().sort());
    for (const event of history) {
      expect(event).toMatchObject({
        cause: 'password_change_or_deactivation_or_role_removal',
        confidence: 'likely',
      });
      // The refresh of its own token, refused for the grant, with Webex's trackingId.
      expect(event.evidence).toContainEqual(
        expect.objectContaining({
          call: 'POST /v1/access_token',
          via: event.integration,
          answer: 'refused',
          status: 400,
          error: expect.stringMatching(/^invalid_(grant|request)$/),
          trackingId: expect.stringMatching(/^ROUTER_[0-9a-f-]+$/),
        }),
      );
    }
    await h.expectNoSecretPublished();
  });

  it('a multi-admin tenant: another admin’s users-sync proves the deactivation, which is confirmed', async () => {
    const h = await newHarness();
    await h.authorize('users-sync', 'sso-admin@demo.example');
    for (const key of ['presence', 'call-control']) await h.authorize(key);
    await h.control('people/admin@demo.example/deactivate');
    await h.sweep();

    for (const key of ['presence', 'call-control']) {
      expect(await h.record(key)).toMatchObject({
        status: 'invalid',
        cause: 'user_deactivated',
        confidence: 'confirmed',
      });
    }
    expect(await h.record('users-sync')).toMatchObject({ status: 'active' });
    const history = await invalidationsInHistory(h);
    expect(history).toHaveLength(2);
    for (const event of history) {
      expect(event).toMatchObject({ cause: 'user_deactivated', confidence: 'confirmed' });
      // The proof: the person looked up with the other admin's working token, sign-in disabled.
      expect(event.evidence).toContainEqual(
        expect.objectContaining({
          call: 'GET /v1/people/{personId}',
          via: 'users-sync',
          answer: 'ok',
          finding: 'sign_in_disabled',
          trackingId: expect.stringMatching(/^ROUTER_/),
        }),
      );
    }
    const text = h.events.published[0]?.alert?.text ?? '';
    expect(text).toContain("Cause (confirmed by Webex's answers)");
    expect(text).toMatch(
      /GET \/v1\/people\/\{personId\} with the users-sync token: answered, sign-in disabled, tracking ID ROUTER_/,
    );
    expect(text).not.toContain('To tell them apart');
  });
});
