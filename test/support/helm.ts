// The real helm binary and what it renders, for the chart, k8s and pipeline suites.
// scripts/ensure-helm.sh builds helm v3.22.0 when it is missing and prints its path.
import { execFile, execFileSync } from 'node:child_process';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT } from './paths.js';

let helmBinary: string | undefined;

/** The helm binary from scripts/ensure-helm.sh (installs it once; fails loudly if it cannot). */
export function helmBin(): string {
  helmBinary ??= execFileSync('bash', [path.join(REPO_ROOT, 'scripts', 'ensure-helm.sh')], {
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

export interface HelmOptions {
  /** Default process.env (a test cluster passes its KUBECONFIG here). */
  env?: NodeJS.ProcessEnv;
  /** Kills helm after this long; default none. */
  timeoutMs?: number;
}

/** Runs helm in the repository root; never throws on a non-zero exit. */
export function helm(args: string[], options: HelmOptions = {}): Promise<HelmResult> {
  return new Promise((resolve, reject) => {
    execFile(
      helmBin(),
      args,
      { cwd: REPO_ROOT, env: options.env, timeout: options.timeoutMs ?? 0, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') {
          reject(error);
          return;
        }
        resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
      },
    );
  });
}

/** Runs helm and returns its stdout; rejects with helm's own stderr when it fails. */
export async function checkHelm(args: string[], options: HelmOptions = {}): Promise<string> {
  const result = await helm(args, options);
  if (result.code !== 0) throw new Error(`helm ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

export interface TemplateOptions {
  release: string;
  namespace: string;
  valuesFiles?: string[];
  set?: string[];
  /** `--set-json` assignments, for values `--set` would turn into strings (like 0.5). */
  setJson?: string[];
}

/** The `--values`, `--set` and `--set-json` arguments of `options`, in that order. */
export function valueArgs(options: Omit<TemplateOptions, 'release' | 'namespace'>): string[] {
  return [
    ...(options.valuesFiles ?? []).flatMap((file) => ['--values', file]),
    ...(options.set ?? []).flatMap((assignment) => ['--set', assignment]),
    ...(options.setJson ?? []).flatMap((assignment) => ['--set-json', assignment]),
  ];
}

/** `helm template` of `chartDir`: the HelmResult, failed or not. */
export function template(chartDir: string, options: TemplateOptions, helmOptions: HelmOptions = {}) {
  return helm(
    ['template', options.release, chartDir, '--namespace', options.namespace, ...valueArgs(options)],
    helmOptions,
  );
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

/** Parses a multi-document YAML stream into objects (empty documents dropped), failing on any YAML error. */
export function parseManifests<T = K8sObject>(text: string): T[] {
  return parseAllDocuments(text).flatMap((doc) => {
    if (doc.errors.length > 0) throw new Error(`rendered YAML does not parse: ${doc.errors[0]?.message}`);
    const value = doc.toJS() as T | null;
    return value === null ? [] : [value];
  });
}
