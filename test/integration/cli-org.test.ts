import { describe, expect, it } from 'vitest';
import { seedAuthorization } from '#test-support/admin-harness.js';
import { useServedAdminApi } from '#test-support/admin-server.js';
import { runCliHere } from '#test-support/cli-process.js';

/** A Webex org id of the shape the Webex API gives. */
const orgId = (uuid: string) => Buffer.from(`ciscospark://us/ORGANIZATION/${uuid}`).toString('base64url');
const CUSTOMER_ORG = orgId('1eb65fdf-9643-417f-9974-ad72cae0e10f');
const OTHER_ORG = orgId('96abc2aa-3dcc-11e5-a152-fe34819cdc9a');

/** The CLI's commands in this process (cli.test.ts runs the binary itself). */
const cli = runCliHere;

describe('webex-auth-keeper CLI: org binding, update, reactivate and purge', () => {
  const served = useServedAdminApi();

  it('documents the new commands and flags in --help', async () => {
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    for (const text of [
      '[--org ORG_ID]',
      'tenants update <id>',
      '[--org ORG_ID | --no-org] [--revoke-authorizations]',
      'tenants reactivate <id>',
      'tenants purge <id> --yes',
    ]) {
      expect(help.stdout).toContain(text);
    }
  });

  it('creates a tenant bound to an org, and unbinds it only with --revoke-authorizations while it has live authorizations', async () => {
    const created = await cli([
      ...served.api,
      'tenants',
      'create',
      'acme',
      '--name',
      'Acme',
      '--org',
      CUSTOMER_ORG,
    ]);
    expect(created).toMatchObject({ code: 0, stderr: '' });
    expect((await served.h.repos.tenants.get('acme'))?.orgId).toBe(CUSTOMER_ORG);
    await seedAuthorization(served.h, 'acme', 'presence');

    const refused = await cli([...served.api, 'tenants', 'update', 'acme', '--no-org']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /^webex-auth-keeper: 409 Authorizations live: .*presence.*revokeAuthorizations=true/,
    );
    expect((await served.h.repos.tenants.get('acme'))?.orgId).toBe(CUSTOMER_ORG);

    const unbound = await cli([
      ...served.api,
      'tenants',
      'update',
      'acme',
      '--no-org',
      '--revoke-authorizations',
    ]);
    expect(unbound).toMatchObject({
      code: 0,
      stderr: '',
      stdout: 'Updated tenant acme (Acme); Webex org: not bound.\n',
    });
    expect(await served.h.repos.authorizations.get('acme', 'presence')).toMatchObject({
      status: 'revoked',
    });

    const rebound = await cli([
      ...served.api,
      '--json',
      'tenants',
      'update',
      'acme',
      '--org',
      OTHER_ORG,
      '--name',
      'Acme Corp',
      '--contact',
      'it@acme.example',
      '--sso',
    ]);
    expect(rebound.code).toBe(0);
    expect(JSON.parse(rebound.stdout)).toMatchObject({
      orgId: OTHER_ORG,
      name: 'Acme Corp',
      contacts: ['it@acme.example'],
      sso: true,
    });
  });

  it('refuses contradicting or empty updates and a malformed org id', async () => {
    await cli([...served.api, 'tenants', 'create', 'beta', '--name', 'Beta']);
    for (const args of [
      ['--org', CUSTOMER_ORG, '--no-org'],
      ['--sso', '--no-sso'],
      ['--contact', 'a@beta.example', '--no-contacts'],
      [],
    ]) {
      const run = await cli([...served.api, 'tenants', 'update', 'beta', ...args]);
      expect(run.code).toBe(2);
    }
    const bareUuid = await cli([
      ...served.api,
      'tenants',
      'update',
      'beta',
      '--org',
      '1eb65fdf-9643-417f-9974-ad72cae0e10f',
    ]);
    expect(bareUuid.code).toBe(1);
    expect(bareUuid.stderr).toContain('orgId: must be a Webex org id');
  });

  it('reactivates an offboarded tenant and purges one only with --yes', async () => {
    await cli([...served.api, 'tenants', 'create', 'gamma', '--name', 'Gamma']);
    expect((await cli([...served.api, 'offboard', 'gamma', '--yes'])).code).toBe(0);
    const reactivated = await cli([...served.api, 'tenants', 'reactivate', 'gamma']);
    expect(reactivated.code).toBe(0);
    expect(reactivated.stdout).toContain('Reactivated tenant gamma.');
    expect((await served.h.repos.tenants.get('gamma'))?.status).toBe('active');

    expect((await cli([...served.api, 'tenants', 'purge', 'gamma', '--yes'])).code).toBe(1);
    expect((await cli([...served.api, 'offboard', 'gamma', '--yes'])).code).toBe(0);
    expect((await cli([...served.api, 'tenants', 'purge', 'gamma'])).code).toBe(2);
    const purged = await cli([...served.api, 'tenants', 'purge', 'gamma', '--yes']);
    expect(purged).toMatchObject({ code: 0, stderr: '' });
    expect(purged.stdout).toMatch(/^Purged tenant gamma \(\d+ items\); its id can be used again\.\n$/);
    expect(await served.h.repos.tenants.get('gamma')).toBeUndefined();
    expect((await cli([...served.api, 'tenants', 'create', 'gamma', '--name', 'Gamma again'])).code).toBe(0);
  });
});
