import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { seedAuthorization } from '#test-support/admin-harness.js';
import { useServedAdminApi } from '#test-support/admin-server.js';
import { runCli, runCliHere } from '#test-support/cli-process.js';

const BIN = fileURLToPath(new URL('../../cli/bin.mjs', import.meta.url));
const ROOT = new URL('../../', import.meta.url);

/**
 * The CLI's commands in this process (each node process start takes a second or more); the
 * last test runs the binary as a user would, for its exit codes and environment.
 */
const cli = runCliHere;

describe('webex-auth-keeper CLI against a locally served admin API', () => {
  const served = useServedAdminApi();

  it('creates, lists and shows tenants as tables', async () => {
    const created = await cli([
      ...served.api,
      'tenants',
      'create',
      'acme',
      '--name',
      'Acme Corp',
      '--contact',
      'ops@acme.example',
      '--sso',
    ]);
    expect(created).toMatchObject({ code: 0, stderr: '' });
    expect(created.stdout).toBe('Created tenant acme (Acme Corp).\n');
    await cli([...served.api, 'tenants', 'create', 'beta', '--name', 'Beta']);
    await seedAuthorization(served.h, 'acme', 'presence');
    await served.h.repos.tenants.suppressContact('acme', {
      email: 'ops@acme.example',
      reason: 'bouncing',
      at: '2026-11-25T09:00:00.000Z',
    });

    const list = await cli([...served.api, 'tenants', 'list']);
    expect(list.code).toBe(0);
    expect(list.stdout.split('\n')[0]).toMatch(/^TENANT\s+NAME\s+STATUS\s+SSO\s+CONTACTS$/);
    expect(list.stdout).toMatch(/^acme\s+Acme Corp\s+active\s+yes\s+ops@acme\.example$/m);
    expect(list.stdout).toMatch(/^beta\s+Beta\s+active\s+no\s+-$/m);

    const show = await cli([...served.api, 'tenants', 'show', 'acme']);
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/^name\s+Acme Corp$/m);
    expect(show.stdout).toMatch(/^not mailed\s+ops@acme\.example \(bouncing since 2026-11-25 09:00Z\)$/m);
    expect(show.stdout).toMatch(/^presence\s+active\s+-\s+admin@customer\.example\s+2026-12-09 10:00Z/m);
    expect(show.stdout).toMatch(/^users-sync\s+not authorized/m);
    expect(show.stdout).not.toMatch(/SECRET/);
  });

  it('prints tenants show as the API tenant and authorizations with --json', async () => {
    const show = await cli([...served.api, '--json', 'tenants', 'show', 'acme']);
    expect(show).toMatchObject({ code: 0, stderr: '' });
    const body = JSON.parse(show.stdout) as {
      tenant: Record<string, unknown>;
      authorizations: { items: Record<string, unknown>[]; missing: string[] };
    };
    expect(Object.keys(body).sort()).toEqual(['authorizations', 'tenant']);
    expect(body.tenant).toMatchObject({
      tenantId: 'acme',
      name: 'Acme Corp',
      status: 'active',
      sso: true,
      contacts: ['ops@acme.example'],
      linkVersion: 1,
    });
    expect(body.authorizations.items).toHaveLength(1);
    expect(body.authorizations.items[0]).toMatchObject({
      integration: 'presence',
      status: 'active',
      authorizer: { email: 'admin@customer.example' },
      accessTokenExpiresAt: '2026-12-09T10:00:00.000Z',
      refreshTokenExpiresAt: '2027-02-23T10:00:00.000Z',
    });
    expect(body.authorizations.missing).toContain('users-sync');
    expect(body.authorizations.missing).not.toContain('presence');
    // Exactly what the admin API answers, nothing added or dropped.
    expect(body).toEqual({
      tenant: (await served.h.call('GET', '/admin/tenants/acme')).body,
      authorizations: (await served.h.call('GET', '/admin/tenants/acme/authorizations')).body,
    });
    expect(show.stdout).not.toMatch(/SECRET/);
  });

  it('pages through every tenant with --all, and prints JSON with --json', async () => {
    const all = await cli([...served.api, '--json', 'tenants', 'list', '--limit', '1', '--all']);
    expect(all.code).toBe(0);
    const body = JSON.parse(all.stdout) as { items: { tenantId: string }[]; cursor?: string };
    expect(body.items.map((tenant) => tenant.tenantId)).toEqual(['acme', 'beta']);
    expect(body.cursor).toBeUndefined();

    const one = await cli([...served.api, 'tenants', 'list', '--limit', '1']);
    expect(one.stdout).toContain('(more tenants: add --all)');
  });

  it('issues and revokes onboarding links', async () => {
    const link = await cli([...served.api, 'link', 'acme', '--days', '3']);
    expect(link.code).toBe(0);
    expect(link.stdout).toMatch(
      /^https:\/\/auth\.example\.test\/connect\/\S+\nValid until 2026-11-28 10:00Z\.\n$/,
    );

    const revoked = await cli([...served.api, 'link', 'acme', '--revoke']);
    expect(revoked).toMatchObject({
      code: 0,
      stdout: 'Revoked every onboarding link of acme (link version now 2).\n',
    });
  });

  it('prints an issued and a revoked link as JSON with --json', async () => {
    const link = await cli([...served.api, '--json', 'link', 'acme', '--days', '5']);
    expect(link).toMatchObject({ code: 0, stderr: '' });
    const issued = JSON.parse(link.stdout) as { url: string; expiresAt: string; linkVersion: number };
    expect(issued).toMatchObject({ expiresAt: '2026-11-30T10:00:00.000Z', linkVersion: 2 });
    expect(issued.url).toMatch(/^https:\/\/auth\.example\.test\/connect\/[^\s/]+$/);

    const revoke = await cli([...served.api, '--json', 'link', 'acme', '--revoke']);
    expect(revoke).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(revoke.stdout)).toEqual({ tenantId: 'acme', linkVersion: 3, revoked: true });
    expect(await served.h.repos.tenants.get('acme')).toMatchObject({ linkVersion: 3 });
  });

  it('validates an authorization now', async () => {
    const run = await cli([...served.api, 'validate', 'acme', 'presence']);
    expect(run).toMatchObject({ code: 0, stdout: 'Checked: acme/presence is active.\n' });
  });

  it('prints the validation outcome and record as JSON with --json', async () => {
    served.h.clock.advance(60);
    const run = await cli([...served.api, '--json', 'validate', 'acme', 'presence']);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const body = JSON.parse(run.stdout) as { outcome: unknown; authorization: Record<string, unknown> };
    expect(Object.keys(body).sort()).toEqual(['authorization', 'outcome']);
    expect(body.outcome).toEqual({ kind: 'checked', refreshed: false });
    expect(body.authorization).toMatchObject({
      integration: 'presence',
      status: 'active',
      validatedAt: '2026-11-25T10:01:00.000Z',
    });
    expect(served.h.validateCalls.at(-1)).toEqual({ tenantId: 'acme', integration: 'presence' });
    expect(await served.h.repos.authorizations.get('acme', 'presence')).toMatchObject({
      validatedAt: '2026-11-25T10:01:00.000Z',
    });
    expect(run.stdout).not.toMatch(/SECRET/);
  });

  it('offboards only with --yes', async () => {
    const refused = await cli([...served.api, 'offboard', 'beta']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/add --yes to go ahead/);
    expect(await served.h.repos.tenants.get('beta')).toMatchObject({ status: 'active' });

    await seedAuthorization(served.h, 'beta', 'presence');
    const done = await cli([...served.api, 'offboard', 'beta', '--yes']);
    expect(done.code).toBe(0);
    const lines = done.stdout.split('\n');
    expect(lines[0]).toBe('Offboarded beta.');
    expect(lines[1]).toMatch(/^INTEGRATION\s+WAS\s+AT WEBEX\s+TOKENS DELETED$/);
    // The harness's Webex is unreachable, so the revocation at Webex fails; the tokens go anyway.
    expect(lines[2]).toMatch(/^presence\s+active\s+failed\s+yes$/);
    // The receipt: the reason it failed, until when Webex still accepts the token, how to end it,
    // and when the tokens were deleted here.
    expect(lines[3]).toBe('');
    expect(lines[4]).toBe('Receipt:');
    expect(lines[5]).toMatch(
      /^presence: Revocation at Webex failed \(unexpected Error\)\. No copy remains here, but Webex accepts the access token until \S+ and the grant until \S+\. To end it at Webex now, .*Apps > Integrations.* Tokens deleted here at \S+\.$/,
    );
    expect(await served.h.repos.tenants.get('beta')).toMatchObject({ status: 'offboarded' });
  });

  it('prints a created tenant and the offboarding report as JSON with --json', async () => {
    const created = await cli([...served.api, '--json', 'tenants', 'create', 'gamma', '--name', 'Gamma']);
    expect(created).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(created.stdout)).toMatchObject({
      tenantId: 'gamma',
      name: 'Gamma',
      status: 'active',
      sso: false,
      contacts: [],
      linkVersion: 1,
    });
    await seedAuthorization(served.h, 'gamma', 'presence');

    const done = await cli([...served.api, '--json', 'offboard', 'gamma', '--yes']);
    expect(done).toMatchObject({ code: 0, stderr: '' });
    const tenant = await served.h.repos.tenants.get('gamma');
    expect(tenant).toMatchObject({ status: 'offboarded' });
    expect(JSON.parse(done.stdout)).toEqual({
      tenantId: 'gamma',
      status: 'offboarded',
      offboardedAt: tenant?.updatedAt,
      authorizations: [
        {
          integration: 'presence',
          previousStatus: 'active',
          webexRevocation: 'failed',
          atWebex: expect.objectContaining({
            outcome: 'failed',
            reason: 'unexpected Error',
            accessTokenValidUntil: expect.any(String),
            refreshTokenValidUntil: expect.any(String),
            controlHubStep: expect.stringContaining('Apps > Integrations'),
          }),
          secretDestroyed: true,
          secretDestroyedAt: expect.any(String),
        },
      ],
    });
    expect(await served.h.repos.authorizations.get('gamma', 'presence')).toMatchObject({ status: 'revoked' });
    expect(done.stdout).not.toMatch(/SECRET/);
  });

  it('shows an invalid authorization with its cause and how sure the cause is', async () => {
    await cli([...served.api, 'tenants', 'create', 'causes', '--name', 'Causes']);
    await seedAuthorization(served.h, 'causes', 'cdr', {
      status: 'invalid',
      cause: 'password_change_or_deactivation_or_role_removal',
      confidence: 'likely',
      nextCheckAt: undefined,
    });
    const show = await cli([...served.api, 'tenants', 'show', 'causes']);
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(
      /^cdr\s+invalid\s+password_change_or_deactivation_or_role_removal \(likely\)\s+admin@customer\.example/m,
    );
    const json = await cli([...served.api, '--json', 'tenants', 'show', 'causes']);
    const body = JSON.parse(json.stdout) as { authorizations: { items: Record<string, unknown>[] } };
    expect(body.authorizations.items[0]).toMatchObject({
      cause: 'password_change_or_deactivation_or_role_removal',
      confidence: 'likely',
    });
  });

  it('prints a refused request as one line and exits 1', async () => {
    const missing = await cli([...served.api, 'tenants', 'show', 'nobody']);
    expect(missing).toMatchObject({
      code: 1,
      stdout: '',
      stderr: 'webex-auth-keeper: 404 Tenant not found: No tenant "nobody"\n',
    });

    const invalid = await cli([...served.api, 'tenants', 'create', 'Bad Id', '--name', 'X']);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr.trim().split('\n')).toHaveLength(1);
    expect(invalid.stderr).toMatch(
      /^webex-auth-keeper: 400 Invalid request: Invalid body: tenantId: must be a lowercase slug/,
    );
  });

  it('exits 2 on bad usage and 3 when the API cannot be reached', async () => {
    expect((await cli([...served.api, 'tenants', 'create', 'x'])).stderr).toMatch(
      /required option '--name <name>' not specified/,
    );
    expect((await cli([...served.api, 'frobnicate'])).code).toBe(2);
    expect((await cli([...served.api, 'tenants', 'list', '--limit', 'ten'])).code).toBe(2);
    expect((await cli([...served.api, 'tenants', 'list', '--bogus'])).code).toBe(2);
    const insecure = await runCli(['--api', 'http://admin.example.com', 'tenants', 'list']);
    expect(insecure.code).toBe(2);
    expect(insecure.stderr).toMatch(/Plain http is only for the local run/);

    const down = await runCli(['tenants', 'list'], { WEBEX_AUTH_KEEPER_API: 'http://127.0.0.1:9' });
    expect(down.code).toBe(3);
    expect(down.stderr).toMatch(/^webex-auth-keeper: Cannot reach http:\/\/127\.0\.0\.1:9/);
  });
});

/** The package a bare import specifier names: `zod`, `tsx/esm/api` -> `tsx`, `@smithy/x/y` -> `@smithy/x`. */
function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return (specifier.startsWith('@') ? parts.slice(0, 2) : parts.slice(0, 1)).join('/');
}

/** Where a `#alias/...` specifier points, by package.json's `imports` (`#domain/x.js` -> functions/domain/x.js). */
function resolveAlias(specifier: string, imports: Record<string, string>): URL {
  for (const [pattern, target] of Object.entries(imports)) {
    const prefix = pattern.replace(/\*$/, '');
    if (specifier.startsWith(prefix))
      return new URL(target.replace('*', specifier.slice(prefix.length)), ROOT);
  }
  throw new Error(`${specifier} matches no alias in package.json's imports`);
}

/**
 * Every module the CLI loads at run time: follows the relative and `#` aliased imports from
 * cli/bin.mjs (a `.js` import is its `.ts` source) and collects the bare specifiers. `import type` and `export type`
 * are erased by the loader; anything else counts, even when only types are used from it.
 */
function runtimeImports(
  entry: URL,
  imports: Record<string, string>,
): { files: string[]; packages: Set<string> } {
  const files: string[] = [];
  const packages = new Set<string>();
  const pending = [entry];
  const importPattern = /(?:^|[\s;])(?:import|export)\s+(type\s+)?(?:[^'";]*?\bfrom\s*)?['"]([^'"]+)['"]/g;
  const dynamicPattern = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (let file = pending.pop(); file; file = pending.pop()) {
    const path = fileURLToPath(file);
    if (files.includes(path)) continue;
    files.push(path);
    const source = readFileSync(file, 'utf8');
    const specifiers = [
      ...[...source.matchAll(importPattern)].filter((m) => !m[1]).map((m) => m[2] ?? ''),
      ...[...source.matchAll(dynamicPattern)].map((m) => m[1] ?? ''),
    ];
    for (const specifier of specifiers) {
      if (specifier.startsWith('.')) pending.push(new URL(specifier.replace(/\.js$/, '.ts'), file));
      else if (specifier.startsWith('#'))
        pending.push(new URL(resolveAlias(specifier, imports).href.replace(/\.js$/, '.ts')));
      else if (!specifier.startsWith('node:') && !builtinModules.includes(specifier))
        packages.add(packageOf(specifier));
    }
  }
  return { files, packages };
}

interface LockEntry {
  dev?: boolean;
  optional?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

describe('the bin entry in a production install (npm ci --omit=dev)', () => {
  const manifest = JSON.parse(readFileSync(new URL('package.json', ROOT), 'utf8')) as {
    bin: Record<string, string>;
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
    imports: Record<string, string>;
  };
  const lock = JSON.parse(readFileSync(new URL('package-lock.json', ROOT), 'utf8')) as {
    packages: Record<string, LockEntry>;
  };
  const { files, packages } = runtimeImports(
    new URL(manifest.bin['webex-auth-keeper'] ?? '', ROOT),
    manifest.imports,
  );

  it('finds the CLI sources and the packages they import', () => {
    expect(manifest.bin['webex-auth-keeper']).toBe('cli/bin.mjs');
    expect(files).toContain(BIN);
    expect(files).toContain(fileURLToPath(new URL('cli/webex-auth-keeper.ts', ROOT)));
    expect(files).toContain(fileURLToPath(new URL('cli/api-client.ts', ROOT)));
    expect([...packages]).toEqual(expect.arrayContaining(['tsx', 'zod', '@smithy/signature-v4']));
  });

  it('declares every package the CLI loads in dependencies, not devDependencies', () => {
    const notProduction = [...packages].filter((name) => manifest.dependencies[name] === undefined);
    expect(notProduction).toEqual([]);
  });

  it('has a lock file that installs each of them, and what they need, without dev packages', () => {
    // Where npm's resolution finds `name` from the package at `from` (nearest node_modules up).
    const resolve = (from: string, name: string): string | undefined => {
      for (let base = from; ; base = base.slice(0, Math.max(0, base.lastIndexOf('/node_modules/')))) {
        const path = `${base ? `${base}/` : ''}node_modules/${name}`;
        if (lock.packages[path]) return path;
        if (!base) return undefined;
      }
    };
    const problems: string[] = [];
    const seen = new Set<string>();
    const visit = (from: string, name: string, optional: boolean) => {
      const path = resolve(from, name);
      if (!path) {
        // An optional package missing from the lock is another platform's binary.
        if (!optional) problems.push(`${name} (needed by ${from || 'the CLI'}) is not in the lock file`);
        return;
      }
      if (seen.has(path)) return;
      seen.add(path);
      const entry = lock.packages[path] ?? {};
      if (entry.dev) problems.push(`${path} is a dev-only package in the lock file`);
      for (const dep of Object.keys(entry.dependencies ?? {})) visit(path, dep, false);
      for (const dep of Object.keys(entry.optionalDependencies ?? {})) visit(path, dep, true);
    };
    for (const name of packages) visit('', name, false);
    expect(problems).toEqual([]);
    expect(seen.has('node_modules/tsx')).toBe(true);
    expect(seen.has('node_modules/esbuild')).toBe(true);
  });
});
