import * as z from 'zod';

/*
 * The vendor's branding: its name, support address and logo, shown in the head of the portal, the
 * public pages and the alert mails in place of a generic header. A deploy input (lib/deploy-inputs.ts)
 * and, in the local run, environment variables; absent, the pages and mails keep their generic head.
 */

/** The vendor's name as shown: one line of plain text (escaped wherever it goes). */
export const vendorNameSchema = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(80, 'at most 80 characters')
  .regex(/^[^\p{Cc}]*$/u, 'must be one line without control characters');

/** Where customers write for help: one plain address (a mailto link and a mail footer). */
export const supportEmailSchema = z.email('must be an email address').max(254);

/**
 * The logo: an https URL only (a page must not load mixed content, and a mail client blocks
 * plain http), without credentials, whose origin the pages' Content-Security-Policy then allows.
 * At most 512 characters: it travels in the functions' environment, which Lambda caps at 4 KB.
 */
export const logoUrlSchema = z
  .url({ protocol: /^https$/, error: 'must be an https URL' })
  .max(512, 'at most 512 characters')
  .refine((url) => {
    const parsed = new URL(url);
    return parsed.username === '' && parsed.password === '';
  }, 'must not carry a user name or password');

/** The vendor's branding; the name and the support address go together, the logo is optional. */
export const brandingSchema = z.strictObject({
  vendorName: vendorNameSchema,
  supportEmail: supportEmailSchema,
  logoUrl: logoUrlSchema.optional(),
});

export type Branding = z.infer<typeof brandingSchema>;

/** The origin the logo loads from, for the Content-Security-Policy's `img-src`; none without a logo. */
export function logoOrigin(branding: Branding | undefined): string | undefined {
  return branding?.logoUrl === undefined ? undefined : new URL(branding.logoUrl).origin;
}
