import { notifierPreview } from '#test-support/notifier-harness.js';
import { describe, expect, it } from 'vitest';
import { defaultCatalog } from '#adapters/catalog-file.js';
import { isTransientAwsFailure } from '#commons/transient-failures.js';
import { handleCheckError, withoutCheckErrors } from '#domain/check-failures.js';
import { AUTHORIZATION_STATUSES, dueAt, tokenMaterialSchema } from '#domain/model.js';
import { ConflictError, WebexError } from '#domain/ports.js';
import { canRecheck, CHECK_FAILING_AFTER_ERRORS } from '#domain/status-machine.js';
import { DEFAULT_VALIDATOR_CONFIG, type ValidatorDependencies } from '#domain/validator-config.js';
import {
  FakeWebex,
  InMemoryAuthorizationRepository,
  InMemoryTenantRepository,
  ManualClock,
  MemoryTokenVault,
  RecordingLog,
  RecordingPublisher,
} from '#test-support/fakes/index.js';
import {
  UNOPENED_SEALED_TOKENS,
  fakeMaterial,
  grantedAuthorization,
  testTenant,
} from '#test-support/fixtures.js';

const key = { tenantId: 'acme', integration: 'presence' };

function world() {
  const clock = new ManualClock();
  const authorizations = new InMemoryAuthorizationRepository();
  const tenants = new InMemoryTenantRepository();
  tenants.put(testTenant());
  const material = fakeMaterial(clock.now(), 'presence');
  authorizations.put({
    ...grantedAuthorization({ ...key, material, sealedTokens: UNOPENED_SEALED_TOKENS, now: clock.now() }),
    version: 1,
    nextCheckAt: clock.now().toISOString(),
  });
  // Each publication carries the mail the notifier writes about it.
  const events = new RecordingPublisher((event) =>
    notifierPreview({ ...deps, passwordMaxAgeDays: 1825 })(event),
  );
  const log = new RecordingLog();
  const deps: ValidatorDependencies = {
    authorizations,
    tenants,
    vault: new MemoryTokenVault(),
    webex: new FakeWebex(clock),
    clientSecrets: { get: async () => 'secret' },
    events,
    clock,
    catalog: defaultCatalog(),
    config: DEFAULT_VALIDATOR_CONFIG,
    reauthorizeLink: async () => 'https://keeper.example/connect/x',
    isTransientFailure: isTransientAwsFailure,
    log,
  };
  return { deps, authorizations, events, log, clock };
}

/** What the Secrets Manager vault throws for material that does not parse: our bad data. */
function unparsableMaterial(): unknown {
  return tokenMaterialSchema.safeParse({ accessToken: 'ACCESS-SECRET-presence' }).error;
}

describe('a check that throws', () => {
  it(`counts each throw, and the ${CHECK_FAILING_AFTER_ERRORS}rd in a row makes it check_failing with one ops alert`, async () => {
    const { deps, authorizations, events, log, clock } = world();
    const handlings = [];
    for (let attempt = 1; attempt <= CHECK_FAILING_AFTER_ERRORS; attempt += 1) {
      clock.advance(900);
      handlings.push(await handleCheckError(deps, key, unparsableMaterial()));
    }
    expect(handlings.map((handling) => handling.kind)).toEqual(['counted', 'counted', 'check_failing']);
    const last = handlings.at(-1)!;
    const errorId = 'errorId' in last ? last.errorId : '';

    const record = (await authorizations.get(key.tenantId, key.integration))!;
    expect(record).toMatchObject({
      status: 'check_failing',
      checkErrors: CHECK_FAILING_AFTER_ERRORS,
      lastCheckError: { errorId, at: clock.now().toISOString() },
    });
    expect(record.pendingEvent).toBeUndefined();
    // Out of the sweep: no due time at all.
    expect(dueAt(record)).toBeUndefined();

    expect(events.types()).toEqual(['presence:check_failing']);
    const [{ event, alert }] = events.published as [(typeof events.published)[number]];
    expect(event).toMatchObject({ errorId, status: 'check_failing', previousStatus: 'active' });
    expect(alert?.audience).toBe('ops');
    expect(alert?.text).toContain(errorId);
    expect(alert?.text).toContain('Acme Corp');
    // The error itself is in the log line with the id, never in the event or the mail.
    expect(JSON.stringify(events.published)).not.toContain('ACCESS-SECRET');
    expect(JSON.stringify(events.published)).not.toMatch(/expected string|refreshToken/);
    const line = log.lines.find(
      (entry) => entry.attributes.errorId === errorId && 'error' in entry.attributes,
    );
    expect(line?.level).toBe('error');

    // A fourth throw (a duplicate message) neither counts nor alerts again.
    expect((await handleCheckError(deps, key, unparsableMaterial())).kind).toBe('retry');
    expect(events.types()).toEqual(['presence:check_failing']);
  });

  it('is not counted when it is a passing platform failure, a conflict or a transient Webex failure', async () => {
    const { deps, authorizations } = world();
    const throttled = Object.assign(new Error('Rate exceeded'), {
      name: 'ThrottlingException',
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
    });
    const serverFault = Object.assign(new Error('Internal'), {
      name: 'InternalServerError',
      $fault: 'server',
      $metadata: { httpStatusCode: 500 },
    });
    for (const error of [
      throttled,
      serverFault,
      Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
      new ConflictError('changed'),
      new WebexError('transient', 'busy', { status: 503 }),
    ]) {
      expect(await handleCheckError(deps, key, error)).toEqual({ kind: 'retry' });
    }
    expect((await authorizations.get(key.tenantId, key.integration))?.checkErrors).toBeUndefined();
  });

  it('reads an AWS client fault or an error of ours as not passing', () => {
    const missingSecret = Object.assign(new Error('not found'), {
      name: 'ResourceNotFoundException',
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
    });
    expect(isTransientAwsFailure(missingSecret)).toBe(false);
    expect(isTransientAwsFailure(unparsableMaterial())).toBe(false);
    expect(isTransientAwsFailure(new TypeError('x is undefined'))).toBe(false);
    expect(isTransientAwsFailure('a string')).toBe(false);
  });

  it('logs tokens that do not open with tenant and integration, never a token or the ciphertext', async () => {
    const { deps, authorizations, log } = world();
    const vault = new MemoryTokenVault();
    const sealed = await vault.seal(key, fakeMaterial(new Date(), 'presence'));
    // Sealed for acme, found on globex's item: the vault refuses it.
    const refusal = await vault
      .open({ ...key, tenantId: 'globex' }, sealed)
      .catch((thrown: unknown) => thrown as Error);
    expect(await handleCheckError(deps, key, refusal)).toMatchObject({ kind: 'counted' });
    // The logged error as Powertools writes it: name, message, stack.
    const logged = JSON.stringify(
      log.lines.map((line) =>
        Object.entries(line.attributes).map(([name, value]) => [
          name,
          value instanceof Error ? { name: value.name, message: value.message, stack: value.stack } : value,
        ]),
      ),
    );
    expect(logged).toContain('TokenVaultError');
    expect(logged).toContain('globex/presence');
    for (const secret of [...vault.allTokens(), ...vault.allCiphertexts()])
      expect(logged).not.toContain(secret);
    expect((await authorizations.get(key.tenantId, key.integration))?.status).toBe('active');
  });

  it('starts counting again after a check that completes', async () => {
    const { deps, authorizations } = world();
    await handleCheckError(deps, key, unparsableMaterial());
    await handleCheckError(deps, key, unparsableMaterial());
    const counted = (await authorizations.get(key.tenantId, key.integration))!;
    // What the validator saves after a completed check.
    await authorizations.save(withoutCheckErrors(counted), counted.version);
    expect(await handleCheckError(deps, key, unparsableMaterial())).toMatchObject({
      kind: 'counted',
      checkErrors: 1,
    });
  });

  it('leaves an authorization that is not checked (invalid, revoked) to SQS', async () => {
    const { deps, authorizations } = world();
    const record = (await authorizations.get(key.tenantId, key.integration))!;
    await authorizations.save({ ...record, status: 'invalid', cause: 'unknown' }, record.version);
    expect(await handleCheckError(deps, key, unparsableMaterial())).toEqual({ kind: 'retry' });
  });
});

describe('canRecheck', () => {
  it('takes up invalid and check_failing records only: the others are in the sweep or gone', () => {
    expect(AUTHORIZATION_STATUSES.filter((status) => canRecheck(status))).toEqual([
      'invalid',
      'check_failing',
    ]);
  });
});
