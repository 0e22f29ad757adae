// What the observability suite shares: Debian's prometheus and promtool (installed by
// scripts/ensure-prometheus.sh), and the chart's alert rules as the real helm renders them.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { parseManifests, template } from '../support/helm.js';
import { REPO_ROOT } from '../support/paths.js';

export const CHART_DIR = path.join(REPO_ROOT, 'helm');
export const RELEASE = 'mlops-inference-service';
export const NAMESPACE = 'default';
/** The scenario a cluster with kube-prometheus-stack runs: ServiceMonitor, PrometheusRule, dashboard on. */
export const MONITORING_VALUES = path.join(CHART_DIR, 'ci', 'monitoring-values.yaml');

let ensured = false;

/** Installs prometheus/promtool once (fails loudly with the install command if it cannot). */
export function ensurePrometheus(): { prometheus: string; promtool: string } {
  if (!ensured) {
    execFileSync('bash', [path.join(REPO_ROOT, 'scripts', 'ensure-prometheus.sh')], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    ensured = true;
  }
  return { prometheus: 'prometheus', promtool: 'promtool' };
}

export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface RuleGroup {
  name: string;
  rules: AlertRule[];
}

/** The PrometheusRule's groups from `helm template` with ci/monitoring-values.yaml. */
export async function renderRuleGroups(): Promise<RuleGroup[]> {
  const result = await template(CHART_DIR, {
    release: RELEASE,
    namespace: NAMESPACE,
    valuesFiles: [MONITORING_VALUES],
  });
  if (result.code !== 0) throw new Error(`helm template failed: ${result.stderr}`);
  const rules = parseManifests(result.stdout).filter((object) => object.kind === 'PrometheusRule');
  if (rules.length !== 1)
    throw new Error(`expected one PrometheusRule in ${MONITORING_VALUES}, got ${rules.length}`);
  return rules[0]!.spec.groups as RuleGroup[];
}

/** Every alert of the groups, in order. */
export function alertsOf(groups: RuleGroup[]): AlertRule[] {
  return groups.flatMap((group) => group.rules.filter((rule) => typeof rule.alert === 'string'));
}
