import { CfnOutput, Duration, Stack, Validations } from 'aws-cdk-lib';
import type { CfnElement, StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { Alerts } from './alerts.js';
import { Api } from './api.js';
import { Mail } from './mail.js';
import type { DeployInputs } from './deploy-inputs.js';
import { Observability } from './observability.js';
import { functionBinding, projectRoot } from './project-function.js';
import type { FunctionBinding } from './project-function.js';
import { STATE_ACCESS, TokenStore, type TokenGrantOptions } from './token-store.js';
import { Validator } from './validator.js';

/** Base URL of the Webex REST API the functions call. */
export const WEBEX_API_BASE_URL = 'https://webexapis.com';

/** Entry files of the five functions (absolute paths). */
export interface FunctionEntries {
  readonly publicApi: string;
  readonly adminApi: string;
  readonly sweepDispatcher: string;
  readonly validatorWorker: string;
  readonly notifier: string;
}

/** The entry files the contract with `functions/` names. */
export const defaultEntries: FunctionEntries = {
  publicApi: `${projectRoot}functions/public-api.handler.ts`,
  adminApi: `${projectRoot}functions/admin-api.handler.ts`,
  sweepDispatcher: `${projectRoot}functions/sweep-dispatcher.handler.ts`,
  validatorWorker: `${projectRoot}functions/validator-worker.handler.ts`,
  notifier: `${projectRoot}functions/notifier.handler.ts`,
};

/** Options of the stack. */
export interface WebexAuthKeeperStackProps extends StackProps {
  /** Validated deploy-time inputs (see `readDeployInputs`). */
  readonly inputs: DeployInputs;
  /** Entry files; each defaults to the one in {@link defaultEntries}. */
  readonly entries?: Partial<FunctionEntries>;
}

/** Settings every state-owning function reads; plain values, no permissions. */
export function settingsBinding(inputs: DeployInputs): FunctionBinding {
  return functionBinding({
    WEBEX_API_BASE_URL,
    PASSWORD_MAX_AGE_DAYS: String(inputs.passwordMaxAgeDays),
    LINK_TTL_DAYS: String(inputs.linkTtlDays),
    // Apart from the sweep's rate: a sweep probes only what is due (docs/scale.md, "Check interval").
    CHECK_INTERVAL_SECONDS: String(inputs.checkIntervalMinutes * 60),
    SWEEP_RATE_SECONDS: String(inputs.sweepRateMinutes * 60),
    ORG_CHECKS_IN_FLIGHT: String(inputs.orgChecksInFlight),
    ORG_WEBEX_CALLS_PER_MINUTE: String(inputs.orgWebexCallsPerMinute),
    ...(inputs.catalogJson !== undefined && { CATALOG_JSON: inputs.catalogJson }),
    ...(inputs.adminDocsUrl !== undefined && { PROBLEM_DOCS_URL: inputs.adminDocsUrl }),
    // Whose authorization is the vendor token of Service Apps (docs/service-apps.md).
    ...(inputs.vendorTenantId !== undefined && { VENDOR_TENANT_ID: inputs.vendorTenantId }),
    // Read by the public API (pages) and the notifier (mails): functions/commons/branding-environment.ts.
    ...(inputs.branding !== undefined && {
      VENDOR_NAME: inputs.branding.vendorName,
      VENDOR_SUPPORT_EMAIL: inputs.branding.supportEmail,
      ...(inputs.branding.logoUrl !== undefined && { VENDOR_LOGO_URL: inputs.branding.logoUrl }),
    }),
  });
}

/**
 * The alert policy's tunables (docs/alerts.md), in seconds: the notifier follows them all, the
 * admin API's status board flags by the flap threshold.
 */
export function alertPolicyBinding(inputs: DeployInputs): FunctionBinding {
  return functionBinding({
    ALERT_INCIDENT_WINDOW_SECONDS: String(inputs.incidentWindowMinutes * 60),
    ALERT_FLAP_WINDOW_SECONDS: String(inputs.flapWindowMinutes * 60),
    ALERT_FLAPS_PER_DAY_FLAGGED: String(inputs.flapsPerDayFlagged),
    ALERT_DIGEST_PERIOD_SECONDS: String(inputs.digestPeriodMinutes * 60),
  });
}

/** How long function and access logs are kept. */
const LOG_RETENTION = logs.RetentionDays.THREE_MONTHS;

/**
 * webex-auth-keeper on AWS: the token store, alerts, the HTTP API, the sweep and its workers,
 * alarms and a dashboard. Everything the functions may do is granted through bindings, so the
 * environment a function reads and the permissions it holds are declared in the same place.
 */
export class WebexAuthKeeperStack extends Stack {
  readonly tokenStore: TokenStore;
  readonly alerts: Alerts;
  readonly api: Api;
  readonly validator: Validator;
  readonly mail: Mail;
  readonly observability: Observability;

  constructor(scope: Construct, id: string, props: WebexAuthKeeperStackProps) {
    super(scope, id, {
      description: 'webex-auth-keeper: keeps Cisco Webex integration authorizations alive',
      ...props,
    });
    const { inputs } = props;
    const entries = { ...defaultEntries, ...props.entries };

    this.tokenStore = new TokenStore(this, 'TokenStore', { retainData: inputs.retainData });
    this.alerts = new Alerts(this, 'Alerts', {
      key: this.tokenStore.key,
      ...(inputs.opsAlertEmail !== undefined && { opsAlertEmail: inputs.opsAlertEmail }),
    });

    const settings = settingsBinding(inputs);
    const shared: FunctionBinding[] = [settings, this.alerts.bindPublish()];

    this.api = new Api(this, 'Api', {
      publicEntry: entries.publicApi,
      adminEntry: entries.adminApi,
      sharedBindings: shared,
      publicBindings: [
        this.tokenStore.bindStateAccess(STATE_ACCESS.publicApi),
        this.tokenStore.bindWebhookSecret(),
        // The Service App card reads the vendor token: the public API opens that tenant's tokens only.
        ...(inputs.vendorTenantId !== undefined
          ? [this.tokenStore.bindTokenOpen([inputs.vendorTenantId])]
          : []),
      ],
      adminBindings: [
        this.tokenStore.bindStateAccess(STATE_ACCESS.adminApi),
        // `webhooks register` gives Webex the webhook secret.
        this.tokenStore.bindWebhookSecret(),
        alertPolicyBinding(inputs),
      ],
      logRetention: LOG_RETENTION,
      ...(inputs.customDomain && { customDomain: inputs.customDomain }),
    });

    this.validator = new Validator(this, 'Validator', {
      dispatcherEntry: entries.sweepDispatcher,
      workerEntry: entries.validatorWorker,
      sweepRate: Duration.minutes(inputs.sweepRateMinutes),
      dispatcherBindings: [this.tokenStore.bindDueQuery()],
      workerBindings: [
        ...shared,
        this.tokenStore.bindStateAccess(STATE_ACCESS.validatorWorker),
        this.api.bindPublicBaseUrl(),
      ],
      logRetention: LOG_RETENTION,
    });

    this.mail = new Mail(this, 'Mail', {
      ...(inputs.mailDomain !== undefined && { mailDomain: inputs.mailDomain }),
      opsEmail: this.alerts.opsAlertEmail,
      bus: this.alerts.bus,
      notifierEntry: entries.notifier,
      notifierBindings: [
        settings,
        alertPolicyBinding(inputs),
        this.tokenStore.bindNotifierAccess(),
        this.api.bindPublicBaseUrl(),
      ],
      logRetention: LOG_RETENTION,
    });

    this.observability = new Observability(this, 'Observability', {
      functions: {
        'public-api': this.api.publicFunction,
        'admin-api': this.api.adminFunction,
        'sweep-dispatcher': this.validator.dispatcher,
        'validator-worker': this.validator.worker,
        notifier: this.mail.notifier,
      },
      dispatcher: this.validator.dispatcher,
      worker: this.validator.worker,
      queue: this.validator.queue,
      deadLetterQueue: this.validator.deadLetterQueue,
      notifierDeadLetterQueue: this.mail.deadLetterQueue,
      stage: this.api.stage,
      table: this.tokenStore.table,
      sweepRate: Duration.minutes(inputs.sweepRateMinutes),
      alarmTopic: this.alerts.alarmTopic,
    });

    // Attachable by ARN from the SaaS's other stacks, which cannot call grantTokenRead().
    const tokenReader = new iam.ManagedPolicy(this, 'TokenReaderPolicy', {
      description:
        "Read webex-auth-keeper tokens of every tenant (GetItem, and kms:Decrypt under the table's encryption context)",
      statements: this.tokenStore.tokenReadStatements(),
    });
    const tokenAccess = new iam.ManagedPolicy(this, 'TokenAccessPolicy', {
      description: 'Use webex-auth-keeper token access (functions/token-access.ts): read and refresh tokens',
      statements: this.tokenStore.tokenAccessStatements(),
    });
    const adminInvoker = new iam.ManagedPolicy(this, 'AdminApiInvokePolicy', {
      description: 'Call the webex-auth-keeper admin API (SigV4-signed requests to /admin/...)',
      statements: [
        new iam.PolicyStatement({ actions: ['execute-api:Invoke'], resources: [this.api.adminRoutesArn()] }),
      ],
    });
    Validations.of(adminInvoker).acknowledge({
      // cdk-nag names the API in the finding by its logical ID.
      id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<${this.getLogicalId(this.api.httpApi.node.defaultChild as CfnElement)}>/$default/*/admin/*]`,
      reason:
        'Every method of every admin route, and nothing else: the admin API is one permission boundary.',
    });

    this.addOutputs(inputs, { tokenReader, tokenAccess, adminInvoker });
  }

  /**
   * Lets one of the SaaS's own services read tokens (the items, and kms:Decrypt of their data
   * keys), of every tenant or only of `options.tenants`. Check the grant's `success` (or call
   * `assertSuccess()`): a grantee without a policy of its own gets nothing.
   */
  grantTokenRead(grantee: iam.IGrantable, options: TokenGrantOptions = {}): iam.Grant {
    return this.tokenStore.grantTokenRead(grantee, options);
  }

  /** Lets one of the SaaS's own services use `createTokenAccess` (read, and refresh on demand). */
  grantTokenAccess(grantee: iam.IGrantable): iam.Grant {
    return this.tokenStore.grantTokenAccess(grantee);
  }

  /** Lets a principal call the admin routes. */
  grantAdminInvoke(grantee: iam.IGrantable): iam.Grant {
    return this.api.grantAdminInvoke(grantee);
  }

  private addOutputs(
    inputs: DeployInputs,
    policies: Record<'tokenReader' | 'tokenAccess' | 'adminInvoker', iam.ManagedPolicy>,
  ): void {
    // Exported as `<stack name>-<output>`, so the team's own stacks import them (Fn::ImportValue)
    // instead of copying values; each stack name (one per environment) has its own set.
    const output = (id: string, value: string, description: string) =>
      new CfnOutput(this, id, { value, description, exportName: `${this.stackName}-${id}` });

    output('ApiEndpoint', this.api.httpApi.apiEndpoint, 'execute-api endpoint of the HTTP API');
    output('PublicBaseUrl', this.api.publicBaseUrl, 'Base URL of onboarding links and public pages');
    output(
      'OAuthCallbackUrl',
      this.api.callbackUrl,
      'Register this as the Redirect URI of every Webex integration in the catalog',
    );
    output(
      'ClientSecretsSecretArn',
      this.tokenStore.clientSecrets.secretArn,
      'Put {"<integration key>": "<client secret>", ...} here after deploy',
    );
    output(
      'IntegrationKeys',
      inputs.catalog.clientSecretKeys.join(','),
      'Catalog keys (integrations and Service Apps) the client-secrets secret must name, comma-separated',
    );
    output('LinkSigningSecretArn', this.tokenStore.linkSigningKey.secretArn, 'Generated onboarding-link key');
    output('KmsKeyArn', this.tokenStore.key.keyArn, 'Customer managed key of the table, secrets and topic');
    output('TableName', this.tokenStore.table.tableName, 'The single DynamoDB table');
    output(
      'AlertTopicArn',
      this.alerts.topic.topicArn,
      'Event topic: every authorization event, for machines',
    );
    output('AlarmTopicArn', this.alerts.alarmTopic.topicArn, 'Alarm topic (ops e-mail; add paging or chat)');
    output(
      'MailIdentity',
      this.mail.identity.emailIdentityName,
      'SES domain identity: publish its DNS records',
    );
    output(
      'MailConfigurationSet',
      this.mail.configurationSet.configurationSetName,
      'SES configuration set (suppression, bounce and complaint events)',
    );
    output('NotifierQueueUrl', this.mail.queue.queueUrl, 'Queue from the event bus to the notifier');
    output(
      'NotifierDeadLetterQueueUrl',
      this.mail.deadLetterQueue.queueUrl,
      'Notifier messages that failed 5 times',
    );
    output('EventBusName', this.alerts.bus.eventBusName, 'Custom bus receiving every authorization event');
    output('ValidationQueueUrl', this.validator.queue.queueUrl, 'Queue from the sweep to the validator');
    output('DeadLetterQueueUrl', this.validator.deadLetterQueue.queueUrl, 'Validations that failed 5 times');
    output(
      'DashboardUrl',
      `https://${this.region}.console.aws.amazon.com/cloudwatch/home?region=${this.region}#dashboards:name=${this.observability.dashboard.dashboardName}`,
      'CloudWatch dashboard',
    );
    output(
      'TokenReaderPolicyArn',
      policies.tokenReader.managedPolicyArn,
      'Attach to a role that reads token secrets',
    );
    output(
      'TokenAccessPolicyArn',
      policies.tokenAccess.managedPolicyArn,
      'Attach to a role that uses createTokenAccess (reads and refreshes tokens)',
    );
    output(
      'AdminApiInvokePolicyArn',
      policies.adminInvoker.managedPolicyArn,
      'Attach to a role that calls the admin API',
    );
    if (this.api.domainName) {
      output(
        'CustomDomainTarget',
        this.api.domainName.regionalDomainName,
        'Point a CNAME (or alias) record for the custom domain at this name',
      );
    }
  }
}
