// `rollout.strategy` (issue 16): `rolling` renders exactly what the chart rendered before the
// option existed; `canary` renders an Argo Rollouts Rollout with the same pod template, the
// stable and canary Services and the AnalysisTemplate. The kinds of Argo Rollouts have no
// model in kubernetes-models: the pod template is checked through a Deployment wrapper here,
// and test/rollouts dry-runs the whole rendering against the real CRDs on a real API server.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { Deployment } from 'kubernetes-models/apps/v1';
import { parse } from 'yaml';
import { CHART_DIR, type K8sObject, lint, only, render, templateRaw } from './helm.js';
import { beforeFirstRelease } from './shipped-values.js';

const GOLDEN_DIR = path.join(import.meta.dirname, 'golden');
const CANARY_VALUES = path.join(CHART_DIR, 'ci', 'rollouts', 'canary-values.yaml');
const SHA = '0123456789abcdef0123456789abcdef01234567';

/**
 * The chart version is bumped on every change (STYLE.md), so its label is not part of the
 * comparison, nor is the config checksum (a hash of the ConfigMap, which carries that label).
 */
const withoutChartVersion = (text: string): string =>
  text
    .replace(/helm\.sh\/chart: mlops-inference-service-\S+/g, 'helm.sh/chart: mlops-inference-service-X')
    .replace(/checksum\/config: [0-9a-f]{64}/g, 'checksum/config: X');

describe('rollout.strategy rolling (the default)', () => {
  // The goldens are `helm template` of the chart before issue 16 (chart 0.2.0). After a
  // deliberate change to the rolling rendering, regenerate them with UPDATE_GOLDEN=1.
  // values-prod.yaml waits for its first release as shipped (bootstrap.test.ts has that golden);
  // with image.tag 0.1.0 (the appVersion the empty tag used to mean) it is the released state.
  for (const [golden, valuesFiles, set] of [
    ['rolling-defaults.yaml', [], []],
    ['rolling-values-prod.yaml', [beforeFirstRelease('values-prod.yaml')], ['image.tag=0.1.0']],
  ] as const) {
    test(`renders byte for byte what it rendered before the option existed (${golden})`, async () => {
      const result = await templateRaw({ valuesFiles: [...valuesFiles], set: [...set] });
      assert.equal(result.code, 0, result.stderr);
      const file = path.join(GOLDEN_DIR, golden);
      if (process.env.UPDATE_GOLDEN === '1') writeFileSync(file, result.stdout);
      assert.equal(withoutChartVersion(result.stdout), withoutChartVersion(readFileSync(file, 'utf8')));
    });
  }

  test('renders no Argo Rollouts object', async () => {
    const kinds = (await render()).map((object) => object.kind);
    assert.ok(kinds.includes('Deployment'));
    assert.deepEqual(
      kinds.filter((kind) => ['Rollout', 'AnalysisTemplate'].includes(kind)),
      [],
    );
  });
});

describe('rollout.strategy canary', () => {
  const renderCanary = (set: string[] = []) =>
    render({ valuesFiles: [CANARY_VALUES], set: [`image.tag=${SHA}`, ...set] });

  test('passes helm lint --strict', async () => {
    const result = await lint({ valuesFiles: [CANARY_VALUES] });
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
  });

  test('renders a Rollout instead of the Deployment, plus the stable and canary Services and the AnalysisTemplate', async () => {
    const objects = await renderCanary();
    assert.deepEqual(objects.map((object) => `${object.kind}/${object.metadata.name}`).sort(), [
      'AnalysisTemplate/mlops-inference-service',
      'ConfigMap/mlops-inference-service',
      'HorizontalPodAutoscaler/mlops-inference-service',
      'PodDisruptionBudget/mlops-inference-service',
      'Rollout/mlops-inference-service',
      'Service/mlops-inference-service',
      'Service/mlops-inference-service-canary',
      'Service/mlops-inference-service-stable',
      'ServiceAccount/mlops-inference-service',
      'ServiceMonitor/mlops-inference-service',
    ]);
    for (const object of objects.filter((o) => o.apiVersion === 'argoproj.io/v1alpha1')) {
      assert.equal(object.metadata.namespace, 'default');
      assert.equal(object.metadata.labels?.['app.kubernetes.io/instance'], 'mlops-inference-service');
    }
  });

  test("the Rollout's pod template is the Deployment's, apart from the revision-hash label the spread keys on", async () => {
    const rolling = only(await render({ set: [`image.tag=${SHA}`] }), 'Deployment');
    const rollout = only(await renderCanary(), 'Rollout');
    const expected = structuredClone(rolling.spec.template);
    for (const constraint of expected.spec.topologySpreadConstraints)
      constraint.matchLabelKeys = ['rollouts-pod-template-hash'];
    assert.deepEqual(rollout.spec.template, expected);
    assert.deepEqual(rollout.spec.selector, rolling.spec.selector);
    for (const key of ['revisionHistoryLimit', 'progressDeadlineSeconds', 'minReadySeconds'])
      assert.equal(rollout.spec[key], rolling.spec[key], key);
    // The HPA owns the replica count.
    assert.equal(rollout.spec.replicas, undefined);
    // The pod template against the Kubernetes schema, through a Deployment carrying it.
    new Deployment({
      metadata: { name: 'pod-template-check' },
      spec: { selector: rollout.spec.selector, template: rollout.spec.template },
    } as never).validate();
  });

  test('without the HPA the Rollout carries replicaCount', async () => {
    const rollout = only(await renderCanary(['autoscaling.enabled=false', 'replicaCount=4']), 'Rollout');
    assert.equal(rollout.spec.replicas, 4);
  });

  test('the HPA scales the Rollout', async () => {
    assert.deepEqual(only(await renderCanary(), 'HorizontalPodAutoscaler').spec.scaleTargetRef, {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Rollout',
      name: 'mlops-inference-service',
    });
  });

  test('canary steps: 10% → analysis → 50% → analysis, with the same surge limits as the rolling update', async () => {
    const canary = only(await renderCanary(), 'Rollout').spec.strategy.canary;
    assert.equal(canary.stableService, 'mlops-inference-service-stable');
    assert.equal(canary.canaryService, 'mlops-inference-service-canary');
    assert.equal(canary.trafficRouting, undefined, 'no mesh: the split is by replica count');
    assert.equal(canary.maxSurge, 1);
    assert.equal(canary.maxUnavailable, 0);
    assert.deepEqual(
      canary.steps.map((step: K8sObject) => Object.keys(step)[0]),
      ['setWeight', 'analysis', 'setWeight', 'analysis'],
    );
    assert.deepEqual(
      canary.steps.filter((step: K8sObject) => 'setWeight' in step).map((step: K8sObject) => step.setWeight),
      [10, 50],
    );
    for (const step of canary.steps.filter((s: K8sObject) => 'analysis' in s)) {
      assert.deepEqual(step.analysis.templates, [{ templateName: 'mlops-inference-service' }]);
      assert.deepEqual(step.analysis.args, [
        { name: 'canary-hash', valueFrom: { podTemplateHashValue: 'Latest' } },
        { name: 'stable-hash', valueFrom: { podTemplateHashValue: 'Stable' } },
        { name: 'commit', value: SHA },
      ]);
    }
  });

  test('steps from values pass through, pauses included', async () => {
    const objects = await render({
      valuesFiles: [CANARY_VALUES],
      setJson: ['rollout.canary.steps=[{"setWeight":25},{"pause":{"duration":"1m"}},{"analysis":{}}]'],
    });
    const steps = only(objects, 'Rollout').spec.strategy.canary.steps;
    assert.deepEqual(steps.slice(0, 2), [{ setWeight: 25 }, { pause: { duration: '1m' } }]);
    assert.ok('analysis' in steps[2]);
  });

  test('the stable and canary Services serve the API port and stay out of the ServiceMonitor', async () => {
    const objects = await renderCanary();
    const main = objects.find((o) => o.kind === 'Service' && o.metadata.name === 'mlops-inference-service')!;
    for (const role of ['stable', 'canary']) {
      const service = objects.find((o) => o.metadata.name === `mlops-inference-service-${role}`)!;
      assert.equal(service.metadata.labels?.['mlops-inference-chain/rollout-service'], role);
      // The controller adds rollouts-pod-template-hash; the chart gives it the main Service's selector.
      assert.deepEqual(service.spec.selector, main.spec.selector);
      assert.deepEqual(service.spec.ports, [
        { name: 'http', port: 8000, targetPort: 'http', protocol: 'TCP' },
      ]);
    }
    const monitor = only(objects, 'ServiceMonitor');
    assert.deepEqual(monitor.spec.selector.matchExpressions, [
      { key: 'mlops-inference-chain/rollout-service', operator: 'DoesNotExist' },
    ]);
    assert.deepEqual(monitor.spec.podTargetLabels, ['rollouts-pod-template-hash']);
  });

  test('the AnalysisTemplate compares canary with stable on errors, p99 latency and label share, and runs the golden examples', async () => {
    const template = only(await renderCanary(), 'AnalysisTemplate');
    assert.deepEqual(
      template.spec.args.map((arg: K8sObject) => arg.name),
      ['canary-hash', 'stable-hash', 'commit'],
    );
    const metrics = Object.fromEntries(template.spec.metrics.map((m: K8sObject) => [m.name, m]));
    assert.deepEqual(Object.keys(metrics), [
      'error-ratio-increase',
      'p99-latency-increase',
      'label-share-difference',
      'golden-examples',
    ]);
    const expected: Record<string, [string, RegExp]> = {
      'error-ratio-increase': ['result[0] <= 0.01', /http_requests_total\{.*status=~"5\.\."/],
      'p99-latency-increase': [
        'result[0] <= 0.25',
        /histogram_quantile\(0\.99, .*http_request_duration_seconds_bucket/,
      ],
      'label-share-difference': ['result[0] <= 0.1', /sum by \(label\) \(rate\(model_predictions_total\{/],
    };
    for (const [name, [condition, shape]] of Object.entries(expected)) {
      const metric = metrics[name];
      assert.equal(metric.successCondition, condition, name);
      assert.equal(metric.failureLimit, 0, name);
      assert.equal(metric.count, 4, name);
      assert.equal(metric.interval, '30s', name);
      const { address, query } = metric.provider.prometheus;
      assert.equal(address, 'http://kube-prometheus-stack-prometheus.monitoring.svc:9090');
      assert.match(query, shape, name);
      // Canary and stable, by the pod-template hash, over the same window.
      assert.match(query, /rollouts_pod_template_hash="\{\{args\.canary-hash\}\}"/, name);
      assert.match(query, /rollouts_pod_template_hash="\{\{args\.stable-hash\}\}"/, name);
      assert.deepEqual([...new Set(query.match(/\[[^\]]+\]/g))], ['[2m]'], name);
    }
    const job = metrics['golden-examples'].provider.job;
    const container = job.spec.template.spec.containers[0];
    assert.equal(container.image, `registry.example.com/mlops/deployctl:${SHA}`);
    assert.deepEqual(
      [...container.command, ...container.args],
      [
        'deployctl',
        'verify',
        '--url',
        'http://mlops-inference-service-canary.default.svc:8000',
        '--commit',
        '{{args.commit}}',
        '--replicas',
        '1',
        '--timeout',
        '60',
        '--model-card',
        '/app/model/model.json',
      ],
    );
    assert.equal(job.spec.backoffLimit, 0);
    assert.equal(job.spec.template.spec.restartPolicy, 'Never');
    // Not selected by the Service, the PDB or the Rollout: no name label on the Job's pods.
    assert.equal(job.spec.template.metadata.labels['app.kubernetes.io/name'], undefined);
  });

  test('thresholds, window, Prometheus and the hash label come from values', async () => {
    const objects = await render({
      valuesFiles: [CANARY_VALUES],
      set: [
        'rollout.analysis.prometheusAddress=http://127.0.0.1:9090',
        'rollout.analysis.podTemplateHashLabel=pod_hash',
        'rollout.analysis.extraSelector=namespace="default"',
        'rollout.analysis.window=30s',
        'rollout.analysis.golden.enabled=false',
      ],
      setJson: ['rollout.analysis.maxLabelShareDifference=0.05'],
    });
    const metrics = only(objects, 'AnalysisTemplate').spec.metrics;
    assert.deepEqual(
      metrics.map((m: K8sObject) => m.name),
      ['error-ratio-increase', 'p99-latency-increase', 'label-share-difference'],
    );
    const share = metrics[2];
    assert.equal(share.successCondition, 'result[0] <= 0.05');
    assert.equal(share.provider.prometheus.address, 'http://127.0.0.1:9090');
    assert.match(
      share.provider.prometheus.query,
      /pod_hash="\{\{args\.canary-hash\}\}",namespace="default"\}\[30s\]/,
    );
  });

  test('the values file parses to what the schema allows (canary-values.yaml)', () => {
    const values = parse(readFileSync(CANARY_VALUES, 'utf8'));
    assert.equal(values.rollout.strategy, 'canary');
  });
});
