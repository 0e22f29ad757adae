// The Grafana dashboard ConfigMap (issue 15): off by default, one value turns it on, and then it
// carries the kube-prometheus-stack sidecar's label and the generated dashboard byte for byte.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { CHART_DIR, type K8sObject, RELEASE, render } from './helm.js';

const DASHBOARD_JSON = readFileSync(path.join(CHART_DIR, 'dashboards', 'inference-service.json'), 'utf8');

function dashboardConfigMaps(objects: K8sObject[]): K8sObject[] {
  return objects.filter(
    (object) => object.kind === 'ConfigMap' && object.metadata.name.endsWith('-dashboard'),
  );
}

describe('Grafana dashboard ConfigMap', () => {
  test('is off by default', async () => {
    assert.deepEqual(dashboardConfigMaps(await render()), []);
  });

  test('dashboard.enabled=true renders it with the sidecar label grafana_dashboard: "1"', async () => {
    const [configMap, ...others] = dashboardConfigMaps(await render({ set: ['dashboard.enabled=true'] }));
    assert.ok(configMap, 'no dashboard ConfigMap');
    assert.equal(others.length, 0);
    assert.equal(configMap.metadata.name, `${RELEASE}-dashboard`);
    assert.equal(configMap.metadata.namespace, 'default');
    assert.equal(configMap.metadata.labels?.grafana_dashboard, '1');
    assert.equal(configMap.metadata.labels?.['app.kubernetes.io/name'], 'mlops-inference-service');
    assert.equal(configMap.metadata.annotations, undefined);
    // The generated file, unchanged (trailing newline aside), and a dashboard Grafana can load.
    const text = configMap.data['inference-service.json'] as string;
    assert.equal(text, DASHBOARD_JSON.trim());
    const board = JSON.parse(text) as { uid: string; title: string; panels: unknown[] };
    assert.equal(board.uid, 'mlops-inference-service');
    assert.ok(board.panels.length > 0);
  });

  test('the label, its value and annotations are configurable (another Grafana, a folder)', async () => {
    const [configMap] = dashboardConfigMaps(
      await render({
        set: [
          'dashboard.enabled=true',
          'dashboard.label=grafana-dashboards',
          'dashboard.labelValue=mlops',
          'dashboard.annotations.grafana_folder=MLOps',
        ],
      }),
    );
    assert.equal(configMap?.metadata.labels?.['grafana-dashboards'], 'mlops');
    assert.equal(configMap?.metadata.labels?.grafana_dashboard, undefined);
    assert.deepEqual(configMap?.metadata.annotations, { grafana_folder: 'MLOps' });
  });

  test('ci/monitoring-values.yaml (kube-prometheus-stack) turns it on', async () => {
    const objects = await render({ valuesFiles: [path.join(CHART_DIR, 'ci', 'monitoring-values.yaml')] });
    assert.equal(dashboardConfigMaps(objects).length, 1);
  });
});
