import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ALERT_POLICY } from '#domain/alert-policy.js';
import { ManualClock } from '#test-support/fakes/index.js';
import {
  linkTokenOf,
  localMailbox,
  onboardOverHttp,
  simControl,
  startTestLocalSystem,
  sweepLocal,
  type TestLocalSystem,
} from '#test-support/security-local.js';

/*
 * The local run follows the alert policy as the deployed notifier does (docs/alerts.md): the local
 * bus hands every event to the notifier, whose mail goes to the local mailbox (the SES stand-in),
 * and each sweep ends with the notifier's flush. The keeper's clock is a test clock, so the
 * incident window and the digest period pass without waiting.
 */

const ADMIN = 'admin@demo.example';
const CONTACT = 'it@demo.example';
const OPS = 'ops@vendor.example';

describe('the local run mails by the alert policy', () => {
  let local: TestLocalSystem;
  // Just after a digest period begins, so the flap and the incident fall in one period.
  const clock = new ManualClock(new Date(Math.ceil(Date.now() / 3_600_000) * 3_600_000 + 60_000));

  const mailbox = () => localMailbox(local.system);
  const sweep = () => sweepLocal(local.system);
  const status = async () => (await local.system.repositories.authorizations.get('demo', 'presence'))?.status;

  beforeAll(async () => {
    local = await startTestLocalSystem({ clock });
    const link = linkTokenOf(await local.system.demoPortalUrl());
    expect((await onboardOverHttp(local.system, link, 'presence', ADMIN)).callback.status).toBe(200);
    await sweep();
  }, 60_000);

  afterAll(async () => {
    await simControl(local.system, 'faults', { rate5xx: 0 });
    await local?.stop();
  });

  it('mails no customer for a degraded -> restored flap within the window, and counts it in the ops digest', async () => {
    const before = await mailbox();
    await simControl(local.system, 'faults', { rate5xx: 1 });
    for (let round = 0; round < 6 && (await status()) !== 'degraded'; round += 1) await sweep();
    expect(await status()).toBe('degraded');
    await simControl(local.system, 'faults', { rate5xx: 0 });
    clock.advance(60);
    await sweep();
    expect(await status()).toBe('active');

    const added = (await mailbox()).slice(0, (await mailbox()).length - before.length);
    expect(added.filter((mail) => mail.to === CONTACT)).toEqual([]);
    expect(added.filter((mail) => mail.type === 'degraded' || mail.type === 'restored')).toEqual([]);

    clock.advance(DEFAULT_ALERT_POLICY.digestPeriodSeconds);
    await sweep();
    const digests = (await mailbox()).filter((mail) => mail.type === 'digest');
    expect(digests.map((mail) => mail.to)).toEqual([OPS]);
    expect(digests[0]?.text).toMatch(/flap/i);
    expect(digests[0]?.html).toContain('<!DOCTYPE html>');
  });

  it('mails the contacts of an invalid authorization once, when its incident closes, and never again', async () => {
    await simControl(local.system, `people/${ADMIN}/password-change`);
    await sweep();
    expect(await status()).toBe('invalid');
    expect((await mailbox()).filter((mail) => mail.type === 'invalidated')).toEqual([]);

    clock.advance(DEFAULT_ALERT_POLICY.incidentWindowSeconds);
    await sweep();
    await sweep();
    const invalidated = (await mailbox()).filter((mail) => mail.type === 'invalidated');
    expect(invalidated.map((mail) => [mail.to, mail.tenantId, mail.integration])).toEqual([
      [CONTACT, 'demo', 'presence'],
    ]);
    expect(invalidated[0]?.text).toContain('Re-authorize: ');
    expect(invalidated[0]?.html).toContain('Re-authorize');
    expect(invalidated[0]?.text).toContain(`${local.system.api.url}/unsubscribe/`);
  });
});
