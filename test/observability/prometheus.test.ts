// Every dashboard query and every alert expression through a real Prometheus (Debian's package,
// on 127.0.0.1, a temporary data directory, 1 s scrapes) scraping two real service processes
// under a short, bounded load. Each must parse and return series; a panel naming a metric that
// neither the service nor Prometheus exports fails.
//
// The exception, named here and in CLUSTER_METRICS: cAdvisor (`container_*`) and
// kube-state-metrics (`kube_*`) run only in a Kubernetes cluster, so queries that read them are
// checked to parse and to name those exact metrics, not to return series.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { panelQueries } from '@mlops/observability';
import { type Prometheus, startPrometheus } from '../support/prometheus.js';
import { type ServiceProcess, startService } from '../support/service-process.js';
import { type AlertRule, alertsOf, ensurePrometheus, NAMESPACE, RELEASE, renderRuleGroups } from './tools.js';

/** Metrics of the cluster's exporters, absent outside Kubernetes (cAdvisor, kube-state-metrics). */
const CLUSTER_METRICS = new Set([
  'container_cpu_usage_seconds_total',
  'container_memory_working_set_bytes',
  'kube_pod_container_resource_requests',
  'kube_pod_container_resource_limits',
  'kube_deployment_spec_replicas',
  'kube_deployment_status_replicas_available',
  'kube_deployment_status_replicas_unavailable',
]);

/** Grafana's variables as the dashboard would set them for this release, scraped every second. */
function substitute(expr: string): string {
  return expr
    .replaceAll('$namespace', NAMESPACE)
    .replaceAll('$service', RELEASE)
    .replaceAll('$__rate_interval', '30s');
}

/** The metric names a query selects (every selector in the dashboard and the rules has braces). */
function metricNames(expr: string): string[] {
  return [...new Set([...expr.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\{/g)].map((m) => m[1]!))];
}

/** Names a query reads that neither the scraped service nor the cluster exporters provide. */
function unknownMetrics(expr: string, exported: Set<string>): string[] {
  return metricNames(expr).filter((name) => !exported.has(name) && !CLUSTER_METRICS.has(name));
}

/** The part of an alert that yields series in a healthy system: without its threshold, or inside absent(). */
function conditionOf(expr: string): string {
  const absent = /^absent\(([\s\S]*)\)$/.exec(expr.trim());
  if (absent) return absent[1]!;
  const compared = /^([\s\S]*?)\s*>\s*[0-9.e+-]+\s*$/.exec(expr.trim());
  return compared ? compared[1]! : expr;
}

interface QueryResult {
  status: string;
  error?: string;
  data?: { resultType: string; result: { metric: Record<string, string> }[] };
}

describe('dashboard queries and alert expressions against a real Prometheus', () => {
  const services: ServiceProcess[] = [];
  let prometheus: Prometheus | undefined;
  let promUrl = '';
  let alerts: AlertRule[] = [];
  let exported = new Set<string>();
  let answered = 0;
  let overloaded = 0;

  async function query(expr: string): Promise<QueryResult> {
    const response = await fetch(`${promUrl}/api/v1/query`, {
      method: 'POST',
      body: new URLSearchParams({ query: expr }),
      signal: AbortSignal.timeout(10_000),
    });
    return (await response.json()) as QueryResult;
  }

  async function post(service: ServiceProcess, url: string, body: unknown): Promise<number> {
    const response = await fetch(`${service.url}${url}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    await response.arrayBuffer();
    return response.status;
  }

  before(async () => {
    const { prometheus: prometheusBin } = ensurePrometheus();
    alerts = alertsOf(await renderRuleGroups());

    // Two "pods". The second has a queue of 4 and a 50 ms batch window, so a burst overflows it
    // into 503 OVERLOADED: the error panels and the error-rate alert then have 5xx series.
    services.push(
      await startService({
        env: { GIT_COMMIT: 'a'.repeat(40), INSTANCE_ID: 'pod-a' },
        waitFor: '/readyz',
        stdout: 'ignore',
      }),
      await startService({
        env: {
          GIT_COMMIT: 'b'.repeat(40),
          INSTANCE_ID: 'pod-b',
          MAX_QUEUE: '4',
          MAX_BATCH_ITEMS: '4',
          BATCH_MAX_WAIT_MS: '50',
        },
        waitFor: '/readyz',
        stdout: 'ignore',
      }),
    );

    // The chart's rules, loaded by Prometheus too: they must load and evaluate without error.
    prometheus = await startPrometheus({
      binary: prometheusBin,
      rules: { groups: await renderRuleGroups() },
    });
    promUrl = prometheus.url;
    // The labels a ServiceMonitor gives each target in the cluster (namespace, service, pod, container).
    prometheus.setTargets(
      services.map((service, i) => ({
        targets: [new URL(service.metricsUrl).host],
        labels: {
          namespace: NAMESPACE,
          service: RELEASE,
          pod: `${RELEASE}-${'ab'[i]}`,
          container: 'mlops-inference-service',
          endpoint: 'metrics',
        },
      })),
    );

    // Bounded load: 6 s of 4 clients per pod (single, batch and KServe v2 requests), then bursts
    // of 12 concurrent requests at pod b's queue of 4.
    const texts = [
      'Win a FREE $1000 gift card now!',
      'Lunch tomorrow?',
      'Your invoice is attached',
      'x'.repeat(300),
    ];
    const deadline = Date.now() + 6_000;
    const client = async (service: ServiceProcess, n: number) => {
      for (let i = n; Date.now() < deadline; i++) {
        const status =
          i % 3 === 0
            ? await post(service, '/predict', { input: texts[i % texts.length] })
            : i % 3 === 1
              ? await post(service, '/predict', { inputs: texts.slice(0, 1 + (i % 4)) })
              : await post(service, '/v2/models/spam-classifier/infer', {
                  inputs: [{ name: 'text', shape: [2], datatype: 'BYTES', data: texts.slice(0, 2) }],
                });
        if (status === 200) answered++;
        else if (status === 503) overloaded++;
        else throw new Error(`unexpected status ${status}`);
      }
    };
    await Promise.all(services.flatMap((service) => [0, 1, 2, 3].map((n) => client(service, n))));
    for (let burst = 0; burst < 3; burst++) {
      const statuses = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          post(services[1]!, '/predict', { input: texts[i % texts.length] }),
        ),
      );
      for (const status of statuses) {
        if (status === 200) answered++;
        else if (status === 503) overloaded++;
      }
    }
    assert.ok(overloaded > 0, 'the bursts produced no 503 OVERLOADED');

    // Wait until Prometheus has scraped every answered request (the counters are final now).
    const scraped = `sum(http_requests_total{namespace="${NAMESPACE}", service="${RELEASE}", route=~"/predict|/v2/models/:name/infer"})`;
    const until = Date.now() + 30_000;
    let seen = 0;
    while (Date.now() < until) {
      const result = await query(scraped);
      seen = Number((result.data?.result[0] as { value?: [number, string] } | undefined)?.value?.[1] ?? 0);
      if (seen >= answered + overloaded) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    assert.equal(seen, answered + overloaded, 'Prometheus has not scraped every request');

    const names = (await (await fetch(`${promUrl}/api/v1/label/__name__/values`)).json()) as {
      data: string[];
    };
    exported = new Set(names.data);
  });

  after(async () => {
    await prometheus?.stop();
    await Promise.all(services.map((service) => service.stop()));
  });

  test('both instances are scraped, with the labels a ServiceMonitor gives them', async () => {
    const result = await query(`up{namespace="${NAMESPACE}", service="${RELEASE}"} == 1`);
    assert.equal(result.data?.result.length, 2, JSON.stringify(result));
  });

  test('every dashboard query parses and returns series (cluster-only metrics: parses, names them)', async () => {
    const queries = panelQueries();
    const clusterOnly: string[] = [];
    for (const { panel, refId, expr } of queries) {
      const where = `${panel} [${refId}]: ${expr}`;
      assert.ok(metricNames(expr).length > 0, `${where} selects no metric`);
      assert.deepEqual(unknownMetrics(expr, exported), [], `${where} names a metric nobody exports`);
      const result = await query(substitute(expr));
      assert.equal(result.status, 'success', `${where}: ${result.error}`);
      if (metricNames(expr).some((name) => CLUSTER_METRICS.has(name))) {
        clusterOnly.push(`${panel} [${refId}]`);
        continue;
      }
      assert.ok((result.data?.result.length ?? 0) > 0, `${where} returned no series`);
    }
    console.log(
      `${queries.length} queries; parsed only (cAdvisor/kube-state-metrics): ${clusterOnly.join('; ')}`,
    );
    // The exception is exactly the CPU, memory and replica queries.
    assert.deepEqual(
      clusterOnly.map((q) => q.replace(/ \[.\]$/, '')),
      [
        'CPU against request and limit',
        'CPU against request and limit',
        'CPU against request and limit',
        'Memory against limit',
        'Memory against limit',
        'Memory against limit',
        'Readiness and replicas',
        'Readiness and replicas',
      ],
    );
  });

  test('the build-info table shows each pod with its commit, model and instance', async () => {
    const expr = panelQueries().find((q) => q.panel === 'What each pod serves')!.expr;
    const result = await query(substitute(expr));
    const rows = (result.data?.result ?? [])
      .map((r) => r.metric)
      .sort((a, b) => a.pod!.localeCompare(b.pod!));
    assert.deepEqual(
      rows.map((r) => [r.pod, r.commit, r.instance_id, r.model_name]),
      [
        [`${RELEASE}-a`, 'a'.repeat(40), 'pod-a', 'spam-classifier'],
        [`${RELEASE}-b`, 'b'.repeat(40), 'pod-b', 'spam-classifier'],
      ],
    );
  });

  test('the dashboard variables find this release (label_values of inference_service_build_info)', async () => {
    const response = await fetch(
      `${promUrl}/api/v1/series?${new URLSearchParams({ 'match[]': 'inference_service_build_info' })}`,
    );
    const series = ((await response.json()) as { data: Record<string, string>[] }).data;
    assert.deepEqual([...new Set(series.map((s) => s.namespace))], [NAMESPACE]);
    assert.deepEqual([...new Set(series.map((s) => s.service))], [RELEASE]);
  });

  test('a panel naming a metric the service does not export is caught', () => {
    const typo =
      'sum by (label) (rate(model_prediction_total{namespace="$namespace", service="$service"}[1m]))';
    assert.deepEqual(unknownMetrics(typo, exported), ['model_prediction_total']);
  });

  test('every alert expression parses; its condition returns series (kube-state-metrics: parses)', async () => {
    assert.ok(alerts.length >= 4);
    for (const { alert, expr } of alerts) {
      assert.deepEqual(unknownMetrics(expr, exported), [], `${alert} names a metric nobody exports`);
      const full = await query(expr);
      assert.equal(full.status, 'success', `${alert}: ${full.error}`);
      const condition = conditionOf(expr);
      const result = await query(condition);
      assert.equal(result.status, 'success', `${alert} condition ${condition}: ${result.error}`);
      if (metricNames(expr).some((name) => CLUSTER_METRICS.has(name))) {
        assert.equal(alert, 'MlopsInferenceServiceReplicasNotReady', `${alert} reads a cluster-only metric`);
        continue;
      }
      assert.ok((result.data?.result.length ?? 0) > 0, `${alert}: ${condition} returned no series`);
    }
    // Both pods are up: the absent-metrics alert's expression is empty.
    const absent = alerts.find((a) => a.alert === 'MlopsInferenceServiceMetricsAbsent')!;
    assert.equal((await query(absent.expr)).data?.result.length, 0);
  });

  test('Prometheus loaded the chart rule file and evaluates every alert without error', async () => {
    const until = Date.now() + 10_000;
    let rules: { name: string; health: string; lastError?: string }[] = [];
    while (Date.now() < until) {
      const response = (await (await fetch(`${promUrl}/api/v1/rules?type=alert`)).json()) as {
        data: { groups: { rules: { name: string; health: string; lastError?: string }[] }[] };
      };
      rules = response.data.groups.flatMap((g) => g.rules);
      if (rules.length === alerts.length && rules.every((r) => r.health === 'ok')) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    assert.deepEqual(
      rules.map((r) => [r.name, r.health, r.lastError ?? '']),
      alerts.map((a) => [a.alert, 'ok', '']),
    );
  });
});
