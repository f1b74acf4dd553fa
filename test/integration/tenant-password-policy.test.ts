import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '#cli/webex-auth-keeper.js';
import { createAdminHarness, type AdminHarness } from '#test-support/admin-harness.js';
import { startAdminServer, type AdminServer } from '#test-support/admin-server.js';

type Json = Record<string, unknown>;

/**
 * A tenant's password policy (its `passwordMaxAgeDays` and SSO authorizers) through the admin API
 * and the CLI, on DynamoDB Local.
 */
describe('tenant password policy through the admin API and the CLI', () => {
  let h: AdminHarness;
  let server: AdminServer;

  beforeAll(async () => {
    h = await createAdminHarness();
    server = await startAdminServer(h.deps);
  });
  afterAll(async () => {
    await server.close();
    await h.close();
  });

  /** Runs the CLI in-process against the served admin API. */
  async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    let stdout = '';
    let stderr = '';
    const code = await main(['--api', server.url, ...args], {
      stdout: (text) => (stdout += text),
      stderr: (text) => (stderr += text),
      env: {},
    });
    return { code, stdout, stderr };
  }

  /** The request is refused with a 400 naming `field`, and nothing is written. */
  async function expectFieldError(method: string, path: string, body: Json, field: string): Promise<void> {
    const before = await h.snapshot();
    const response = await h.call(method, path, { body });
    expect(response.status).toBe(400);
    expect((response.body as Json).detail).toMatch(new RegExp(field));
    expect(await h.snapshot()).toEqual(before);
  }

  it('creates a tenant with its password age and SSO authorizers, and shows them', async () => {
    const created = await h.call('POST', '/admin/tenants', {
      body: {
        tenantId: 'policy',
        name: 'Policy Ltd',
        passwordMaxAgeDays: 90,
        ssoAuthorizers: [' Boss@Policy.example ', 'boss@policy.example'],
      },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ passwordMaxAgeDays: 90, ssoAuthorizers: ['boss@policy.example'] });
    const read = await h.call('GET', '/admin/tenants/policy');
    expect(read.body).toMatchObject({ passwordMaxAgeDays: 90, ssoAuthorizers: ['boss@policy.example'] });
  });

  it.each([89, 1826, 365.5, '90'])('refuses a passwordMaxAgeDays of %s with a field error', async (days) => {
    await expectFieldError(
      'POST',
      '/admin/tenants',
      { tenantId: 'bad-age', name: 'Bad', passwordMaxAgeDays: days },
      'passwordMaxAgeDays',
    );
    await h.call('POST', '/admin/tenants', { body: { tenantId: 'patch-age', name: 'Patch age' } });
    await expectFieldError(
      'PATCH',
      '/admin/tenants/patch-age',
      { passwordMaxAgeDays: days },
      'passwordMaxAgeDays',
    );
  });

  it('refuses an SSO authorizer that is not an email with a field error', async () => {
    await expectFieldError(
      'POST',
      '/admin/tenants',
      { tenantId: 'bad-sso', name: 'Bad', ssoAuthorizers: ['not an email'] },
      'ssoAuthorizers',
    );
  });

  it('changes the password age, goes back to the default with null, and empties the SSO authorizers', async () => {
    await h.call('POST', '/admin/tenants', {
      body: { tenantId: 'patched', name: 'Patched', ssoAuthorizers: ['a@patched.example'] },
    });
    h.clock.advance(1);
    const set = await h.call('PATCH', '/admin/tenants/patched', { body: { passwordMaxAgeDays: 1825 } });
    expect(set.status).toBe(200);
    expect(await h.repos.tenants.get('patched')).toMatchObject({
      passwordMaxAgeDays: 1825,
      ssoAuthorizers: ['a@patched.example'],
    });
    h.clock.advance(1);
    const reset = await h.call('PATCH', '/admin/tenants/patched', {
      body: { passwordMaxAgeDays: null, ssoAuthorizers: [] },
    });
    expect(reset.status).toBe(200);
    const stored = await h.repos.tenants.get('patched');
    expect(stored).not.toHaveProperty('passwordMaxAgeDays');
    expect(stored?.ssoAuthorizers).toEqual([]);
  });

  it('sets, shows and resets the password age and SSO authorizers from the CLI', async () => {
    const created = await cli(
      'tenants',
      'create',
      'cli-policy',
      '--name',
      'CLI Policy',
      '--password-max-age-days',
      '180',
      '--sso-authorizer',
      'sso@cli.example',
    );
    expect(created).toMatchObject({ code: 0, stderr: '' });
    expect(await h.repos.tenants.get('cli-policy')).toMatchObject({
      passwordMaxAgeDays: 180,
      ssoAuthorizers: ['sso@cli.example'],
    });
    const shown = await cli('tenants', 'show', 'cli-policy');
    expect(shown.stdout).toMatch(/password max age\s+180 days/);
    expect(shown.stdout).toMatch(/sso authorizers\s+sso@cli\.example/);

    h.clock.advance(1);
    expect(
      await cli('tenants', 'update', 'cli-policy', '--no-password-max-age', '--no-sso-authorizers'),
    ).toMatchObject({
      code: 0,
    });
    expect(await h.repos.tenants.get('cli-policy')).not.toHaveProperty('passwordMaxAgeDays');
    expect((await cli('tenants', 'show', 'cli-policy')).stdout).toMatch(
      /password max age\s+deployment default/,
    );
  });

  it('exits non-zero with one line for a password age out of range or not a number, writing nothing', async () => {
    await cli('tenants', 'create', 'cli-range', '--name', 'Range');
    const before = await h.snapshot();
    const outOfRange = await cli('tenants', 'update', 'cli-range', '--password-max-age-days', '30');
    expect(outOfRange.code).toBe(1);
    expect(outOfRange.stderr.trim().split('\n')).toHaveLength(1);
    expect(outOfRange.stderr).toMatch(/passwordMaxAgeDays/);
    const notANumber = await cli('tenants', 'update', 'cli-range', '--password-max-age-days', 'ninety');
    expect(notANumber.code).toBe(2);
    expect(notANumber.stderr).toMatch(/--password-max-age-days must be a positive whole number/);
    const both = await cli(
      'tenants',
      'update',
      'cli-range',
      '--password-max-age-days',
      '90',
      '--no-password-max-age',
    );
    expect(both.code).toBe(2);
    expect(await h.snapshot()).toEqual(before);
  });
});
