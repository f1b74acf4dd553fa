import { describe, expect, it } from 'vitest';
import { DynamoDbAlertLedger } from '#adapters/dynamodb/alert-ledger.store.js';
import { NotifierHarness, NOTIFIER_OPS } from '#test-support/notifier-harness.js';
import { catalog, harnessPerTest } from '#test-support/validator-harness.js';

/*
 * Incident grouping end to end: real onboarding against the Webex simulator, a password change,
 * a sweep of the real validator over DynamoDB Local, and its events through the notifier with the
 * alert ledger in the same table.
 */
describe('incident grouping through the notifier', () => {
  const newHarness = harnessPerTest();

  it('a password change kills four authorizations: each contact gets exactly one mail, naming all four', async () => {
    const contacts = ['it@customer.example', 'noc@customer.example'];
    const h = await newHarness({ contacts });
    const notifier = new NotifierHarness(
      h,
      new DynamoDbAlertLedger(h.table.documentClient, h.table.tableName),
    );
    // Start just after a digest period begins, so the incident window ends inside that period:
    // the ops digest due at a period's end is not what this test is about.
    const periodMs = notifier.deps.policy.digestPeriodSeconds * 1000;
    h.advance((periodMs - (h.clock.now().getTime() % periodMs)) / 1000 + 1);
    const keys = ['users-sync', 'presence', 'call-control', 'cdr'];
    for (const key of keys) await h.authorize(key);
    await h.sweep();
    await h.control('people/admin@demo.example/password-change');
    const report = await h.sweep();
    expect(report.errors).toEqual([]);
    const events = await notifier.notifyPublished();
    expect(events.filter((event) => event.type === 'invalidated')).toHaveLength(4);
    expect(notifier.mail.sent.filter((message) => contacts.includes(message.to))).toEqual([]);

    h.advance(notifier.deps.policy.incidentWindowSeconds);
    expect((await notifier.flush()).incidents).toBe(1);
    await notifier.flush();
    for (const contact of contacts) {
      const mails = notifier.to(contact);
      expect(mails).toHaveLength(1);
      const [mail] = mails;
      expect(mail?.subject).toContain('4 integrations stopped working');
      for (const key of keys) {
        const entry = catalog.find(key);
        expect(mail?.text).toContain(entry?.name);
        expect(mail?.text).toContain(entry?.integrationId);
        expect(mail?.html).toContain(entry?.integrationId);
      }
      expect(mail?.html.match(/>Re-authorize<\/a>/g)).toHaveLength(1);
    }
    expect(notifier.to(NOTIFIER_OPS)).toEqual([]);
  });
});
