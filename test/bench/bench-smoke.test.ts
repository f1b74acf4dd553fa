import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const outDir = mkdtempSync(join(tmpdir(), 'bench-smoke-'));
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

/**
 * `npm run bench --quick` end to end: its own DynamoDB Local and simulator, the real sweep, the
 * baseline, the bundles through the stack's construct, the callback. Timing targets are not
 * asserted at this size (a tiny table and a busy test machine say nothing about them); what is
 * asserted is that the bench runs, judges every target, and that the sweep did its whole job
 * without a scan.
 */
describe('npm run bench --quick', () => {
  it('runs every part, writes the report and judges each target', () => {
    const output = join(outDir, 'BENCHMARKS.md');
    const run = spawnSync(
      process.execPath,
      // 50 rather than --quick's 200: seeding and sweeping the bigger table took about 15 s of a
      // quick run here (its progress lines), and proves nothing more about the bench's parts.
      ['--import', 'tsx', 'bench/run.ts', '--quick', '--authorizations', '50', '--output', output],
      {
        encoding: 'utf8',
        // About 45 s on an idle 2-core machine (the cost section adds about 10); the margin is for a
        // machine busy with other suites: at a load average of 12 on 2 cores it took 2.6 minutes.
        timeout: 240_000,
      },
    );

    // 0: every target passed, 1: some failed; 2 or a signal would mean the bench itself broke.
    expect(run.signal, run.stderr).toBeNull();
    expect([0, 1], run.stderr).toContain(run.status);
    const report = readFileSync(output, 'utf8');
    expect(run.stdout).toContain(report.trim());
    for (const section of [
      '## Targets',
      '## Sweep',
      '## DynamoDB read capacity',
      '## Bundles and cold import',
      '## OAuth callback',
      '## Dispatch',
      '## Worker memory',
      '## Cost',
      '### Check interval: detection delay against cost',
      '## Webex call budget per org',
    ]) {
      expect(report).toContain(section);
    }
    expect(report).toMatch(/\| Every due authorization dispatched and checked, none failed \| PASS \|/);
    expect(report).toMatch(/\| No full-table scan on a schedule [^|]*\| PASS \|/);
    for (const name of ['public-api', 'admin-api', 'sweep-dispatcher', 'validator-worker']) {
      expect(report).toMatch(
        new RegExp(`\\| Bundle of ${name} at most 300\\.0 KB minified \\| (PASS|\\*\\*FAIL\\*\\*) \\|`),
      );
    }
    expect(report).toMatch(
      /\| Sweep time at most 1\.3 × the Webex latency limit, or 1\.2 × the CPU floor where this machine's CPU is the floor \(headline run\) \| (PASS|\*\*FAIL\*\*) \| [^|]+ \| (the (latency limit|CPU floor) bound holds|neither bound holds): 50 authorizations/,
    );
    expect(report).toMatch(
      /\| Dispatch: 500,000 due keys enqueued within 60 s \(SQS stand-in, 20 ms per SendMessageBatch\) \| (PASS|\*\*FAIL\*\*) \| \d+\.\d\d \(limit 1\) \| \d+ keys\/s = [\d.]+ × the stand-in's floor of 32000 keys\/s; 10000 keys in [\d.]+ s, [\d.]+ s at that rate for 500000; each key once, every invocation complete/,
    );
    expect(report).toMatch(
      /\| OAuth callback p99 minus simulator latency at most 25 ms \| (PASS|\*\*FAIL\*\*) \| \d+\.\d\d \(limit 1\) \| [\d.]+ ms = p99 [\d.]+ ms - 2 round trips/,
    );
    expect(report).toMatch(/\| of which DynamoDB Local on the path \| \d+\.\d ms \| \d+\.\d ms \|/);
    expect(report).toMatch(
      /\| of which Webex calls past the simulator's set latency \| -?\d+\.\d ms \| -?\d+\.\d ms \|/,
    );
    expect(report).toMatch(
      /\| of which the handler's own code \(no call in flight\) \| \d+\.\d ms \| \d+\.\d ms \|/,
    );
    expect(report).toContain('Per callback, 1 token seal (a KMS `GenerateDataKey` each on AWS');
    expect(report).toMatch(
      /\| Cost per tenant-month \(five integrations\) at most \$0\.15 at 10,000 tenants, default check interval \(\d+ min\) \| (PASS|\*\*FAIL\*\*) \| \d+\.\d\d \(limit 1\) \| \$\d/,
    );
    // Simulated time with seeded draws: the same on every machine, so it must pass.
    expect(report).toMatch(/\| Per-org Webex budget: one org with 5,000 authorizations [^|]*\| PASS \|/);
    expect(run.status).toBe(report.includes('**FAIL**') ? 1 : 0);
  }, 250_000);
});
