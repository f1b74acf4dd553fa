import { Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { resourceNamePrefixOf } from '#commons/resource-names.js';

/**
 * The prefix of every physical name a stack sets: its stack name in kebab case
 * (`WebexAuthKeeper` gives `webex-auth-keeper`, `staging` gives `staging`). Two stacks of the app in
 * one account (staging and prod) then name nothing alike, and a name-prefix grant of one (the token
 * secrets' `<prefix>/tokens/*`) cannot reach the other's resources. Stack names that differ only by
 * case or hyphens (`Prod`, `prod`) give the same prefix and must not share an account.
 */
export function resourceNamePrefix(scope: IConstruct): string {
  return resourceNamePrefixOf(Stack.of(scope).stackName);
}

/** A physical name under the stack's prefix: `resourceName(scope, 'client-secrets')` is `webex-auth-keeper/client-secrets`. */
export function resourceName(scope: IConstruct, name: string): string {
  return `${resourceNamePrefix(scope)}/${name}`;
}

/**
 * CloudWatch namespace of the functions' own metrics: the stack name itself, so each stack's alarms
 * (Metrics Insights queries over the whole namespace) count only its own functions' metrics.
 */
export function metricsNamespace(scope: IConstruct): string {
  return Stack.of(scope).stackName;
}
