import * as z from 'zod';
import type { MailFeedback } from '#domain/mail-feedback.js';

/** The EventBridge source of the SES configuration set's events. */
export const SES_EVENT_SOURCE = 'aws.ses';

/** The SES event types the configuration set sends back, as EventBridge names them. */
export const SES_FEEDBACK_DETAIL_TYPES = [
  'Email Bounced',
  'Email Complaint Received',
  'Email Rejected',
] as const;

const recipientsSchema = z.array(z.object({ emailAddress: z.string().min(1) }));

/**
 * A bounce, complaint or reject of the configuration set, as SES puts it on the default bus
 * (SES's "Event publishing" format); only the fields the feedback needs.
 */
export const sesEventSchema = z.object({
  source: z.literal(SES_EVENT_SOURCE),
  time: z.string(),
  detail: z.object({
    eventType: z.enum(['Bounce', 'Complaint', 'Reject']),
    mail: z.object({ tags: z.record(z.string(), z.array(z.string())).optional() }),
    bounce: z.object({ bounceType: z.string(), bouncedRecipients: recipientsSchema }).optional(),
    complaint: z.object({ complainedRecipients: recipientsSchema }).optional(),
  }),
});

/** The feedback a configuration-set event reports, for `recordMailFeedback`. */
export function feedbackOf(event: z.infer<typeof sesEventSchema>): MailFeedback {
  const { detail } = event;
  const tenantId = detail.mail.tags?.tenantId?.[0];
  const base = { at: event.time, ...(tenantId === undefined ? {} : { tenantId }) };
  if (detail.eventType === 'Bounce') {
    return {
      ...base,
      kind: 'bounce',
      permanent: detail.bounce?.bounceType === 'Permanent',
      addresses: (detail.bounce?.bouncedRecipients ?? []).map((recipient) => recipient.emailAddress),
    };
  }
  if (detail.eventType === 'Complaint') {
    return {
      ...base,
      kind: 'complaint',
      permanent: true,
      addresses: (detail.complaint?.complainedRecipients ?? []).map((recipient) => recipient.emailAddress),
    };
  }
  return { ...base, kind: 'reject', permanent: false, addresses: [] };
}
