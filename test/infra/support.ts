import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { App, Stack } from 'aws-cdk-lib';
import type { CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { defaultDeployInputs } from '#lib/deploy-inputs.js';
import type { DeployInputs } from '#lib/deploy-inputs.js';
import { WebexAuthKeeperStack, defaultEntries } from '#lib/webex-auth-keeper-stack.js';
import type { FunctionEntries } from '#lib/webex-auth-keeper-stack.js';

/** A tiny entry used where a real one does not exist yet, and by the bundling test. */
export const fixtureEntry = fileURLToPath(new URL('./fixtures/handler.ts', import.meta.url));

/** Each contract entry that exists under functions/, else the fixture (reported by `missingEntries`). */
export function testEntries(): FunctionEntries {
  const pick = (entry: string) => (existsSync(entry) ? entry : fixtureEntry);
  return {
    publicApi: pick(defaultEntries.publicApi),
    adminApi: pick(defaultEntries.adminApi),
    sweepDispatcher: pick(defaultEntries.sweepDispatcher),
    validatorWorker: pick(defaultEntries.validatorWorker),
    notifier: pick(defaultEntries.notifier),
  };
}

/** The contract entries not written yet. */
export function missingEntries(): string[] {
  return Object.values(defaultEntries).filter((entry) => !existsSync(entry));
}

/** A synthesized stack and its template. */
export interface Synthesized {
  readonly app: App;
  readonly stack: WebexAuthKeeperStack;
  readonly template: Template;
}

/** How to build the app: validation runs only where a test is about it. */
export interface SynthesizeOptions {
  /** Run CDK's built-in CloudFormation schema validation (seconds per synth). @default false */
  readonly validate?: boolean;
  /** Adds constructs or plugins before synthesis. */
  readonly extend?: (stack: WebexAuthKeeperStack, app: App) => void;
}

/**
 * Builds the stack as `bin/app.ts` does, with the given inputs. Bundling is skipped (the
 * `aws:cdk:bundling-stacks` context): these tests read the template, and `npm run synth` and the
 * bundling test exercise esbuild.
 */
export function synthesize(
  overrides: Partial<DeployInputs> = {},
  options: SynthesizeOptions = {},
): Synthesized {
  const app = new App({
    context: { 'aws:cdk:bundling-stacks': [] },
    builtinCloudFormationValidation: options.validate ?? false,
  });
  const stack = new WebexAuthKeeperStack(app, 'WebexAuthKeeper', {
    inputs: defaultDeployInputs(overrides),
    entries: testEntries(),
  });
  options.extend?.(stack, app);
  return { app, stack, template: Template.fromStack(stack) };
}

let cached: Synthesized | undefined;

/** The default stack, synthesized once per test file. */
export function defaultStack(): Synthesized {
  cached ??= synthesize();
  return cached;
}

/** Logical ID of an L2 construct's CloudFormation resource. */
export function logicalId(construct: IConstruct): string {
  const child = construct.node.defaultChild;
  if (child === undefined) throw new Error(`${construct.node.path} has no default child`);
  return Stack.of(construct).getLogicalId(child as CfnElement);
}

/**
 * Renders a CloudFormation value as a readable string, so tests compare ARNs as text:
 * `{Ref: X}` -> `${X}`, `{Fn::GetAtt: [X, Arn]}` -> `${X.Arn}`, `Fn::Join` -> the joined parts.
 */
export function render(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    if (typeof record.Ref === 'string') return `\${${record.Ref}}`;
    const getAtt = record['Fn::GetAtt'];
    if (Array.isArray(getAtt)) return `\${${getAtt.map(String).join('.')}}`;
    const join = record['Fn::Join'];
    if (Array.isArray(join) && typeof join[0] === 'string' && Array.isArray(join[1])) {
      return (join[1] as unknown[]).map(render).join(join[0]);
    }
  }
  return JSON.stringify(isIntrinsic(value) ? value : normalize(value));
}

function isIntrinsic(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    ('Ref' in value || 'Fn::GetAtt' in value || 'Fn::Join' in value)
  );
}

/** Replaces every intrinsic inside a value by its rendered text (for conditions and other objects). */
export function normalize(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalize);
  if (typeof value === 'object' && value !== null) {
    if (isIntrinsic(value)) return render(value);
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, normalize(inner)]));
  }
  return value;
}

/** One IAM permission as the tests compare it: an action on a rendered resource, and its condition. */
export interface Permission {
  readonly action: string;
  readonly resource: string;
  readonly condition?: string;
}

interface PolicyStatementJson {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}

const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/**
 * Every permission the role of a function holds, from every policy attached to it, flattened to
 * action x resource pairs (so statement merging or ordering does not matter), sorted.
 */
export function permissionsOf(template: Template, roleLogicalId: string): Permission[] {
  const policies = template.findResources('AWS::IAM::Policy');
  const permissions: Permission[] = [];
  for (const policy of Object.values(policies)) {
    const properties = policy.Properties as {
      Roles: unknown[];
      PolicyDocument: { Statement: PolicyStatementJson[] };
    };
    if (!properties.Roles.some((role) => render(role) === `\${${roleLogicalId}}`)) continue;
    for (const statement of properties.PolicyDocument.Statement) {
      if (statement.Effect !== 'Allow') throw new Error('Unexpected Deny statement');
      for (const action of asArray(statement.Action)) {
        for (const resource of asArray(statement.Resource)) {
          permissions.push({
            action,
            resource: render(resource),
            ...(statement.Condition !== undefined && { condition: render(statement.Condition) }),
          });
        }
      }
    }
  }
  return sortPermissions(permissions);
}

/** Sorts permissions for order-independent comparison. */
export function sortPermissions(permissions: readonly Permission[]): Permission[] {
  const key = (p: Permission) => `${p.action}|${p.resource}|${p.condition ?? ''}`;
  return [...permissions].sort((a, b) => key(a).localeCompare(key(b)));
}

/** `actions` x `resources` (with an optional condition) as permissions. */
export function allow(
  actions: readonly string[],
  resources: readonly string[],
  condition?: unknown,
): Permission[] {
  return actions.flatMap((action) =>
    resources.map((resource) => ({
      action,
      resource,
      ...(condition !== undefined && { condition: render(condition) }),
    })),
  );
}

/** A function's resource properties in the template. */
export function propertiesOf(template: Template, fn: IConstruct): Record<string, unknown> {
  return (template.toJSON().Resources[logicalId(fn)] as { Properties: Record<string, unknown> }).Properties;
}

/** A function's environment variables in the template. */
export function environmentOf(template: Template, fn: IConstruct): Record<string, unknown> {
  return (propertiesOf(template, fn).Environment as { Variables: Record<string, unknown> }).Variables;
}

/** Runs the CDK app (bin/app.ts) with these context values, handed over as the CDK CLI does. */
export function runCdkApp(context: Record<string, unknown>) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'bin/app.ts'], {
    cwd: fileURLToPath(new URL('../..', import.meta.url)),
    encoding: 'utf8',
    env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify(context) },
    timeout: 60_000,
  });
}
