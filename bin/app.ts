#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { DeployInputsError, readDeployInputs } from '#lib/deploy-inputs.js';
import type { DeployInputs } from '#lib/deploy-inputs.js';
import { WebexAuthKeeperStack } from '#lib/webex-auth-keeper-stack.js';

const app = new App();

let inputs: DeployInputs;
try {
  inputs = readDeployInputs({
    getContext: (key) => app.node.tryGetContext(key),
    contextKeysGiven: () => Object.keys(app.node.getAllContext()),
  });
} catch (error) {
  // A bad -c value is the operator's to fix: say which, without a stack trace.
  if (!(error instanceof DeployInputsError)) throw error;
  console.error(error.message);
  process.exit(1);
}

const account = process.env.CDK_DEFAULT_ACCOUNT;
const region = process.env.CDK_DEFAULT_REGION;

new WebexAuthKeeperStack(app, inputs.stackName, {
  inputs,
  // Environment-agnostic unless the CLI knows an account and region: synth needs no credentials
  // and the stack makes no lookups, so nothing depends on a concrete environment at synth time.
  ...(account !== undefined && region !== undefined && { env: { account, region } }),
});

// cdk-nag's AWS Solutions pack runs on every synth: an unacknowledged error fails it (and
// test/infra/nag.test.ts refuses unacknowledged warnings too).
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
