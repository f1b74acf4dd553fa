import { randomUUID } from 'node:crypto';
import type { Integration } from './catalog.js';
import { publishQuietly } from './event-publishing.js';
import { AUTHORIZATION_EVENT_VERSION, type AuthorizationEvent } from './model.js';
import type { EventPublisher, Log } from './ports.js';
import type { Verdict } from './classification.js';
import type { ValidatorDependencies } from './validator-config.js';

/*
 * A credential incident: Webex refuses our client id or secret for one integration (mistyped, or
 * regenerated in the developer portal). It is ours to fix, not the customers': no authorization
 * changes status, no customer is mailed, ops get one alert per incident (not one per
 * authorization) and one when it is over. The open incident is one record per integration,
 * opened by a conditional write, so of many workers refused at once exactly one alerts.
 */

/** An open credential incident of one integration. */
export interface CredentialIncident {
  /** The catalog key of the integration. */
  integration: string;
  openedAt: string;
  /** Webex's trackingId of the refusal that opened it, for Cisco support. */
  trackingId?: string;
  /** The tenant whose check opened it: an admin reload verifies the new secret on that authorization. */
  tenantId?: string;
  /** When an admin last asked every function to read the client secrets again (admin-reload.ts). */
  reloadRequestedAt?: string;
}

/** Where open credential incidents are kept (the table in AWS and the local run). */
export interface CredentialIncidentStore {
  /** Opens the incident unless one is open: `opened` when this call opened it, else the open one. */
  open(incident: CredentialIncident): Promise<'opened' | CredentialIncident>;
  /** Closes the integration's incident: the incident when this call closed it, else undefined. */
  close(integration: string): Promise<CredentialIncident | undefined>;
  /** Every open incident, for the status board. */
  list(): Promise<CredentialIncident[]>;
  /**
   * Records an admin reload on the integration's open incident: the incident as updated, or
   * undefined when none is open.
   */
  requestReload(integration: string, requestedAt: string): Promise<CredentialIncident | undefined>;
  /** When the integration's last reload was asked for (open or closed incident), if ever. */
  reloadRequestedAt(integration: string): Promise<Date | undefined>;
}

/** What the validator needs to run credential incidents. */
export interface CredentialIncidentDependencies {
  store: CredentialIncidentStore;
}

interface IncidentContext {
  deps: { events: EventPublisher; log: Log; credentialIncidents: CredentialIncidentDependencies };
  /** The integration, or the Service App, whose client Webex refused. */
  integration: Pick<Integration, 'key' | 'name'>;
  /** The tenant whose check saw it: the event's required key, never a mail recipient. */
  tenantId: string;
  now: Date;
}

/**
 * Records a refusal of our client credentials: opens the integration's incident, and when this
 * call opened it, sends ops the one alert. Returns when the incident began, for the back-off.
 */
export async function reportClientRefused(
  context: IncidentContext,
  trackingId: string | undefined,
): Promise<Date> {
  const { deps, integration, now } = context;
  const incident: CredentialIncident = {
    integration: integration.key,
    openedAt: now.toISOString(),
    tenantId: context.tenantId,
    ...(trackingId !== undefined ? { trackingId } : {}),
  };
  const opened = await deps.credentialIncidents.store.open(incident);
  if (opened !== 'opened') return new Date(opened.openedAt);
  deps.log.error('Webex refuses our client credentials: credential incident opened', {
    integration: integration.key,
    trackingId,
  });
  const event = incidentEvent(context, 'credential_incident', trackingId);
  await publishQuietly(deps, event);
  return now;
}

/**
 * After a refresh Webex accepted: closes the integration's incident if one is open, and when this
 * call closed it, tells ops it is over.
 */
export async function reportClientAccepted(context: IncidentContext): Promise<void> {
  const { deps, integration } = context;
  const closed = await deps.credentialIncidents.store.close(integration.key);
  if (!closed) return;
  deps.log.info('Webex accepts our client credentials again: credential incident closed', {
    integration: integration.key,
    openedAt: closed.openedAt,
  });
  const event = {
    ...incidentEvent(context, 'credential_resolved', undefined),
    incidentOpenedAt: closed.openedAt,
  };
  await publishQuietly(deps, event);
}

function incidentEvent(
  context: IncidentContext,
  type: 'credential_incident' | 'credential_resolved',
  trackingId: string | undefined,
): AuthorizationEvent {
  const name = context.integration.name;
  return {
    version: AUTHORIZATION_EVENT_VERSION,
    eventId: randomUUID(),
    type,
    severity: type === 'credential_incident' ? 'critical' : 'info',
    tenantId: context.tenantId,
    integration: context.integration.key,
    occurredAt: context.now.toISOString(),
    summary:
      type === 'credential_incident'
        ? `Webex refuses our client credentials for ${name}; its checks are paused.`
        : `Webex accepts our client credentials for ${name} again.`,
    ...(trackingId !== undefined ? { trackingId } : {}),
  };
}

/**
 * Opens the integration's credential incident on a refusal of our client credentials (returning
 * when it began, for the pause), or closes it after a refresh Webex accepted.
 */
export async function followCredentialIncident(
  deps: ValidatorDependencies,
  input: {
    verdict: Verdict;
    refreshed: boolean;
    integration: Pick<Integration, 'key' | 'name'>;
    tenantId: string;
    now: Date;
  },
): Promise<Date | undefined> {
  if (!deps.credentialIncidents) return undefined;
  const context = {
    deps: { ...deps, credentialIncidents: deps.credentialIncidents },
    integration: input.integration,
    tenantId: input.tenantId,
    now: input.now,
  };
  if (input.verdict.kind === 'client_refused') return reportClientRefused(context, input.verdict.trackingId);
  if (input.refreshed) await reportClientAccepted(context);
  return undefined;
}
