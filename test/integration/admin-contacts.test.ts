import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContactSuppression } from '#domain/model.js';
import { createAdminHarness, type AdminHarness } from '#test-support/admin-harness.js';

type Json = Record<string, unknown>;

const restorePath = (tenantId: string, email: string) =>
  `/admin/tenants/${tenantId}/suppressed-contacts/${encodeURIComponent(email)}`;

describe('admin API: restoring a suppressed contact, on DynamoDB Local', () => {
  let h: AdminHarness;
  const unsubscribed: ContactSuppression = {
    email: 'it@demo.example',
    reason: 'unsubscribed',
    at: '2026-11-24T08:00:00.000Z',
  };
  const bounced: ContactSuppression = {
    email: 'IT@demo.example',
    reason: 'bouncing',
    at: '2026-11-24T09:00:00.000Z',
  };
  const complained: ContactSuppression = {
    email: 'boss@demo.example',
    reason: 'complained',
    at: '2026-11-24T10:00:00.000Z',
  };

  beforeAll(async () => {
    h = await createAdminHarness();
    const created = await h.call('POST', '/admin/tenants', {
      body: { tenantId: 'demo', name: 'Demo', contacts: ['it@demo.example', 'boss@demo.example'] },
    });
    expect(created.status).toBe(201);
    for (const entry of [unsubscribed, complained, bounced])
      await h.repos.tenants.suppressContact('demo', entry);
  });
  afterAll(async () => h.close());

  /** Runs the request and proves it answered the problem and wrote nothing to the table. */
  async function expectRefused(
    status: number,
    path: string,
    options: Parameters<AdminHarness['call']>[2] = {},
  ) {
    const before = await h.snapshot();
    const response = await h.call('DELETE', path, options);
    expect(response.status).toBe(status);
    expect(response.headers['content-type']).toBe('application/problem+json');
    expect(await h.snapshot()).toEqual(before);
    return response.body as Json;
  }

  it('removes every suppression of the address, whatever its case and reason, and leaves the others', async () => {
    const tenantBefore = await h.repos.tenants.get('demo');
    h.aws.resetHistory();
    const response = await h.call('DELETE', restorePath('demo', ' It@Demo.example '));
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      tenantId: 'demo',
      email: 'it@demo.example',
      removedSuppressions: [unsubscribed, bounced],
    });
    expect(await h.repos.tenants.get('demo')).toEqual({ ...tenantBefore, suppressedContacts: [complained] });
    const read = await h.call('GET', '/admin/tenants/demo');
    expect((read.body as Json).suppressedContacts).toEqual([complained]);
    expect(h.aws.calls()).toBe(0);
  });

  it('restores a complained address too, which the tenant then no longer lists as suppressed', async () => {
    const response = await h.call('DELETE', restorePath('demo', 'boss@demo.example'));
    expect(response.status).toBe(200);
    expect((response.body as Json).removedSuppressions).toEqual([complained]);
    expect((await h.repos.tenants.get('demo'))?.suppressedContacts).toEqual([]);
  });

  it('answers 404 contact-not-suppressed for an address it does not suppress, saying whether it is a contact', async () => {
    const restoredAlready = await expectRefused(404, restorePath('demo', 'it@demo.example'));
    expect(restoredAlready).toMatchObject({
      type: 'urn:webex-auth-keeper:problem:contact-not-suppressed',
      detail: 'Tenant "demo" does not suppress it@demo.example: there is nothing to restore',
    });
    const stranger = await expectRefused(404, restorePath('demo', 'who@else.example'));
    expect(stranger.detail).toBe(
      'Tenant "demo" does not suppress who@else.example (nor is it one of its contacts): there is nothing to restore',
    );
  });

  it('answers 404 tenant-not-found for an unknown tenant and 409 for an offboarded one', async () => {
    const unknown = await expectRefused(404, restorePath('ghost', 'it@demo.example'));
    expect(unknown.type).toBe('urn:webex-auth-keeper:problem:tenant-not-found');
    expect(
      (await h.call('POST', '/admin/tenants', { body: { tenantId: 'gone', name: 'Gone' } })).status,
    ).toBe(201);
    await h.repos.tenants.suppressContact('gone', unsubscribed);
    expect((await h.call('DELETE', '/admin/tenants/gone')).status).toBe(200);
    const offboarded = await expectRefused(409, restorePath('gone', 'it@demo.example'));
    expect(offboarded.type).toBe('urn:webex-auth-keeper:problem:tenant-offboarded');
    expect((await h.repos.tenants.get('gone'))?.suppressedContacts).toEqual([unsubscribed]);
  });

  it('refuses a malformed address, a malformed tenant id, a query and a body with 400, writing nothing', async () => {
    await h.repos.tenants.suppressContact('demo', unsubscribed);
    const malformed = await expectRefused(400, restorePath('demo', 'not-an-email'));
    expect(malformed.detail).toBe('Invalid path: email: must be an email address');
    expect(malformed.errors).toEqual([{ path: 'path.email', message: 'must be an email address' }]);
    await expectRefused(400, restorePath('Not_A_Slug', 'it@demo.example'));
    await expectRefused(400, restorePath('demo', 'it@demo.example'), { query: 'force=true' });
    const withBody = await expectRefused(400, restorePath('demo', 'it@demo.example'), {
      body: { reason: 'unsubscribed' },
    });
    expect(withBody.errors).toEqual([{ path: 'body.reason', message: 'unknown field' }]);
    expect((await h.repos.tenants.get('demo'))?.suppressedContacts).toEqual([unsubscribed]);
  });

  it('answers 405 with Allow: DELETE to another method', async () => {
    const response = await h.call('GET', restorePath('demo', 'it@demo.example'));
    expect(response.status).toBe(405);
    expect(response.headers.allow).toBe('DELETE');
  });
});
