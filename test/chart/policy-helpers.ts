// What the kube-linter and Polaris checks share (policy-kube-linter.ts, policy-polaris.ts):
// the check type and helpers that walk the rendered workloads.
//
// The default checks of kube-linter and Polaris are written as assertions on the rendered
// objects. Neither tool can be installed here (their Go modules are not served by the
// module proxy this machine reaches), so each default check that applies to what this
// chart renders is re-implemented from its published definition:
//   kube-linter: docs/generated/checks.md ("Enabled by default: Yes") in stackrox/kube-linter
//   Polaris:     pkg/config/default.yaml and checks/*.yaml in FairwindsOps/polaris
// A finding is accepted only where `accepted` says so, with the reason.
import type { K8sObject } from './helm.js';

export interface PolicyCheck {
  tool: 'kube-linter' | 'Polaris';
  name: string;
  /** Problems in one rendering; empty when the check passes. */
  findings: (objects: K8sObject[]) => string[];
  /** Scenarios whose findings are accepted, and why. */
  accepted?: { scenarios: readonly string[]; reason: string };
}

export const ALL_SCENARIOS = ['*'] as const;

// biome-ignore lint/suspicious/noExplicitAny: rendered YAML, navigated by the checks.
export type Loose = any;

export interface Workload {
  object: K8sObject;
  pod: Loose;
  containers: Loose[];
}

export function workloads(objects: K8sObject[]): Workload[] {
  return objects
    .filter((object) => ['Deployment', 'StatefulSet', 'DaemonSet', 'Pod', 'Job'].includes(object.kind))
    .map((object) => {
      const pod = object.kind === 'Pod' ? object.spec : object.spec.template.spec;
      return { object, pod, containers: [...(pod.initContainers ?? []), ...pod.containers] };
    });
}

/** One finding per container for which `bad` returns a description. */
export function perContainer(
  objects: K8sObject[],
  bad: (container: Loose, pod: Loose) => string | undefined,
): string[] {
  return workloads(objects).flatMap(({ object, pod, containers }) =>
    containers.flatMap((container) => {
      const problem = bad(container, pod);
      return problem
        ? [`${object.kind} ${object.metadata.name} container ${container.name}: ${problem}`]
        : [];
    }),
  );
}

export function perPod(
  objects: K8sObject[],
  bad: (pod: Loose, object: K8sObject) => string | undefined,
): string[] {
  return workloads(objects).flatMap(({ object, pod }) => {
    const problem = bad(pod, object);
    return problem ? [`${object.kind} ${object.metadata.name}: ${problem}`] : [];
  });
}

export const ofKind = (objects: K8sObject[], kind: string): K8sObject[] =>
  objects.filter((o) => o.kind === kind);

export const matches = (
  selector: Record<string, string> | undefined,
  labels: Record<string, string> | undefined,
) =>
  selector !== undefined &&
  Object.keys(selector).length > 0 &&
  Object.entries(selector).every(([key, value]) => labels?.[key] === value);

export const podLabels = (workload: K8sObject): Record<string, string> =>
  workload.kind === 'Pod' ? (workload.metadata.labels ?? {}) : (workload.spec.template.metadata.labels ?? {});

/** A field set on the container, else on the pod security context (containers inherit the pod's). */
export const effective = (container: Loose, pod: Loose, field: string): unknown =>
  container.securityContext?.[field] ?? pod.securityContext?.[field];

export const hostPaths = (pod: Loose): string[] =>
  (pod.volumes ?? []).flatMap((volume: Loose) => (volume.hostPath ? [volume.hostPath.path as string] : []));

/** Checks kube-linter and Polaris both make, to the letter: one definition for both sets. */
export const SAME_IN_BOTH = {
  hostIpc: (objects) => perPod(objects, (pod) => (pod.hostIPC ? 'hostIPC' : undefined)),
  hostNetwork: (objects) => perPod(objects, (pod) => (pod.hostNetwork ? 'hostNetwork' : undefined)),
  hostPid: (objects) => perPod(objects, (pod) => (pod.hostPID ? 'hostPID' : undefined)),
  writableRootFilesystem: (objects) =>
    perContainer(objects, (c) =>
      c.securityContext?.readOnlyRootFilesystem === true ? undefined : 'writable root fs',
    ),
  privileged: (objects) =>
    perContainer(objects, (c) => (c.securityContext?.privileged ? 'privileged' : undefined)),
  noCpuRequest: (objects) =>
    perContainer(objects, (c) => (c.resources?.requests?.cpu ? undefined : 'no CPU request')),
  noMemoryLimit: (objects) =>
    perContainer(objects, (c) => (c.resources?.limits?.memory ? undefined : 'no memory limit')),
} satisfies Record<string, PolicyCheck['findings']>;
