import { Match } from 'aws-cdk-lib/assertions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_ROUTE_THROTTLE, PUBLIC_ROUTE_THROTTLE } from '#lib/api.js';
import { defaultStack, logicalId, render, synthesize } from './support.js';
import type { Synthesized } from './support.js';

const PUBLIC_ROUTE_KEYS = [
  'GET /connect/{link}',
  'GET /oauth/start',
  'POST /oauth/start',
  'GET /oauth/callback',
  'GET /troubleshoot/{integration}',
  'POST /service-apps/confirm',
  'GET /unsubscribe/{token}',
  'POST /unsubscribe/{token}',
  'POST /webhooks/service-app',
];

const ADMIN_ROUTE_KEYS = [
  'GET /admin/tenants',
  'POST /admin/tenants',
  'GET /admin/tenants/{tenantId}',
  'PATCH /admin/tenants/{tenantId}',
  'DELETE /admin/tenants/{tenantId}',
  'POST /admin/tenants/{tenantId}/reactivate',
  'POST /admin/tenants/{tenantId}/links',
  'DELETE /admin/tenants/{tenantId}/links',
  'DELETE /admin/tenants/{tenantId}/suppressed-contacts/{email}',
  'GET /admin/tenants/{tenantId}/authorizations',
  'GET /admin/tenants/{tenantId}/history',
  'POST /admin/tenants/{tenantId}/authorizations/{integration}/validate',
  'GET /admin/status-board',
  'POST /admin/status-board/recount',
  'POST /admin/tenants/{tenantId}/authorizations/{integration}/recheck',
  'POST /admin/tenants/{tenantId}/authorizations/{integration}/refresh',
  'POST /admin/recheck',
  'POST /admin/integrations/{integration}/reload',
  'POST /admin/service-app-webhooks',
  'GET /admin/tenants/{tenantId}/authorizations/{integration}',
  'GET /admin/tenants/{tenantId}/authorizations/{integration}/token',
  'GET /admin/openapi.json',
];

interface RouteProperties {
  RouteKey: string;
  AuthorizationType: string;
  Target: unknown;
}

let synth: Synthesized;
let routes: Map<string, RouteProperties>;

beforeAll(() => {
  synth = defaultStack();
  routes = new Map(
    Object.values(synth.template.findResources('AWS::ApiGatewayV2::Route')).map((resource) => {
      const properties = resource.Properties as RouteProperties;
      return [properties.RouteKey, properties];
    }),
  );
});

/** The function a route's integration invokes, as a logical ID. */
function targetFunctionOf(route: RouteProperties): string {
  const match = /^integrations\/\$\{(\w+)\}$/.exec(render(route.Target));
  if (!match?.[1]) throw new Error(`Unexpected route target ${render(route.Target)}`);
  const integration = synth.template.toJSON().Resources[match[1]] as {
    Properties: { IntegrationUri: unknown; PayloadFormatVersion: string };
  };
  const uri = /^\$\{(\w+)\.Arn\}$/.exec(render(integration.Properties.IntegrationUri));
  if (!uri?.[1]) throw new Error('Integration does not invoke a function');
  return uri[1];
}

describe('HTTP API routes', () => {
  it('has exactly the public and admin routes of the contract', () => {
    expect([...routes.keys()].sort()).toEqual([...PUBLIC_ROUTE_KEYS, ...ADMIN_ROUTE_KEYS].sort());
  });

  it.each(PUBLIC_ROUTE_KEYS)('serves %s publicly from the public function', (routeKey) => {
    const route = routes.get(routeKey);
    expect(route?.AuthorizationType).toBe('NONE');
    expect(route && targetFunctionOf(route)).toBe(logicalId(synth.stack.api.publicFunction));
  });

  it.each(ADMIN_ROUTE_KEYS)('serves %s with IAM authorization from the admin function', (routeKey) => {
    const route = routes.get(routeKey);
    expect(route?.AuthorizationType).toBe('AWS_IAM');
    expect(route && targetFunctionOf(route)).toBe(logicalId(synth.stack.api.adminFunction));
  });

  it('lets API Gateway invoke each function only from its own routes', () => {
    const permissions = Object.values(synth.template.findResources('AWS::Lambda::Permission')).map(
      (resource) => resource.Properties as { FunctionName: unknown; SourceArn: unknown; Principal: string },
    );
    const fromApi = permissions.filter((permission) => permission.Principal === 'apigateway.amazonaws.com');
    const publicFn = `\${${logicalId(synth.stack.api.publicFunction)}.Arn}`;
    const publicSources = fromApi
      .filter((p) => render(p.FunctionName) === publicFn)
      .map((p) => render(p.SourceArn));
    expect(publicSources).toHaveLength(PUBLIC_ROUTE_KEYS.length);
    for (const source of publicSources) expect(source).not.toMatch(/\/admin\//);
    const adminFn = `\${${logicalId(synth.stack.api.adminFunction)}.Arn}`;
    const adminSources = fromApi
      .filter((p) => render(p.FunctionName) === adminFn)
      .map((p) => render(p.SourceArn));
    expect(adminSources).toHaveLength(ADMIN_ROUTE_KEYS.length);
    for (const source of adminSources) expect(source).toMatch(/\/admin\//);
  });

  it('runs one $default stage with access logs that name the route, not the path, and throttling', () => {
    synth.template.resourceCountIs('AWS::ApiGatewayV2::Stage', 1);
    synth.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: Match.anyValue(), ThrottlingBurstLimit: Match.anyValue() },
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('routeKey') },
    });
    const stage = Object.values(synth.template.findResources('AWS::ApiGatewayV2::Stage'))[0];
    const format = (stage?.Properties as { AccessLogSettings: { Format: string } }).AccessLogSettings.Format;
    // The path of /connect/{link} is the signed onboarding link itself.
    expect(format).not.toContain('$context.path');
    expect(JSON.parse(format)).toHaveProperty('requestId', '$context.requestId');
  });

  it('throttles each public route and each admin route apart, the admin routes lower, once the routes exist', () => {
    const [stageId, stage] =
      Object.entries(synth.template.findResources('AWS::ApiGatewayV2::Stage'))[0] ?? [];
    const { RouteSettings: settings } = (stage?.Properties ?? {}) as {
      RouteSettings: Record<string, { ThrottlingRateLimit: number; ThrottlingBurstLimit: number }>;
    };
    expect(Object.keys(settings).sort()).toEqual([...PUBLIC_ROUTE_KEYS, ...ADMIN_ROUTE_KEYS].sort());
    for (const key of PUBLIC_ROUTE_KEYS) {
      expect(settings[key], key).toEqual({
        ThrottlingRateLimit: PUBLIC_ROUTE_THROTTLE.rateLimit,
        ThrottlingBurstLimit: PUBLIC_ROUTE_THROTTLE.burstLimit,
      });
    }
    for (const key of ADMIN_ROUTE_KEYS) {
      expect(settings[key], key).toEqual({
        ThrottlingRateLimit: ADMIN_ROUTE_THROTTLE.rateLimit,
        ThrottlingBurstLimit: ADMIN_ROUTE_THROTTLE.burstLimit,
      });
    }
    expect(ADMIN_ROUTE_THROTTLE.rateLimit).toBeLessThan(PUBLIC_ROUTE_THROTTLE.rateLimit);
    const routeIds = Object.keys(synth.template.findResources('AWS::ApiGatewayV2::Route'));
    const dependsOn = (synth.template.toJSON().Resources as Record<string, { DependsOn?: string[] }>)[
      stageId ?? ''
    ]?.DependsOn;
    expect(dependsOn).toEqual(expect.arrayContaining(routeIds));
  });

  it('keeps the access logs three months, in their own log group deleted with the stack', () => {
    const stage = Object.values(synth.template.findResources('AWS::ApiGatewayV2::Stage'))[0];
    const destination = render(
      (stage?.Properties as { AccessLogSettings: { DestinationArn: unknown } }).AccessLogSettings
        .DestinationArn,
    );
    const logGroupId = /^\$\{(\w+)\.Arn\}$/.exec(destination)?.[1];
    if (logGroupId === undefined)
      throw new Error(`Access logs go to ${destination}, not a log group of the stack`);
    const logGroup = synth.template.toJSON().Resources[logGroupId] as {
      Type: string;
      DeletionPolicy?: string;
      Properties: { RetentionInDays?: number };
    };
    expect(logGroup.Type).toBe('AWS::Logs::LogGroup');
    expect(logGroup.Properties.RetentionInDays).toBe(90);
    expect(logGroup.DeletionPolicy).toBe('Delete');
  });
});

function environmentOf(template: Synthesized['template'], fn: lambda.Function): Record<string, unknown> {
  const resource = template.toJSON().Resources[logicalId(fn)] as {
    Properties: { Environment: { Variables: Record<string, unknown> } };
  };
  return resource.Properties.Environment.Variables;
}

describe('public base URL', () => {
  it('is the execute-api endpoint when no custom domain is given', () => {
    const endpoint = `\${${logicalId(synth.stack.api.httpApi)}.ApiEndpoint}`;
    for (const fn of [
      synth.stack.api.publicFunction,
      synth.stack.api.adminFunction,
      synth.stack.validator.worker,
      // The notifier's one-click unsubscribe links and re-authorize links point at the public API.
      synth.stack.mail.notifier,
    ]) {
      expect(render(environmentOf(synth.template, fn).PUBLIC_BASE_URL)).toBe(endpoint);
    }
    expect(render(synth.template.toJSON().Outputs.OAuthCallbackUrl.Value)).toBe(`${endpoint}/oauth/callback`);
    expect(synth.template.toJSON().Outputs).not.toHaveProperty('CustomDomainTarget');
    synth.template.resourceCountIs('AWS::ApiGatewayV2::DomainName', 0);
  });

  it('is https://<custom domain> when one is given, mapped to the stage with TLS 1.2', () => {
    const certificateArn =
      'arn:aws:acm:eu-west-1:123456789012:certificate/12345678-1234-1234-1234-123456789012';
    const custom = synthesize({ customDomain: { domainName: 'auth.example.com', certificateArn } });
    custom.template.hasResourceProperties('AWS::ApiGatewayV2::DomainName', {
      DomainName: 'auth.example.com',
      DomainNameConfigurations: [
        Match.objectLike({ CertificateArn: certificateArn, SecurityPolicy: 'TLS_1_2' }),
      ],
    });
    custom.template.hasResourceProperties('AWS::ApiGatewayV2::ApiMapping', {
      ApiId: { Ref: logicalId(custom.stack.api.httpApi) },
    });
    for (const fn of [
      custom.stack.api.publicFunction,
      custom.stack.api.adminFunction,
      custom.stack.validator.worker,
      // The notifier's one-click unsubscribe links and re-authorize links point at the public API.
      custom.stack.mail.notifier,
    ]) {
      expect(environmentOf(custom.template, fn).PUBLIC_BASE_URL).toBe('https://auth.example.com');
    }
    const outputs = custom.template.toJSON().Outputs;
    expect(outputs.OAuthCallbackUrl.Value).toBe('https://auth.example.com/oauth/callback');
    expect(render(outputs.CustomDomainTarget.Value)).toMatch(/RegionalDomainName/);
  });
});
