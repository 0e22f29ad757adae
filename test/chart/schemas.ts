// Validates rendered objects against the Kubernetes API schemas (kubernetes-models'
// generated validators). The Prometheus Operator kinds have no model there, so they
// are checked structurally against the fields of their CRDs that the chart uses.
import assert from 'node:assert/strict';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Ingress, NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Service, ServiceAccount } from 'kubernetes-models/v1';
import type { K8sObject } from './helm.js';

interface Validatable {
  validate(): void;
}

const MODELS: Record<string, (data: K8sObject) => Validatable> = {
  'v1/ConfigMap': (data) => new ConfigMap(data as never),
  'v1/Service': (data) => new Service(data as never),
  'v1/ServiceAccount': (data) => new ServiceAccount(data as never),
  'apps/v1/Deployment': (data) => new Deployment(data as never),
  'autoscaling/v2/HorizontalPodAutoscaler': (data) => new HorizontalPodAutoscaler(data as never),
  'policy/v1/PodDisruptionBudget': (data) => new PodDisruptionBudget(data as never),
  'networking.k8s.io/v1/Ingress': (data) => new Ingress(data as never),
  'networking.k8s.io/v1/NetworkPolicy': (data) => new NetworkPolicy(data as never),
};

const DURATION = /^(\d+(ms|s|m|h|d|w|y))+$/;
const LABEL_NAME = /^([a-z0-9.-]+\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/** ServiceMonitor (monitoring.coreos.com/v1): the CRD's required fields and the types the chart sets. */
function checkServiceMonitor(object: K8sObject): void {
  const spec = object.spec;
  assert.ok(spec?.selector?.matchLabels, 'ServiceMonitor.spec.selector.matchLabels is required');
  assert.ok(Array.isArray(spec.endpoints) && spec.endpoints.length > 0, 'ServiceMonitor needs endpoints');
  for (const endpoint of spec.endpoints) {
    assert.equal(typeof endpoint.port, 'string', 'endpoint.port must be a Service port name');
    assert.match(endpoint.path, /^\//);
    assert.match(endpoint.interval, DURATION);
    assert.match(endpoint.scrapeTimeout, DURATION);
  }
  assert.deepEqual(Object.keys(spec).sort(), ['endpoints', 'namespaceSelector', 'selector']);
}

/** PrometheusRule (monitoring.coreos.com/v1): groups of rules, each an alert with expr, for, labels. */
function checkPrometheusRule(object: K8sObject): void {
  const groups = object.spec?.groups;
  assert.ok(Array.isArray(groups) && groups.length > 0, 'PrometheusRule needs spec.groups');
  for (const group of groups) {
    assert.equal(typeof group.name, 'string');
    assert.ok(Array.isArray(group.rules) && group.rules.length > 0, `group ${group.name} has no rules`);
    for (const rule of group.rules) {
      assert.match(rule.alert, /^[A-Za-z_][A-Za-z0-9_]*$/, 'alert names are Prometheus metric-name-like');
      assert.equal(typeof rule.expr, 'string');
      assert.match(rule.for, DURATION);
      for (const key of Object.keys(rule.labels ?? {})) assert.match(key, LABEL_NAME);
      assert.equal(typeof rule.annotations?.summary, 'string');
      assert.equal(typeof rule.annotations?.description, 'string');
      assert.deepEqual(
        Object.keys(rule).filter((key) => !['alert', 'expr', 'for', 'labels', 'annotations'].includes(key)),
        [],
        `unexpected fields in rule ${rule.alert}`,
      );
    }
  }
}

const STRUCTURAL: Record<string, (object: K8sObject) => void> = {
  'monitoring.coreos.com/v1/ServiceMonitor': checkServiceMonitor,
  'monitoring.coreos.com/v1/PrometheusRule': checkPrometheusRule,
};

/** Throws (naming the object) when it does not match its API schema, or its kind is unknown here. */
export function validateObject(object: K8sObject): void {
  const key = `${object.apiVersion}/${object.kind}`;
  const where = `${key} ${object.metadata?.name}`;
  const model = MODELS[key];
  const structural = STRUCTURAL[key];
  if (model) {
    try {
      model(object).validate();
    } catch (error) {
      throw new Error(`${where} does not match the Kubernetes schema: ${(error as Error).message}`);
    }
  } else if (structural) {
    structural(object);
  } else {
    throw new Error(`${where}: no schema known for this kind; add it to test/chart/schemas.ts`);
  }
}
