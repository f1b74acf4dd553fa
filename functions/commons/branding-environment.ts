import {
  brandingSchema,
  logoUrlSchema,
  supportEmailSchema,
  vendorNameSchema,
  type Branding,
} from '#domain/branding.js';
import { ConfigError } from './config.js';

/**
 * The branding's environment variables, spread into a function's (and the local run's)
 * environment schema: each checked alone there, and together by {@link brandingOf}.
 */
export const brandingVariables = {
  VENDOR_NAME: vendorNameSchema.optional(),
  VENDOR_SUPPORT_EMAIL: supportEmailSchema.optional(),
  VENDOR_LOGO_URL: logoUrlSchema.optional(),
};

type BrandingVariables = { [Name in keyof typeof brandingVariables]?: string };

/**
 * The branding the parsed variables give: none when none is set; the name and support address
 * must be set together, and a logo goes only with them (ConfigError naming the missing one).
 */
export function brandingOf(env: BrandingVariables): Branding | undefined {
  if (
    env.VENDOR_NAME === undefined &&
    env.VENDOR_SUPPORT_EMAIL === undefined &&
    env.VENDOR_LOGO_URL === undefined
  ) {
    return undefined;
  }
  const { VENDOR_NAME: vendorName, VENDOR_SUPPORT_EMAIL: supportEmail, VENDOR_LOGO_URL: logoUrl } = env;
  if (vendorName === undefined || supportEmail === undefined) {
    const missing = vendorName === undefined ? 'VENDOR_NAME' : 'VENDOR_SUPPORT_EMAIL';
    throw new ConfigError(`Configuration error: ${missing} must be set with the other branding variables`);
  }
  return brandingSchema.parse({ vendorName, supportEmail, ...(logoUrl === undefined ? {} : { logoUrl }) });
}
