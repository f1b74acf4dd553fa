import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { validateNowWith } from '#commons/composition-root.js';
import { cliAgainstSimulatedWebex } from '#test-support/cli-sim-setup.js';
import { seedAuthorization } from '#test-support/admin-harness.js';
import { runCli, runCliHere } from '#test-support/cli-process.js';
import { authorizeInto } from '#test-support/sim-authorization.js';

/*
 * What the CLI says when a command did not do what it was asked: a validate that reached no
 * verdict (Webex answering 5xx, a check skipped), one skipped on a record that is not healthy, and
 * words a command does not take. The admin API runs the real validator over DynamoDB Local and
 * the Webex simulator.
 */
describe('webex-auth-keeper CLI: says what it did not do, and its version', () => {
  // The admin API runs the real validator, as deployed, not the harness's recording stand-in.
  const setup = cliAgainstSimulatedWebex((h) => ({
    ...h.deps,
    validateNow: validateNowWith(h.deps.validator),
  }));

  beforeAll(async () => {
    for (const tenantId of ['demo', 'beta', 'acme']) {
      const created = await setup.h.call('POST', '/admin/tenants', { body: { tenantId, name: tenantId } });
      expect(created.status).toBe(201);
    }
    await authorizeInto(setup.h, setup.sim, { tenantId: 'demo', integration: 'presence' });
  });

  it('says a validate reached no verdict while Webex answers 5xx, and exits 4, not "is active" with 0', async () => {
    setup.sim.world.faults.update({ next5xx: 20 });
    const failed = await runCliHere([...setup.api, 'validate', 'demo', 'presence']);
    expect(failed.code).toBe(4);
    expect(failed.stdout).toMatch(
      /^Checked, no verdict: Webex did not answer this check normally, so demo\/presence stays active \(1 failed check in a row\)/,
    );
    expect(failed.stdout).not.toMatch(/is active/);

    setup.sim.world.faults.update({ next5xx: 0 });
    const healthy = await runCliHere([...setup.api, 'validate', 'demo', 'presence']);
    expect(healthy).toMatchObject({ code: 0, stdout: 'Checked: demo/presence is active.\n' });
  });

  it('exits 5 once failed checks make the authorization degraded, never saying it is active, and 0 when it recovers', async () => {
    setup.sim.world.faults.update({ next5xx: 200 });
    const codes: number[] = [];
    let last = { code: -1, stdout: '', stderr: '' };
    for (let check = 0; check < 3; check += 1) {
      last = await runCliHere([...setup.api, 'validate', 'demo', 'presence']);
      codes.push(last.code);
    }
    setup.sim.world.faults.update({ next5xx: 0 });
    expect(codes).toEqual([4, 4, 5]);
    expect(last.stdout).toBe('Checked: demo/presence is not healthy: degraded (3 failed checks in a row).\n');
    expect(await setup.h.repos.authorizations.get('demo', 'presence')).toMatchObject({
      status: 'degraded',
    });

    const recovered = await runCliHere([...setup.api, 'validate', 'demo', 'presence']);
    expect(recovered).toMatchObject({ code: 0, stdout: 'Checked: demo/presence is active.\n' });
  });

  it('exits 5 on an invalid authorization the validator skips as not checkable, and 4 on a healthy one it skips', async () => {
    await seedAuthorization(setup.h, 'demo', 'cdr', {
      status: 'invalid',
      cause: 'user_deactivated',
      confidence: 'confirmed',
    });
    const invalid = await runCliHere([...setup.api, 'validate', 'demo', 'cdr']);
    expect(invalid).toMatchObject({
      code: 5,
      stderr: '',
      stdout:
        'Skipped (not_checkable): demo/cdr is not healthy: invalid, cause user_deactivated (confirmed).\n',
    });

    // Another check holds the lease: nothing was checked now, and the record says active.
    const leaseUntil = new Date(setup.h.clock.now().getTime() + 3_600_000).toISOString();
    await seedAuthorization(setup.h, 'demo', 'call-control', { leaseOwner: 'another-check', leaseUntil });
    const leased = await runCliHere([...setup.api, 'validate', 'demo', 'call-control']);
    expect(leased).toMatchObject({
      code: 4,
      stderr: '',
      stdout:
        'Skipped (leased), no verdict: demo/call-control was not checked now; its record says active.\n',
    });
  });

  it('offboards every tenant named, refuses all of them when one is unknown, and refuses a word validate does not take', async () => {
    const unknown = await runCliHere([...setup.api, 'offboard', 'beta', 'nobody', '--yes']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(
      /^webex-auth-keeper: 404 Tenant not found: No tenant "nobody"; nothing was offboarded\n$/,
    );
    expect(await setup.h.repos.tenants.get('beta')).toMatchObject({ status: 'active' });

    const run = await runCliHere([...setup.api, 'offboard', 'beta', 'acme', '--yes']);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(/^Offboarded beta\.$/m);
    expect(run.stdout).toMatch(/^Offboarded acme\.$/m);
    expect(await setup.h.repos.tenants.get('beta')).toMatchObject({ status: 'offboarded' });
    expect(await setup.h.repos.tenants.get('acme')).toMatchObject({ status: 'offboarded' });

    const extra = await runCliHere([...setup.api, 'validate', 'demo', 'presence', 'sso']);
    expect(extra.code).toBe(2);
    expect(extra.stderr).toMatch(/validate demo presence: unexpected argument sso/);
  });

  it('prints its version with --version, as package.json says', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(await runCli(['--version'])).toMatchObject({ code: 0, stdout: `webex-auth-keeper ${version}\n` });
  });
});
