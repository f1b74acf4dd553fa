import { beforeAll, describe, expect, it } from 'vitest';
import { seedAuthorization, type AdminHarness } from '#test-support/admin-harness.js';
import { runCliHere } from '#test-support/cli-process.js';
import { cliAgainstSimulatedWebex } from '#test-support/cli-sim-setup.js';

/*
 * The CLI's commands in this process against a served admin API (DynamoDB Local and the Webex
 * simulator; the harness's validate stand-in answers the record as it is): tenants update with If-Match, one
 * authorization's history, validate's exit codes, progress, --json errors, did-you-mean.
 */
describe('webex-auth-keeper CLI commands against a locally served admin API', () => {
  const setup = cliAgainstSimulatedWebex();
  let h: AdminHarness;
  let api: string[];

  beforeAll(async () => {
    ({ h, api } = setup);
    for (const tenantId of ['acme', 'hist', 'deg', 'bulk', 'one', 'two']) {
      const created = await h.call('POST', '/admin/tenants', {
        body: { tenantId, name: tenantId, contacts: ['a@acme.example'] },
      });
      expect(created.status).toBe(201);
    }
  });

  it('edits the contacts it read and sends the ETag of that read as If-Match', async () => {
    const sent: { method: string; ifMatch: string | undefined; etag: string | null }[] = [];
    const run = await runCliHere(
      [
        ...api,
        'tenants',
        'update',
        'acme',
        '--add-contact',
        'b@acme.example',
        '--remove-contact',
        'a@acme.example',
      ],
      {
        client: {
          fetch: async (url, init) => {
            const answer = await fetch(url, init);
            const headers = (init?.headers ?? {}) as Record<string, string>;
            sent.push({
              method: init?.method ?? 'GET',
              ifMatch: headers['if-match'],
              etag: answer.headers.get('etag'),
            });
            return answer;
          },
        },
      },
    );
    expect(run).toMatchObject({
      code: 0,
      stderr: '',
      stdout: 'Updated tenant acme (acme); Webex org: not bound.\n',
    });
    expect((await h.repos.tenants.get('acme'))?.contacts).toEqual(['b@acme.example']);
    expect(sent.map((request) => request.method)).toEqual(['GET', 'PATCH']);
    expect(sent[0]?.etag).toMatch(/^".+"$/);
    expect(sent[1]?.ifMatch).toBe(sent[0]?.etag);
  });

  it('refuses to overwrite a change made between its read and its write, and writes nothing', async () => {
    const run = await runCliHere([...api, 'tenants', 'update', 'acme', '--add-contact', 'c@acme.example'], {
      client: {
        fetch: async (url, init) => {
          if (init?.method === 'PATCH') {
            const meanwhile = await h.call('PATCH', '/admin/tenants/acme', {
              body: { name: 'Renamed meanwhile' },
            });
            expect(meanwhile.status).toBe(200);
          }
          return fetch(url, init);
        },
      },
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^webex-auth-keeper: 412 /);
    expect(await h.repos.tenants.get('acme')).toMatchObject({
      name: 'Renamed meanwhile',
      contacts: ['b@acme.example'],
    });
  });

  it('refuses adding a contact already there, removing one that is not, or a contradicting pair', async () => {
    const before = await h.repos.tenants.get('acme');
    for (const [args, message] of [
      [['--add-contact', 'B@acme.example'], '--add-contact B@acme.example: already a contact of acme'],
      [['--remove-contact', 'z@acme.example'], '--remove-contact z@acme.example: not a contact of acme'],
      [
        ['--contact', 'x@acme.example', '--add-contact', 'y@acme.example'],
        '--contact and --add-contact do not go together',
      ],
      [['--revoke-authorizations'], 'Nothing to change'],
    ] as const) {
      const run = await runCliHere([...api, 'tenants', 'update', 'acme', ...args]);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(message);
    }
    expect(await h.repos.tenants.get('acme')).toEqual(before);
  });

  it("shows one authorization's history, and refuses an integration the catalog lacks", async () => {
    await seedAuthorization(h, 'hist', 'presence');
    await seedAuthorization(h, 'hist', 'cdr');
    // Offboarding writes a history item per authorization.
    expect((await h.call('DELETE', '/admin/tenants/hist')).status).toBe(200);

    const whole = await runCliHere([...api, 'history', 'hist']);
    expect(whole.stdout).toMatch(/^\S+ \S+\s+cdr\s+revoked/m);
    const one = await runCliHere([...api, 'history', 'hist', 'presence']);
    expect(one.code).toBe(0);
    expect(one.stdout).toMatch(/^\S+ \S+\s+presence\s+revoked\s+revoked/m);
    expect(one.stdout).not.toMatch(/cdr/);
    const json = await runCliHere([...api, '--json', 'history', 'hist', 'presence']);
    const items = (JSON.parse(json.stdout) as { items: { integration: string }[] }).items;
    expect(items.length).toBeGreaterThan(0);
    expect(items.every((item) => item.integration === 'presence')).toBe(true);

    const typo = await runCliHere([...api, 'history', 'hist', 'presense']);
    expect(typo.code).toBe(1);
    expect(typo.stderr).toMatch(/^webex-auth-keeper: 404 /);
  });

  it('exits 5 on a degraded authorization with failed checks, and never says it is active', async () => {
    await seedAuthorization(h, 'deg', 'presence', { status: 'degraded', consecutiveFailures: 3 });
    const run = await runCliHere([...api, 'validate', 'deg', 'presence']);
    expect(run).toMatchObject({
      code: 5,
      stderr: '',
      stdout: 'Checked: deg/presence is not healthy: degraded (3 failed checks in a row).\n',
    });
    const json = await runCliHere([...api, '--json', 'validate', 'deg', 'presence']);
    expect(json.code).toBe(5);
    expect(JSON.parse(json.stdout)).toMatchObject({ authorization: { status: 'degraded' } });
  });

  it('validates each authorization of a tenant, shows progress only on a terminal, and exits with the worst verdict', async () => {
    await seedAuthorization(h, 'bulk', 'presence');
    await seedAuthorization(h, 'bulk', 'cdr', { status: 'invalid', cause: 'unknown', confidence: 'unknown' });
    const onTerminal = await runCliHere([...api, 'validate', 'bulk'], { stderrIsTty: true });
    expect(onTerminal.code).toBe(5);
    expect(onTerminal.stdout).toContain('Checked: bulk/presence is active.\n');
    expect(onTerminal.stdout).toContain(
      'Checked: bulk/cdr is not healthy: invalid, cause unknown (unknown).\n',
    );
    expect(onTerminal.stderr).toContain('[1/2] validating bulk/');
    expect(onTerminal.stderr).toContain('[2/2] validating bulk/');

    const piped = await runCliHere([...api, 'validate', 'bulk'], { stderrIsTty: false });
    expect(piped).toMatchObject({ code: 5, stderr: '' });
    const json = await runCliHere([...api, '--json', 'validate', 'bulk'], { stderrIsTty: true });
    expect(json).toMatchObject({ code: 5, stderr: '' });
    expect((JSON.parse(json.stdout) as { items: unknown[] }).items).toHaveLength(2);
  });

  it('offboards several tenants with progress on a terminal, and the receipts of each as JSON', async () => {
    const run = await runCliHere([...api, 'offboard', 'one', 'two', '--yes'], { stderrIsTty: true });
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('[1/2] offboarding one');
    expect(run.stderr).toContain('[2/2] offboarding two');
    expect(run.stdout).toMatch(/^Offboarded one\.\n[\s\S]*^Offboarded two\.$/m);
    const again = await runCliHere([...api, '--json', 'offboard', 'one', 'two', '--yes'], {
      stderrIsTty: true,
    });
    expect(again.stderr).toBe('');
    const receipts = JSON.parse(again.stdout) as { items: { tenantId: string }[] };
    expect(receipts.items.map((receipt) => receipt.tenantId)).toEqual(['one', 'two']);

    const twice = await runCliHere([...api, 'offboard', 'one', 'one', '--yes']);
    expect(twice).toMatchObject({ code: 2, stdout: '' });
    expect(twice.stderr).toContain('one is named twice');
  });

  it('prints errors as JSON on stderr with --json: an API problem and bad usage', async () => {
    const missing = await runCliHere([...api, '--json', 'tenants', 'show', 'nobody']);
    expect(missing).toMatchObject({ code: 1, stdout: '' });
    expect(JSON.parse(missing.stderr)).toEqual({
      error: {
        type: 'urn:webex-auth-keeper:problem:tenant-not-found',
        title: 'Tenant not found',
        detail: 'No tenant "nobody"',
        status: 404,
      },
    });
    const usage = await runCliHere([...api, 'tenants', 'lst', '--json']);
    expect(usage).toMatchObject({ code: 2, stdout: '' });
    expect(JSON.parse(usage.stderr)).toEqual({
      error: {
        type: 'urn:webex-auth-keeper:cli:usage',
        title: 'Bad usage',
        detail: "unknown command 'lst' (did you mean list?)",
      },
    });
  });

  it('refuses mistyped commands and options with the nearest one, and words a command does not take', async () => {
    const command = await runCliHere([...api, 'tenant', 'list']);
    expect(command).toMatchObject({ code: 2, stdout: '' });
    expect(command.stderr).toMatch(
      /^webex-auth-keeper: unknown command 'tenant' \(did you mean tenants\?\)\n/,
    );
    const option = await runCliHere([
      ...api,
      'tenants',
      'create',
      'x',
      '--name',
      'X',
      '--contcat',
      'a@x.example',
    ]);
    expect(option.code).toBe(2);
    expect(option.stderr).toMatch(/unknown option '--contcat' \(did you mean --contact\?\)/);
    const extra = await runCliHere([...api, 'tenants', 'show', 'acme', 'bulk']);
    expect(extra.code).toBe(2);
    expect(extra.stderr).toMatch(/tenants show acme: unexpected argument bulk/);
    expect(await h.repos.tenants.get('x')).toBeUndefined();
  });

  it('prints the help of each command with its own options', async () => {
    const help = await runCliHere(['tenants', 'update', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: webex-auth-keeper tenants update \[options\] <id>/);
    expect(help.stdout).toContain('--add-contact <email>');
    expect(help.stdout).not.toContain('tenants purge');
    const viaHelp = await runCliHere(['help', 'tenants']);
    expect(viaHelp.code).toBe(0);
    expect(viaHelp.stdout).toMatch(/^Usage: webex-auth-keeper tenants \[options\] \[command\]/);
    const noCommand = await runCliHere(['tenants']);
    expect(noCommand).toMatchObject({ code: 2, stdout: '' });
    expect(noCommand.stderr).toMatch(/^Usage: webex-auth-keeper tenants/);
    const board = await runCliHere(['status-board', '--help']);
    expect(board.stdout).toMatch(/^Usage: webex-auth-keeper status-board \[options\]/);
  });

  it("prints the status board's totals and rows from today's board answer", async () => {
    const run = await runCliHere([...api, 'status-board']);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(/^Tenants: 6, authorizations: \d+\.$/m);
    expect(run.stdout).toMatch(/^By status: .*active \d+/m);
    expect(run.stdout).toMatch(/^TENANT\s+INTEGRATION\s+STATUS\s+CAUSE$/m);
    expect(run.stdout).toMatch(/^bulk\s+cdr\s+invalid\s+unknown \(unknown\)$/m);
    const json = await runCliHere([...api, '--json', 'status-board']);
    expect(JSON.parse(json.stdout)).toEqual((await h.call('GET', '/admin/status-board')).body);
  });
});
