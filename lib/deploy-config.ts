import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import * as z from 'zod';
import { describeIssues } from '#domain/catalog.js';
import { contextKeys, DEFAULT_STACK_NAME, DeployInputsError, stackNameSchema } from './deploy-inputs.js';

/*
 * A deploy config file the deploying team keeps in its own repository: one entry per environment
 * (prod, staging, ...), chosen with `-c env=NAME`, so a deploy never depends on edits to this
 * repository's cdk.json. The file is named by `-c configFile=PATH` or WEBEX_AUTH_KEEPER_DEPLOY_CONFIG.
 */

/** Environment variable naming the deploy config file when `-c configFile` is not given. */
export const DEPLOY_CONFIG_VARIABLE = 'WEBEX_AUTH_KEEPER_DEPLOY_CONFIG';

const inputKeys = Object.values(contextKeys).filter(
  (key) => key !== contextKeys.env && key !== contextKeys.configFile && key !== contextKeys.stackName,
);

/**
 * One environment: where it goes (stack name, account, region) and its deploy inputs, the same
 * keys `-c` takes (validated as they are, by `readDeployInputs`). An unknown key is refused.
 */
const environmentSchema = z
  .strictObject({
    stackName: stackNameSchema.optional(),
    account: z
      .string()
      .regex(/^\d{12}$/, 'must be a 12-digit AWS account id')
      .optional(),
    region: z
      .string()
      .regex(/^[a-z]{2}(-[a-z]+)+-\d{1,2}$/, 'must be an AWS region such as eu-west-1')
      .optional(),
    // Checked by readDeployInputs with the same schema as -c values.
    ...Object.fromEntries(inputKeys.map((key) => [key, z.unknown().optional()])),
  })
  .refine((environment) => (environment.account === undefined) === (environment.region === undefined), {
    message: 'account and region must be given together',
    path: ['region'],
  });

const deployConfigSchema = z.strictObject({
  version: z.literal(1, 'must be 1'),
  environments: z
    .record(
      z.string().regex(/^[a-z][a-z0-9-]{0,30}$/, 'environment names are lower-case slugs'),
      environmentSchema,
    )
    .refine((environments) => Object.keys(environments).length > 0, 'must name at least one environment'),
});

/** What the app deploys: the stack's environment, and the inputs the file gives. */
export interface DeploySelection {
  readonly account?: string;
  readonly region?: string;
  /**
   * The chosen environment's inputs, read as context values below any `-c` given; its `stackName`
   * is `WebexAuthKeeper-<env>` unless the file names one.
   */
  readonly context: Readonly<Record<string, unknown>>;
  /** Directory a relative `catalogFile` is resolved against: the config file's. */
  readonly baseDir?: string;
}

/**
 * Reads the deploy config file and picks the environment named by `-c env`. Without a file and
 * without `env`, the single-stack deploy (stack `WebexAuthKeeper`, inputs from `-c` alone).
 * Anything wrong stops the synth with one line naming the file and the key.
 */
export function selectDeployEnvironment(sources: {
  env: unknown;
  configFile: unknown;
  variables?: Record<string, string | undefined>;
  readTextFile?: (path: string) => string;
  cwd?: string;
}): DeploySelection {
  const chosen = sources.env === undefined || sources.env === '' ? undefined : String(sources.env);
  const named = sources.configFile ?? sources.variables?.[DEPLOY_CONFIG_VARIABLE];
  const file = named === undefined || named === '' ? undefined : String(named);
  if (file === undefined) {
    if (chosen !== undefined) {
      throw new DeployInputsError(
        `Invalid deploy context: env: "${chosen}" needs a deploy config file (-c configFile=PATH or ${DEPLOY_CONFIG_VARIABLE})`,
      );
    }
    return { context: {} };
  }
  const path = resolve(sources.cwd ?? process.cwd(), file);
  const read = sources.readTextFile ?? ((target: string) => readFileSync(target, 'utf8'));
  let document: unknown;
  try {
    document = JSON.parse(read(path));
  } catch (error) {
    const reason = String(error instanceof Error ? error.message : error).replace(/\s+/g, ' ');
    throw new DeployInputsError(`Invalid deploy config ${path}: cannot read it as JSON (${reason})`);
  }
  const parsed = deployConfigSchema.safeParse(document);
  if (!parsed.success) {
    throw new DeployInputsError(`Invalid deploy config ${path}: ${describeIssues(parsed.error)}`);
  }
  const names = Object.keys(parsed.data.environments);
  if (chosen === undefined) {
    throw new DeployInputsError(
      `Invalid deploy context: env: choose an environment of ${path} with -c env=NAME (${names.join(', ')})`,
    );
  }
  const environment = parsed.data.environments[chosen];
  if (environment === undefined) {
    throw new DeployInputsError(
      `Invalid deploy context: env: ${path} has no environment "${chosen}" (it has ${names.join(', ')})`,
    );
  }
  const { stackName, account, region, ...context } = environment;
  return {
    ...(account !== undefined && region !== undefined ? { account, region } : {}),
    context: {
      ...Object.fromEntries(Object.entries(context).filter(([, value]) => value !== undefined)),
      stackName: stackName ?? `${DEFAULT_STACK_NAME}-${chosen}`,
    },
    baseDir: dirname(path),
  };
}
