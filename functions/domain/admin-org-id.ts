import * as z from 'zod';

/** What a Webex org id decodes to: `ciscospark://<region>/ORGANIZATION/<uuid>`. */
const WEBEX_ORG_URI =
  /^ciscospark:\/\/[a-z0-9_.:-]{1,64}\/ORGANIZATION\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const WEBEX_ORG_ID_SHAPE =
  'must be a Webex org id as the Webex API gives it (orgId of GET /v1/people/me: base64 of ciscospark://us/ORGANIZATION/<uuid>), not the bare uuid Control Hub shows';

/**
 * A Webex org id as the Webex API (and the simulator) gives it in a person's `orgId`: unpadded
 * base64 of `ciscospark://<region>/ORGANIZATION/<uuid>`. Compared as given with the person's
 * `orgId` at each consent, so only that form is accepted.
 */
export const webexOrgIdSchema = z
  .string()
  .trim()
  .max(200, WEBEX_ORG_ID_SHAPE)
  .regex(/^[A-Za-z0-9_+/-]+$/, WEBEX_ORG_ID_SHAPE)
  .refine((id) => WEBEX_ORG_URI.test(Buffer.from(id, 'base64').toString('utf8')), WEBEX_ORG_ID_SHAPE);
