#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { readDeployInputs } from '../lib/deploy-inputs.js';
import { WebexAuthKeeperStack } from '../lib/webex-auth-keeper-stack.js';

const app = new App();
const inputs = readDeployInputs({ getContext: (key) => app.node.tryGetContext(key) });

const account = process.env.CDK_DEFAULT_ACCOUNT;
const region = process.env.CDK_DEFAULT_REGION;

new WebexAuthKeeperStack(app, 'WebexAuthKeeper', {
  inputs,
  // Environment-agnostic unless the CLI knows an account and region: synth needs no credentials
  // and the stack makes no lookups, so nothing depends on a concrete environment at synth time.
  ...(account !== undefined && region !== undefined && { env: { account, region } }),
});

// cdk-nag's AWS Solutions pack runs on every synth: an unacknowledged error fails it.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
