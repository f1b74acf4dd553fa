import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, it } from 'vitest';
import { CLIENT_SECRETS_NAME, TOKEN_KEY_NAME, resourceNamePrefixOf } from '#commons/resource-names.js';
import { defaultDeployInputs } from '#lib/deploy-inputs.js';
import { WebexAuthKeeperStack } from '#lib/webex-auth-keeper-stack.js';
import { testEntries } from './support.js';

/*
 * The token client package finds the token key and the client-secrets secret from the stack name
 * alone: the names it derives must be the ones the stack gives them, under any stack name.
 */
describe('names the token client derives from the stack name', () => {
  it.each(['WebexAuthKeeper', 'StagingKeeper'])(
    'are those of stack %s',
    (stackName) => {
      const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
      // As bin/app.ts names it: the stack's id is its name.
      const stack = new WebexAuthKeeperStack(app, stackName, {
        inputs: defaultDeployInputs({ stackName }),
        entries: testEntries(),
      });
      const template = Template.fromStack(stack);
      const prefix = resourceNamePrefixOf(stackName);
      template.hasResourceProperties('AWS::KMS::Alias', { AliasName: `alias/${prefix}/${TOKEN_KEY_NAME}` });
      template.hasResourceProperties('AWS::SecretsManager::Secret', {
        Name: `${prefix}/${CLIENT_SECRETS_NAME}`,
      });
      // A synth takes seconds, many more on a busy machine.
    },
    60_000,
  );
});
