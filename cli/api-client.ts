import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { SignatureV4 } from '@smithy/signature-v4';
import * as z from 'zod';

/** The local run's API, used when neither `--api` nor WEBEX_AUTH_KEEPER_API says otherwise. */
export const LOCAL_API = 'http://127.0.0.1:8787';

/** How long one call may take before the CLI gives up. */
const TIMEOUT_MS = 30_000;

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** The user asked for something the CLI will not do (bad URL, no region): exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The API could not be reached or signed for (network, credentials): exit code 3. */
export class TransportError extends Error {
  override readonly name = 'TransportError';
}

const problemSchema = z.object({
  type: z.string().optional(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string().optional(),
});
export type Problem = z.infer<typeof problemSchema>;

/** The API answered with a problem document (or another error): exit code 1. */
export class ApiProblemError extends Error {
  override readonly name = 'ApiProblemError';
  constructor(readonly problem: Problem) {
    super(`${problem.status} ${problem.title}${problem.detail ? `: ${problem.detail}` : ''}`);
  }
}

/**
 * SHA-256 and HMAC-SHA256 on node:crypto, in the shape SignatureV4 asks for (a Checksum
 * constructor that takes the HMAC key), so no extra crypto package is needed.
 */
class NodeSha256 {
  private hash: Hash | Hmac;
  constructor(private readonly secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = this.fresh();
  }
  private fresh(): Hash | Hmac {
    if (this.secret === undefined) return createHash('sha256');
    const key =
      typeof this.secret === 'string'
        ? this.secret
        : ArrayBuffer.isView(this.secret)
          ? Buffer.from(this.secret.buffer, this.secret.byteOffset, this.secret.byteLength)
          : Buffer.from(this.secret);
    return createHmac('sha256', key);
  }
  update(chunk: Uint8Array): void {
    this.hash.update(chunk);
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {
    this.hash = this.fresh();
  }
}

/** Region of an `execute-api` URL (`https://<id>.execute-api.<region>.amazonaws.com`), else the environment's. */
export function regionOf(url: URL, env: Record<string, string | undefined>): string {
  const match = /\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/.exec(url.hostname);
  const region = match?.[1] ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (!region) {
    throw new UsageError(`Cannot tell the AWS region of ${url.host}; set AWS_REGION`);
  }
  return region;
}

/** A request as the CLI sends it. */
export interface ApiRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, string>;
  body?: unknown;
  /** Extra request headers (signed with the rest), e.g. `if-match`. */
  headers?: Record<string, string>;
}

/** An answer's JSON and headers (`ETag`), for the commands that need both. */
export interface ApiAnswer {
  document: unknown;
  headers: Headers;
}

/** Credentials as SigV4 needs them; the default AWS chain when not given. */
export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface ApiClientOptions {
  /** Base URL of the API: https (signed) anywhere, or http on loopback (the local run, unsigned). */
  baseUrl: string;
  /** The AWS profile to sign with (`--profile`), through the SDK's credential chain. */
  profile?: string;
  /** The region to sign for (`--region`), when the URL does not say it (a custom domain). */
  region?: string;
  env?: Record<string, string | undefined>;
  credentials?: () => Promise<Credentials>;
  fetch?: typeof fetch;
  /** Fixed signing time, for tests. */
  signingDate?: Date;
}

/** Signs a request for API Gateway's IAM authorization (SigV4, service `execute-api`). */
export async function signRequest(input: {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body?: string;
  region: string;
  service?: string;
  credentials: () => Promise<Credentials>;
  signingDate?: Date;
}): Promise<Record<string, string>> {
  const signer = new SignatureV4({
    service: input.service ?? 'execute-api',
    region: input.region,
    credentials: input.credentials,
    sha256: NodeSha256,
    // API Gateway checks the payload hash inside the signature; the extra header is S3's business.
    applyChecksum: false,
  });
  const query: Record<string, string> = {};
  for (const [name, value] of input.url.searchParams) query[name] = value;
  const signed = await signer.sign(
    {
      method: input.method,
      protocol: input.url.protocol,
      hostname: input.url.hostname,
      ...(input.url.port ? { port: Number(input.url.port) } : {}),
      path: input.url.pathname,
      query,
      headers: { ...input.headers, host: input.url.host },
      ...(input.body !== undefined ? { body: input.body } : {}),
    },
    input.signingDate ? { signingDate: input.signingDate } : {},
  );
  return Object.fromEntries(Object.entries(signed.headers).map(([name, value]) => [name, String(value)]));
}

/** Calls the admin API: JSON in and out, problems turned into ApiProblemError. */
export class AdminApiClient {
  private readonly baseUrl: URL;
  private readonly signed: boolean;
  private readonly env: Record<string, string | undefined>;
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly options: ApiClientOptions) {
    let url: URL;
    try {
      url = new URL(options.baseUrl);
    } catch {
      throw new UsageError(`Not a URL: ${options.baseUrl}`);
    }
    if (url.protocol === 'http:' && !LOOPBACK_HOSTS.has(url.hostname)) {
      throw new UsageError('Plain http is only for the local run on 127.0.0.1; use the https API URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new UsageError(`Unsupported URL scheme ${url.protocol}`);
    }
    if (options.region !== undefined && !/^[a-z]{2}(-[a-z]+)+-\d{1,2}$/.test(options.region)) {
      throw new UsageError(`--region: not an AWS region: ${options.region.slice(0, 40)}`);
    }
    if (options.profile !== undefined && !/^[\w.+@-]{1,128}$/.test(options.profile)) {
      throw new UsageError(`--profile: not a profile name: ${options.profile.slice(0, 40)}`);
    }
    this.baseUrl = url;
    this.signed = url.protocol === 'https:';
    this.env = options.env ?? process.env;
    this.fetchImpl = options.fetch ?? ((resource, init) => fetch(resource, init));
  }

  /**
   * `--region`, else the URL's, else the environment's. API Gateway checks the signature against
   * its own region, so a `--region` other than the one an execute-api URL names is refused.
   */
  private signingRegion(url: URL): string {
    const given = this.options.region;
    if (given === undefined) return regionOf(url, this.env);
    const named = regionOf(url, { ...this.env, AWS_REGION: given });
    if (named !== given) {
      throw new UsageError(`--region ${given} does not match the API URL's region ${named}`);
    }
    return given;
  }

  /** Sends the request; answers the JSON document. */
  async call(request: ApiRequest): Promise<unknown> {
    return (await this.send(request)).document;
  }

  /** Sends the request; answers the JSON document with the answer's headers. */
  async send(request: ApiRequest): Promise<ApiAnswer> {
    const url = new URL(this.baseUrl.href.replace(/\/+$/, '') + request.path);
    for (const [name, value] of Object.entries(request.query ?? {})) url.searchParams.set(name, value);
    const body = request.body === undefined ? undefined : JSON.stringify(request.body);
    let headers: Record<string, string> = {
      accept: 'application/json',
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...request.headers,
    };
    if (this.signed) {
      try {
        headers = await signRequest({
          url,
          method: request.method,
          headers,
          ...(body !== undefined ? { body } : {}),
          region: this.signingRegion(url),
          credentials:
            this.options.credentials ??
            defaultProvider(this.options.profile !== undefined ? { profile: this.options.profile } : {}),
          ...(this.options.signingDate ? { signingDate: this.options.signingDate } : {}),
        });
      } catch (error) {
        if (error instanceof UsageError) throw error;
        const profile = this.options.profile === undefined ? '' : ` of profile ${this.options.profile}`;
        throw new TransportError(
          `Could not sign the request with AWS credentials${profile}: ${messageOf(error)}`,
        );
      }
      // fetch sets Host itself; a duplicate would be refused.
      delete headers.host;
    }
    let response: Response;
    try {
      response = await this.fetchImpl(url, {
        method: request.method,
        headers,
        ...(body !== undefined ? { body } : {}),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (error) {
      throw new TransportError(`Cannot reach ${this.baseUrl.origin}: ${messageOf(error)}`);
    }
    const text = await response.text();
    let document: unknown;
    try {
      document = text === '' ? undefined : JSON.parse(text);
    } catch {
      document = undefined;
    }
    if (response.ok) {
      if (document === undefined)
        throw new TransportError(`The API answered ${response.status} without JSON`);
      return { document, headers: response.headers };
    }
    const problem = problemSchema.safeParse(document);
    // API Gateway's own refusals (e.g. a bad signature) come as {"message": ...}, not as problems.
    const message = z.object({ message: z.string() }).safeParse(document);
    throw new ApiProblemError(
      problem.success
        ? problem.data
        : {
            status: response.status,
            title: response.statusText || 'Error',
            ...(message.success ? { detail: message.data.message } : {}),
          },
    );
  }
}

function messageOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
  return `${error.message}${cause}`;
}
