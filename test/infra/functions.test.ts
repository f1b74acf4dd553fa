import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { ProjectFunction, functionBinding, projectRoot } from '#lib/project-function.js';
import { defaultEntries } from '#lib/webex-auth-keeper-stack.js';
import {
  defaultStack,
  environmentOf,
  fixtureEntry,
  logicalId,
  missingEntries,
  propertiesOf,
  synthesize,
  testEntries,
} from './support.js';
import type { Synthesized } from './support.js';

let synth: Synthesized;
beforeAll(() => {
  synth = defaultStack();
});

const COMMON = ['POWERTOOLS_SERVICE_NAME', 'POWERTOOLS_METRICS_NAMESPACE', 'NODE_OPTIONS'];
const STATE_OWNER = [
  ...COMMON,
  'TABLE_NAME',
  'KMS_KEY_ID',
  'CLIENT_SECRETS_SECRET_ID',
  'LINK_SIGNING_SECRET_ID',
  'EVENT_BUS_NAME',
  'ALERT_TOPIC_ARN',
  'WEBEX_API_BASE_URL',
  'PUBLIC_BASE_URL',
  'PASSWORD_MAX_AGE_DAYS',
  'LINK_TTL_DAYS',
  'CHECK_INTERVAL_SECONDS',
  'SWEEP_RATE_SECONDS',
  'ORG_CHECKS_IN_FLIGHT',
  'ORG_WEBEX_CALLS_PER_MINUTE',
];
/** The alert policy's tunables: the notifier's and the admin API's (its status board). */
const ALERT_POLICY = [
  'ALERT_INCIDENT_WINDOW_SECONDS',
  'ALERT_FLAP_WINDOW_SECONDS',
  'ALERT_FLAPS_PER_DAY_FLAGGED',
  'ALERT_DIGEST_PERIOD_SECONDS',
];

describe('every function', () => {
  it('is built from the real entry file the contract names', () => {
    expect(missingEntries()).toEqual([]);
    expect(testEntries()).toEqual(defaultEntries);
  });

  it('runs Node.js 24 on arm64 with active tracing, its own log group and the ESM handler', () => {
    const functions = synth.template.findResources('AWS::Lambda::Function');
    expect(Object.keys(functions)).toHaveLength(5);
    for (const fn of Object.values(functions)) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        TracingConfig: { Mode: 'Active' },
        LoggingConfig: { LogGroup: { Ref: expect.any(String) } },
      });
    }
  });

  it("loads Powertools from Powertools' layer of the installed release, found by its public SSM parameter", () => {
    const installed = (
      JSON.parse(
        readFileSync(join(projectRoot, 'node_modules/@aws-lambda-powertools/logger/package.json'), 'utf8'),
      ) as { version: string }
    ).version;
    const parameters = synth.template.findParameters('*', {
      Type: 'AWS::SSM::Parameter::Value<String>',
      Default: `/aws/service/powertools/typescript/generic/all/${installed}`,
    });
    expect(Object.keys(parameters)).toHaveLength(1);
    const [layerParameter] = Object.keys(parameters);
    for (const fn of Object.values(synth.template.findResources('AWS::Lambda::Function'))) {
      expect(fn.Properties).toMatchObject({ Layers: [{ Ref: layerParameter }] });
    }
  });

  it('keeps its logs for three months', () => {
    const functionLogGroups = [
      synth.stack.api.publicFunction,
      synth.stack.api.adminFunction,
      synth.stack.validator.dispatcher,
      synth.stack.validator.worker,
    ].map((fn) => logicalId(fn.logGroup));
    const logGroups = synth.template.toJSON().Resources as Record<
      string,
      { Properties: { RetentionInDays: number } }
    >;
    for (const id of functionLogGroups) expect(logGroups[id]?.Properties.RetentionInDays).toBe(90);
  });

  it('names the contract environment for the state-owning functions', () => {
    for (const fn of [
      synth.stack.api.publicFunction,
      synth.stack.api.adminFunction,
      synth.stack.validator.worker,
    ]) {
      const env = environmentOf(synth.template, fn);
      const policy = fn === synth.stack.api.adminFunction ? ALERT_POLICY : [];
      // The serviceApp webhook's secret: the public API verifies with it, the admin API registers.
      const webhook = fn === synth.stack.validator.worker ? [] : ['WEBHOOK_SECRET_ID'];
      expect(Object.keys(env).sort()).toEqual([...STATE_OWNER, ...policy, ...webhook].sort());
      expect(env).toMatchObject({
        WEBEX_API_BASE_URL: 'https://webexapis.com',
        PASSWORD_MAX_AGE_DAYS: '1825',
        LINK_TTL_DAYS: '14',
        CHECK_INTERVAL_SECONDS: '900',
        SWEEP_RATE_SECONDS: '900',
        ORG_CHECKS_IN_FLIGHT: '10',
        ORG_WEBEX_CALLS_PER_MINUTE: '600',
        POWERTOOLS_METRICS_NAMESPACE: 'WebexAuthKeeper',
        NODE_OPTIONS: '--enable-source-maps',
        KMS_KEY_ID: { 'Fn::GetAtt': [logicalId(synth.stack.tokenStore.key), 'Arn'] },
        CLIENT_SECRETS_SECRET_ID: { Ref: logicalId(synth.stack.tokenStore.clientSecrets) },
        LINK_SIGNING_SECRET_ID: { Ref: logicalId(synth.stack.tokenStore.linkSigningKey) },
      });
    }
  });

  it('names each function as its code names its logger and metrics', () => {
    const serviceOf = (fn: lambda.Function) => environmentOf(synth.template, fn).POWERTOOLS_SERVICE_NAME;
    expect(serviceOf(synth.stack.api.publicFunction)).toBe('public-api');
    expect(serviceOf(synth.stack.api.adminFunction)).toBe('admin-api');
    expect(serviceOf(synth.stack.validator.dispatcher)).toBe('sweep-dispatcher');
    expect(serviceOf(synth.stack.validator.worker)).toBe('validator-worker');
    expect(serviceOf(synth.stack.mail.notifier)).toBe('notifier');
  });

  it('gives the notifier and the admin API the alert policy in seconds: the defaults of docs/alerts.md, or the deploy inputs', () => {
    const custom = synthesize({
      incidentWindowMinutes: 10,
      flapWindowMinutes: 45,
      flapsPerDayFlagged: 5,
      digestPeriodMinutes: 240,
    });
    for (const fn of ['notifier', 'admin'] as const) {
      const functionOf = (stack: typeof synth.stack) =>
        fn === 'notifier' ? stack.mail.notifier : stack.api.adminFunction;
      expect(environmentOf(synth.template, functionOf(synth.stack))).toMatchObject({
        ALERT_INCIDENT_WINDOW_SECONDS: '300',
        ALERT_FLAP_WINDOW_SECONDS: '1800',
        ALERT_FLAPS_PER_DAY_FLAGGED: '3',
        ALERT_DIGEST_PERIOD_SECONDS: '3600',
      });
      expect(environmentOf(custom.template, functionOf(custom.stack))).toMatchObject({
        ALERT_INCIDENT_WINDOW_SECONDS: '600',
        ALERT_FLAP_WINDOW_SECONDS: '2700',
        ALERT_FLAPS_PER_DAY_FLAGGED: '5',
        ALERT_DIGEST_PERIOD_SECONDS: '14400',
      });
    }
    expect(environmentOf(synth.template, synth.stack.validator.worker)).not.toHaveProperty(
      'ALERT_DIGEST_PERIOD_SECONDS',
    );
  });

  it('gives the dispatcher only the table name and the queue URL', () => {
    const env = environmentOf(synth.template, synth.stack.validator.dispatcher);
    expect(Object.keys(env).sort()).toEqual([...COMMON, 'TABLE_NAME', 'VALIDATION_QUEUE_URL'].sort());
    expect(env.VALIDATION_QUEUE_URL).toEqual({ Ref: logicalId(synth.stack.validator.queue) });
  });

  it('passes deploy-time settings and the catalog override through', () => {
    const catalogJson = '{"version":1,"integrations":[]}';
    const adminDocsUrl = 'https://git.vendor.example/ops/keeper/blob/main/docs/admin-api.md';
    const custom = synthesize({
      passwordMaxAgeDays: 90,
      linkTtlDays: 3,
      sweepRateMinutes: 5,
      checkIntervalMinutes: 5,
      orgChecksInFlight: 4,
      orgWebexCallsPerMinute: 120,
      catalogJson,
      adminDocsUrl,
    });
    for (const fn of [
      custom.stack.api.publicFunction,
      custom.stack.api.adminFunction,
      custom.stack.validator.worker,
    ]) {
      expect(environmentOf(custom.template, fn)).toMatchObject({
        PASSWORD_MAX_AGE_DAYS: '90',
        LINK_TTL_DAYS: '3',
        CHECK_INTERVAL_SECONDS: '300',
        SWEEP_RATE_SECONDS: '300',
        ORG_CHECKS_IN_FLIGHT: '4',
        ORG_WEBEX_CALLS_PER_MINUTE: '120',
        CATALOG_JSON: catalogJson,
      });
    }
    expect(environmentOf(custom.template, custom.stack.validator.dispatcher)).not.toHaveProperty(
      'CATALOG_JSON',
    );
    expect(environmentOf(custom.template, custom.stack.api.adminFunction)).toMatchObject({
      PROBLEM_DOCS_URL: adminDocsUrl,
    });
  });

  it('answers API requests before API Gateway gives up at 29 seconds', () => {
    const timeout = (fn: lambda.Function) => propertiesOf(synth.template, fn).Timeout as number;
    expect(timeout(synth.stack.api.publicFunction)).toBeLessThan(29);
    expect(timeout(synth.stack.api.adminFunction)).toBeLessThan(29);
  });
});

/**
 * Bundles `entry` through ProjectFunction in a throw-away app, as `cdk synth` stages it: its one
 * asset's directory and code, and the stack that holds the function.
 */
function bundleThroughProjectFunction(entry: string, timeout?: Duration) {
  const app = new App({ builtinCloudFormationValidation: false });
  const stack = new Stack(app, 'BundlingTest');
  new ProjectFunction(stack, 'Fn', {
    entry,
    description: 'test',
    serviceName: 'test',
    ...(timeout ? { timeout } : {}),
  });
  const assembly = app.synth();
  const assetDirs = readdirSync(assembly.directory).filter((name) => name.startsWith('asset.'));
  expect(assetDirs).toHaveLength(1);
  const dir = join(assembly.directory, assetDirs[0] ?? '');
  return { stack, dir, code: readFileSync(join(dir, 'index.mjs'), 'utf8') };
}

describe('ProjectFunction bundling', () => {
  it('bundles with the local esbuild into minified ESM with a source map', () => {
    const { stack, dir, code } = bundleThroughProjectFunction(fixtureEntry, Duration.seconds(3));
    expect(existsSync(join(dir, 'index.mjs.map'))).toBe(true);
    expect(code).toMatch(/export\s*\{/);
    expect(code).toContain('createRequire');
    expect(code).toContain('sourceMappingURL=index.mjs.map');
    // Minified: the fixture's names and whitespace are gone.
    expect(code).not.toContain('statusCode: 204');
    // Powertools and the SDK are imported from the layer and the runtime, not bundled.
    expect(code).toMatch(/from\s*"@aws-lambda-powertools\/logger"/);
    expect(code).not.toContain('POWERTOOLS_LOG_LEVEL');
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', { Timeout: 3 });
  });

  it('leaves the X-Ray SDK out of the dispatcher, whose tens of thousands of SQS calls a sweep it would trace', () => {
    const tracerImport = /from\s*"@aws-lambda-powertools\/tracer"/;
    expect(bundleThroughProjectFunction(defaultEntries.sweepDispatcher).code).not.toMatch(tracerImport);
    // The worker, whose Webex and AWS calls are the trace, keeps it: the check above can fail.
    expect(bundleThroughProjectFunction(defaultEntries.validatorWorker).code).toMatch(tracerImport);
  });

  it('refuses two bindings that name one variable differently', () => {
    const stack = new Stack(new App(), 'Conflict');
    const fn = new ProjectFunction(stack, 'Fn', {
      entry: fixtureEntry,
      description: 'test',
      serviceName: 'test',
    });
    fn.bind(functionBinding({ TABLE_NAME: 'a' }), functionBinding({ TABLE_NAME: 'a' }));
    expect(() => fn.bind(functionBinding({ TABLE_NAME: 'b' }))).toThrow(/TABLE_NAME/);
  });

  it('refuses an entry that does not exist', () => {
    const stack = new Stack(new App(), 'MissingEntry');
    expect(
      () =>
        new ProjectFunction(stack, 'Fn', {
          entry: '/nonexistent/handler.ts',
          description: 'test',
          serviceName: 'test',
        }),
    ).toThrow(/does not exist/);
  });
});
