import * as z from 'zod';

/**
 * How big the scale, load and hostile-input tests run. `npm test` runs them smaller than their
 * issues name (a fifth of the tenants, a tenth of the token reads, half the property runs), so that
 * CI stays under 15 minutes on a 2-core machine; `npm run test:scale` (the `scale` project, which
 * sets `TEST_SCALE=full`) runs them at full size.
 */
const testScaleSchema = z.enum(['full', 'ci']).default('ci');

const TEST_SCALE = testScaleSchema.parse(process.env.TEST_SCALE || undefined);

/** `full` at `npm run test:scale`, `ci` otherwise. */
export function atScale(sizes: { full: number; ci: number }): number {
  return sizes[TEST_SCALE];
}

/** A count as the test names say it: `10,000`. */
export const counted = (count: number) => count.toLocaleString('en-US');
