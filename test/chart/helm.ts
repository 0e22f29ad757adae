// Runs the real helm binary against helm/ and parses what it renders.
// scripts/ensure-helm.sh builds helm v3.22.0 when it is missing and prints its path.
import { execFile, execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';

export const REPO_DIR = path.resolve(import.meta.dirname, '..', '..');
export const CHART_DIR = path.join(REPO_DIR, 'helm');
export const RELEASE = 'mlops-inference-service';
export const NAMESPACE = 'default';

let helmBinary: string | undefined;

/** The helm binary from scripts/ensure-helm.sh (installs it once; fails loudly if it cannot). */
export function helmBin(): string {
  helmBinary ??= execFileSync('bash', [path.join(REPO_DIR, 'scripts', 'ensure-helm.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
  return helmBinary;
}

export interface HelmResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs helm with the given arguments; never throws on a non-zero exit. */
export function helm(args: string[]): Promise<HelmResult> {
  return new Promise((resolve, reject) => {
    execFile(helmBin(), args, { cwd: REPO_DIR, maxBuffer: 32 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') {
        reject(error);
        return;
      }
      resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
    });
  });
}

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

function valueArgs(options: RenderOptions): string[] {
  return [
    ...(options.valuesFiles ?? []).flatMap((file) => ['--values', file]),
    ...(options.set ?? []).flatMap((assignment) => ['--set', assignment]),
    ...(options.setJson ?? []).flatMap((assignment) => ['--set-json', assignment]),
  ];
}

/** `helm template` output, or the failed HelmResult. */
export function templateRaw(options: RenderOptions = {}): Promise<HelmResult> {
  return helm([
    'template',
    options.release ?? RELEASE,
    CHART_DIR,
    '--namespace',
    options.namespace ?? NAMESPACE,
    ...valueArgs(options),
  ]);
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

/** A rendered Kubernetes object, loosely typed: tests navigate it and kubernetes-models validates it. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  // biome-ignore lint/suspicious/noExplicitAny: rendered YAML has no static type; assertions check shapes.
  spec?: any;
  // biome-ignore lint/suspicious/noExplicitAny: as above (ConfigMap data, ServiceAccount fields).
  [field: string]: any;
}

/** Parses a multi-document YAML stream into objects, failing on any YAML error. */
export function parseManifests(text: string): K8sObject[] {
  return parseAllDocuments(text).flatMap((doc) => {
    if (doc.errors.length > 0) throw new Error(`rendered YAML does not parse: ${doc.errors[0]?.message}`);
    const value = doc.toJS() as K8sObject | null;
    return value === null ? [] : [value];
  });
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
