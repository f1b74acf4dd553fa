/*
 * One content model per alert mail, written once (alerts.ts, incident-alert.ts) and rendered twice:
 * the text part here, the HTML part in alert-html.ts. Both parts carry the same words, so what a
 * person reads does not depend on their mail client.
 */

/** A part of a mail under its heading ("Why", "What to do"); each line is one mail-clean sentence or item. */
export interface AlertSection {
  heading?: string;
  lines: string[];
}

/** The one action of a mail: the Re-authorize button (after a refusal, Authorize again; in a digest, the status board). */
export interface AlertAction {
  label: 'Re-authorize' | 'Authorize again' | 'Status board';
  url: string;
}

/** An integration a mail concerns, as Control Hub shows it. */
export interface AlertIntegration {
  name: string;
  /** The Integration ID (OAuth client ID) Control Hub lists, or a note that the catalog lost it. */
  integrationId: string;
}

/** Everything one alert mail says, every value already mail-clean (mail-text.ts). */
export interface AlertContent {
  subject: string;
  /** `ops`: for the vendor's ops only, never the tenant's contacts. */
  audience?: 'ops';
  /** The tenant the mail is about; absent in an ops digest, which spans them all. */
  tenant?: { name: string; tenantId: string };
  integrations: AlertIntegration[];
  /** Where Control Hub lists these integrations; absent when the mail names none. */
  controlHubPath?: string;
  /** The head of the mail, one `Label: value` line each (tenant, integrations, status, who, when). */
  facts: string[];
  /** "What happened" first, then the event's own sections. */
  sections: AlertSection[];
  action?: AlertAction;
  /** Reference lines at the end: Webex's tracking ID, the event IDs. */
  footer: string[];
}

/** Where Control Hub lists an organization's integrations, as the cause sections name it too. */
export const CONTROL_HUB_INTEGRATIONS_PATH = 'Apps > Integrations';

/** Where Control Hub lists the Service Apps an organization authorized. */
export const CONTROL_HUB_SERVICE_APPS_PATH = 'Apps > Service Apps';

function sectionLines(section: AlertSection): string[] {
  return section.heading === undefined ? section.lines : [section.heading, ...section.lines];
}

/** The action as its text line, `Re-authorize: <link>`. */
export function actionLine(action: AlertAction): string {
  return `${action.label}: ${action.url}`;
}

/**
 * The text part: the facts, a blank line, "What happened", then each further section (and the
 * action last) after a blank line, then each footer line after a blank line.
 */
export function alertText(content: AlertContent): string {
  const [happened, ...rest] = content.sections;
  const blocks = [...rest.map(sectionLines), ...(content.action ? [[actionLine(content.action)]] : [])];
  return [
    ...content.facts,
    '',
    ...(happened ? sectionLines(happened) : []),
    '',
    ...blocks.flatMap((block, index) => (index === 0 ? block : ['', ...block])),
    ...content.footer.flatMap((line) => ['', line]),
  ].join('\n');
}
