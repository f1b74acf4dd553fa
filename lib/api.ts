import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { tenantIdSchema } from '#domain/admin.js';
import type { CustomDomain } from './deploy-inputs.js';
import { resourceNamePrefix } from './names.js';
import { ProjectFunction, functionBinding } from './project-function.js';
import type { FunctionBinding } from './project-function.js';

/** A route: method and path template, as API Gateway spells them. */
export interface RouteSpec {
  readonly method: apigw.HttpMethod;
  readonly path: string;
}

const { GET, POST, PATCH, DELETE } = apigw.HttpMethod;

/** Routes anyone may call: the onboarding portal, the OAuth dance, the troubleshooting pages, the Service App confirmation, the serviceApp webhook and unsubscribing. */
export const PUBLIC_ROUTES: readonly RouteSpec[] = [
  { method: GET, path: '/connect/{link}' },
  // GET shows the portal; only the portal's own form (a POST) starts an authorization.
  { method: GET, path: '/oauth/start' },
  { method: POST, path: '/oauth/start' },
  { method: GET, path: '/oauth/callback' },
  { method: GET, path: '/troubleshoot/{integration}' },
  // The portal's Service App card: "I have authorized it" fetches the org's tokens.
  { method: POST, path: '/service-apps/confirm' },
  // An alert's unsubscribe link: GET shows a confirm button, POST (RFC 8058 one-click) unsubscribes.
  { method: GET, path: '/unsubscribe/{token}' },
  { method: POST, path: '/unsubscribe/{token}' },
  // Webex's serviceApp webhook: verified by its HMAC signature, not by IAM.
  { method: POST, path: '/webhooks/service-app' },
];

/** Routes of the vendor's own tooling, signed with SigV4 (IAM authorization). */
export const ADMIN_ROUTES: readonly RouteSpec[] = [
  { method: GET, path: '/admin/tenants' },
  { method: POST, path: '/admin/tenants' },
  { method: GET, path: '/admin/tenants/{tenantId}' },
  { method: PATCH, path: '/admin/tenants/{tenantId}' },
  { method: DELETE, path: '/admin/tenants/{tenantId}' },
  { method: POST, path: '/admin/tenants/{tenantId}/reactivate' },
  { method: POST, path: '/admin/tenants/{tenantId}/links' },
  { method: DELETE, path: '/admin/tenants/{tenantId}/links' },
  { method: DELETE, path: '/admin/tenants/{tenantId}/suppressed-contacts/{email}' },
  { method: GET, path: '/admin/tenants/{tenantId}/authorizations' },
  { method: GET, path: '/admin/tenants/{tenantId}/history' },
  { method: POST, path: '/admin/tenants/{tenantId}/authorizations/{integration}/validate' },
  { method: GET, path: '/admin/status-board' },
  { method: POST, path: '/admin/status-board/recount' },
  { method: POST, path: '/admin/tenants/{tenantId}/authorizations/{integration}/recheck' },
  { method: POST, path: '/admin/tenants/{tenantId}/authorizations/{integration}/refresh' },
  { method: POST, path: '/admin/recheck' },
  { method: POST, path: '/admin/integrations/{integration}/reload' },
  { method: POST, path: '/admin/service-app-webhooks' },
  { method: GET, path: '/admin/tenants/{tenantId}/authorizations/{integration}' },
  { method: GET, path: '/admin/tenants/{tenantId}/authorizations/{integration}/token' },
  { method: GET, path: '/admin/openapi.json' },
];

/** An API Gateway throttle: steady requests a second, and the burst above it. */
export interface RouteThrottle {
  readonly rateLimit: number;
  readonly burstLimit: number;
}

/**
 * Each public route's throttle: the portal is public, so a cap keeps a flood from running up
 * Lambda and Webex calls, and a flood on one route leaves the others (the callback) their own.
 */
export const PUBLIC_ROUTE_THROTTLE: RouteThrottle = { rateLimit: 50, burstLimit: 100 };

/**
 * Each admin route's throttle, apart from the public ones, so the vendor's bulk tooling (a
 * recheck or validate over the fleet) never spends what customers' callbacks need, nor the
 * reverse. Validate-now and refresh call Webex, which the lower rate also spares.
 */
export const ADMIN_ROUTE_THROTTLE: RouteThrottle = { rateLimit: 20, burstLimit: 40 };

/** Path of the OAuth redirect URI, relative to the public base URL. */
export const OAUTH_CALLBACK_PATH = '/oauth/callback';

/** Options of the API construct. */
export interface ApiProps {
  /** Entry file of the public (portal and OAuth) function. */
  readonly publicEntry: string;
  /** Entry file of the admin function. */
  readonly adminEntry: string;
  /** Bindings both functions get (alert publishing, settings). */
  readonly sharedBindings: readonly FunctionBinding[];
  /** Bindings only the public function gets (its state access, write-only token secrets). */
  readonly publicBindings: readonly FunctionBinding[];
  /** Bindings only the admin function gets (its state access, contact subscriptions). */
  readonly adminBindings: readonly FunctionBinding[];
  readonly customDomain?: CustomDomain;
  readonly logRetention: logs.RetentionDays;
}

/**
 * The HTTP API: public routes (no authorizer) on the portal function, admin routes (IAM) on the
 * admin function, one `$default` stage with access logs and throttling, and the optional custom
 * domain. It also decides the public base URL every link and the OAuth redirect URI start with.
 */
export class Api extends Construct {
  readonly httpApi: apigw.HttpApi;
  readonly stage: apigw.HttpStage;
  readonly publicFunction: ProjectFunction;
  readonly adminFunction: ProjectFunction;
  /** `https://<custom domain>` or the execute-api endpoint, without a trailing slash. */
  readonly publicBaseUrl: string;
  /** The redirect URI to register on every Webex integration. */
  readonly callbackUrl: string;
  readonly domainName?: apigw.DomainName;

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);

    this.httpApi = new apigw.HttpApi(this, 'HttpApi', {
      apiName: resourceNamePrefix(this),
      description: 'webex-auth-keeper: onboarding portal, OAuth callback and admin API',
      // The stage is made below, with access logs and throttling, which the default one lacks.
      createDefaultStage: false,
    });

    if (props.customDomain) {
      this.domainName = new apigw.DomainName(this, 'DomainName', {
        domainName: props.customDomain.domainName,
        certificate: acm.Certificate.fromCertificateArn(
          this,
          'Certificate',
          props.customDomain.certificateArn,
        ),
        securityPolicy: apigw.SecurityPolicy.TLS_1_2,
      });
    }

    const accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.logRetention,
      // Like the function logs: operational data that goes with the stack.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stage = new apigw.HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      // Any route without its own setting below (none today) gets the public routes' throttle.
      throttle: PUBLIC_ROUTE_THROTTLE,
      accessLogSettings: {
        destination: new apigw.LogGroupLogDestination(accessLogs),
        // routeKey, not path: a path carries the signed onboarding link, which must not be logged.
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            requestTime: '$context.requestTime',
            ip: '$context.identity.sourceIp',
            caller: '$context.identity.userArn',
            routeKey: '$context.routeKey',
            status: '$context.status',
            responseLength: '$context.responseLength',
            latencyMs: '$context.responseLatency',
            integrationError: '$context.integrationErrorMessage',
          }),
        ),
      },
      ...(this.domainName && { domainMapping: { domainName: this.domainName } }),
    });

    this.publicBaseUrl = props.customDomain
      ? `https://${props.customDomain.domainName}`
      : this.httpApi.apiEndpoint;
    this.callbackUrl = `${this.publicBaseUrl}${OAUTH_CALLBACK_PATH}`;

    this.publicFunction = new ProjectFunction(this, 'PublicFunction', {
      entry: props.publicEntry,
      serviceName: 'public-api',
      description: 'Onboarding portal, OAuth start and callback, troubleshooting pages',
      // The callback exchanges the code and probes the token at Webex before it answers.
      timeout: Duration.seconds(20),
      logRetention: props.logRetention,
    }).bind(...props.sharedBindings, ...props.publicBindings, this.bindPublicBaseUrl());
    this.adminFunction = new ProjectFunction(this, 'AdminFunction', {
      entry: props.adminEntry,
      serviceName: 'admin-api',
      description:
        'Admin API: tenants, contacts, onboarding links, status, validate-now, recheck, refresh, reload, offboarding',
      // Validate-now refreshes and probes at Webex; API Gateway itself gives up at 29 s.
      timeout: Duration.seconds(25),
      logRetention: props.logRetention,
    }).bind(...props.sharedBindings, ...props.adminBindings, this.bindPublicBaseUrl());

    const publicIntegration = new HttpLambdaIntegration('PublicIntegration', this.publicFunction);
    for (const route of PUBLIC_ROUTES) {
      const created = this.httpApi.addRoutes({
        path: route.path,
        methods: [route.method],
        integration: publicIntegration,
      });
      for (const publicRoute of created) {
        Validations.of(publicRoute).acknowledge({
          id: 'AwsSolutions::AwsSolutions-APIG4',
          reason:
            'Public by design: a customer admin opens the portal from an e-mailed link. Access is guarded by the signed, expiring link and by the single-use OAuth state, checked in the function.',
        });
      }
    }
    const adminIntegration = new HttpLambdaIntegration('AdminIntegration', this.adminFunction);
    const iamAuthorizer = new HttpIamAuthorizer();
    for (const route of ADMIN_ROUTES) {
      this.httpApi.addRoutes({
        path: route.path,
        methods: [route.method],
        integration: adminIntegration,
        authorizer: iamAuthorizer,
      });
    }
    this.throttleRoutes();
  }

  /**
   * A throttle of its own on every route (the L2 stage sets only the default): the public routes'
   * and the admin routes' limits apart. CloudFormation refuses route settings of a route that does
   * not exist yet, so the stage waits for the routes.
   */
  private throttleRoutes(): void {
    const settings = (routes: readonly RouteSpec[], throttle: RouteThrottle) =>
      routes.map((route) => [
        `${route.method} ${route.path}`,
        { ThrottlingRateLimit: throttle.rateLimit, ThrottlingBurstLimit: throttle.burstLimit },
      ]);
    const cfnStage = this.stage.node.defaultChild as apigw.CfnStage;
    cfnStage.routeSettings = Object.fromEntries([
      ...settings(PUBLIC_ROUTES, PUBLIC_ROUTE_THROTTLE),
      ...settings(ADMIN_ROUTES, ADMIN_ROUTE_THROTTLE),
    ]);
    for (const child of this.httpApi.node.children) {
      if (child instanceof apigw.HttpRoute) cfnStage.node.addDependency(child);
    }
  }

  /** PUBLIC_BASE_URL for any function that writes links (the API's own and the validator). */
  bindPublicBaseUrl(): FunctionBinding {
    return functionBinding({ PUBLIC_BASE_URL: this.publicBaseUrl });
  }

  /** Lets a principal (the vendor's tooling) call every admin route; nothing public needs a grant. */
  grantAdminInvoke(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['execute-api:Invoke'],
      resourceArns: [this.adminRoutesArn()],
    });
  }

  /**
   * Lets a principal (a service of the SaaS) read what the admin API holds on the named tenants
   * only, their access tokens among it (`GET .../token`): every GET under `/admin/tenants/<id>/`,
   * no write, no other tenant.
   */
  grantTenantRead(grantee: iam.IGrantable, tenantIds: readonly string[]): iam.Grant {
    if (tenantIds.length === 0) throw new Error('A tenant read grant names no tenant');
    for (const tenantId of tenantIds) {
      // A `*` or `/` in an id would widen the ARN to other tenants.
      if (!tenantIdSchema.safeParse(tenantId).success) {
        throw new Error(`A tenant read grant names "${tenantId}", which is not a tenant id`);
      }
    }
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['execute-api:Invoke'],
      resourceArns: tenantIds.map((tenantId) => this.tenantReadArn(tenantId)),
    });
  }

  /** `execute-api` ARN of every GET under one tenant's admin path (`.../GET/admin/tenants/<id>/*`). */
  tenantReadArn(tenantId: string): string {
    return Stack.of(this).formatArn({
      service: 'execute-api',
      resource: this.httpApi.apiId,
      resourceName: `${this.stage.stageName}/GET/admin/tenants/${tenantId}/*`,
    });
  }

  /** `execute-api` ARN covering every method of every `/admin/...` route on the `$default` stage. */
  adminRoutesArn(): string {
    return Stack.of(this).formatArn({
      service: 'execute-api',
      resource: this.httpApi.apiId,
      resourceName: `${this.stage.stageName}/*/admin/*`,
    });
  }
}
