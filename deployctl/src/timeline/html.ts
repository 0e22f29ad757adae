/**
 * The timeline as one self-contained HTML page: inline CSS, an inline SVG
 * Gantt chart per run, no executable script and no external asset, so it
 * opens from a GitLab artifact, a file or an e-mail alike (the data behind it
 * rides along as an inert `application/json` block). Every text that reaches the page
 * goes through escapeHtml. Pure: data in, a string out.
 */
import type { Gantt, GanttRow } from './gantt.js';

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for HTML and SVG content and for attribute values (quoted with " or '). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

/** `95.5` → `1m 36s`; seconds under a minute keep one decimal. */
export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined) return '—';
  const sign = seconds < 0 ? '-' : '';
  const s = Math.abs(seconds);
  if (s < 60) return `${sign}${Math.round(s * 10) / 10}s`;
  const total = Math.round(s);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const rest = total % 60;
  return h > 0 ? `${sign}${h}h ${m}m ${rest}s` : `${sign}${m}m ${rest}s`;
}

export interface ChartInput {
  gantt: Gantt;
  /** Lines shown under the chart's title (commit, pipeline, env). */
  details?: string[];
}

export interface PageInput {
  title: string;
  charts: ChartInput[];
  /** When the page was made (shown, never used for layout). */
  generatedAt: string;
  /** The data behind the page, embedded as JSON so nothing is lost by linking only the page. */
  data?: unknown;
}

const LAYOUT = {
  width: 960,
  labelWidth: 150,
  durationWidth: 90,
  rowHeight: 26,
  barHeight: 16,
  axisHeight: 24,
};

/** A round step for the time axis: about 6 ticks over `total` seconds. */
export function getTickStep(totalS: number): number {
  const steps = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 43200, 86400];
  return steps.find((s) => totalS / s <= 8) ?? Math.ceil(totalS / 8 / 86400) * 86400;
}

function renderRow(row: GanttRow, index: number, scale: (s: number) => number): string {
  const y = LAYOUT.axisHeight + index * LAYOUT.rowHeight;
  const mid = y + LAYOUT.rowHeight / 2;
  const classes = [
    'stage',
    row.critical ? 'critical' : '',
    row.startInferred ? 'inferred' : '',
    row.end ? '' : 'missing',
  ]
    .filter(Boolean)
    .join(' ');
  const label = `<text class="label" x="8" y="${mid + 4}">${escapeHtml(row.label)}</text>`;
  if (row.startS === undefined || row.endS === undefined) {
    return `<g class="${classes}" data-stage="${escapeHtml(row.stage)}">${label}<text class="duration" x="${LAYOUT.labelWidth + 4}" y="${mid + 4}">not recorded</text></g>`;
  }
  const x = scale(row.startS);
  const width = Math.max(2, scale(row.endS) - x);
  const title = `${row.label}: ${formatDuration(row.durationS)} (${row.start} → ${row.end}; ${row.source}${
    row.critical ? '; critical path' : `; slack ${formatDuration(row.slackS)}`
  })`;
  return [
    `<g class="${classes}" data-stage="${escapeHtml(row.stage)}">`,
    `<title>${escapeHtml(title)}</title>`,
    label,
    `<rect class="bar" x="${x.toFixed(1)}" y="${y + (LAYOUT.rowHeight - LAYOUT.barHeight) / 2}" width="${width.toFixed(1)}" height="${LAYOUT.barHeight}" rx="3"/>`,
    `<text class="duration" x="${(x + width + 6).toFixed(1)}" y="${mid + 4}">${escapeHtml(formatDuration(row.durationS))}</text>`,
    '</g>',
  ].join('');
}

/** One chart as inline SVG. `scaleS` is the time span the x axis covers (shared by charts compared side by side). */
export function renderGanttSvg(gantt: Gantt, scaleS: number): string {
  const plotLeft = LAYOUT.labelWidth;
  const plotWidth = LAYOUT.width - LAYOUT.labelWidth - LAYOUT.durationWidth;
  const span = Math.max(scaleS, 1);
  const scale = (s: number) => plotLeft + (Math.max(0, s) / span) * plotWidth;
  const height = LAYOUT.axisHeight + gantt.rows.length * LAYOUT.rowHeight + 4;
  const step = getTickStep(span);
  const ticks: string[] = [];
  for (let t = 0; t <= span + 1e-9; t += step) {
    const x = scale(t).toFixed(1);
    ticks.push(
      `<line class="grid" x1="${x}" y1="${LAYOUT.axisHeight - 4}" x2="${x}" y2="${height}"/>`,
      `<text class="tick" x="${x}" y="${LAYOUT.axisHeight - 8}">${escapeHtml(formatDuration(t))}</text>`,
    );
  }
  const rows = gantt.rows.map((row, i) => renderRow(row, i, scale));
  return [
    `<svg class="gantt" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${LAYOUT.width} ${height}" width="${LAYOUT.width}" height="${height}" role="img" aria-label="${escapeHtml(`Gantt chart: ${gantt.title}`)}">`,
    ...ticks,
    ...rows,
    '</svg>',
  ].join('\n');
}

function renderTable(gantt: Gantt): string {
  const rows = gantt.rows.map((r) => {
    const cls = [r.critical ? 'critical' : '', r.end ? '' : 'missing'].filter(Boolean).join(' ');
    return `<tr class="${cls}" data-stage="${escapeHtml(r.stage)}"><td>${escapeHtml(r.label)}</td><td>${escapeHtml(
      r.startS === undefined ? '—' : `+${formatDuration(r.startS)}${r.startInferred ? ' (inferred)' : ''}`,
    )}</td><td>${escapeHtml(r.endS === undefined ? '—' : `+${formatDuration(r.endS)}`)}</td><td class="duration">${escapeHtml(
      r.end ? formatDuration(r.durationS) : 'not recorded',
    )}</td><td>${r.critical ? 'critical' : r.end ? escapeHtml(`slack ${formatDuration(r.slackS)}`) : ''}</td><td class="source">${escapeHtml(r.source)}</td></tr>`;
  });
  return [
    '<table class="stages">',
    '<thead><tr><th>stage</th><th>start</th><th>end</th><th>duration</th><th>path</th><th>from events</th></tr></thead>',
    `<tbody>${rows.join('')}</tbody>`,
    '</table>',
  ].join('\n');
}

function renderChart(chart: ChartInput, index: number, scaleS: number): string {
  const { gantt } = chart;
  const details = (chart.details ?? []).map((d) => `<li>${escapeHtml(d)}</li>`).join('');
  const others = gantt.otherEvents.map(
    (e) =>
      `<li><code>${escapeHtml(e.event)}</code> at ${escapeHtml(e.at)}${
        gantt.origin
          ? escapeHtml(` (+${formatDuration((Date.parse(e.at) - Date.parse(gantt.origin)) / 1000)})`)
          : ''
      }</li>`,
  );
  const path = gantt.criticalPath
    .map((id) => gantt.rows.find((r) => r.stage === id)?.label ?? id)
    .join(' → ');
  return [
    `<section class="run" id="run-${index + 1}">`,
    `<h2>${escapeHtml(gantt.title)}</h2>`,
    details ? `<ul class="details">${details}</ul>` : '',
    `<p class="total">push to live: <strong>${escapeHtml(formatDuration(gantt.totalS))}</strong>${
      path ? `; critical path: ${escapeHtml(path)}` : ''
    }</p>`,
    gantt.origin ? renderGanttSvg(gantt, scaleS) : '<p class="empty">no events recorded for this run</p>',
    renderTable(gantt),
    others.length > 0 ? `<h3>Other events</h3><ul class="other-events">${others.join('')}</ul>` : '',
    '</section>',
  ]
    .filter(Boolean)
    .join('\n');
}

function renderSummary(charts: ChartInput[]): string {
  const rows = charts.map(({ gantt }, i) => {
    const longest = gantt.rows
      .filter((r) => r.critical && r.durationS !== undefined)
      .sort((a, b) => (b.durationS ?? 0) - (a.durationS ?? 0))[0];
    return `<tr><td><a href="#run-${i + 1}">${escapeHtml(gantt.title)}</a></td><td class="duration">${escapeHtml(
      formatDuration(gantt.totalS),
    )}</td><td>${escapeHtml(longest ? `${longest.label} (${formatDuration(longest.durationS)})` : '—')}</td></tr>`;
  });
  return [
    '<table class="summary">',
    '<thead><tr><th>run</th><th>push to live</th><th>longest critical stage</th></tr></thead>',
    `<tbody>${rows.join('')}</tbody>`,
    '</table>',
  ].join('\n');
}

const CSS = `
body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d2733; margin: 24px; max-width: 1000px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 4px; } h3 { font-size: 14px; }
.meta, .details { color: #5b6675; } .details { padding-left: 18px; margin: 4px 0; }
.legend { display: flex; gap: 18px; flex-wrap: wrap; margin: 12px 0; font-size: 13px; }
.legend span::before { content: ""; display: inline-block; width: 22px; height: 10px; margin-right: 6px; border-radius: 2px; vertical-align: middle; background: var(--c); opacity: var(--o, 1); }
svg.gantt { display: block; max-width: 100%; height: auto; background: #fbfcfd; border: 1px solid #e3e7ec; border-radius: 4px; }
svg .label { font-size: 13px; fill: #1d2733; } svg .tick { font-size: 11px; fill: #7a8593; text-anchor: middle; }
svg .grid { stroke: #e3e7ec; } svg .duration { font-size: 12px; fill: #33404f; }
svg .bar { fill: #4f7cac; } svg .critical .bar { fill: #d1495b; } svg .critical .label { font-weight: 600; }
svg .inferred .bar { opacity: 0.55; } svg .missing .label, svg .missing .duration { fill: #9aa3ad; font-style: italic; }
table { border-collapse: collapse; margin: 10px 0; font-size: 13px; } th, td { text-align: left; padding: 3px 10px 3px 0; border-bottom: 1px solid #eef0f3; }
tr.critical td:first-child { color: #b23347; font-weight: 600; } tr.missing td { color: #9aa3ad; } td.source { color: #7a8593; }
code { font-size: 12px; }
`;

/** The whole page. Charts share one time scale, so releases compare at a glance. */
export function renderTimelinePage(input: PageInput): string {
  const scaleS = Math.max(1, ...input.charts.map((c) => c.gantt.totalS ?? 0));
  // Several runs: only the stages some run recorded (releases read from Git know two times each),
  // the same rows in every chart so they line up. One run: every stage, "not recorded" included.
  const shown =
    input.charts.length > 1
      ? new Set(input.charts.flatMap((c) => c.gantt.rows.filter((r) => r.end).map((r) => r.stage)))
      : undefined;
  const charts = shown
    ? input.charts.map((c) => ({
        ...c,
        gantt: { ...c.gantt, rows: c.gantt.rows.filter((r) => shown.has(r.stage)) },
      }))
    : input.charts;
  const data =
    input.data === undefined
      ? ''
      : // JSON inside <script> must not close the element: escape `<` (and the line separators JS dislikes).
        `<script type="application/json" id="timeline-data">${JSON.stringify(input.data)
          .replace(/</g, '\\u003c')
          .replace(/\u2028/g, '\\u2028')
          .replace(/\u2029/g, '\\u2029')}</script>`;
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(input.title)}</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
    `<h1>${escapeHtml(input.title)}</h1>`,
    `<p class="meta">made ${escapeHtml(input.generatedAt)} by <code>deployctl timeline --html</code></p>`,
    '<p class="legend"><span style="--c:#d1495b">critical path</span><span style="--c:#4f7cac">other stage</span><span style="--c:#4f7cac;--o:0.55">start not recorded (from when its dependencies ended)</span></p>',
    '<p class="meta">The critical path: from the stage that ended last, step back to the dependency that ended last (the one that held it up), until a stage with none. Shortening any stage on it shortens push-to-live; other stages had slack.</p>',
    charts.length > 1 ? renderSummary(charts) : '',
    shown ? '<p class="meta">Only the stages some release recorded are shown.</p>' : '',
    ...charts.map((chart, i) => renderChart(chart, i, scaleS)),
    data,
    '</body>',
    '</html>',
    '',
  ]
    .filter((line) => line !== '')
    .join('\n')
    .concat('\n');
}
