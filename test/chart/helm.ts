// The chart under test (helm/) as the real helm binary renders it (test/support/helm.ts runs
// helm and parses what it prints), with the chart's scenarios and lookups for the tests.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import {
  type HelmResult,
  helm,
  type K8sObject,
  parseManifests,
  template,
  valueArgs,
} from '../support/helm.js';
import { REPO_ROOT } from '../support/paths.js';

export type { K8sObject } from '../support/helm.js';

export const CHART_DIR = path.join(REPO_ROOT, 'helm');
export const RELEASE = 'mlops-inference-service';
export const NAMESPACE = 'default';

/** A values scenario: a name for test titles and the values files, in order. */
export interface Scenario {
  name: string;
  valuesFiles: string[];
}

/** Defaults, every helm/ci/*-values.yaml, and the two environment files. */
export function scenarios(): Scenario[] {
  const ci = readdirSync(path.join(CHART_DIR, 'ci'))
    .filter((file) => file.endsWith('-values.yaml'))
    .sort()
    .map((file) => ({ name: `ci/${file}`, valuesFiles: [path.join(CHART_DIR, 'ci', file)] }));
  return [
    { name: 'defaults', valuesFiles: [] },
    ...ci,
    { name: 'values-dev.yaml', valuesFiles: [path.join(CHART_DIR, 'values-dev.yaml')] },
    { name: 'values-prod.yaml', valuesFiles: [path.join(CHART_DIR, 'values-prod.yaml')] },
  ];
}

export interface RenderOptions {
  valuesFiles?: string[];
  set?: string[];
  /** `--set-json` assignments, for values `--set` would turn into strings (like 0.5). */
  setJson?: string[];
  release?: string;
  namespace?: string;
}

/** `helm template` output, or the failed HelmResult. */
export function templateRaw(options: RenderOptions = {}): Promise<HelmResult> {
  return template(CHART_DIR, {
    ...options,
    release: options.release ?? RELEASE,
    namespace: options.namespace ?? NAMESPACE,
  });
}

/** `helm lint --strict` with the same values. */
export function lint(options: RenderOptions = {}): Promise<HelmResult> {
  return helm([
    'lint',
    '--strict',
    CHART_DIR,
    '--namespace',
    options.namespace ?? NAMESPACE,
    ...valueArgs(options),
  ]);
}

/** Renders and parses; throws with helm's stderr when rendering fails. */
export async function render(options: RenderOptions = {}): Promise<K8sObject[]> {
  const result = await templateRaw(options);
  if (result.code !== 0) throw new Error(`helm template failed (${result.code}): ${result.stderr}`);
  return parseManifests(result.stdout);
}

/** The one object of a kind, failing clearly when there is none or several. */
export function only(objects: K8sObject[], kind: string): K8sObject {
  const matches = objects.filter((object) => object.kind === kind);
  if (matches.length !== 1) {
    throw new Error(
      `expected exactly one ${kind}, got ${matches.length}: ${objects.map((o) => o.kind).join(', ')}`,
    );
  }
  return matches[0]!;
}

/** The service container of the Deployment. */
// biome-ignore lint/suspicious/noExplicitAny: see K8sObject.
export function mainContainer(objects: K8sObject[]): any {
  return only(objects, 'Deployment').spec.template.spec.containers[0];
}
