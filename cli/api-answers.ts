import * as z from 'zod';
import { segment } from './cli-helpers.js';

/*
 * The admin API's answers that several commands read: tenants and authorizations. The answers
 * are outside input: each command parses the fields it prints.
 */

/** A tenant as the admin API answers it. */
export const tenantSchema = z.looseObject({
  tenantId: z.string(),
  name: z.string(),
  status: z.string(),
  sso: z.boolean(),
  contacts: z.array(z.string()),
  linkVersion: z.number(),
  orgId: z.string().optional(),
  passwordMaxAgeDays: z.number().optional(),
  ssoAuthorizers: z.array(z.string()).optional(),
  suppressedContacts: z
    .array(z.looseObject({ email: z.string(), reason: z.string(), at: z.string() }))
    .optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Tenant = z.infer<typeof tenantSchema>;
/** One authorization as the admin API shows it (list, get, validate). */
export const authorizationSchema = z.looseObject({
  integration: z.string(),
  status: z.string(),
  consecutiveFailures: z.number().int().min(0),
  cause: z.string().optional(),
  confidence: z.string().optional(),
  authorizer: z.looseObject({ email: z.string() }).optional(),
  accessTokenExpiresAt: z.string().optional(),
  refreshTokenExpiresAt: z.string().optional(),
  validatedAt: z.string().optional(),
  lastCheckError: z.looseObject({ errorId: z.string(), at: z.string() }).optional(),
});
/** A tenant's authorizations, and the catalog keys it has not authorized. */
export const authorizationsSchema = z.looseObject({
  items: z.array(authorizationSchema),
  missing: z.array(z.string()),
});

/** A cause with how sure it is, `user_deactivated (confirmed)`; empty without a cause. */
export function causeOf(authorization: {
  cause?: string | undefined;
  confidence?: string | undefined;
}): string {
  if (!authorization.cause) return '';
  return authorization.confidence
    ? `${authorization.cause} (${authorization.confidence})`
    : authorization.cause;
}

/** `/admin/tenants/{tenantId}`, the id encoded. */
export const tenantPath = (tenantId: string) => `/admin/tenants/${segment(tenantId)}`;
