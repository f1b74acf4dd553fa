import { newUuid } from './ids.js';

/**
 * The admin actions the simulator writes to the audit log, with the category and description each
 * gets. Which category names Webex uses for them is not in the spec (WEBEX.md): this table is the
 * simulator's one choice, and the product reads categories from `/v1/adminAudit/eventCategories`.
 */
export const AUDITED_ACTIONS = {
  deactivated: { category: 'USERS', description: 'User deactivated', verb: 'deactivated' },
  fullAdminRemoved: {
    category: 'ROLES',
    description: 'Full Administrator role removed',
    verb: 'removed the Full Administrator role from',
  },
  passwordReset: {
    category: 'USERS',
    description: 'Password reset by an admin',
    verb: 'reset the password of',
  },
} as const;
export type AuditedAction = keyof typeof AUDITED_ACTIONS;

/** Every category the simulator writes, as `/v1/adminAudit/eventCategories` lists them. */
export const AUDIT_EVENT_CATEGORIES: readonly string[] = [
  ...new Set(Object.values(AUDITED_ACTIONS).map((action) => action.category)),
];

/** Who did it, to whom, in which org: the parts of an audit event that come from the world. */
export interface AuditParties {
  actor: { id: string; email: string; displayName: string; orgId: string; fullAdmin: boolean };
  target: { id: string; displayName: string };
  org: { id: string; name: string };
}

/** One admin audit event as the simulator keeps it. */
export interface SimAuditEvent {
  id: string;
  action: AuditedAction;
  created: string;
  parties: AuditParties;
}

/** What `GET /v1/adminAudit/events` filters on. */
export interface AuditQuery {
  orgId: string;
  from: number;
  to: number;
  actorId?: string | undefined;
  categories?: readonly string[] | undefined;
}

/** The org's admin audit log: written by the simulator's admin actions, read by the API. */
export class AdminAuditLog {
  private events: SimAuditEvent[] = [];

  record(action: AuditedAction, parties: AuditParties, at: number): SimAuditEvent {
    const event: SimAuditEvent = { id: newUuid(), action, created: new Date(at).toISOString(), parties };
    this.events.push(event);
    return event;
  }

  /** Matching events, newest first, as Webex lists them. */
  find(query: AuditQuery): SimAuditEvent[] {
    return this.events
      .filter((event) => {
        const at = Date.parse(event.created);
        const category = AUDITED_ACTIONS[event.action].category;
        return (
          event.parties.org.id === query.orgId &&
          at > query.from &&
          at < query.to &&
          (!query.actorId || event.parties.actor.id === query.actorId) &&
          (!query.categories || query.categories.includes(category))
        );
      })
      .reverse();
  }

  all(): SimAuditEvent[] {
    return [...this.events];
  }

  replace(events: SimAuditEvent[]): void {
    this.events = [...events];
  }
}

/** An `AuditEvent` of the spec. */
export function auditEventJson(event: SimAuditEvent): Record<string, unknown> {
  const { actor, target, org } = event.parties;
  const action = AUDITED_ACTIONS[event.action];
  return {
    id: event.id,
    created: event.created,
    actorId: actor.id,
    actorOrgId: actor.orgId,
    data: {
      actorName: actor.displayName,
      actorEmail: actor.email,
      actorOrgName: org.name,
      adminRoles: [actor.fullAdmin ? 'Full_Admin' : 'User'],
      eventCategory: action.category,
      eventDescription: action.description,
      actionText: `${actor.displayName} ${action.verb} ${target.displayName}`,
      targetId: target.id,
      targetName: target.displayName,
      targetType: 'TargetResourceType.USER',
      targetOrgId: org.id,
      targetOrgName: org.name,
      trackingId: `ATLAS_${event.id}_0`,
    },
  };
}
