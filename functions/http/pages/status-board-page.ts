import { PROBLEMS_FIRST } from '#domain/fleet-board.js';
import { AUTHORIZATION_STATUSES, INVALIDATION_CAUSES, type AuthorizationStatus } from '#domain/model.js';
import type { BoardCheckFailing, BoardIntegration, BoardRow, StatusBoard } from '#domain/status-board.js';
import { CHECK_FAILING_AFTER_ERRORS } from '#domain/status-machine.js';
import { describeInvalidationCause, plural } from '#domain/wording.js';
import { renderDeadlineChart } from './deadline-chart.js';
import { formatTime, html } from './html.js';
import { renderDocument } from './layout.js';

const statusLabels: Record<AuthorizationStatus, string> = {
  pending: 'Pending',
  active: 'Active',
  expiring: 'Expiring',
  degraded: 'Degraded',
  invalid: 'Invalid',
  revoked: 'Revoked',
  check_failing: 'Check failing',
};

const causeText = (cause: string) => cause.replaceAll('_', ' ');

function renderRow(row: BoardRow) {
  return html`<tr
    data-tenant="${row.tenantId}"
    data-integration="${row.integration}"
    data-state="${row.status}"
  >
    <th scope="row">
      ${row.name ?? row.tenantId}
      <div class="small">${row.tenantId}</div>
    </th>
    <td>${row.integration}</td>
    <td class="cell ${row.status}">
      <strong>${statusLabels[row.status]}</strong>
      ${
        row.cause
          ? html`<div class="why" title="${describeInvalidationCause(row.cause, row.confidence)}">
              ${causeText(row.cause)}${
                row.confidence
                  ? html` <span class="confidence" data-confidence="${row.confidence}"
                      >(${row.confidence})</span
                    >`
                  : ''
              }
            </div>`
          : ''
      }
    </td>
    <td>${row.authorizerEmail ?? ''}</td>
    <td>${row.nextExpiry ? html`${row.nextExpiry.what} ends ${formatTime(row.nextExpiry.at)}` : ''}</td>
    <td>${row.nextCheckAt ? formatTime(row.nextCheckAt) : ''}</td>
  </tr>`;
}

/** Authorizations whose checks keep throwing: ours to fix (find the error id in the logs), then recheck. */
function renderCheckFailing(entries: BoardCheckFailing[]) {
  return html`<section class="card notice" role="alert" data-check-failing="${entries.length}">
    <strong
      >Checks failing: our checks of these authorizations threw ${CHECK_FAILING_AFTER_ERRORS} times in a
      row</strong
    >
    (our bug or bad data, not Webex). They are out of the sweep: find the error id in the validator's logs,
    fix the cause, then recheck them.
    <table class="board">
      <thead>
        <tr>
          <th>Tenant</th>
          <th>Integration</th>
          <th>Last error id</th>
          <th>Since</th>
        </tr>
      </thead>
      <tbody>
        ${entries.map(
          (entry) =>
            html`<tr data-check-failing-tenant="${entry.tenantId}" data-integration="${entry.integration}">
              <td>${entry.tenantName} <span class="small">${entry.tenantId}</span></td>
              <td>${entry.integration}</td>
              <td><code>${entry.lastErrorId}</code></td>
              <td>${formatTime(entry.since)}</td>
            </tr>`,
        )}
      </tbody>
    </table>
  </section>`;
}

/** One choice of a filter: the query value and what the dropdown shows for it. */
interface FilterOption {
  value: string;
  text: string;
}

/** A `<select>` of the filter form, the current value selected. */
function select(name: string, label: string, options: readonly FilterOption[], current: string | undefined) {
  return html`<label
    >${label}
    <select name="${name}">
      <option value="">any</option>
      ${options.map(
        (option) =>
          html`<option value="${option.value}" ${option.value === current ? html`selected` : ''}>
            ${option.text}
          </option>`,
      )}
    </select></label
  >`;
}

/** A status or cause as the dropdown shows it. */
const wordOption = (value: string): FilterOption => ({ value, text: causeText(value) });

const integrationKindTags: Record<BoardIntegration['kind'], string> = {
  integration: '',
  'service-app': ' (Service App)',
  'vendor-only': ' (vendor only)',
};

/** An integration filter's choice: its key, whether it is a Service App or the vendor's own, and its name. */
const integrationOption = ({ key, name, kind }: BoardIntegration): FilterOption => ({
  value: key,
  text: `${key}${integrationKindTags[kind]}: ${name}`,
});

/** The board's own URL with the filter kept and the page moved. */
function nextPageHref(board: StatusBoard, cursor: string): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(board.query)) {
    if (value !== undefined) params.set(name, String(value));
  }
  params.set('cursor', cursor);
  return `?${params.toString()}`;
}

/**
 * The ops status board: exact fleet totals, a filter form (a plain GET form, no script), one page
 * of authorizations problems first, and the chart of the deadlines coming.
 */
export function renderStatusBoardPage(board: StatusBoard): string {
  const { totals, query } = board;
  const coverage = board.deadlineCoverage;
  const body = html`<h1>Status board</h1>
    ${board.credentialIncidents.map(
      (incident) =>
        html`<p class="card notice" role="alert" data-credential-incident="${incident.integration}">
          <strong>Credential incident: Webex refuses our client secret for ${incident.name}</strong>
          (Integration ID ${incident.integrationId}) since ${formatTime(incident.openedAt)}. No authorization
          changes status and its checks are paused: put the integration's current client secret in the client
          secrets store.
        </p>`,
    )}
    ${board.checkFailing.length > 0 ? renderCheckFailing(board.checkFailing) : ''}
    ${board.flapping.map(
      (flap) =>
        html`<p class="card notice warning" data-flapping="${flap.tenantId}/${flap.integration}">
          <strong>Flapping:</strong> ${flap.tenantId} ${flap.integration} went degraded and back ${flap.flaps}
          times today (${flap.day}). Nobody is mailed for a flap; Webex or the network is unsteady for it.
        </p>`,
    )}
    <p class="small">
      Generated ${formatTime(board.generatedAt)}. ${plural(totals.tenants, 'tenant')},
      ${plural(totals.authorizations, 'authorization')}.
    </p>
    <p class="totals" data-totals>
      ${PROBLEMS_FIRST.filter((status) => (totals.byStatus[status] ?? 0) > 0).map(
        (status) =>
          html`<span class="badge ${status}" data-total-status="${status}"
            >${statusLabels[status]}: ${totals.byStatus[status] ?? 0}</span
          > `,
      )}
      ${INVALIDATION_CAUSES.filter((cause) => (totals.byCause[cause] ?? 0) > 0).map(
        (cause) =>
          html`<span class="badge invalid" data-total-cause="${cause}"
            >${causeText(cause)}: ${totals.byCause[cause] ?? 0}</span
          > `,
      )}
    </p>
    <section class="card">
      <h2>Coming in the next 13 weeks</h2>
      ${renderDeadlineChart(board.deadlines)}
      <p class="small legend">
        <span class="key password"></span> password deadlines <span class="key refresh"></span> refresh-token
        expiries.
        ${
          coverage.complete
            ? coverage.read === 0
              ? html`No live authorizations.`
              : html`All ${plural(coverage.read, 'live authorization')}.`
            : html`<strong data-deadline-coverage="partial"
                >From the first ${coverage.read} of ${coverage.live} live authorizations only.</strong
              >`
        }
      </p>
    </section>
    <form method="get" class="card filters">
      ${select('status', 'Status', AUTHORIZATION_STATUSES.map(wordOption), query.status)}
      ${select('cause', 'Cause', INVALIDATION_CAUSES.map(wordOption), query.cause)}
      ${select('integration', 'Integration', board.integrations.map(integrationOption), query.integration)}
      <label
        >Tenant <input name="tenant" value="${query.tenant ?? ''}" placeholder="id or its start"
      /></label>
      <button type="submit">Filter</button>
    </form>
    <div class="board-wrap">
      <table class="board">
        <thead>
          <tr>
            <th>Tenant</th>
            <th>Integration</th>
            <th>Status</th>
            <th>Authorized by</th>
            <th>Next deadline</th>
            <th>Next check</th>
          </tr>
        </thead>
        <tbody>
          ${board.rows.map(renderRow)}
        </tbody>
      </table>
    </div>
    ${board.rows.length === 0 ? html`<p>No authorization matches.</p>` : ''}
    ${board.nextCursor ? html`<p><a rel="next" href="${nextPageHref(board, board.nextCursor)}">Next page</a></p>` : ''}`;
  return renderDocument({ title: 'Status board', body });
}
