import { describe, expect, it, vi } from 'vitest';
import { ContactSubscriptionSyncError } from '#domain/admin-errors.js';
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
    contacts: { sync: vi.fn(async () => undefined) },
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
  it('keeps a created tenant and says how to repair when its contacts could not be subscribed', async () => {
    const d = deps({ contacts: { sync: async () => Promise.reject(new Error('SNS down')) } });
    const error = await createTenant(d, {
      tenantId: 'acme',
      name: 'Acme',
      contacts: ['ops@acme.example'],
      sso: false,
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ContactSubscriptionSyncError);
    expect((error as Error).message).toMatch(/send the same contacts again with PATCH/);
    expect(d.tenants.tenants.get('acme')).toMatchObject({ status: 'active', linkVersion: 1 });
  });

  it('syncs contacts on update only when contacts are given', async () => {
    const sync = vi.fn(async () => undefined);
    const d = deps({ contacts: { sync } });
    await createTenant(d, { tenantId: 'acme', name: 'Acme', contacts: [], sso: false });
    await updateTenant(d, 'acme', { name: 'Acme 2' });
    expect(sync).not.toHaveBeenCalled();
    await updateTenant(d, 'acme', { contacts: ['a@acme.example'] });
    expect(sync).toHaveBeenCalledWith('acme', ['a@acme.example']);
  });

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
