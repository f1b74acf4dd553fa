import { beforeAll, describe, expect, it } from 'vitest';
import { useServedAdminApi } from '#test-support/admin-server.js';
import { runCliHere } from '#test-support/cli-process.js';

describe('webex-auth-keeper CLI: tenants restore-contact', () => {
  const served = useServedAdminApi();
  const cli = (args: string[]) => runCliHere([...served.api, ...args]);

  beforeAll(async () => {
    const created = await served.h.call('POST', '/admin/tenants', {
      body: { tenantId: 'demo', name: 'Demo', contacts: ['it@demo.example', 'noc@demo.example'] },
    });
    expect(created.status).toBe(201);
    await served.h.repos.tenants.suppressContact('demo', {
      email: 'it@demo.example',
      reason: 'unsubscribed',
      at: '2026-11-24T08:00:00.000Z',
    });
    await served.h.repos.tenants.suppressContact('demo', {
      email: 'noc@demo.example',
      reason: 'bouncing',
      at: '2026-11-24T09:00:00.000Z',
    });
  });

  it('restores an unsubscribed address, which tenants show then no longer lists as not mailed', async () => {
    const before = await cli(['tenants', 'show', 'demo']);
    expect(before.stdout).toMatch(
      /^not mailed\s+it@demo\.example \(unsubscribed since 2026-11-24 08:00Z\), noc@/m,
    );

    const restored = await cli(['tenants', 'restore-contact', 'demo', 'It@Demo.example']);
    expect(restored).toMatchObject({ code: 0, stderr: '' });
    expect(restored.stdout).toBe(
      'Restored it@demo.example on demo (was unsubscribed since 2026-11-24 08:00Z): its next alerts are mailed to it if it is a contact.\n',
    );

    const after = await cli(['tenants', 'show', 'demo']);
    expect(after.stdout).toMatch(/^not mailed\s+noc@demo\.example \(bouncing since 2026-11-24 09:00Z\)$/m);
  });

  it("prints the API's answer with --json, and for a bounce says SES may still suppress it", async () => {
    const restored = await cli(['--json', 'tenants', 'restore-contact', 'demo', 'noc@demo.example']);
    expect(restored).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(restored.stdout)).toEqual({
      tenantId: 'demo',
      email: 'noc@demo.example',
      removedSuppressions: [
        { email: 'noc@demo.example', reason: 'bouncing', at: '2026-11-24T09:00:00.000Z' },
      ],
    });

    await served.h.repos.tenants.suppressContact('demo', {
      email: 'noc@demo.example',
      reason: 'complained',
      at: '2026-11-24T10:00:00.000Z',
    });
    const human = await cli(['tenants', 'restore-contact', 'demo', 'noc@demo.example']);
    expect(human.code).toBe(0);
    expect(human.stdout.split('\n')[1]).toBe(
      'SES may still suppress it for the whole account after a bounce or complaint: aws sesv2 get-suppressed-destination --email-address noc@demo.example (docs/admin-api.md, "Contacts and alert emails").',
    );
  });

  it('says on one line, exit 1, when the address is not suppressed or the tenant unknown, and as JSON with --json', async () => {
    const again = await cli(['tenants', 'restore-contact', 'demo', 'it@demo.example']);
    expect(again).toMatchObject({
      code: 1,
      stdout: '',
      stderr:
        'webex-auth-keeper: 404 Contact not suppressed: Tenant "demo" does not suppress it@demo.example: there is nothing to restore\n',
    });
    const json = await cli(['--json', 'tenants', 'restore-contact', 'ghost', 'it@demo.example']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stderr)).toEqual({
      error: {
        type: 'urn:webex-auth-keeper:problem:tenant-not-found',
        title: 'Tenant not found',
        detail: 'No tenant "ghost"',
        status: 404,
      },
    });
    const malformed = await cli(['tenants', 'restore-contact', 'demo', 'not-an-email']);
    expect(malformed.code).toBe(1);
    expect(malformed.stderr).toMatch(
      /^webex-auth-keeper: 400 Invalid request: Invalid path: email: .*must be an email address\n$/,
    );
  });

  it('refuses a mistyped command, a missing address and an extra word as bad usage, exit 2', async () => {
    const typo = await cli(['tenants', 'restore-contcat', 'demo', 'it@demo.example']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/unknown command 'restore-contcat' \(did you mean restore-contact\?\)/);
    const missing = await cli(['tenants', 'restore-contact', 'demo']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/missing required argument 'email'/);
    const extra = await cli(['tenants', 'restore-contact', 'demo', 'it@demo.example', 'noc@demo.example']);
    expect(extra.code).toBe(2);
    expect(extra.stderr).toMatch(
      /tenants restore-contact demo it@demo\.example: unexpected argument noc@demo\.example/,
    );
  });

  it('lists the command in the help', async () => {
    const help = await runCliHere(['--help']);
    expect(help.stdout).toMatch(/^ {2}tenants restore-contact <id> <email> +mail an address again/m);
    const own = await runCliHere(['tenants', 'restore-contact', '--help']);
    expect(own).toMatchObject({ code: 0, stderr: '' });
    expect(own.stdout).toMatch(/^Usage: webex-auth-keeper tenants restore-contact \[options\] <id> <email>/);
  });
});
