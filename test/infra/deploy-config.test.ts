import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCdkApp } from './support.js';
import { describe, expect, it } from 'vitest';
import { selectDeployEnvironment } from '#lib/deploy-config.js';
import { DeployInputsError, readDeployInputs } from '#lib/deploy-inputs.js';

const CONFIG = {
  version: 1,
  environments: {
    prod: {
      stackName: 'Keeper-Prod',
      account: '123456789012',
      region: 'eu-west-1',
      opsAlertEmail: 'ops@vendor.example',
      sweepRateMinutes: 10,
      catalogFile: 'catalog.prod.json',
    },
    staging: { retainData: false },
  },
};

function select(env: string | undefined, config: unknown = CONFIG) {
  return selectDeployEnvironment({
    env,
    configFile: 'deploy/keeper.json',
    cwd: '/team',
    readTextFile: (path) => {
      expect(path).toBe('/team/deploy/keeper.json');
      return JSON.stringify(config);
    },
  });
}

describe('deploy config file', () => {
  it('picks the environment named by -c env: its stack name, account, region and inputs', () => {
    expect(select('prod')).toEqual({
      account: '123456789012',
      region: 'eu-west-1',
      context: {
        stackName: 'Keeper-Prod',
        opsAlertEmail: 'ops@vendor.example',
        sweepRateMinutes: 10,
        catalogFile: 'catalog.prod.json',
      },
      baseDir: '/team/deploy',
    });
  });

  it('names the stack after the environment when the file does not', () => {
    expect(select('staging')).toMatchObject({
      context: { stackName: 'WebexAuthKeeper-staging', retainData: false },
    });
  });

  it('keeps the single-stack deploy without a file or env', () => {
    expect(selectDeployEnvironment({ env: undefined, configFile: undefined, variables: {} })).toEqual({
      context: {},
    });
  });

  it('reads the file named by WEBEX_AUTH_KEEPER_DEPLOY_CONFIG', () => {
    const dir = mkdtempSync(join(tmpdir(), 'deploy-config-'));
    writeFileSync(join(dir, 'keeper.json'), JSON.stringify(CONFIG));
    const selection = selectDeployEnvironment({
      env: 'staging',
      configFile: undefined,
      variables: { WEBEX_AUTH_KEEPER_DEPLOY_CONFIG: join(dir, 'keeper.json') },
    });
    expect(selection).toMatchObject({ context: { stackName: 'WebexAuthKeeper-staging' }, baseDir: dir });
  });

  it.each([
    [{ env: 'prod', config: undefined }, /env: "prod" needs a deploy config file/],
    [{ env: undefined, config: CONFIG }, /choose an environment .* with -c env=NAME \(prod, staging\)/],
    [{ env: 'dev', config: CONFIG }, /has no environment "dev" \(it has prod, staging\)/],
    [{ env: 'prod', config: { version: 2, environments: {} } }, /version: must be 1/],
    [
      { env: 'prod', config: { version: 1, environments: { prod: { account: '123456789012' } } } },
      /environments\.prod\.region: account and region must be given together/,
    ],
    [{ env: 'prod', config: { version: 1, environments: { prod: { sweepRate: 5 } } } }, /environments\.prod/],
    [
      { env: 'prod', config: { version: 1, environments: { prod: { stackName: 'bad name' } } } },
      /environments\.prod\.stackName: must start with a letter/,
    ],
  ])('refuses %o with one line naming the key', ({ env, config }, message) => {
    const run = () =>
      config === undefined
        ? selectDeployEnvironment({ env, configFile: undefined, variables: {} })
        : select(env, config);
    expect(run).toThrow(DeployInputsError);
    expect(run).toThrow(message);
  });

  it("validates the environment's inputs as -c values, the catalog relative to the file", () => {
    const selection = select('prod');
    const catalog = readFileSync(new URL('../../config/catalog.json', import.meta.url), 'utf8');
    const inputs = readDeployInputs({
      getContext: (key) => selection.context[key],
      contextKeysGiven: () => Object.keys(selection.context),
      ...(selection.baseDir !== undefined && { baseDir: selection.baseDir }),
      readTextFile: (path) => {
        expect(path).toBe('/team/deploy/catalog.prod.json');
        return catalog;
      },
    });
    expect(inputs).toMatchObject({ opsAlertEmail: 'ops@vendor.example', sweepRateMinutes: 10 });
    expect(inputs.catalog.keys).toEqual(['users-sync', 'presence', 'call-control', 'cdr', 'sso']);
    const bad = select('prod', { version: 1, environments: { prod: { sweepRateMinutes: 0 } } });
    expect(() =>
      readDeployInputs({
        getContext: (key) => bad.context[key],
        contextKeysGiven: () => Object.keys(bad.context),
      }),
    ).toThrow(/sweepRateMinutes/);
  });

  it('stops the app itself on an environment the file lacks, before building anything', () => {
    const dir = mkdtempSync(join(tmpdir(), 'deploy-config-'));
    writeFileSync(join(dir, 'keeper.json'), JSON.stringify(CONFIG));
    const run = runCdkApp({ env: 'dev', configFile: join(dir, 'keeper.json') });
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toMatch(/^Invalid deploy context: env: .* has no environment "dev"/);
  });
});
