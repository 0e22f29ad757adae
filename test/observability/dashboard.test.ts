// The dashboard is code (observability/src/dashboard.ts); the chart ships the JSON it generates.
// Stale JSON fails here, as do panels that do not use the data-source variable or select another
// release's series.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import {
  buildDashboard,
  DASHBOARD_FILE,
  DOC_FILE,
  panelQueries,
  renderDashboardJson,
  withPanelTable,
} from '@mlops/observability';

const board = buildDashboard();

describe('the Grafana dashboard (observability/)', () => {
  test('helm/dashboards/inference-service.json is what observability/src/dashboard.ts generates', () => {
    const committed = readFileSync(DASHBOARD_FILE, 'utf8');
    assert.ok(
      committed === renderDashboardJson(board),
      `${DASHBOARD_FILE} is stale: run \`npm run generate -w observability\` and commit the result`,
    );
  });

  test('docs/observability.md lists every panel with its query, as generated', () => {
    const doc = readFileSync(DOC_FILE, 'utf8');
    assert.ok(
      doc === withPanelTable(doc),
      `the panel table of ${DOC_FILE} is stale: run \`npm run dashboard:generate\` and commit the result`,
    );
  });

  test('has the panels issue 15 asks for', () => {
    const titles = (board.panels ?? []).map((panel) => (panel as { title?: string }).title);
    for (const title of [
      'Traffic by status',
      'Latency p50 / p95 / p99',
      'Error ratio (5xx)',
      'Queue depth and requests in flight',
      'Batch size',
      'CPU against request and limit',
      'Memory against limit',
      'Readiness and replicas',
      'Pods per commit and model version',
      'What each pod serves',
      'Share of each predicted label',
      'Score distribution',
    ]) {
      assert.ok(titles.includes(title), `no panel "${title}"`);
    }
  });

  test('every query uses the $datasource variable, has a refId, and selects this release', () => {
    const queries = panelQueries(board);
    assert.ok(queries.length >= 20, `only ${queries.length} queries`);
    for (const panel of board.panels ?? []) {
      if (panel.type === 'row') continue;
      for (const target of (panel as { targets?: { datasource?: { uid?: string }; refId?: string }[] })
        .targets ?? []) {
        assert.equal(target.datasource?.uid, '$datasource');
        assert.match(target.refId ?? '', /^[A-Z]$/);
      }
    }
    for (const { panel, expr } of queries) {
      // The service's own series by namespace and service; cluster series by namespace, joined
      // to the service's pods or its Deployment.
      assert.match(expr, /namespace="\$namespace"/, `${panel}: ${expr}`);
      assert.match(expr, /service="\$service"|deployment="\$service"/, `${panel}: ${expr}`);
    }
  });

  test('panel ids are unique', () => {
    const ids = (board.panels ?? []).map((panel) => panel.id);
    assert.equal(new Set(ids).size, ids.length);
  });
});
