/**
 * Writes the dashboard into the chart, helm/dashboards/inference-service.json, and its panel
 * table into docs/observability.md (`npm run dashboard:generate`). The observability suite fails
 * when either committed file differs from what this would write.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { renderDashboardJson, renderPanelTable } from './dashboard.js';

const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..');
/** Where the chart reads the dashboard from (templates/dashboard-configmap.yaml). */
export const DASHBOARD_FILE = path.join(REPO_ROOT, 'helm', 'dashboards', 'inference-service.json');
/** The document whose panel table is generated, between these two markers. */
export const DOC_FILE = path.join(REPO_ROOT, 'docs', 'observability.md');
const BEGIN = '<!-- panels:begin (npm run dashboard:generate) -->';
const END = '<!-- panels:end -->';

/** `doc` with the panel table between the markers replaced by the current one. */
export function withPanelTable(doc: string): string {
  const begin = doc.indexOf(BEGIN);
  const end = doc.indexOf(END);
  if (begin < 0 || end < begin) throw new Error(`${DOC_FILE} lacks the markers ${BEGIN} … ${END}`);
  return `${doc.slice(0, begin + BEGIN.length)}\n${renderPanelTable()}\n${doc.slice(end)}`;
}

// Run as a script (not when a test imports the paths).
if (process.argv[1] && path.resolve(process.argv[1]) === import.meta.filename) {
  writeFileSync(DASHBOARD_FILE, renderDashboardJson());
  writeFileSync(DOC_FILE, withPanelTable(readFileSync(DOC_FILE, 'utf8')));
  console.log(`wrote ${DASHBOARD_FILE} and the panel table of ${DOC_FILE}`);
}
