#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { selectDeployEnvironment, type DeploySelection } from '#lib/deploy-config.js';
import { contextKeys, DeployInputsError, readDeployInputs } from '#lib/deploy-inputs.js';
import type { DeployInputs } from '#lib/deploy-inputs.js';
import { WebexAuthKeeperStack } from '#lib/webex-auth-keeper-stack.js';

const app = new App();

let selection: DeploySelection;
let inputs: DeployInputs;
try {
  selection = selectDeployEnvironment({
    env: app.node.tryGetContext(contextKeys.env),
    configFile: app.node.tryGetContext(contextKeys.configFile),
    variables: process.env,
  });
  const fromFile = selection.context;
  inputs = readDeployInputs({
    // A -c value wins over the file's, for a one-off change without editing the file.
    getContext: (key) => app.node.tryGetContext(key) ?? fromFile[key],
    contextKeysGiven: () => [...Object.keys(app.node.getAllContext()), ...Object.keys(fromFile)],
    ...(selection.baseDir !== undefined && { baseDir: selection.baseDir }),
  });
} catch (error) {
  // A bad -c value or config file is the operator's to fix: say which, without a stack trace.
  if (!(error instanceof DeployInputsError)) throw error;
  console.error(error.message);
  process.exit(1);
}

const account = selection.account ?? process.env.CDK_DEFAULT_ACCOUNT;
const region = selection.region ?? process.env.CDK_DEFAULT_REGION;

new WebexAuthKeeperStack(app, inputs.stackName, {
  inputs,
  // Environment-agnostic unless the config or the CLI names an account and region: synth needs
  // no credentials and the stack makes no lookups, so nothing depends on a concrete environment.
  ...(account !== undefined && region !== undefined && { env: { account, region } }),
});

// cdk-nag's AWS Solutions pack runs on every synth: an unacknowledged error fails it (and
// test/infra/nag.test.ts refuses unacknowledged warnings too).
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
