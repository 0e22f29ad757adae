/**
 * Writes the dashboard into the chart: helm/dashboards/inference-service.json
 * (`npm run generate -w observability`). The observability suite fails when the committed file
 * differs from what this would write.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { renderDashboardJson } from './dashboard.js';

/** Where the chart reads the dashboard from (templates/dashboard-configmap.yaml). */
export const DASHBOARD_FILE = path.resolve(
  import.meta.dirname,
  '..',
  '..',
  'helm',
  'dashboards',
  'inference-service.json',
);

// Run as a script (not when a test imports DASHBOARD_FILE).
if (process.argv[1] && path.resolve(process.argv[1]) === import.meta.filename) {
  mkdirSync(path.dirname(DASHBOARD_FILE), { recursive: true });
  writeFileSync(DASHBOARD_FILE, renderDashboardJson());
  console.log(`wrote ${path.relative(process.cwd(), DASHBOARD_FILE)}`);
}
