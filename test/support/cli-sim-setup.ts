import { afterAll, beforeAll } from 'vitest';
import { HttpWebexClient } from '#adapters/webex-client.js';
import type { AdminApiDependencies } from '#functions/admin-api.app.js';
import type { WebexSimulator } from '#local/webex-simulator/index.js';
import { createAdminHarness, type AdminHarness } from './admin-harness.js';
import { startAdminServer, type AdminServer } from './admin-server.js';
import { startCatalogSimulator } from './sim-authorization.js';

/** What a CLI test file talks to: the simulator, the admin harness, and `--api` for its server. */
export interface CliSimSetup {
  readonly sim: WebexSimulator;
  readonly h: AdminHarness;
  readonly api: string[];
}

/**
 * For a `describe` of CLI tests against a served admin API over DynamoDB Local and the Webex
 * simulator: starts them before the file's tests (before the `beforeAll`s registered after this
 * call) and closes them after. `serve` picks the server's dependencies from the harness's.
 */
export function cliAgainstSimulatedWebex(
  serve: (h: AdminHarness) => AdminApiDependencies = (h) => h.deps,
): CliSimSetup {
  let sim: WebexSimulator | undefined;
  let h: AdminHarness | undefined;
  let server: AdminServer | undefined;
  beforeAll(async () => {
    sim = await startCatalogSimulator();
    h = await createAdminHarness({
      webex: new HttpWebexClient({ baseUrl: sim.url, timeoutMs: 3000 }),
      now: new Date(),
    });
    server = await startAdminServer(serve(h));
  });
  afterAll(async () => {
    await server?.close();
    await sim?.close();
    await h?.close();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the CLI setup starts in beforeAll: use it inside a test');
    return value;
  };
  return {
    get sim() {
      return started(sim);
    },
    get h() {
      return started(h);
    },
    get api() {
      return ['--api', started(server).url];
    },
  };
}
