import { mkdtemp, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AuthorizationEvent, TokenMaterial } from '#domain/model.js';
import { TokenVaultError } from '#adapters/envelope-token-vault.js';
import { FileTokenVault } from '#local/adapters/file-token-vault.js';
import { LocalEventSink, SnsInvalidParameterError } from '#local/adapters/local-event-sink.js';
import { InMemoryTenantRepository } from '#test-support/fakes/index.js';
import { testTenant } from '#test-support/fixtures.js';

const material: TokenMaterial = {
  accessToken: 'ACCESS-token-value-123',
  refreshToken: 'REFRESH-token-value-456',
  accessTokenExpiresAt: '2026-12-09T10:00:00.000Z',
  refreshTokenExpiresAt: '2027-02-23T10:00:00.000Z',
};

describe('FileTokenVault', () => {
  const acme = { tenantId: 'acme', integration: 'presence' };

  it('keeps its key in a 0600 file and opens what it sealed after a reopen', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vault-'));
    const vault = await FileTokenVault.open(dir, 'local-table');
    const sealed = await vault.seal(acme, material);
    expect(JSON.stringify(sealed)).not.toContain('ACCESS-token');
    expect(JSON.stringify(sealed)).not.toContain('REFRESH-token');
    expect((await stat(join(dir, 'vault.key'))).mode & 0o777).toBe(0o600);

    const reopened = await FileTokenVault.open(dir, 'local-table');
    expect(await reopened.open(acme, sealed)).toEqual(material);
  });

  it("refuses an envelope of another local key, or copied onto another tenant's item", async () => {
    const vault = await FileTokenVault.open(await mkdtemp(join(tmpdir(), 'vault-')), 'local-table');
    const other = await FileTokenVault.open(await mkdtemp(join(tmpdir(), 'vault-')), 'local-table');
    const sealed = await other.seal(acme, material);
    await expect(vault.open(acme, sealed)).rejects.toBeInstanceOf(TokenVaultError);
    await expect(other.open({ ...acme, tenantId: 'globex' }, sealed)).rejects.toBeInstanceOf(TokenVaultError);
  });
});

describe('LocalEventSink', () => {
  const event = (tenantId: string): AuthorizationEvent => ({
    version: 1,
    eventId: `e-${tenantId}`,
    type: 'invalidated',
    severity: 'critical',
    tenantId,
    integration: 'presence',
    occurredAt: '2026-11-25T10:00:00.000Z',
    summary: 'invalidated',
  });

  it('mails ops every alert and each contact of the table only its own tenant, newest first', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sink-'));
    const tenants = new InMemoryTenantRepository(
      testTenant({ tenantId: 'acme', contacts: ['admin@acme.example'] }),
      testTenant({ tenantId: 'globex', contacts: ['it@globex.example'] }),
    );
    const sink = await LocalEventSink.open(
      dir,
      'ops@vendor.example',
      tenants,
      () => new Date('2026-11-25T10:00:01.000Z'),
    );
    await sink.publish(event('acme'), { subject: 'Acme broke', text: 'Re-authorize at http://x' });
    await sink.publish(event('globex'), { subject: 'Globex broke', text: 'Re-authorize' });
    await sink.publish({ ...event('acme'), type: 'refreshed' });

    const mail = sink.mailbox();
    expect(mail.map((m) => [m.to, m.subject])).toEqual([
      ['ops@vendor.example', 'Globex broke'],
      ['it@globex.example', 'Globex broke'],
      ['ops@vendor.example', 'Acme broke'],
      ['admin@acme.example', 'Acme broke'],
    ]);
    expect(mail[2]!.text).toMatch(
      /^Re-authorize at http:\/\/x\n\n--\nIf you wish to stop receiving notifications/,
    );
    expect(await sink.events()).toHaveLength(3);

    await tenants.suppressContact('acme', {
      email: 'admin@acme.example',
      reason: 'bouncing',
      at: '2026-11-25T10:00:02.000Z',
    });
    await sink.publish(event('acme'), { subject: 'Again', text: 't' });
    const reopened = await LocalEventSink.open(dir, 'ops@vendor.example', tenants);
    expect(
      reopened
        .mailbox()
        .filter((m) => m.subject === 'Again')
        .map((m) => m.to),
    ).toEqual(['ops@vendor.example']);
  });

  it.each([
    ['a subject of 100 characters', { subject: 'x'.repeat(100), text: 't' }],
    ['a subject with a line break', { subject: 'Refused: Acme\nRe-authorize at evil', text: 't' }],
    ['a subject with a control character', { subject: 'Refused:\u0007 Acme', text: 't' }],
    ['a subject outside ASCII', { subject: 'Refused: Société', text: 't' }],
    ['a subject starting with a space', { subject: ' Refused', text: 't' }],
    ['an empty subject', { subject: '', text: 't' }],
    ['an empty message', { subject: 'Refused', text: '' }],
    ['a message over 256 KB', { subject: 'Refused', text: 'é'.repeat(131_073) }],
    ['a message that is not UTF-8 text', { subject: 'Refused', text: 'a\ud800b' }],
  ])('refuses %s as SNS does, after putting the event on the bus, and mails nobody', async (_, alert) => {
    const dir = await mkdtemp(join(tmpdir(), 'sink-'));
    const sink = await LocalEventSink.open(dir, 'ops@vendor.example', new InMemoryTenantRepository());
    await expect(sink.publish(event('acme'), alert)).rejects.toThrow(SnsInvalidParameterError);
    expect(sink.mailbox()).toEqual([]);
    expect(await sink.events()).toHaveLength(1);
  });

  it('takes a subject of 99 printable ASCII characters and a message of 256 KB', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sink-'));
    const sink = await LocalEventSink.open(dir, 'ops@vendor.example', new InMemoryTenantRepository());
    await sink.publish(event('acme'), { subject: `!${'x'.repeat(97)}~`, text: 'é'.repeat(131_072) });
    expect(sink.mailbox()).toHaveLength(1);
  });
});
