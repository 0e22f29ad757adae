/**
 * The service's Grafana dashboard, written with Grafana's own SDK (issue 15). `npm run generate
 * -w observability` writes it to helm/dashboards/inference-service.json, which the chart ships
 * as a ConfigMap for the kube-prometheus-stack Grafana sidecar (`dashboard.enabled`).
 *
 * Every query selects the chart's pods by the `namespace` and `service` labels the
 * ServiceMonitor puts on each scraped series (docs/contracts.md), through the `namespace` and
 * `service` variables. CPU and memory come from cAdvisor (`container_*`, scraped from the
 * kubelet) and kube-state-metrics (`kube_*`), the names kube-prometheus-stack ships; they are
 * joined to this service's pods on (namespace, pod, container) through the build-info series.
 */
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as heatmap from '@grafana/grafana-foundation-sdk/heatmap';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';

export const DASHBOARD_UID = 'mlops-inference-service';

/** The Prometheus data source the panels query: the dashboard's `datasource` variable. */
const DATASOURCE = { type: 'prometheus', uid: '$datasource' };

/** This release's series, as the ServiceMonitor labels them. */
const SEL = 'namespace="$namespace", service="$service"';
/** The service's pods, for joining cAdvisor and kube-state-metrics series to them. */
const PODS = `max by (namespace, pod, container) (inference_service_build_info{${SEL}})`;
const RATE = '$__rate_interval';

/** The chart's default alert thresholds (helm/values.yaml `metrics.prometheusRule`), drawn as lines. */
const ERROR_RATIO_THRESHOLD = 0.05;
const LATENCY_P99_THRESHOLD_SECONDS = 0.5;

function query(expr: string, legend: string): prometheus.DataqueryBuilder {
  return new prometheus.DataqueryBuilder().datasource(DATASOURCE).expr(expr).legendFormat(legend).range();
}

function threshold(value: number): dashboard.ThresholdsConfigBuilder {
  return new dashboard.ThresholdsConfigBuilder().mode(dashboard.ThresholdsMode.Absolute).steps([
    { value: null, color: 'green' },
    { value, color: 'red' },
  ]);
}

function graph(title: string, description: string, unit: string): timeseries.PanelBuilder {
  return new timeseries.PanelBuilder()
    .title(title)
    .description(description)
    .datasource(DATASOURCE)
    .unit(unit)
    .min(0)
    .height(8)
    .span(12)
    .fillOpacity(10)
    .legend(
      new common.VizLegendOptionsBuilder()
        .showLegend(true)
        .displayMode(common.LegendDisplayMode.Table)
        .placement(common.LegendPlacement.Bottom)
        .calcs(['lastNotNull', 'max']),
    );
}

/** `histogram_quantile(q, …)` of a histogram's buckets over this release, summed by `by`. */
function quantile(q: number, metric: string, by = 'le'): string {
  return `histogram_quantile(${q}, sum by (${by}) (rate(${metric}_bucket{${SEL}}[${RATE}])))`;
}

export function buildDashboard(): dashboard.Dashboard {
  const builder = new dashboard.DashboardBuilder('ML inference service')
    .uid(DASHBOARD_UID)
    .description(
      'mlops-inference-service: traffic, latency, errors, saturation, rollout and what the model predicts. Generated from observability/src/dashboard.ts; do not edit by hand.',
    )
    .tags(['mlops-inference-service', 'inference', 'generated'])
    .editable()
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .refresh('30s')
    .time({ from: 'now-3h', to: 'now' })
    .timezone('browser')
    .withVariable(
      new dashboard.DatasourceVariableBuilder('datasource').label('Data source').type('prometheus'),
    )
    .withVariable(
      new dashboard.QueryVariableBuilder('namespace')
        .label('Namespace')
        .datasource(DATASOURCE)
        .query('label_values(inference_service_build_info, namespace)')
        .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
        .sort(dashboard.VariableSort.AlphabeticalAsc),
    )
    .withVariable(
      new dashboard.QueryVariableBuilder('service')
        .label('Service')
        .datasource(DATASOURCE)
        .query('label_values(inference_service_build_info{namespace="$namespace"}, service)')
        .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
        .sort(dashboard.VariableSort.AlphabeticalAsc),
    )

    .withRow(new dashboard.RowBuilder('Traffic'))
    .withPanel(
      graph(
        'Traffic by status',
        'Requests per second answered, by HTTP status (every route, probes included).',
        'reqps',
      )
        .stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal))
        .withTarget(query(`sum by (status) (rate(http_requests_total{${SEL}}[${RATE}]))`, '{{status}}')),
    )
    .withPanel(
      graph(
        'Latency p50 / p95 / p99',
        `Request duration quantiles over every route (what the latency alert watches; its default threshold, ${LATENCY_P99_THRESHOLD_SECONDS}s, is the red line).`,
        's',
      )
        .thresholds(threshold(LATENCY_P99_THRESHOLD_SECONDS))
        .thresholdsStyle(
          new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Line),
        )
        .withTarget(query(quantile(0.5, 'http_request_duration_seconds'), 'p50'))
        .withTarget(query(quantile(0.95, 'http_request_duration_seconds'), 'p95'))
        .withTarget(query(quantile(0.99, 'http_request_duration_seconds'), 'p99')),
    )
    .withPanel(
      graph(
        'Error ratio (5xx)',
        `Share of requests answered with a 5xx (503 OVERLOADED included): what the error-rate alert watches; its default threshold, ${ERROR_RATIO_THRESHOLD * 100}%, is the red line. 0 while there are requests and no errors.`,
        'percentunit',
      )
        .thresholds(threshold(ERROR_RATIO_THRESHOLD))
        .thresholdsStyle(
          new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Line),
        )
        .withTarget(
          query(
            `(sum(rate(http_requests_total{${SEL}, status=~"5.."}[${RATE}])) or vector(0)) / sum(rate(http_requests_total{${SEL}}[${RATE}]))`,
            '5xx ratio',
          ),
        ),
    )

    .withRow(new dashboard.RowBuilder('Saturation'))
    .withPanel(
      graph(
        'Queue depth and requests in flight',
        'Texts waiting for a micro-batch (bounded by MAX_QUEUE; a full queue answers 503 OVERLOADED) and HTTP requests not yet answered, per pod.',
        'short',
      )
        .withTarget(query(`sum by (pod) (model_queue_depth{${SEL}})`, 'queue {{pod}}'))
        .withTarget(query(`sum by (pod) (http_requests_in_flight{${SEL}})`, 'in flight {{pod}}')),
    )
    .withPanel(
      graph(
        'Batch size',
        'Texts per ONNX Runtime run (micro-batching): mean and p95. Batches grow with load, up to BATCH_MAX_SIZE.',
        'short',
      )
        .withTarget(
          query(
            `sum(rate(model_batch_size_sum{${SEL}}[${RATE}])) / sum(rate(model_batch_size_count{${SEL}}[${RATE}]))`,
            'mean',
          ),
        )
        .withTarget(query(quantile(0.95, 'model_batch_size'), 'p95')),
    )
    .withPanel(
      graph(
        'CPU against request and limit',
        'CPU cores used per pod (cAdvisor container_cpu_usage_seconds_total) against the container request and limit (kube-state-metrics kube_pod_container_resource_*). The chart sets no CPU limit by default (CFS throttling adds tail latency), so the limit line is usually absent.',
        'short',
      )
        .withTarget(
          query(
            `sum by (pod) (rate(container_cpu_usage_seconds_total{namespace="$namespace", container!="", container!="POD"}[${RATE}]) and on (namespace, pod, container) ${PODS})`,
            'used {{pod}}',
          ),
        )
        .withTarget(
          query(
            `sum by (pod) (kube_pod_container_resource_requests{namespace="$namespace", resource="cpu"} and on (namespace, pod, container) ${PODS})`,
            'request {{pod}}',
          ),
        )
        .withTarget(
          query(
            `sum by (pod) (kube_pod_container_resource_limits{namespace="$namespace", resource="cpu"} and on (namespace, pod, container) ${PODS})`,
            'limit {{pod}}',
          ),
        ),
    )
    .withPanel(
      graph(
        'Memory against limit',
        'Working set per pod (cAdvisor container_memory_working_set_bytes, what the OOM killer compares) against the container memory limit and request (kube-state-metrics).',
        'bytes',
      )
        .withTarget(
          query(
            `sum by (pod) (container_memory_working_set_bytes{namespace="$namespace", container!="", container!="POD"} and on (namespace, pod, container) ${PODS})`,
            'working set {{pod}}',
          ),
        )
        .withTarget(
          query(
            `sum by (pod) (kube_pod_container_resource_limits{namespace="$namespace", resource="memory"} and on (namespace, pod, container) ${PODS})`,
            'limit {{pod}}',
          ),
        )
        .withTarget(
          query(
            `sum by (pod) (kube_pod_container_resource_requests{namespace="$namespace", resource="memory"} and on (namespace, pod, container) ${PODS})`,
            'request {{pod}}',
          ),
        ),
    )

    .withRow(new dashboard.RowBuilder('Rollout'))
    .withPanel(
      graph(
        'Readiness and replicas',
        'Pods whose /readyz answers 200 (the service’s own inference_service_ready), pods scraped, and the Deployment’s desired and available replicas (kube-state-metrics).',
        'short',
      )
        .withTarget(query(`sum(inference_service_ready{${SEL}})`, 'ready (/readyz)'))
        .withTarget(query(`count(up{${SEL}} == 1)`, 'scraped'))
        .withTarget(
          query(
            `sum(kube_deployment_spec_replicas{namespace="$namespace", deployment="$service"})`,
            'desired',
          ),
        )
        .withTarget(
          query(
            `sum(kube_deployment_status_replicas_available{namespace="$namespace", deployment="$service"})`,
            'available',
          ),
        ),
    )
    .withPanel(
      graph(
        'Pods per commit and model version',
        'How many pods serve each commit and model version (inference_service_build_info): a rollout shows as one line handing over to the next.',
        'short',
      ).withTarget(
        query(
          `count by (commit, model_version) (inference_service_build_info{${SEL}})`,
          '{{commit}} model {{model_version}}',
        ),
      ),
    )
    .withPanel(
      new table.PanelBuilder()
        .title('What each pod serves')
        .description(
          'Commit, model name and version, instance id and Node.js version of every pod now (inference_service_build_info).',
        )
        .datasource(DATASOURCE)
        .height(8)
        .span(24)
        .withTarget(
          new prometheus.DataqueryBuilder()
            .datasource(DATASOURCE)
            .expr(
              `max by (pod, instance_id, commit, model_name, model_version, node_version) (inference_service_build_info{${SEL}})`,
            )
            .format(prometheus.PromQueryFormat.Table)
            .instant(),
        )
        .withTransformation({
          id: 'organize',
          options: { excludeByName: { Time: true, Value: true } },
        }),
    )

    .withRow(new dashboard.RowBuilder('Model'))
    .withPanel(
      graph(
        'Share of each predicted label',
        'Predicted labels as a share of all predictions, per model version: a shift here is the first sign of input drift or a changed model.',
        'percentunit',
      )
        .max(1)
        .stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal))
        .withTarget(
          query(
            `sum by (model_version, label) (rate(model_predictions_total{${SEL}}[${RATE}])) / ignoring (label) group_left () sum by (model_version) (rate(model_predictions_total{${SEL}}[${RATE}]))`,
            '{{label}} (model {{model_version}})',
          ),
        ),
    )
    .withPanel(
      new heatmap.PanelBuilder()
        .title('Score distribution')
        .description(
          'Predictions per second by score bucket (the probability of the predicted label), all labels.',
        )
        .datasource(DATASOURCE)
        .height(8)
        .span(12)
        .calculate(false)
        .withTarget(
          new prometheus.DataqueryBuilder()
            .datasource(DATASOURCE)
            .expr(`sum by (le) (rate(model_prediction_score_bucket{${SEL}}[${RATE}]))`)
            .format(prometheus.PromQueryFormat.Heatmap)
            .legendFormat('{{le}}')
            .range(),
        ),
    )
    .withPanel(
      graph(
        'Median score by label',
        'p50 of the score per predicted label: falling confidence is a drift sign too.',
        'percentunit',
      )
        .max(1)
        .withTarget(query(quantile(0.5, 'model_prediction_score', 'label, le'), '{{label}}')),
    )
    .withPanel(
      graph(
        'Input length (characters)',
        'p50 and p95 of the classified texts’ length in characters (Unicode code points, as MAX_INPUT_CHARS counts them).',
        'short',
      )
        .withTarget(query(quantile(0.5, 'model_input_length_characters'), 'p50'))
        .withTarget(query(quantile(0.95, 'model_input_length_characters'), 'p95')),
    );
  const board = builder.build();
  // Stable ids and refIds (A, B, …), as Grafana would assign them on first save: the JSON in
  // Git is then what Grafana shows, and alerts or links can name a panel.
  for (const [index, panel] of (board.panels ?? []).entries()) {
    panel.id = index + 1;
    const targets = 'targets' in panel ? (panel.targets ?? []) : [];
    for (const [i, target] of targets.entries())
      (target as { refId?: string }).refId = String.fromCharCode(65 + i);
  }
  return board;
}

/** One query of a panel, as the tests and docs list them. */
export interface PanelQuery {
  panel: string;
  refId: string;
  expr: string;
}

/** Every panel's queries, in dashboard order (rows carry none). */
export function panelQueries(board: dashboard.Dashboard = buildDashboard()): PanelQuery[] {
  const out: PanelQuery[] = [];
  for (const panel of board.panels ?? []) {
    if (panel.type === 'row') continue;
    const targets = ('targets' in panel ? panel.targets : undefined) ?? [];
    for (const target of targets) {
      const { expr, refId } = target as { expr?: string; refId?: string };
      if (expr !== undefined)
        out.push({ panel: (panel as { title?: string }).title ?? '', refId: refId ?? '', expr });
    }
  }
  return out;
}

/** The dashboard as the chart ships it: stable 2-space JSON with a final newline. */
export function renderDashboardJson(board: dashboard.Dashboard = buildDashboard()): string {
  return `${JSON.stringify(board, null, 2)}\n`;
}

/** The panels and their queries as a Markdown table (docs/observability.md keeps it). */
export function renderPanelTable(queries: PanelQuery[] = panelQueries()): string {
  const rows = queries.map(
    ({ panel, refId, expr }) => `| ${panel} | ${refId} | \`${expr.replaceAll('|', '\\|')}\` |`,
  );
  return ['| Panel | Query | PromQL |', '| --- | --- | --- |', ...rows].join('\n');
}
