// The real command-line tools the Kubernetes tests drive: helm (test/support/helm.ts)
// and `go mod download`, which fetches the CRDs that ship inside Argo CD's and the
// Prometheus Operator's Go modules.
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { checkHelm, parseManifests as parseYaml } from '../support/helm.js';
import { REPO_ROOT as repoRoot } from '../support/paths.js';
import type { KubeObject } from './kube-api.js';

const run = promisify(execFile);

/** CRD sources. Argo CD v3.5 is what infra/'s pinned argo-cd chart (10.9.0) installs. */
export const ARGOCD_MODULE = 'github.com/argoproj/argo-cd/v3@v3.5.7';
export const PROMETHEUS_OPERATOR_MODULE = 'github.com/prometheus-operator/prometheus-operator@v0.85.0';

/** Runs the real helm against the test cluster; rejects with helm's own stderr. */
export function helm(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return checkHelm(args, { env, timeoutMs: 10 * 60_000 });
}

/** Every non-empty YAML document of a multi-document string that is a Kubernetes object. */
export const parseManifests = (text: string): KubeObject[] =>
  parseYaml<KubeObject>(text).filter((obj) => typeof obj === 'object' && 'kind' in obj);

/** The unpacked directory of a Go module version (downloaded through the Go module proxy once). */
export async function goModuleDir(moduleAtVersion: string): Promise<string> {
  const { stdout } = await run('go', ['mod', 'download', '-json', moduleAtVersion], {
    cwd: repoRoot,
    timeout: 10 * 60_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  const info = JSON.parse(stdout) as { Dir?: string; Error?: string };
  if (!info.Dir)
    throw new Error(`go mod download ${moduleAtVersion} gave no directory: ${info.Error ?? stdout}`);
  return info.Dir;
}

/** The CustomResourceDefinitions in the YAML files of one directory. */
export function readCrds(dir: string): KubeObject[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
    .flatMap((f) => parseManifests(readFileSync(join(dir, f), 'utf8')))
    .filter((obj) => obj.kind === 'CustomResourceDefinition');
}
