import { describe, expect, it } from 'vitest';
import {
  createTenant,
  newTenantSchema,
  revokeOnboardingLinks,
  tenantIdSchema,
  tenantPatchSchema,
  updateTenant,
  type AdminDependencies,
} from '#domain/admin.js';
import { defaultCatalog } from '#adapters/catalog-file.js';
import type { Tenant } from '#domain/model.js';
import { ConflictError } from '#domain/ports.js';
import { InMemoryTenantRepository } from '#test-support/fakes/index.js';

const NOW = new Date('2026-11-25T10:00:00.000Z');

function deps(
  overrides: Partial<AdminDependencies> = {},
): AdminDependencies & { tenants: InMemoryTenantRepository } {
  const unused = () => {
    throw new Error('not used here');
  };
  return {
    tenants: new InMemoryTenantRepository(),
    authorizations: {
      get: unused,
      listForTenant: unused,
      save: unused,
      acquireLease: unused,
      leaseForCheck: unused,
      releaseLease: unused,
      listDue: unused,
    },
    history: { append: unused, list: unused },
    catalog: defaultCatalog(),
    clock: { now: () => NOW, sleep: unused },
    passwordMaxAgeDays: 1825,
    defaultLinkTtlDays: 14,
    issueLink: unused,
    validateNow: unused,
    ...overrides,
  } as AdminDependencies & { tenants: InMemoryTenantRepository };
}

describe('admin inputs', () => {
  it.each(['a', 'acme', 'acme-corp-2', '0-9', 'a'.repeat(63)])('accepts the tenant id %s', (id) => {
    expect(tenantIdSchema.safeParse(id).success).toBe(true);
  });
  it.each(['', 'Acme', 'acme corp', '-acme', 'acme-', 'acme_corp', 'a'.repeat(64), 'acmé'])(
    'refuses the tenant id %j',
    (id) => {
      expect(tenantIdSchema.safeParse(id).success).toBe(false);
    },
  );

  it('normalizes contacts: trimmed, lower case, each once', () => {
    const parsed = newTenantSchema.parse({
      tenantId: 'acme',
      name: 'Acme',
      contacts: [' Ops@Acme.example ', 'ops@acme.example', 'IT@acme.example'],
    });
    expect(parsed.contacts).toEqual(['ops@acme.example', 'it@acme.example']);
  });

  it('wants at least one field in a patch', () => {
    expect(tenantPatchSchema.safeParse({}).success).toBe(false);
    expect(tenantPatchSchema.safeParse({ sso: false }).success).toBe(true);
  });
});

describe('admin use cases', () => {
  it('moves updatedAt forward even within one millisecond, so the optimistic lock stays sound', async () => {
    const d = deps();
    await createTenant(d, { tenantId: 'acme', name: 'Acme', contacts: [], sso: false });
    const first = await updateTenant(d, 'acme', { sso: true });
    const second = await revokeOnboardingLinks(d, 'acme');
    expect(first.updatedAt).toBe('2026-11-25T10:00:00.001Z');
    expect(second.updatedAt).toBe('2026-11-25T10:00:00.002Z');
    expect(second.linkVersion).toBe(2);
  });

  it('refuses an update when the tenant changed meanwhile', async () => {
    const d = deps();
    await createTenant(d, { tenantId: 'acme', name: 'Acme', contacts: [], sso: false });
    const replace = d.tenants.replace.bind(d.tenants);
    d.tenants.replace = async (tenant, expected) => {
      // Another admin's write lands between our read and our write.
      const current = d.tenants.tenants.get('acme') as Tenant;
      d.tenants.tenants.set('acme', { ...current, updatedAt: '2026-11-25T11:00:00.000Z' });
      return replace(tenant, expected);
    };
    await expect(updateTenant(d, 'acme', { name: 'Mine' })).rejects.toBeInstanceOf(ConflictError);
  });
});
