import type { BoardCell, BoardCellState, BoardCheckFailing, StatusBoard } from '#domain/status-board.js';
import { CHECK_FAILING_AFTER_ERRORS } from '#domain/status-machine.js';
import { formatTime, html } from './html.js';
import { renderDocument } from './layout.js';
import { describeInvalidationCause } from '#domain/wording.js';

const stateLabels: Record<BoardCellState, string> = {
  not_authorized: 'Not authorized',
  pending: 'Pending',
  active: 'Active',
  expiring: 'Expiring',
  degraded: 'Degraded',
  invalid: 'Invalid',
  revoked: 'Revoked',
  check_failing: 'Check failing',
};

const order: BoardCellState[] = [
  'check_failing',
  'invalid',
  'degraded',
  'expiring',
  'active',
  'pending',
  'not_authorized',
  'revoked',
];

function renderCell(cell: BoardCell) {
  return html`<td
    class="cell ${cell.state}"
    data-integration="${cell.integration}"
    data-state="${cell.state}"
  >
    <strong>${stateLabels[cell.state]}</strong>
    ${cell.cause ? html`<div class="why" title="${describeInvalidationCause(cell.cause, cell.confidence)}">${cell.cause.replaceAll('_', ' ')}${cell.confidence ? html` <span class="confidence" data-confidence="${cell.confidence}">(${cell.confidence})</span>` : ''}</div>` : ''}
    ${cell.authorizerEmail ? html`<div>${cell.authorizerEmail}</div>` : ''}
    ${cell.nextExpiry ? html`<div>${cell.nextExpiry.what} ends ${formatTime(cell.nextExpiry.at)}</div>` : ''}
  </td>`;
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

/** The ops status board: tenants by integrations, each cell coloured by status. */
export function renderStatusBoardPage(board: StatusBoard): string {
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
    <p class="small">Generated ${formatTime(board.generatedAt)}. ${board.rows.length} tenants.</p>
    <p class="totals">
      ${order
        .filter((state) => board.totals[state] > 0)
        .map(
          (state) => html`<span class="badge ${state}">${stateLabels[state]}: ${board.totals[state]}</span> `,
        )}
    </p>
    <div class="board-wrap">
      <table class="board">
        <thead>
          <tr>
            <th>Tenant</th>
            ${board.integrations.map(
              (integration) => html`<th title="${integration.name}">${integration.key}</th>`,
            )}
          </tr>
        </thead>
        <tbody>
          ${board.rows.map(
            (row) =>
              html`<tr data-tenant="${row.tenantId}">
                <th scope="row">
                  ${row.tenantName}
                  <div class="small">
                    ${row.tenantId}${row.sso ? ' · SSO' : ''}${row.offboarded ? ' · offboarded' : ''}
                  </div>
                </th>
                ${row.cells.map(renderCell)}
              </tr>`,
          )}
        </tbody>
      </table>
    </div>`;
  return renderDocument({ title: 'Status board', body });
}
