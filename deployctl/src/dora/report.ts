/** Pure renderers of the DORA report: Markdown (the default, for a job log or an MR comment) and a self-contained HTML page. */
import { escapeHtml, formatDuration } from '../timeline/html.js';
import type { DoraReport, Summary } from './metrics.js';

const COLUMNS = [
  'deployments',
  'deployment frequency',
  'lead time (median / p90)',
  'change failure rate',
  'time to restore (median)',
  'rollbacks',
] as const;

export function formatFrequency(summary: Summary): string {
  const perDay = summary.deploymentsPerDay;
  if (perDay === undefined) return '—';
  if (summary.deployments === 0) return '0';
  if (perDay >= 1) return `${round(perDay)}/day`;
  if (perDay * 7 >= 1) return `${round(perDay * 7)}/week`;
  return `${round(perDay * 30)}/month`;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const round = (n: number) => String(Math.round(n * 10) / 10);

function formatRate(summary: Summary): string {
  if (summary.changeFailureRate === undefined) return '—';
  return `${Math.round(summary.changeFailureRate * 100)}% (${summary.failed} of ${summary.deployments})`;
}

function formatRestore(summary: Summary): string {
  const median = formatDuration(summary.timeToRestoreMedianS);
  if (summary.unrestored === 0) return summary.failed === 0 ? '—' : median;
  return `${summary.timeToRestoreMedianS === undefined ? '' : `${median}, `}${summary.unrestored} not restored yet`;
}

function cells(summary: Summary): string[] {
  return [
    String(summary.deployments),
    formatFrequency(summary),
    summary.leadTimeMedianS === undefined
      ? '—'
      : `${formatDuration(summary.leadTimeMedianS)} / ${formatDuration(summary.leadTimeP90S)}`,
    formatRate(summary),
    formatRestore(summary),
    String(summary.rollbacks),
  ];
}

function formatRange(report: DoraReport): string {
  return `${report.since.slice(0, 10)} → ${report.until.slice(0, 10)}`;
}

export function formatDoraMarkdown(reports: readonly DoraReport[]): string {
  const lines: string[] = [];
  for (const report of reports) {
    lines.push(
      `## Delivery metrics (DORA) of ${report.env}, ${formatRange(report)}, by ${report.period}`,
      '',
      `From the release commits on \`${report.branch}\`: ${plural(report.total.deployments, 'release')}, ${plural(report.total.rollbacks, 'rollback')}.`,
      '',
      `| | ${COLUMNS.join(' | ')} |`,
      `| --- | ${COLUMNS.map(() => '---:').join(' | ')} |`,
      `| **all** | ${cells(report.total).join(' | ')} |`,
      ...report.periods.map((p) => `| ${p.period} | ${cells(p).join(' | ')} |`),
      '',
    );
  }
  lines.push(
    'Lead time: source commit (commit time) → release commit. A release is failed when a later rollback moves away from it; time to restore runs from its release commit to the next rollback or good release.',
    '',
  );
  return lines.join('\n');
}

const CSS = `
body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d2733; margin: 24px; max-width: 1000px; }
h1 { font-size: 22px; } h2 { font-size: 17px; margin-top: 28px; } .meta { color: #5b6675; }
table { border-collapse: collapse; font-size: 13px; margin: 8px 0; } th, td { padding: 4px 12px 4px 0; border-bottom: 1px solid #eef0f3; text-align: right; }
th:first-child, td:first-child { text-align: left; } tr.total td { font-weight: 600; } tr.empty td { color: #9aa3ad; }
svg .bar { fill: #4f7cac; } svg .failed { fill: #d1495b; } svg text { font-size: 11px; fill: #5b6675; }
`;

function renderBars(report: DoraReport): string {
  const width = 960;
  const height = 120;
  const max = Math.max(1, ...report.periods.map((p) => p.deployments));
  const slot = (width - 20) / Math.max(1, report.periods.length);
  const bars = report.periods.map((p, i) => {
    const x = 10 + i * slot;
    const h = (p.deployments / max) * (height - 36);
    const hf = (p.failed / max) * (height - 36);
    const barWidth = Math.max(2, slot * 0.7);
    return [
      `<g class="period" data-period="${escapeHtml(p.period)}"><title>${escapeHtml(`${p.period}: ${p.deployments} deployments, ${p.failed} failed`)}</title>`,
      `<rect class="bar" x="${x.toFixed(1)}" y="${(height - 20 - h).toFixed(1)}" width="${barWidth.toFixed(1)}" height="${h.toFixed(1)}"/>`,
      `<rect class="failed" x="${x.toFixed(1)}" y="${(height - 20 - hf).toFixed(1)}" width="${barWidth.toFixed(1)}" height="${hf.toFixed(1)}"/>`,
      `<text x="${(x + barWidth / 2).toFixed(1)}" y="${height - 6}" text-anchor="middle">${escapeHtml(p.period)}</text></g>`,
    ].join('');
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeHtml(`deployments per ${report.period} of ${report.env}`)}">${bars.join('')}</svg>`;
}

export function renderDoraHtml(reports: readonly DoraReport[], generatedAt: string): string {
  const sections = reports.map((report) => {
    const row = (name: string, summary: Summary, cls: string) =>
      `<tr class="${cls}"><td>${escapeHtml(name)}</td>${cells(summary)
        .map((c) => `<td>${escapeHtml(c)}</td>`)
        .join('')}</tr>`;
    return [
      `<section class="env" data-env="${escapeHtml(report.env)}">`,
      `<h2>${escapeHtml(`${report.env} (${report.branch}), ${formatRange(report)}, by ${report.period}`)}</h2>`,
      renderBars(report),
      '<table>',
      `<thead><tr><th></th>${COLUMNS.map((c) => `<th>${escapeHtml(c)}</th>`).join('')}</tr></thead>`,
      '<tbody>',
      row('all', report.total, 'total'),
      ...report.periods.map((p) => row(p.period, p, p.deployments === 0 ? 'empty' : '')),
      '</tbody></table>',
      '</section>',
    ].join('\n');
  });
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<title>Delivery metrics (DORA)</title>',
    `<style>${CSS}</style></head><body>`,
    '<h1>Delivery metrics (DORA)</h1>',
    `<p class="meta">From the release commits in Git, made ${escapeHtml(generatedAt)} by <code>deployctl dora --html</code>. Lead time: source commit → release commit. Failed: a later rollback moved away from the release. Red: failed releases.</p>`,
    ...sections,
    '</body></html>',
    '',
  ].join('\n');
}
