import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { regionOf, signRequest, UsageError } from '#cli/api-client.js';
import { main, table } from '#cli/webex-auth-keeper.js';

const EXAMPLE = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };

describe('CLI request signing', () => {
  it('matches the AWS SigV4 test suite (get-vanilla)', async () => {
    const headers = await signRequest({
      url: new URL('https://example.amazonaws.com/'),
      method: 'GET',
      headers: {},
      region: 'us-east-1',
      service: 'service',
      credentials: async () => EXAMPLE,
      signingDate: new Date('2015-08-30T12:36:00Z'),
    });
    expect(headers.authorization).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
    );
    expect(headers['x-amz-date']).toBe('20150830T123600Z');
  });

  it('takes the region from an execute-api URL, else from the environment', () => {
    expect(regionOf(new URL('https://a1b2c3.execute-api.eu-west-1.amazonaws.com'), {})).toBe('eu-west-1');
    expect(regionOf(new URL('https://admin.example.com'), { AWS_REGION: 'us-east-2' })).toBe('us-east-2');
    expect(() => regionOf(new URL('https://admin.example.com'), {})).toThrow(UsageError);
  });

  it('signs https requests for execute-api with the session token and sends no duplicate Host', async () => {
    const seen: { url: string; init: RequestInit }[] = [];
    const output: string[] = [];
    const code = await main(
      [
        '--api',
        'https://a1b2c3.execute-api.eu-west-1.amazonaws.com',
        'tenants',
        'create',
        'acme',
        '--name',
        'Acme',
      ],
      {
        stdout: (text) => output.push(text),
        stderr: (text) => output.push(text),
        env: {},
        client: {
          credentials: async () => ({ ...EXAMPLE, sessionToken: 'SESSION' }),
          signingDate: new Date('2026-11-25T10:00:00Z'),
          fetch: async (url, init) => {
            seen.push({ url: String(url), init: init ?? {} });
            return new Response(
              JSON.stringify({
                tenantId: 'acme',
                name: 'Acme',
                status: 'active',
                sso: false,
                contacts: [],
                linkVersion: 1,
                createdAt: '2026-11-25T10:00:00.000Z',
                updatedAt: '2026-11-25T10:00:00.000Z',
              }),
              { status: 201, headers: { 'content-type': 'application/json' } },
            );
          },
        },
      },
    );
    expect(code).toBe(0);
    expect(output.join('')).toBe('Created tenant acme (Acme).\n');
    const [request] = seen;
    expect(request?.url).toBe('https://a1b2c3.execute-api.eu-west-1.amazonaws.com/admin/tenants');
    const headers = request?.init.headers as Record<string, string>;
    expect(headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20261125\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=accept;content-type;host;x-amz-date;x-amz-security-token, Signature=[0-9a-f]{64}$/,
    );
    expect(headers['x-amz-security-token']).toBe('SESSION');
    expect(headers.host).toBeUndefined();
  });

  describe('--profile and --region', () => {
    afterEach(() => vi.unstubAllEnvs());

    /** Runs `tenants list` against a fake API; answers the Authorization header sent, or the exit and stderr. */
    async function signedWith(
      args: string[],
      api = 'https://a1b2c3.execute-api.eu-west-1.amazonaws.com',
      credentials?: () => Promise<typeof EXAMPLE>,
    ) {
      let authorization: string | undefined;
      const errors: string[] = [];
      const code = await main(['--api', api, ...args, 'tenants', 'list'], {
        stdout: () => undefined,
        stderr: (text) => errors.push(text),
        env: {},
        client: {
          ...(credentials ? { credentials } : {}),
          fetch: async (_url, init) => {
            authorization = (init?.headers as Record<string, string>).authorization;
            return new Response(JSON.stringify({ items: [] }), { status: 200 });
          },
        },
      });
      return { code, authorization, stderr: errors.join('') };
    }

    it('signs with the named profile of the shared credentials file, through the SDK chain', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'cli-profile-'));
      const credentials = join(dir, 'credentials');
      writeFileSync(
        credentials,
        '[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = x\n[ops]\naws_access_key_id = AKIDOPS\naws_secret_access_key = y\n',
      );
      vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', credentials);
      vi.stubEnv('AWS_CONFIG_FILE', join(dir, 'config'));
      vi.stubEnv('AWS_PROFILE', '');
      vi.stubEnv('AWS_ACCESS_KEY_ID', '');
      const ops = await signedWith(['--profile', 'ops']);
      expect(ops.code).toBe(0);
      expect(ops.authorization).toMatch(/Credential=AKIDOPS\/\d{8}\/eu-west-1\/execute-api\//);
      const missing = await signedWith(['--profile', 'nobody']);
      expect(missing.code).toBe(3);
      expect(missing.stderr).toMatch(
        /^webex-auth-keeper: Could not sign the request with AWS credentials of profile nobody: /,
      );
    });

    it('signs a custom domain for --region, and refuses a region the execute-api URL contradicts', async () => {
      const custom = await signedWith(
        ['--region', 'us-east-2'],
        'https://admin.vendor.example',
        async () => EXAMPLE,
      );
      expect(custom.authorization).toMatch(/\/us-east-2\/execute-api\//);
      const contradicted = await signedWith(['--region', 'us-east-2']);
      expect(contradicted.code).toBe(2);
      expect(contradicted.stderr).toContain(
        "webex-auth-keeper: --region us-east-2 does not match the API URL's region eu-west-1\n",
      );
      const bad = await signedWith(['--region', 'Europe']);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('webex-auth-keeper: --region: not an AWS region: Europe\n');
    });
  });

  it('turns API Gateway refusals (not problem documents) into one line, exit 1', async () => {
    const errors: string[] = [];
    const code = await main(
      ['--api', 'https://a1b2c3.execute-api.eu-west-1.amazonaws.com', 'tenants', 'list'],
      {
        stdout: () => undefined,
        stderr: (text) => errors.push(text),
        env: {},
        client: {
          credentials: async () => EXAMPLE,
          fetch: async () =>
            new Response(JSON.stringify({ message: 'Forbidden' }), { status: 403, statusText: 'Forbidden' }),
        },
      },
    );
    expect(code).toBe(1);
    expect(errors.join('')).toBe('webex-auth-keeper: 403 Forbidden: Forbidden\n');
  });
});

describe('CLI tables', () => {
  it('pads columns and shows empty cells as a dash', () => {
    expect(
      table(
        ['A', 'LONGER'],
        [
          ['x', ''],
          ['yyyy', 'z'],
        ],
      ),
    ).toBe('A     LONGER\nx     -\nyyyy  z\n');
  });
});
