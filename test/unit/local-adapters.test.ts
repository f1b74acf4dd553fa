import { mkdtemp, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AuthorizationEvent, TokenMaterial } from '#domain/model.js';
import { TokenVaultError } from '#adapters/envelope-token-vault.js';
import { FileTokenVault } from '#local/adapters/file-token-vault.js';
import type { EmailMessage } from '#domain/ports.js';
import { LocalEventSink } from '#local/adapters/local-event-sink.js';
import { LocalMailbox } from '#local/adapters/local-mailbox.js';

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

  it('keeps every event and hands each to its listeners in order, as the bus feeds the notifier', async () => {
    const sink = await LocalEventSink.open(await mkdtemp(join(tmpdir(), 'sink-')));
    const handed: string[] = [];
    sink.subscribe(async (published) => {
      handed.push(published.eventId);
    });
    await sink.publish(event('acme'));
    await sink.publish(event('globex'));
    expect(handed).toEqual(['e-acme', 'e-globex']);
    expect((await sink.events()).map((published) => published.eventId)).toEqual(['e-acme', 'e-globex']);
  });

  it("reports a listener's failure without failing the publish: the event is on the bus", async () => {
    const reported: string[] = [];
    const sink = await LocalEventSink.open(await mkdtemp(join(tmpdir(), 'sink-')), (line) =>
      reported.push(line),
    );
    sink.subscribe(async () => {
      throw new TypeError('the notifier broke');
    });
    await sink.publish(event('acme'));
    expect(await sink.events()).toHaveLength(1);
    expect(reported).toEqual(['Event e-acme (invalidated) was not handled: TypeError']);
  });
});

describe('LocalMailbox', () => {
  const message = (to: string, overrides: Partial<EmailMessage> = {}): EmailMessage => ({
    to,
    subject: 'Action needed',
    text: 'text part',
    html: '<p>html part</p>',
    idempotencyKey: `evt-1#${to}`,
    tags: { tenantId: 'acme', kind: 'invalidated' },
    about: { tenantId: 'acme', integration: 'presence' },
    ...overrides,
  });

  it('keeps each mail with both parts, its tenant, integration and type, newest first, across a reopen', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mailbox-'));
    const mailbox = await LocalMailbox.open(dir, () => new Date('2026-11-25T10:00:00.000Z'));
    await mailbox.send(message('it@acme.example'));
    await mailbox.send(
      message('ops@vendor.example', { about: undefined, tags: { kind: 'digest' }, subject: 'Digest' }),
    );
    const expected = [
      {
        to: 'ops@vendor.example',
        subject: 'Digest',
        text: 'text part',
        html: '<p>html part</p>',
        tenantId: '',
        integration: '',
        type: 'digest',
        sentAt: '2026-11-25T10:00:00.000Z',
      },
      {
        to: 'it@acme.example',
        subject: 'Action needed',
        text: 'text part',
        html: '<p>html part</p>',
        tenantId: 'acme',
        integration: 'presence',
        type: 'invalidated',
        sentAt: '2026-11-25T10:00:00.000Z',
      },
    ];
    expect(mailbox.mailbox()).toEqual(expected);
    expect((await LocalMailbox.open(dir)).mailbox()).toEqual(expected);
  });
});
