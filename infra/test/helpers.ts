import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as cdk from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { DISABLE_ASSET_STAGING_CONTEXT } from 'aws-cdk-lib/cx-api';
import { buildApp, type InfraApp } from '../lib/app';

/** The feature flags in cdk.json, so tests synthesise what `cdk synth` does. */
const CDK_JSON_CONTEXT = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'cdk.json'), 'utf8')).context;

/** A fixed fake environment: synthesis never looks anything up and needs no credentials. */
export const TEST_CONTEXT = {
  account: '123456789012',
  region: 'eu-central-1',
  gitlabProjectPath: 'acme/ml/mlops-inference-chain',
  // Required since nothing is open to the internet by default (issue 13, point 5).
  apiAllowedCidrs: '203.0.113.0/24',
} as const;

export interface Synthesized extends InfraApp {
  readonly registryTemplate: Template;
  readonly clusterTemplate: Template;
  readonly outdir: string;
}

/**
 * Builds the real app (the same `buildApp` that `bin/mlops-infra.ts` runs) with test context.
 * Asset staging is off: copying the 60 MB of kubectl/helm layers adds seconds per synth and
 * the template assertions do not look at asset contents (the CLI test stages them for real).
 */
export function synth(context: Record<string, unknown> = {}): Synthesized {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'infra-test-'));
  const app = new cdk.App({
    outdir,
    context: { ...CDK_JSON_CONTEXT, ...TEST_CONTEXT, [DISABLE_ASSET_STAGING_CONTEXT]: true, ...context },
  });
  const built = buildApp(app);
  return {
    ...built,
    outdir,
    registryTemplate: Template.fromStack(built.registry),
    clusterTemplate: Template.fromStack(built.cluster),
  };
}

export function cleanup(result: { outdir: string }): void {
  fs.rmSync(result.outdir, { recursive: true, force: true });
}

/** The manifest a KubernetesManifest custom resource applies, with CloudFormation tokens flattened to text. */
// biome-ignore lint/suspicious/noExplicitAny: parsed Kubernetes manifests are navigated freely by the assertions
export function manifestsOf(template: Template, idPrefix: string): Array<Record<string, any>> {
  const resources = template.findResources('Custom::AWSCDK-EKS-KubernetesResource');
  const entry = Object.entries(resources).find(([id]) => id.startsWith(idPrefix));
  if (!entry) throw new Error(`no Kubernetes manifest resource starting with ${idPrefix}`);
  const manifest = entry[1].Properties.Manifest;
  return JSON.parse(flatten(manifest));
}

/** Joins an Fn::Join into one string, rendering Refs/GetAtts as `${Name}` so JSON stays parseable. */
export function flatten(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as { 'Fn::Join'?: [string, unknown[]]; Ref?: string; 'Fn::GetAtt'?: string[] };
  if (v['Fn::Join']) return v['Fn::Join'][1].map(flatten).join(v['Fn::Join'][0]);
  if (v.Ref) return `\${${v.Ref}}`;
  if (v['Fn::GetAtt']) return `\${${v['Fn::GetAtt'].join('.')}}`;
  // Other intrinsics cannot sit inside a JSON string literal; a marker keeps the JSON parseable.
  return '<token>';
}

/**
 * A manifest without the `aws.cdk.eks/prune-<id>` label aws-eks-v2 adds to everything it
 * applies (for `kubectl apply --prune`), so it can be compared with the file it came from.
 */
// biome-ignore lint/suspicious/noExplicitAny: parsed Kubernetes manifests are navigated freely by the assertions
export function withoutPruneLabels(manifest: Record<string, any>): Record<string, any> {
  const copy = structuredClone(manifest);
  const labels = copy.metadata?.labels ?? {};
  for (const key of Object.keys(labels)) if (key.startsWith('aws.cdk.eks/prune-')) delete labels[key];
  if (copy.metadata?.labels && Object.keys(labels).length === 0) delete copy.metadata.labels;
  return copy;
}
