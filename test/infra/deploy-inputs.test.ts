import { runCdkApp } from './support.js';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CHECK_INTERVAL_MINUTES, DeployInputsError, readDeployInputs } from '#lib/deploy-inputs.js';

const CERTIFICATE = 'arn:aws:acm:eu-west-1:123456789012:certificate/12345678-1234-1234-1234-123456789012';

const USERS_SYNC = {
  key: 'users-sync',
  name: 'Users sync',
  integrationId: `C${'a'.repeat(64)}`,
  scopes: ['spark:people_read'],
};
const VALID_CATALOG = JSON.stringify(
  {
    version: 1,
    integrations: [USERS_SYNC],
  },
  null,
  2,
);

function read(context: Record<string, unknown>, files: Record<string, string> = {}) {
  return readDeployInputs({
    getContext: (key) => context[key],
    contextKeysGiven: () => Object.keys(context),
    baseDir: '/deploy',
    readTextFile: (path) => {
      const text = files[path];
      if (text === undefined) throw new Error(`ENOENT: ${path}`);
      return text;
    },
  });
}

describe('deploy inputs', () => {
  it('defaults everything but the ops e-mail, which is left to the stack parameter', () => {
    const inputs = read({});
    expect(inputs).toMatchObject({
      stackName: 'WebexAuthKeeper',
      sweepRateMinutes: 15,
      checkIntervalMinutes: DEFAULT_CHECK_INTERVAL_MINUTES,
      orgChecksInFlight: 10,
      orgWebexCallsPerMinute: 600,
      passwordMaxAgeDays: 1825,
      linkTtlDays: 14,
      retainData: true,
    });
    expect(inputs.opsAlertEmail).toBeUndefined();
    expect(inputs.customDomain).toBeUndefined();
    expect(inputs.catalogJson).toBeUndefined();
    expect(inputs.catalog.keys).toEqual(['users-sync', 'presence', 'call-control', 'cdr', 'sso']);
  });

  it('accepts command-line strings for numbers and booleans', () => {
    const inputs = read({
      opsAlertEmail: 'ops@vendor.example',
      sweepRateMinutes: '5',
      passwordMaxAgeDays: '90',
      linkTtlDays: '7',
      retainData: 'false',
    });
    expect(inputs).toMatchObject({
      opsAlertEmail: 'ops@vendor.example',
      sweepRateMinutes: 5,
      passwordMaxAgeDays: 90,
      linkTtlDays: 7,
      retainData: false,
    });
  });

  it('takes the alert policy in minutes, defaulting to docs/alerts.md, and refuses one out of bounds naming its key', () => {
    expect(read({})).toMatchObject({
      incidentWindowMinutes: 5,
      flapWindowMinutes: 30,
      flapsPerDayFlagged: 3,
      digestPeriodMinutes: 60,
    });
    expect(
      read({
        incidentWindowMinutes: '2',
        flapWindowMinutes: '90',
        flapsPerDayFlagged: '10',
        digestPeriodMinutes: '1440',
      }),
    ).toMatchObject({
      incidentWindowMinutes: 2,
      flapWindowMinutes: 90,
      flapsPerDayFlagged: 10,
      digestPeriodMinutes: 1440,
    });
    for (const [key, value] of [
      ['incidentWindowMinutes', '0'],
      ['incidentWindowMinutes', '61'],
      ['flapWindowMinutes', '1441'],
      ['flapsPerDayFlagged', '0'],
      ['digestPeriodMinutes', '2.5'],
      ['digestPeriodMinutes', 'hourly'],
    ] as const) {
      expect(() => read({ [key]: value })).toThrow(new RegExp(`Invalid deploy context: .*${key}`));
    }
  });

  it('takes the mail domain of the SES identity', () => {
    expect(read({ mailDomain: 'mail.vendor.example' }).mailDomain).toBe('mail.vendor.example');
  });

  it('sets the check interval apart from the sweep rate', () => {
    expect(read({ sweepRateMinutes: '5', checkIntervalMinutes: '60' })).toMatchObject({
      sweepRateMinutes: 5,
      checkIntervalMinutes: 60,
    });
    // Not given, it is never shorter than the sweep period: a sweep can only probe what is due.
    expect(read({ sweepRateMinutes: '120' }).checkIntervalMinutes).toBe(120);
    expect(read({ stackName: 'staging' }).stackName).toBe('staging');
  });

  it('reads the Webex call budget per org from the command line', () => {
    expect(read({ orgChecksInFlight: '4', orgWebexCallsPerMinute: '120' })).toMatchObject({
      orgChecksInFlight: 4,
      orgWebexCallsPerMinute: 120,
    });
  });

  it('treats an empty -c value as not given', () => {
    expect(read({ opsAlertEmail: '' }).opsAlertEmail).toBeUndefined();
  });

  it.each([
    [{ opsAlertEmail: 'not-an-email' }, /opsAlertEmail/],
    [{ mailDomain: 'alerts@vendor.example' }, /mailDomain/],
    [{ mailDomain: 'Mail.Vendor.Example' }, /mailDomain/],
    [{ sweepRateMinutes: '0' }, /sweepRateMinutes/],
    [{ sweepRateMinutes: 'often' }, /sweepRateMinutes/],
    [{ checkIntervalMinutes: '0' }, /checkIntervalMinutes/],
    [{ orgChecksInFlight: '0' }, /orgChecksInFlight/],
    [{ orgChecksInFlight: 'many' }, /orgChecksInFlight/],
    [{ orgWebexCallsPerMinute: '5' }, /orgWebexCallsPerMinute/],
    [{ orgWebexCallsPerMinute: 2.5 }, /orgWebexCallsPerMinute/],
    [
      { sweepRateMinutes: '30', checkIntervalMinutes: '20' },
      /checkIntervalMinutes: must be at least sweepRateMinutes \(30\)/,
    ],
    [{ stackName: 'prod_eu' }, /stackName/],
    [{ stackName: '1prod' }, /stackName/],
    [{ passwordMaxAgeDays: 1.5 }, /passwordMaxAgeDays/],
    [{ linkTtlDays: 365 }, /linkTtlDays/],
    [{ retainData: 'yes' }, /retainData/],
    [{ customDomainName: 'Auth.Example.COM', customDomainCertificateArn: CERTIFICATE }, /customDomainName/],
    [
      { customDomainName: 'auth.example.com', customDomainCertificateArn: 'arn:aws:iam::1:cert' },
      /customDomainCertificateArn/,
    ],
  ])('refuses %o naming the key', (context, key) => {
    expect(() => read(context)).toThrow(DeployInputsError);
    expect(() => read(context)).toThrow(key);
  });

  it('takes the admin docs URL the problem types link into, https only', () => {
    const url = 'https://git.vendor.example/ops/keeper/blob/main/docs/admin-api.md';
    expect(read({ adminDocsUrl: url }).adminDocsUrl).toBe(url);
    expect(read({}).adminDocsUrl).toBeUndefined();
    expect(() => read({ adminDocsUrl: 'http://git.vendor.example/docs' })).toThrow(
      /adminDocsUrl: must be an https URL/,
    );
  });

  it("takes the vendor's own tenant, which holds the vendor token, and refuses one that is no tenant id", () => {
    expect(read({ vendorTenantId: 'vendor' }).vendorTenantId).toBe('vendor');
    expect(read({}).vendorTenantId).toBeUndefined();
    expect(() => read({ vendorTenantId: 'Vendor Inc' })).toThrow(/vendorTenantId: must be a tenant id/);
  });

  it('wants the custom domain and its certificate together', () => {
    expect(() => read({ customDomainName: 'auth.example.com' })).toThrow(
      /customDomainCertificateArn.*together/,
    );
    expect(() => read({ customDomainCertificateArn: CERTIFICATE })).toThrow(/customDomainName.*together/);
    expect(
      read({ customDomainName: 'auth.example.com', customDomainCertificateArn: CERTIFICATE }).customDomain,
    ).toEqual({
      domainName: 'auth.example.com',
      certificateArn: CERTIFICATE,
    });
  });

  it('reads a catalog override relative to the base directory and passes it on compacted', () => {
    const inputs = read({ catalogFile: 'catalog.prod.json' }, { '/deploy/catalog.prod.json': VALID_CATALOG });
    expect(inputs.catalog.keys).toEqual(['users-sync']);
    expect(inputs.catalogJson).toBe(JSON.stringify(JSON.parse(VALID_CATALOG)));
  });

  it('stops the synth on a catalog override that does not validate, naming the field', () => {
    const bad = VALID_CATALOG.replace(`C${'a'.repeat(64)}`, 'C123');
    expect(() => read({ catalogFile: 'bad.json' }, { '/deploy/bad.json': bad })).toThrow(
      /integrations\.0\.integrationId/,
    );
    expect(() => read({ catalogFile: 'bad.json' }, { '/deploy/bad.json': '{' })).toThrow(/not JSON/);
    expect(() => read({ catalogFile: 'missing.json' })).toThrow(/catalogFile: cannot read/);
  });

  it('stops the synth on one line when a Service App entry or the Service App an integration names is bad', () => {
    const catalog = (serviceApp: Record<string, unknown>, replacement = 'witness') =>
      JSON.stringify({
        version: 1,
        integrations: [
          { ...USERS_SYNC, serviceApp: replacement },
          {
            kind: 'service-app',
            key: 'witness',
            name: 'Witness',
            applicationId: Buffer.from(`ciscospark://us/APPLICATION/C${'b'.repeat(64)}`).toString(
              'base64url',
            ),
            clientId: `C${'b'.repeat(64)}`,
            scopes: ['audit:events_read'],
            ...serviceApp,
          },
        ],
      });
    expect(
      read({ catalogFile: 'ok.json' }, { '/deploy/ok.json': catalog({}) }).catalog.clientSecretKeys,
    ).toEqual(['users-sync', 'witness']);
    const stop = (text: string) => () => read({ catalogFile: 'bad.json' }, { '/deploy/bad.json': text });
    expect(stop(catalog({ applicationId: 'Y2lzY29zcGFyazovL3VzL1BFT1BMRS94' }))).toThrow(
      /^[^\n]*integrations\.1\.applicationId: must be a Webex application id[^\n]*$/,
    );
    expect(stop(catalog({}, 'nope'))).toThrow(
      /^[^\n]*integrations\.0\.serviceApp: "nope" is not a service-app entry[^\n]*$/,
    );
  });

  it('refuses a catalog override too large for the Lambda environment', () => {
    const integrations = Array.from({ length: 20 }, (_, index) => ({
      key: `integration-${index}`,
      name: `Integration number ${index} with a long descriptive name`,
      integrationId: `C${index.toString(16).padStart(64, '0')}`,
      scopes: ['spark:people_read', 'spark-admin:people_read', 'spark-admin:roles_read'],
    }));
    const large = JSON.stringify({ version: 1, integrations });
    expect(() => read({ catalogFile: 'large.json' }, { '/deploy/large.json': large })).toThrow(
      /catalogFile: \d+ bytes/,
    );
  });
});

/** The context keys a real `cdk synth` of this app shows besides the app's own (cdk.json and the CLI). */
const CDK_KEYS_SEEN_IN_A_SYNTH = {
  '@aws-cdk/aws-lambda:recognizeLayerVersion': true,
  '@aws-cdk/core:checkSecretUsage': true,
  '@aws-cdk/aws-iam:minimizePolicies': true,
  'aws:cdk:enable-path-metadata': true,
  'aws:cdk:enable-asset-metadata': true,
  'aws:cdk:version-reporting': true,
  'aws:cdk:bundling-stacks': ['**'],
  '@aws-cdk/core:failSynthOnValidationErrors': true,
  'acknowledged-issue-numbers': [32775],
  'availability-zones:account=123456789012:region=eu-west-1': ['eu-west-1a'],
};

describe('unknown context keys', () => {
  it('refuses a misspelled key with one line that names the key meant', () => {
    expect(() => read({ sweepRate: '5' })).toThrow(DeployInputsError);
    let message = '';
    try {
      read({ sweepRate: '5' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/unknown key "sweepRate" \(did you mean "sweepRateMinutes"\?\)/);
    expect(message).not.toContain('\n');
  });

  it.each([
    ['opsEmail', 'opsAlertEmail'],
    ['opsAlertEmial', 'opsAlertEmail'],
    ['linkTTLDays', 'linkTtlDays'],
    ['retain', 'retainData'],
    ['catalog', 'catalogFile'],
    ['customDomain', 'customDomainName'],
    ['passwordMaxAge', 'passwordMaxAgeDays'],
  ])('suggests the nearest key for %s', (typed, meant) => {
    expect(() => read({ [typed]: 'x' })).toThrow(`"${typed}" (did you mean "${meant}"?)`);
  });

  it('names every unknown key at once', () => {
    expect(() => read({ sweepRate: '5', linkTtl: '3' })).toThrow(
      /unknown keys "sweepRate" .*, "linkTtl" \(did you mean "linkTtlDays"\?\)/,
    );
  });

  it("accepts CDK's own keys: feature flags, what the CLI injects, acknowledgements, cached lookups", () => {
    expect(read({ ...CDK_KEYS_SEEN_IN_A_SYNTH, sweepRateMinutes: '5' }).sweepRateMinutes).toBe(5);
  });

  it('stops the app itself on an unknown -c key, before building anything', () => {
    // How the CDK CLI hands `-c` values to the app.
    const run = runCdkApp({ ...CDK_KEYS_SEEN_IN_A_SYNTH, sweepRate: '5' });
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toMatch(
      /^Invalid deploy context: unknown key "sweepRate" \(did you mean "sweepRateMinutes"\?\)/,
    );
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });
});
