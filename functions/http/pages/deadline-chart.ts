import type { DeadlineWeek } from '#domain/deadline-weeks.js';
import { html, type SafeHtml } from './html.js';

const WIDTH = 640;
const HEIGHT = 180;
const PLOT_TOP = 10;
const PLOT_BOTTOM = 150;
const PLOT_LEFT = 36;

/** Short UTC date of a week's start: `4 Dec`. */
function dayMonth(iso: string): string {
  return new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC' }).format(
    new Date(iso),
  );
}

/**
 * The weekly deadlines as an inline SVG bar chart (no script, no library): per week a bar of
 * password deadlines and one of refresh-token expiries, each with its count as a title and as a
 * `data-` attribute, so people hover it and tests read it. Every text is escaped by `html`.
 */
export function renderDeadlineChart(weeks: DeadlineWeek[]): SafeHtml {
  const highest = Math.max(
    1,
    ...weeks.flatMap((week) => [week.passwordDeadlines, week.refreshTokenExpiries]),
  );
  const slot = (WIDTH - PLOT_LEFT) / Math.max(1, weeks.length);
  const barWidth = Math.max(2, slot / 2 - 3);
  const heightOf = (count: number) => Math.round(((PLOT_BOTTOM - PLOT_TOP) * count) / highest);
  const bar = (count: number, x: number, kind: 'password' | 'refresh', label: string) => {
    const height = heightOf(count);
    return html`<rect
      class="${kind}"
      x="${x.toFixed(1)}"
      y="${PLOT_BOTTOM - height}"
      width="${barWidth.toFixed(1)}"
      height="${height}"
      data-count="${count}"
      ><title>${label}: ${count}</title></rect
    >`;
  };
  return html`<svg
    class="deadline-chart"
    role="img"
    aria-labelledby="deadline-chart-title"
    viewBox="0 0 ${WIDTH} ${HEIGHT}"
    width="100%"
    xmlns="http://www.w3.org/2000/svg"
  >
    <title id="deadline-chart-title">
      Password deadlines and refresh-token expiries per week, next 13 weeks
    </title>
    <line x1="${PLOT_LEFT}" y1="${PLOT_BOTTOM}" x2="${WIDTH}" y2="${PLOT_BOTTOM}" class="axis" />
    <text x="0" y="${PLOT_TOP + 8}" class="tick">${highest}</text>
    <text x="0" y="${PLOT_BOTTOM}" class="tick">0</text>
    ${weeks.map((week, index) => {
      const x = PLOT_LEFT + index * slot;
      return html`<g class="week" data-week="${week.weekStart}">
        ${bar(week.passwordDeadlines, x, 'password', `Week of ${dayMonth(week.weekStart)}, password deadlines`)}
        ${bar(
          week.refreshTokenExpiries,
          x + barWidth + 2,
          'refresh',
          `Week of ${dayMonth(week.weekStart)}, refresh-token expiries`,
        )}
        <text x="${x.toFixed(1)}" y="${PLOT_BOTTOM + 14}" class="tick">${dayMonth(week.weekStart)}</text>
      </g>`;
    })}
  </svg>`;
}
