import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, inject } from 'vitest';
import * as z from 'zod';
import type { SweepReport } from '#domain/sweep.js';
import { mailSchema, type Mail } from '#local/adapters/local-mailbox.js';
import { freePort } from '#local/dynamodb-local.js';
import { startLocalSystem, type LocalSystem, type LocalSystemOptions } from '#local/local-system.js';
import { submitConsent } from '#local/webex-simulator/index.js';
import type { SecretsView } from '#local/webex-simulator/world.js';
import { CookieJar } from './cookie-jar.js';
import { createTestTable } from './dynamodb.js';

/** The local system on free ports and a temporary data directory, removed again by `stop`. */
export interface TestLocalSystem {
  system: LocalSystem;
  dataDir: string;
  stop(): Promise<void>;
}

/**
 * Starts `npm start`'s system for a test: no sweep timer (the test sweeps), free ports, temp data,
 * and a table of its own on the tier's shared DynamoDB Local engine, dropped again by `stop`: an
 * engine of its own cost each file a JVM start (4.7 s with its table on an idle 2-core machine).
 */
export async function startTestLocalSystem(
  options: Partial<
    Pick<LocalSystemOptions, 'logLevel' | 'opsEmail' | 'linkTtlDays' | 'alertPolicy' | 'clock'>
  > = {},
): Promise<TestLocalSystem> {
  const dataDir = await mkdtemp(join(tmpdir(), 'security-local-'));
  const table = await createTestTable('local');
  const system = await startLocalSystem({
    port: await freePort(),
    simulatorPort: await freePort(),
    dynamoDb: { endpoint: inject('dynamoEndpoint'), tableName: table.tableName },
    dataDir,
    opsEmail: options.opsEmail ?? 'ops@vendor.example',
    sweepIntervalSeconds: 0,
    logLevel: options.logLevel ?? 'ERROR',
    ...(options.linkTtlDays !== undefined ? { linkTtlDays: options.linkTtlDays } : {}),
    ...(options.alertPolicy !== undefined ? { alertPolicy: options.alertPolicy } : {}),
    ...(options.clock !== undefined ? { clock: options.clock } : {}),
  });
  return {
    system,
    dataDir,
    async stop() {
      await system.stop();
      await table.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** What one HTTP exchange with the product answered. */
export interface Exchanged {
  url: string;
  status: number;
  location?: string;
  body: string;
}

/**
 * A request to the local API without following redirects. With a `browser`, it sends the cookies
 * that browser holds for the path and keeps the ones the answer sets, as a browser does.
 */
export async function request(
  url: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string>; browser?: CookieJar } = {},
): Promise<Exchanged> {
  const cookie = init.browser?.headerFor(new URL(url).pathname);
  const response = await fetch(url, {
    method: init.method ?? 'GET',
    redirect: 'manual',
    headers: {
      ...(init.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
      ...(cookie ? { Cookie: cookie } : {}),
      ...init.headers,
    },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  init.browser?.store(response.headers.getSetCookie());
  const location = response.headers.get('location');
  return { url, status: response.status, ...(location ? { location } : {}), body: await response.text() };
}

/** The product's answers of one onboarding: the start's redirect and the callback's page. */
export interface Onboarding {
  start: Exchanged;
  callback: Exchanged;
  /** The callback URL Webex sent the browser to (it carries the code: the simulator built it). */
  callbackUrl: string;
}

/** The headers of the portal's form pressed in a browser: a POST from the portal's own origin. */
export function portalPress(system: Pick<LocalSystem, 'publicBaseUrl'>): Record<string, string> {
  return {
    origin: new URL(system.publicBaseUrl).origin,
    'Content-Type': 'application/x-www-form-urlencoded',
  };
}

/**
 * One integration through the portal as a browser does it: Authorize pressed (the portal's form
 * posting to the start route from the portal's origin), the simulator's consent page answered as
 * `person`, then the callback, with the cookie the start set (a fresh browser by default).
 */
export async function onboardOverHttp(
  system: LocalSystem,
  linkToken: string,
  integration: string,
  person: string,
  decision: 'accept' | 'deny' = 'accept',
  browser: CookieJar = new CookieJar(),
): Promise<Onboarding> {
  const start = await request(
    `${system.api.url}/oauth/start?link=${encodeURIComponent(linkToken)}&integration=${integration}`,
    { method: 'POST', headers: portalPress(system), browser },
  );
  expect(start.status, `start ${integration}`).toBe(302);
  const consent = await submitConsent(start.location ?? '', { person, decision });
  const callbackUrl = consent.headers.get('location') ?? '';
  expect(consent.status, `consent ${integration}`).toBe(302);
  return { start, callback: await request(callbackUrl, { browser }), callbackUrl };
}

/** The local mailbox's mail (`/_local/mailbox.json`), parsed. */
export async function localMailbox(system: LocalSystem): Promise<Mail[]> {
  return z.array(mailSchema).parse(await (await fetch(`${system.api.url}/_local/mailbox.json`)).json());
}

/** One sweep of the local run (checks due within the hour, then the notifier's flush), without a failed check. */
export async function sweepLocal(system: LocalSystem): Promise<SweepReport> {
  const report = await system.api.sweep(3600);
  expect(report.errors).toEqual([]);
  return report;
}

/** The token of a portal URL (`.../connect/<token>`). */
export function linkTokenOf(portalUrl: string): string {
  const token = portalUrl.split('/connect/')[1];
  if (!token) throw new Error(`not a portal URL: ${portalUrl}`);
  return decodeURIComponent(token);
}

/** Calls a `/_sim` control route and returns its JSON. */
export async function simControl<T = unknown>(
  system: LocalSystem,
  path: string,
  body: unknown = {},
): Promise<T> {
  const response = await fetch(`${system.simulator.url}/_sim/${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(response.status, `/_sim/${path}`).toBeLessThan(300);
  return (await response.json()) as T;
}

/** A new org in the simulator with one Full Administrator; returns the admin's email. */
export async function addOrgWithAdmin(
  system: LocalSystem,
  name: string,
): Promise<{ orgId: string; email: string }> {
  const { orgId } = await simControl<{ orgId: string }>(system, 'orgs', { name });
  const email = `admin@${name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}.example`;
  await simControl(system, 'people', { email, orgId, fullAdmin: true });
  return { orgId, email };
}

/** Everything the simulator issued or received that must stay secret, as `/_sim/secrets` lists it. */
export type SimSecrets = SecretsView;

export async function simSecrets(system: LocalSystem): Promise<SimSecrets> {
  return (await (await fetch(`${system.simulator.url}/_sim/secrets`)).json()) as SimSecrets;
}

/** Whether an access token works at the simulator (`people/me` answers 200). */
export async function accessTokenWorks(system: LocalSystem, accessToken: string): Promise<boolean> {
  const response = await fetch(`${system.simulator.url}/v1/people/me`, {
    headers: { Authorization: `Bearer ${accessToken}` },
  });
  return response.status === 200;
}

/** Whether a refresh token still gets an access token from the simulator. */
export async function refreshTokenWorks(
  system: LocalSystem,
  input: { clientId: string; clientSecret: string; refreshToken: string },
): Promise<boolean> {
  const response = await fetch(`${system.simulator.url}/v1/access_token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'refresh_token',
      client_id: input.clientId,
      client_secret: input.clientSecret,
      refresh_token: input.refreshToken,
    }),
  });
  return response.status === 200;
}

/**
 * Collects everything the process writes while it runs: `process.stdout`/`stderr` writes (where
 * Powertools' loggers print) and the console methods (which vitest intercepts before they reach
 * the streams). `stop` puts everything back.
 */
export class OutputCapture {
  private readonly chunks: string[] = [];
  private readonly restore: Array<() => void> = [];

  /** @param echo also pass the output on, as it would have gone without the capture */
  constructor(private readonly echo = false) {}

  start(): this {
    for (const stream of [process.stdout, process.stderr]) {
      const original = stream.write.bind(stream);
      const capture = (chunk: unknown, ...rest: unknown[]): boolean => {
        this.chunks.push(
          typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'),
        );
        // Swallowed unless asked for: a DEBUG run would bury the test report.
        if (!this.echo) return true;
        return (original as (...args: unknown[]) => boolean)(chunk, ...rest);
      };
      stream.write = capture as typeof stream.write;
      this.restore.push(() => {
        stream.write = original as typeof stream.write;
      });
    }
    for (const name of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) {
      const original = console[name];
      console[name] = (...args: unknown[]) => {
        this.chunks.push(args.map((arg) => (typeof arg === 'string' ? arg : safeStringify(arg))).join(' '));
        if (this.echo) original.apply(console, args);
      };
      this.restore.push(() => {
        console[name] = original;
      });
    }
    return this;
  }

  stop(): void {
    for (const undo of this.restore.splice(0).reverse()) undo();
  }

  get text(): string {
    return this.chunks.join('\n');
  }
}

function safeStringify(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message}\n${value.stack ?? ''}`;
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}
