import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AuthorizationEvent, TokenMaterial } from '#domain/model.js';
import { FileTokenVault, VaultSecretNotFoundError } from '#local/adapters/file-token-vault.js';
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
  it('keeps token material encrypted at rest and reads it back after a reopen', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vault-'));
    const vault = await FileTokenVault.open(dir);
    const secretId = await vault.store('acme', 'presence', material);
    expect(secretId).toBe('webex-auth-keeper/tokens/acme/presence');

    const files = await readdir(join(dir, 'secrets'));
    expect(files).toHaveLength(1);
    const raw = await readFile(join(dir, 'secrets', files[0]!));
    expect(raw.toString('latin1')).not.toContain('ACCESS-token');
    expect(raw.toString('latin1')).not.toContain('REFRESH-token');

    const reopened = await FileTokenVault.open(dir);
    expect(await reopened.read(secretId)).toEqual(material);
    await reopened.store('acme', 'presence', { ...material, accessToken: 'rotated' });
    expect((await vault.read(secretId)).accessToken).toBe('rotated');
  });

  it('forgets a destroyed secret and refuses one sealed under another key', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vault-'));
    const vault = await FileTokenVault.open(dir);
    const secretId = await vault.store('acme', 'cdr', material);
    await vault.destroy(secretId);
    await expect(vault.read(secretId)).rejects.toBeInstanceOf(VaultSecretNotFoundError);

    const other = await FileTokenVault.open(await mkdtemp(join(tmpdir(), 'vault-')));
    const otherId = await other.store('acme', 'cdr', material);
    const files = await readdir(join(dir, 'secrets'));
    expect(files).toHaveLength(0);
    await expect(vault.read(otherId)).rejects.toThrow();
  });

  it('destroys a secret by tenant and integration, twice without error', async () => {
    const vault = await FileTokenVault.open(await mkdtemp(join(tmpdir(), 'vault-')));
    const secretId = await vault.store('acme', 'sso', material);
    const kept = await vault.store('acme', 'cdr', material);
    await vault.destroyFor('acme', 'sso');
    await vault.destroyFor('acme', 'sso');
    await expect(vault.read(secretId)).rejects.toBeInstanceOf(VaultSecretNotFoundError);
    expect(await vault.read(kept)).toEqual(material);
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
