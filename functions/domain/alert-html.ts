import { Eta } from 'eta/core';
import { actionLine, alertText, type AlertContent } from './alert-content.js';
import type { Branding } from './branding.js';

/*
 * The HTML part of an alert mail, from the same content as its text part. Eta (docs/alerts.md says
 * why not MJML): a 9 KB template engine whose `<%= %>` escapes every value, so nothing from Webex,
 * an admin or the catalog becomes markup. The layout is what Outlook's Word engine renders: one
 * 600-pixel table, inline styles, no CSS classes, the button a table cell with a background colour.
 */

/** A mail ready to send: subject, text part and HTML part. */
export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

/** Only our own links become an `href`: anything else stays text, never a `javascript:` or `data:` link. */
function isWebLink(url: string): boolean {
  return /^https?:\/\/[^\s"'<>]+$/.test(url);
}

const TEMPLATE = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title><%= it.subject %></title>
</head>
<body style="margin:0;padding:0;background-color:#f3f4f6;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background-color:#f3f4f6;">
<tr><td align="center" style="padding:24px 8px;">
<table role="presentation" width="600" cellpadding="0" cellspacing="0" border="0" style="width:100%;max-width:600px;background-color:#ffffff;border:1px solid #d1d5db;font-family:Arial,Helvetica,sans-serif;font-size:15px;line-height:22px;color:#111827;">
<% if (it.brand) { %><tr><td style="padding:14px 24px;background-color:#ffffff;border-bottom:1px solid #d1d5db;font-size:16px;font-weight:bold;color:#111827;"><% if (it.logoSrc) { %><img src="<%= it.logoSrc %>" alt="" height="28" style="height:28px;max-width:160px;vertical-align:middle;margin-right:10px;border:0;"><% } %><%= it.brand.vendorName %></td></tr>
<% } %><tr><td style="padding:20px 24px;background-color:#1f2937;color:#ffffff;font-size:18px;font-weight:bold;"><%= it.subject %></td></tr>
<% if (it.tenant || it.integrations.length > 0) { %><tr><td style="padding:16px 24px 0 24px;">
<% if (it.tenant) { %><p style="margin:0 0 8px 0;"><strong>Tenant:</strong> <%= it.tenant.name %> (<%= it.tenant.tenantId %>)</p>
<% } %><% if (it.integrations.length > 0) { %><table role="presentation" width="100%" cellpadding="6" cellspacing="0" border="1" style="border-collapse:collapse;border-color:#d1d5db;font-size:14px;">
<tr style="background-color:#f9fafb;"><th align="left">Integration</th><th align="left">Integration ID</th></tr>
<% it.integrations.forEach(function (integration) { %><tr><td><%= integration.name %></td><td style="font-family:Consolas,Menlo,monospace;font-size:12px;word-break:break-all;"><%= integration.integrationId %></td></tr>
<% }) %></table>
<% } %><% if (it.controlHubPath) { %><p style="margin:8px 0 0 0;"><strong>In Control Hub:</strong> <%= it.controlHubPath %></p>
<% } %></td></tr>
<% } %><% it.sections.forEach(function (section) { %><tr><td style="padding:16px 24px 0 24px;">
<% if (section.heading !== undefined) { %><h2 style="margin:0 0 6px 0;font-size:16px;line-height:22px;color:#1f2937;"><%= section.heading %></h2>
<% } %><% section.lines.forEach(function (line) { %><p style="margin:0 0 6px 0;word-break:break-word;overflow-wrap:anywhere;"><%= line %></p>
<% }) %></td></tr>
<% }) %><% if (it.action) { %><tr><td style="padding:20px 24px 0 24px;">
<% if (it.actionHref) { %><table role="presentation" cellpadding="0" cellspacing="0" border="0"><tr><td bgcolor="#0b5cad" style="background-color:#0b5cad;border-radius:4px;">
<a href="<%= it.actionHref %>" style="display:inline-block;padding:12px 24px;font-family:Arial,Helvetica,sans-serif;font-size:16px;font-weight:bold;color:#ffffff;text-decoration:none;"><%= it.action.label %></a>
</td></tr></table>
<p style="margin:8px 0 0 0;font-size:12px;color:#4b5563;word-break:break-all;"><%= it.actionLine %></p>
<% } else { %><p style="margin:0;"><%= it.actionLine %></p>
<% } %></td></tr>
<% } %><tr><td style="padding:20px 24px 20px 24px;font-size:12px;line-height:18px;color:#4b5563;">
<% it.footer.forEach(function (line) { %><p style="margin:0 0 4px 0;word-break:break-word;overflow-wrap:anywhere;"><%= line %></p>
<% }) %><% if (it.brand) { %><p style="margin:12px 0 0 0;">Questions? Write to <%= it.brand.vendorName %> support: <a href="mailto:<%= it.brand.supportEmail %>" style="color:#4b5563;"><%= it.brand.supportEmail %></a></p>
<% } %><% if (it.unsubscribeHref) { %><p style="margin:12px 0 0 0;"><a href="<%= it.unsubscribeHref %>" style="color:#4b5563;">Stop these alerts for <%= it.tenant ? it.tenant.name : 'this tenant' %></a> (other tenants' alerts are not affected)</p>
<% } %></td></tr>
</table>
</td></tr>
</table>
</body>
</html>
`;

const eta = new Eta({ autoEscape: true, autoTrim: false, useWith: false });
const renderTemplate = eta.compile(TEMPLATE);

/** The text part's line naming the vendor's support address, on a branded deployment. */
export function supportLine(brand: Branding): string {
  return `Questions? Write to ${brand.vendorName} support: ${brand.supportEmail}`;
}

/** The text part's last line when the mail carries an unsubscribe link. */
export function unsubscribeLine(url: string): string {
  return `Stop these alerts for this tenant (other tenants' alerts are not affected): ${url}`;
}

/**
 * Renders an alert's content as a mail: the subject, the text part (alert-content.ts) and the HTML
 * part, both with the unsubscribe link of the recipient when given (RFC 8058: the same URL goes in
 * the List-Unsubscribe header).
 */
export function renderAlertMail(
  content: AlertContent,
  options: { unsubscribeUrl?: string; brand?: Branding } = {},
): RenderedMail {
  const { unsubscribeUrl, brand } = options;
  const text = brand ? `${alertText(content)}\n\n${supportLine(brand)}` : alertText(content);
  const html = eta.render(renderTemplate, {
    ...content,
    brand,
    // The branding's logo is https by its schema; checked again, as every href here is.
    logoSrc:
      brand?.logoUrl !== undefined && /^https:\/\/[^\s"'<>]+$/.test(brand.logoUrl)
        ? brand.logoUrl
        : undefined,
    actionHref: content.action && isWebLink(content.action.url) ? content.action.url : undefined,
    actionLine: content.action ? actionLine(content.action) : undefined,
    unsubscribeHref: unsubscribeUrl !== undefined && isWebLink(unsubscribeUrl) ? unsubscribeUrl : undefined,
  });
  return {
    subject: content.subject,
    text: unsubscribeUrl === undefined ? text : `${text}\n\n${unsubscribeLine(unsubscribeUrl)}`,
    html,
  };
}
