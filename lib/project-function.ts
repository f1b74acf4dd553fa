import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { Acknowledgment } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import type { Construct } from 'constructs';
import { metricsNamespace } from './names.js';

/** The repository root: entries, the lock file and tsconfig are resolved from here, not from cwd. */
export const projectRoot = fileURLToPath(new URL('..', import.meta.url));

/**
 * The Powertools version the functions are written against: the installed logger's. The layer of
 * that release is what the functions load at run time.
 */
export const powertoolsVersion: string = (
  JSON.parse(
    readFileSync(`${projectRoot}node_modules/@aws-lambda-powertools/logger/package.json`, 'utf8'),
  ) as { version: string }
).version;

/**
 * Powertools' own Lambda layer of {@link powertoolsVersion}, one per stack. Its ARN comes from the
 * public SSM parameter AWS keeps per release and region, so the stack deploys to any region.
 * The functions load Powertools from it instead of bundling it: the Tracer's X-Ray SDK is
 * CommonJS that esbuild cannot shake, and bundled it would put every function over its size
 * limit (about 125 KB each).
 */
export function powertoolsLayer(scope: Construct): lambda.ILayerVersion {
  const stack = Stack.of(scope);
  const id = 'PowertoolsLayer';
  const existing = stack.node.tryFindChild(id);
  if (existing) return existing as lambda.ILayerVersion;
  return lambda.LayerVersion.fromLayerVersionArn(
    stack,
    id,
    ssm.StringParameter.valueForStringParameter(
      stack,
      `/aws/service/powertools/typescript/generic/all/${powertoolsVersion}`,
    ),
  );
}

/**
 * What a function needs to use one resource: the environment variables that name it and the IAM
 * statements that allow exactly the calls made on it. Handing both over together is what keeps a
 * function from having a name it cannot use, or a permission it has no name for.
 */
export interface FunctionBinding {
  readonly environment: Readonly<Record<string, string>>;
  readonly statements: readonly iam.PolicyStatement[];
  /** cdk-nag findings the statements are known to raise, each with the reason it is accepted. */
  readonly suppressions: readonly Acknowledgment[];
}

/** Builds a binding; `statements` and `suppressions` may be empty for plain settings. */
export function functionBinding(
  environment: Readonly<Record<string, string>>,
  statements: readonly iam.PolicyStatement[] = [],
  suppressions: readonly Acknowledgment[] = [],
): FunctionBinding {
  return { environment, statements, suppressions };
}

/** Options of a project function; everything not listed is fixed by the project. */
export interface ProjectFunctionProps {
  /** Absolute path of the entry file (exports `handler`). */
  readonly entry: string;
  readonly description: string;
  /**
   * Powertools service name (the `service` log key and metric dimension); the same name the
   * function's code gives its Logger and Metrics.
   */
  readonly serviceName: string;
  /** @default 10 seconds */
  readonly timeout?: Duration;
  /** @default 512 MiB */
  readonly memorySize?: number;
  /** @default one month */
  readonly logRetention?: logs.RetentionDays;
  /** What happens to the log group when the stack is deleted. @default DESTROY */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * The one way this project makes a Lambda function: Node.js 24 on arm64 (cheaper per ms than
 * x86 for this I/O-bound code), ESM bundled and minified by the local esbuild (never Docker, so
 * `cdk synth` runs anywhere) with Powertools left to its layer, source maps on, X-Ray active
 * tracing, its own log group with a retention, and its own role that starts with nothing but writing to that log group.
 * Permissions and environment come only through {@link ProjectFunction.bind}.
 */
export class ProjectFunction extends NodejsFunction {
  /** Environment set through bindings, to catch two bindings naming one variable differently. */
  private readonly boundEnvironment = new Map<string, string>();

  constructor(scope: Construct, id: string, props: ProjectFunctionProps) {
    if (!existsSync(props.entry)) {
      throw new Error(`${id}: entry file ${props.entry} does not exist`);
    }
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.DESTROY,
    });
    // An own role instead of the default one, which would carry the AWS managed
    // AWSLambdaBasicExecutionRole (logs on every log group of the account).
    const role = new iam.Role(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${id}`,
    });
    logGroup.grantWrite(role);

    super(scope, id, {
      entry: props.entry,
      handler: 'handler',
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      timeout: props.timeout ?? Duration.seconds(10),
      memorySize: props.memorySize ?? 512,
      tracing: lambda.Tracing.ACTIVE,
      layers: [powertoolsLayer(scope)],
      logGroup,
      role,
      projectRoot,
      depsLockFilePath: `${projectRoot}package-lock.json`,
      environment: {
        POWERTOOLS_SERVICE_NAME: props.serviceName,
        POWERTOOLS_METRICS_NAMESPACE: metricsNamespace(scope),
        // Stack traces in the logs point at the TypeScript sources, not at the minified bundle.
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: {
        forceDockerBundling: false,
        format: OutputFormat.ESM,
        target: 'node24',
        minify: true,
        sourceMap: true,
        // Keep the bundle small: the map only needs positions, the sources are in the repo.
        sourcesContent: false,
        mainFields: ['module', 'main'],
        // The Node.js 24 runtime ships AWS SDK v3: bundling it again would triple every bundle
        // (about 380 KB) and its cold start, for a version pin the SDK's own stability makes moot.
        // Powertools comes from its layer (see powertoolsLayer).
        externalModules: ['@aws-sdk/*', '@aws-lambda-powertools/*'],
        // Some bundled CommonJS dependencies call `require`, which an ES module does not have.
        banner:
          "import { createRequire as __projectCreateRequire } from 'node:module'; const require = __projectCreateRequire(import.meta.url);",
      },
    });
    Validations.of(role).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray active tracing needs xray:PutTraceSegments and xray:PutTelemetryRecords, which support no resource-level permissions.',
    });
  }

  /** Adds each binding's environment and IAM statements to this function; returns it for chaining. */
  bind(...bindings: readonly FunctionBinding[]): this {
    for (const binding of bindings) {
      for (const [name, value] of Object.entries(binding.environment)) {
        const previous = this.boundEnvironment.get(name);
        // Tokens are compared as their string form: the same resource gives the same token.
        if (previous !== undefined && previous !== value) {
          throw new Error(`${this.node.path}: two bindings set ${name} to different values`);
        }
        this.boundEnvironment.set(name, value);
        this.addEnvironment(name, value);
      }
      for (const statement of binding.statements) {
        this.addToRolePolicy(statement);
      }
      if (binding.suppressions.length > 0 && this.role) {
        Validations.of(this.role).acknowledge(...binding.suppressions);
      }
    }
    return this;
  }
}

/**
 * A Lambda-consumed SQS queue and its dead-letter queue, both with SQS-managed encryption (their
 * messages never hold token material, so senders need no KMS permission) and TLS only. The
 * visibility timeout is six times the consumer's timeout (AWS guidance for Lambda consumers), so
 * a message is not handed to a second consumer while the first still works on it.
 */
export function queueWithDeadLetter(
  scope: Construct,
  props: { consumerTimeout: Duration; maxReceiveCount: number; retentionPeriod?: Duration },
): { queue: sqs.Queue; deadLetterQueue: sqs.Queue } {
  const deadLetterQueue = new sqs.Queue(scope, 'DeadLetterQueue', {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  const queue = new sqs.Queue(scope, 'Queue', {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    visibilityTimeout: Duration.seconds(props.consumerTimeout.toSeconds() * 6),
    ...(props.retentionPeriod !== undefined && { retentionPeriod: props.retentionPeriod }),
    deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: props.maxReceiveCount },
  });
  return { queue, deadLetterQueue };
}
