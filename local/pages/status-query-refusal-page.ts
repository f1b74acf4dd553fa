import { html } from '#http/pages/html.js';
import { renderDocument } from '#http/pages/layout.js';

/**
 * The local status board's answer to a query it refuses: the admin API's own detail (the same
 * words `GET /admin/status-board` answers, e.g. `Invalid query: integration "x" is not in the
 * catalog`), escaped, and the way back to the unfiltered board.
 */
export function renderStatusQueryRefusalPage(detail: string): string {
  const body = html`<h1>Status board: query refused</h1>
    <p class="card notice" role="alert" data-refusal>${detail}</p>
    <p><a href="/_local/status">Show the board without a filter</a></p>`;
  return renderDocument({ title: 'Status board: query refused', body });
}
