import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminHarness, type AdminHarness } from '#test-support/admin-harness.js';
import { atScale, counted } from '#test-support/test-scale.js';

/** Issue 14 names 10,000: `npm run test:scale`. */
const TENANTS = atScale({ full: 10_000, ci: 2_000 });
const CONTACTS_PER_TENANT = 3;
/** Calls measured at each end: enough for a stable median on a shared machine. */
const SAMPLE = 200;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

const idOf = (index: number) => `scale-${String(index).padStart(5, '0')}`;

// Issue 14: contacts live in the table, so a tenant costs the same whatever the number before it.
describe(`${counted(TENANTS)} tenants with 3 contacts each, through the admin API`, () => {
  let h: AdminHarness;
  const createMs: number[] = [];

  beforeAll(async () => {
    h = await createAdminHarness();
    h.aws.resetHistory();
    for (let index = 1; index <= TENANTS; index += 1) {
      const tenantId = idOf(index);
      const started = performance.now();
      const response = await h.call('POST', '/admin/tenants', {
        body: {
          tenantId,
          name: `Tenant ${index}`,
          contacts: Array.from({ length: CONTACTS_PER_TENANT }, (_, n) => `contact${n}@${tenantId}.example`),
        },
      });
      createMs.push(performance.now() - started);
      if (response.status !== 201) throw new Error(`tenant ${tenantId}: ${response.status} ${response.text}`);
    }
  }, 600_000);
  afterAll(async () => h.close());

  it('makes no SNS or SES call: creating tenants and contacts creates no AWS resource', () => {
    expect(h.aws.calls()).toBe(0);
  });

  it(`keeps the time per create flat: tenant ${counted(TENANTS)} costs about what tenant 1 did`, () => {
    const first = median(createMs.slice(0, SAMPLE));
    const last = median(createMs.slice(-SAMPLE));
    // Generous for a shared machine, but far below what a per-tenant SNS policy or listing costs.
    expect(last).toBeLessThan(first * 3 + 2);
  });

  it(`reads and updates tenant ${counted(TENANTS)} as fast as tenant 1, with its contacts`, async () => {
    const timeOf = async (tenantId: string) => {
      const samples: number[] = [];
      for (let round = 0; round < 50; round += 1) {
        const started = performance.now();
        const response = await h.call('GET', `/admin/tenants/${tenantId}`);
        samples.push(performance.now() - started);
        expect(response.status).toBe(200);
      }
      return median(samples);
    };
    const first = await timeOf(idOf(1));
    const last = await timeOf(idOf(TENANTS));
    expect(last).toBeLessThan(first * 3 + 2);
    const updated = await h.call('PATCH', `/admin/tenants/${idOf(TENANTS)}`, {
      body: {
        contacts: ['new@scale.example', 'contact1@scale-10000.example', 'contact2@scale-10000.example'],
      },
    });
    expect(updated.status).toBe(200);
    expect(await h.repos.tenants.get(idOf(TENANTS))).toMatchObject({
      contacts: ['new@scale.example', 'contact1@scale-10000.example', 'contact2@scale-10000.example'],
    });
    expect(h.aws.calls()).toBe(0);
  });
});
