import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { issueOnboardingLink } from '#domain/onboarding-link.js';
import type { ServiceAppTokenPorts } from '#domain/onboarding.js';
import { VendorTokenUnavailableError, WebexError } from '#domain/ports.js';
import { createPublicApiHandler } from '#functions/public-api.app.js';
import { clientSecretsFrom, openRecordTokens, ScriptedServiceAppTokens } from '#test-support/fakes/index.js';
import { getEvent, lambdaContext, silentObservability, testTenant } from '#test-support/fixtures.js';
import { asPortalFormPost } from '#test-support/portal-start.js';
import { inMemoryPublicApiDependencies } from '#test-support/public-api-harness.js';

const ORG_ID = 'org-acme';
const VENDOR_TOKEN = 'vendor-access-token';

function setup(
  options: {
    orgId?: string;
    vendorToken?: ServiceAppTokenPorts['vendorToken'];
    vendorTenantId?: string;
  } = {},
) {
  const base = inMemoryPublicApiDependencies(
    options.vendorTenantId === undefined ? {} : { vendorTenantId: options.vendorTenantId },
  );
  const tenant = testTenant(options.orgId === undefined ? {} : { orgId: options.orgId });
  base.tenants.tenants.set(tenant.tenantId, tenant);
  const webex = new ScriptedServiceAppTokens();
  const deps = {
    ...base,
    clientSecrets: clientSecretsFrom((key) => `secret-${key}`),
    serviceAppTokens: {
      webex,
      vendorToken: options.vendorToken ?? { accessToken: async () => VENDOR_TOKEN },
    },
  };
  const handler = createPublicApiHandler(deps, silentObservability());
  const link = issueOnboardingLink({
    tenant,
    key: deps.linkKeys.key,
    clock: deps.clock,
    publicBaseUrl: deps.settings.publicBaseUrl,
  });
  const origin = new URL(deps.settings.publicBaseUrl).origin;
  const confirm = async (
    serviceApp = 'witness',
    /** The form's Origin; null: none. */
    from: string | null = origin,
  ): Promise<APIGatewayProxyStructuredResultV2 & { body: string }> => {
    const event = asPortalFormPost(
      getEvent(`/service-apps/confirm?link=${link.token}&serviceApp=${serviceApp}`),
      from ?? undefined,
    );
    const answer = await handler(event, lambdaContext());
    return { ...answer, body: answer.body ?? '' };
  };
  const portal = async () => (await handler(getEvent(`/connect/${link.token}`), lambdaContext())).body ?? '';
  const start = async (integration: string) => {
    const event = getEvent(`/oauth/start?link=${link.token}&integration=${integration}`);
    const answer = await handler(asPortalFormPost(event, origin), lambdaContext());
    return { ...answer, body: answer.body ?? '' };
  };
  return { deps, webex, confirm, portal, start };
}

describe('Service App onboarding: "I have authorized it"', () => {
  it('fetches the org token pair with the vendor token and stores it sealed, with no authorizer', async () => {
    const { deps, webex, confirm } = setup({ orgId: ORG_ID });
    const witness = deps.catalog.findServiceApp('witness');
    const answer = await confirm();
    expect(answer.statusCode).toBe(200);
    expect(answer.body).toContain('Authorized in Control Hub for Acme Corp');
    expect(answer.body).not.toContain('data-warning');
    expect(webex.requests).toEqual([
      {
        vendorAccessToken: VENDOR_TOKEN,
        request: {
          applicationId: witness?.applicationId,
          clientId: witness?.clientId,
          clientSecret: 'secret-witness',
          targetOrgId: ORG_ID,
        },
      },
    ]);
    const record = await deps.authorizations.get('acme', 'witness');
    expect(record).toMatchObject({ status: 'active', scopes: witness?.scopes });
    expect(record?.authorizer).toBeUndefined();
    expect(record?.sealedTokens).toBeDefined();
    const material = await openRecordTokens(deps.vault, record);
    expect(material).toMatchObject({ accessToken: 'org-access-token', refreshToken: 'org-refresh-token' });
    expect(deps.events.published.map(({ event }) => event.type)).toEqual(['granted']);
    expect(deps.events.published[0]?.event.authorizerEmail).toBeUndefined();
    expect(deps.events.published[0]?.event.summary).toContain('in Control Hub');
  });

  it('shows the card as active on the portal once stored', async () => {
    const { confirm, portal } = setup({ orgId: ORG_ID });
    expect(await portal()).toMatch(/data-service-app="witness"\s+data-state="not_authorized"/);
    await confirm();
    expect(await portal()).toMatch(/data-service-app="witness"\s+data-state="active"/);
  });

  it('answers "not yet authorized in Control Hub" on a 403 and writes nothing', async () => {
    const { deps, webex, confirm } = setup({ orgId: ORG_ID });
    webex.answer = new WebexError('forbidden', 'Webex answered 403', { status: 403 });
    const answer = await confirm();
    expect(answer.statusCode).toBe(403);
    expect(answer.body).toContain('data-reason="service_app_not_authorized"');
    expect(answer.body).toContain('Not yet authorized in Control Hub');
    expect(answer.body).toContain('Apps, then Service Apps');
    expect(await deps.authorizations.get('acme', 'witness')).toBeUndefined();
    expect(deps.events.published).toEqual([]);
  });

  it('keeps an authorization it cannot renew as it was when the endpoint fails', async () => {
    const { deps, webex, confirm } = setup({ orgId: ORG_ID });
    await confirm();
    const stored = await deps.authorizations.get('acme', 'witness');
    webex.answer = new WebexError('transient', 'Webex answered 503', { status: 503 });
    const answer = await confirm();
    expect(answer.statusCode).toBe(503);
    expect(answer.body).toContain('data-reason="service_app_unavailable"');
    expect(await deps.authorizations.get('acme', 'witness')).toEqual(stored);
  });

  it('refuses a tenant whose Webex org is not known, before calling Webex', async () => {
    const { webex, confirm } = setup();
    const answer = await confirm();
    expect(answer.statusCode).toBe(409);
    expect(answer.body).toContain('data-reason="org_unknown"');
    expect(webex.requests).toEqual([]);
  });

  it('says Webex cannot be asked when the vendor token is unusable, and never shows why to the customer', async () => {
    const { deps, webex, confirm } = setup({
      orgId: ORG_ID,
      vendorToken: {
        accessToken: async () => {
          throw new VendorTokenUnavailableError('VENDOR_TENANT_ID is not set');
        },
      },
    });
    const answer = await confirm();
    expect(answer.statusCode).toBe(503);
    expect(answer.body).toContain('data-reason="service_app_unavailable"');
    expect(answer.body).not.toContain('VENDOR_TENANT_ID');
    // Nothing tells ops of a vendor token that was never configured: the page must not claim it.
    expect(answer.body).not.toMatch(/has been told/);
    expect(answer.body).toContain('contact your vendor&#39;s support');
    expect(webex.requests).toEqual([]);
    expect(await deps.authorizations.get('acme', 'witness')).toBeUndefined();
  });

  it('refuses a confirm not posted by the portal, and an unknown Service App', async () => {
    const { webex, confirm } = setup({ orgId: ORG_ID });
    expect((await confirm('witness', 'https://evil.example')).statusCode).toBe(403);
    expect((await confirm('witness', null)).statusCode).toBe(403);
    const unknown = await confirm('presence');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.body).toContain('data-reason="unknown_integration"');
    expect(webex.requests).toEqual([]);
  });
});

describe('the vendor token integration on the portal', () => {
  it("is in no customer's portal, and a crafted start of it is refused", async () => {
    const { deps, portal, start } = setup({ orgId: ORG_ID, vendorTenantId: 'vendor' });
    expect(await portal()).not.toContain('data-integration="service-app-token"');
    const answer = await start('service-app-token');
    expect(answer.statusCode).toBe(404);
    expect(answer.body).toContain('data-reason="unknown_integration"');
    expect(deps.oauthStates.states.size).toBe(0);
  });

  it("is offered on the vendor's own tenant, and its start goes to Webex with spark:applications_token", async () => {
    const { portal, start } = setup({ orgId: ORG_ID, vendorTenantId: 'acme' });
    expect(await portal()).toContain('data-integration="service-app-token"');
    const answer = await start('service-app-token');
    expect(answer.statusCode).toBe(302);
    const location = new URL(String(answer.headers?.Location));
    expect(location.searchParams.get('scope')?.split(' ')).toContain('spark:applications_token');
  });
});
