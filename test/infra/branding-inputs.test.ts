import { describe, expect, it } from 'vitest';
import { readDeployInputs } from '#lib/deploy-inputs.js';
import { environmentOf, synthesize } from './support.js';

function read(context: Record<string, unknown>) {
  return readDeployInputs({
    getContext: (key) => context[key],
    contextKeysGiven: () => Object.keys(context),
  });
}

const BRANDING = {
  vendorName: 'Acme Attendant',
  vendorSupportEmail: 'support@acme-attendant.example',
  vendorLogoUrl: 'https://cdn.acme-attendant.example/logo.svg',
};

/* The vendor's branding as deploy inputs, and where the stack hands it on. */
describe('branding deploy inputs', () => {
  it('takes the vendor name, support address and https logo', () => {
    expect(read(BRANDING).branding).toEqual({
      vendorName: 'Acme Attendant',
      supportEmail: 'support@acme-attendant.example',
      logoUrl: 'https://cdn.acme-attendant.example/logo.svg',
    });
    expect(read({}).branding).toBeUndefined();
  });

  it.each([
    [{ ...BRANDING, vendorLogoUrl: 'http://cdn.example/logo.svg' }, /vendorLogoUrl: must be an https URL/],
    [{ ...BRANDING, vendorSupportEmail: 'support' }, /vendorSupportEmail: must be an email address/],
    [{ vendorName: 'Acme' }, /vendorSupportEmail: vendorName and vendorSupportEmail must be given together/],
    [{ vendorLogoUrl: BRANDING.vendorLogoUrl }, /vendorName: vendorName and vendorSupportEmail/],
    [{ ...BRANDING, vendorName: 'Acme\nInc' }, /vendorName: must be one line/],
  ])('refuses %j, naming the key', (context, named) => {
    expect(() => read(context)).toThrow(named);
  });

  it('hands the branding to the public API (pages) and the notifier (mails)', () => {
    const { template, stack } = synthesize({ branding: read(BRANDING).branding });
    for (const fn of [stack.api.publicFunction, stack.mail.notifier]) {
      expect(environmentOf(template, fn)).toMatchObject({
        VENDOR_NAME: 'Acme Attendant',
        VENDOR_SUPPORT_EMAIL: 'support@acme-attendant.example',
        VENDOR_LOGO_URL: 'https://cdn.acme-attendant.example/logo.svg',
      });
    }
  }, 60_000);
});
