import { createHash } from 'node:crypto';
import type { Branding } from '#domain/branding.js';
import { html, SafeHtml } from './html.js';

const stylesheet = `
:root{--ink:#1d2330;--muted:#5b6475;--line:#dfe3ea;--bg:#f4f6f9;--card:#fff;--accent:#0b6bcb;--accent-ink:#fff;
--ok:#137333;--ok-bg:#e6f4ea;--warn:#8a5a00;--warn-bg:#fff4d6;--bad:#b3261e;--bad-bg:#fce8e6;--idle:#5b6475;--idle-bg:#eef0f4}
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:var(--ink);background:var(--bg)}
header{background:#10243e;color:#fff;padding:14px 24px}
header .brand{font-weight:600;letter-spacing:.2px}
header img.logo{height:28px;max-width:160px;vertical-align:middle;margin-right:10px}
footer.support{max-width:920px;margin:0 auto;padding:0 24px 24px;color:var(--muted);font-size:.9rem}
footer.support a{color:var(--accent)}
main{max-width:920px;margin:0 auto;padding:24px}
h1{font-size:1.6rem;margin:8px 0 16px}
h2{font-size:1.15rem;margin:0 0 4px}
p{margin:8px 0}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:18px 20px;margin:14px 0}
.notice{border-left:4px solid var(--accent)}
.notice.warning{border-left-color:#e0a100;background:var(--warn-bg)}
.notice.error{border-left-color:var(--bad);background:var(--bad-bg)}
.notice ul{margin:6px 0 0;padding-left:20px}
.integration{display:grid;grid-template-columns:1fr auto;gap:8px 16px;align-items:start}
.integration .meta{color:var(--muted);font-size:.9rem}
.integration .actions{display:flex;flex-direction:column;gap:6px;align-items:flex-end}
.badge{display:inline-block;font-size:.8rem;font-weight:600;padding:2px 10px;border-radius:999px;vertical-align:middle;margin-left:8px}
.badge.active{color:var(--ok);background:var(--ok-bg)}
.badge.expiring,.badge.degraded{color:var(--warn);background:var(--warn-bg)}
.badge.invalid,.badge.check_failing{color:var(--bad);background:var(--bad-bg)}
.badge.not_authorized,.badge.revoked{color:var(--idle);background:var(--idle-bg)}
.detail{margin:6px 0 0}
.button{display:inline-block;background:var(--accent);color:var(--accent-ink);text-decoration:none;font-weight:600;padding:8px 16px;border-radius:6px;white-space:nowrap}
button.button{border:0;font:inherit;font-weight:600;cursor:pointer}
form.start{margin:0}
.button.secondary{background:transparent;color:var(--accent);border:1px solid var(--accent)}
.small{font-size:.85rem;color:var(--muted)}
a.small{color:var(--accent)}
code,.copy{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9rem}
.copy{width:100%;padding:8px 10px;border:1px solid var(--line);border-radius:6px;background:#fafbfc;color:var(--ink)}
ol.steps{padding-left:22px}
ol.steps li{margin:6px 0}
.board-wrap{overflow-x:auto}
table.board{border-collapse:separate;border-spacing:4px;width:100%;font-size:.85rem}
table.board th{text-align:left;font-weight:600;vertical-align:top;padding:6px 8px}
table.board td.cell{border-radius:6px;padding:6px 8px;vertical-align:top;min-width:120px}
td.cell.active{background:var(--ok-bg);color:var(--ok)}
td.cell.expiring,td.cell.degraded{background:var(--warn-bg);color:var(--warn)}
td.cell.invalid,td.cell.check_failing{background:var(--bad-bg);color:var(--bad)}
td.cell.not_authorized,td.cell.revoked,td.cell.pending{background:var(--idle-bg);color:var(--idle)}
td.cell .why{font-weight:600}
.badge.pending{color:var(--idle);background:var(--idle-bg)}
pre.mail-text{white-space:pre-wrap;word-break:break-word;font:inherit;margin:8px 0 0}
main:has(table.board){max-width:none}
.deadline-chart rect.password,.legend .key.password{fill:var(--warn);background:var(--warn)}
.deadline-chart rect.refresh,.legend .key.refresh{fill:var(--accent);background:var(--accent)}
.deadline-chart .axis{stroke:var(--idle)}
.deadline-chart .tick{font-size:10px;fill:var(--idle)}
.legend .key{display:inline-block;width:10px;height:10px;border-radius:2px;vertical-align:middle}
form.filters{display:flex;flex-wrap:wrap;gap:12px;align-items:end}
@media (max-width:640px){.integration{grid-template-columns:1fr}.integration .actions{align-items:flex-start}}
`;

/**
 * The style element, built here as one piece: the stylesheet is ours, not input, so it goes in
 * unescaped, and no formatter can add whitespace inside it that would break the CSP hash.
 */
const styleElement = new SafeHtml(`<style>${stylesheet}</style>`);

/**
 * A Content-Security-Policy for our pages: nothing loads from anywhere, no script runs, and the one
 * inline stylesheet is allowed by its hash (computed here, so editing the CSS cannot break it).
 * Forms may post only to `formActions` (origins such as `https://auth.example.com`; none: no form
 * at all). Browsers apply form-action to a form's redirects too, so a form whose answer redirects
 * elsewhere (the start, to Webex's authorize page) needs that origin listed as well.
 */
export function contentSecurityPolicy(
  formActions: readonly string[] = [],
  /** Origins images may load from: the vendor's logo's (its https origin); none by default. */
  imageSources: readonly string[] = [],
): string {
  return [
    "default-src 'none'",
    `style-src 'sha256-${createHash('sha256').update(stylesheet).digest('base64')}'`,
    `img-src ${imageSources.length > 0 ? imageSources.join(' ') : "'none'"}`,
    "base-uri 'none'",
    `form-action ${formActions.length > 0 ? formActions.join(' ') : "'none'"}`,
    "frame-ancestors 'none'",
  ].join('; ');
}

/** The Content-Security-Policy of pages without forms: error pages, the local pages. */
export const CONTENT_SECURITY_POLICY = contentSecurityPolicy();

/** The status board's: its filter form submits (a GET) to the board's own URL, nowhere else. */
export const STATUS_BOARD_CONTENT_SECURITY_POLICY = contentSecurityPolicy(["'self'"]);

/**
 * The button that starts an authorization: a form posting to the start URL (link and integration
 * in its query). The start takes nothing but a POST from our own pages, so a start URL sent to
 * someone starts nothing, and the browser's Origin and Sec-Fetch-Site prove where the press came from.
 */
export function startForm(input: { url: string; label: string; id?: string; secondary?: boolean }): SafeHtml {
  const kind = input.secondary ? 'button secondary' : 'button';
  const id = input.id ? html`id="${input.id}"` : '';
  return html`<form class="start" method="post" action="${input.url}">
    <button class="${kind}" ${id} type="submit">${input.label}</button>
  </form>`;
}

/**
 * The head of every page: the vendor's logo and name when the deployment is branded, a generic
 * title otherwise. Every value is escaped; the logo's https URL was checked at configuration.
 */
function pageHeader(brand: Branding | undefined): SafeHtml {
  if (!brand) return html`<header><span class="brand">Webex authorization portal</span></header>`;
  const logo = brand.logoUrl ? html`<img class="logo" src="${brand.logoUrl}" alt="" />` : '';
  return html`<header>${logo}<span class="brand">${brand.vendorName}</span></header>`;
}

/** Where a customer asks for help: the vendor's support address, on a branded deployment. */
function supportFooter(brand: Branding | undefined): SafeHtml | '' {
  if (!brand) return '';
  return html`<footer class="support">
    Questions? Write to ${brand.vendorName} support:
    <a href="mailto:${brand.supportEmail}">${brand.supportEmail}</a>
  </footer>`;
}

/** A full HTML document around a page body, under the vendor's branding when given. */
export function renderDocument(input: { title: string; body: SafeHtml; brand?: Branding }): string {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="robots" content="noindex, nofollow" />
        <title>${input.title}</title>
        ${styleElement}
      </head>
      <body>
        ${pageHeader(input.brand)}
        <main>${input.body}</main>
        ${supportFooter(input.brand)}
      </body>
    </html> `.toString();
}
