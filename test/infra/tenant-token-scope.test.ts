import * as iam from 'aws-cdk-lib/aws-iam';
import { describe, expect, it } from 'vitest';
import { logicalId, permissionsOf, render, synthesize } from './support.js';

/** Whether an IAM resource pattern (`*` any run of characters, `?` one) matches an ARN. */
function iamMatches(pattern: string, arn: string): boolean {
  const regex = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${regex}$`).test(arn);
}

/*
 * IAM scoping of the admin API by tenant path: a service granted `GET /admin/tenants/acme/*`
 * reaches acme's token route and nothing of another tenant's, because the token route lives under
 * the tenant's path.
 */
describe('tenant-scoped read of the admin API', () => {
  let service: iam.Role | undefined;
  const { stack, template } = synthesize(
    {},
    {
      extend: (target) => {
        service = new iam.Role(target, 'SaasService', {
          assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
        });
        target.api.grantTenantRead(service, ['acme']);
      },
    },
  );
  if (service === undefined) throw new Error('service not created');
  const granted = permissionsOf(template, logicalId(service));
  const routeKeys = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map(
    (resource) => (resource.Properties as { RouteKey: string }).RouteKey,
  );
  const apiPrefix = `arn:\${AWS::Partition}:execute-api:\${AWS::Region}:\${AWS::AccountId}:\${${logicalId(stack.api.httpApi)}}`;

  /** The execute-api ARN API Gateway checks for a call of a route key with these path values. */
  function requestArn(routeKey: string, values: Record<string, string>): string {
    if (!routeKeys.includes(routeKey)) throw new Error(`no route ${routeKey}`);
    const [method, pathTemplate] = routeKey.split(' ') as [string, string];
    const path = pathTemplate.replace(/\{(\w+)\}/g, (_, name: string) => values[name] ?? `{${name}}`);
    return `${apiPrefix}/${render(stack.api.stage.stageName)}/${method}${path}`;
  }
  const allows = (arn: string) =>
    granted.some(
      (permission) => permission.action === 'execute-api:Invoke' && iamMatches(permission.resource, arn),
    );
  const tokenRoute = 'GET /admin/tenants/{tenantId}/authorizations/{integration}/token';

  it('grants execute-api:Invoke on GET under the tenant path only', () => {
    expect(granted).toEqual([
      { action: 'execute-api:Invoke', resource: `${apiPrefix}/$default/GET/admin/tenants/acme/*` },
    ]);
  });

  it("allows the tenant's token route, of every integration", () => {
    expect(allows(requestArn(tokenRoute, { tenantId: 'acme', integration: 'presence' }))).toBe(true);
    expect(allows(requestArn(tokenRoute, { tenantId: 'acme', integration: 'cdr' }))).toBe(true);
  });

  it("allows no other tenant's token, not even one whose id starts with the same letters", () => {
    expect(allows(requestArn(tokenRoute, { tenantId: 'beta', integration: 'presence' }))).toBe(false);
    expect(allows(requestArn(tokenRoute, { tenantId: 'acme2', integration: 'presence' }))).toBe(false);
  });

  it('allows no write on the tenant and no route outside it', () => {
    const values = { tenantId: 'acme', integration: 'presence' };
    expect(
      allows(requestArn('POST /admin/tenants/{tenantId}/authorizations/{integration}/refresh', values)),
    ).toBe(false);
    expect(allows(requestArn('DELETE /admin/tenants/{tenantId}', values))).toBe(false);
    expect(allows(requestArn('GET /admin/status-board', values))).toBe(false);
  });

  it('refuses a grant naming no tenant, or an id that would widen the ARN', () => {
    for (const tenantIds of [[], ['*'], ['acme/*']]) {
      expect(() =>
        synthesize(
          {},
          { extend: (target) => target.api.grantTenantRead(new iam.AccountRootPrincipal(), tenantIds) },
        ),
      ).toThrow(/tenant/);
    }
  });
});
