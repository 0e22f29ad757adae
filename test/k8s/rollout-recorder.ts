// Records what a rollout looks like from the API server's watch stream: every
// pod event and, after each, how many pods were Ready and not terminating.
// That count is what a Service would route to, so it is the number the
// "never drops below the desired ready count" scenarios are about.
import type { KubeApi, KubeObject } from './kube-api.js';

export interface Pod extends KubeObject {
  metadata: KubeObject['metadata'] & { deletionTimestamp?: string; resourceVersion: string };
  spec: { nodeName?: string; containers: { image: string }[] };
  status?: { phase?: string; conditions?: { type: string; status: string }[] };
}

export interface PodSample {
  event: string;
  pod: string;
  image: string;
  /** Pods Ready and not terminating, after this event. */
  serving: number;
  /** Pods not terminating (what maxSurge bounds: replicas + maxSurge), after this event. */
  active: number;
  /** Pods in existence, terminating ones included, after this event. */
  total: number;
}

export function isServing(pod: Pod): boolean {
  return (
    pod.metadata.deletionTimestamp === undefined &&
    (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True')
  );
}

/**
 * Lists the pods matching `labelSelector`, then watches them from that list's
 * resourceVersion (so no event between list and watch is lost) until `done`
 * says the rollout is over. Resolves with one sample per event.
 */
export async function recordPods(
  api: KubeApi,
  namespace: string,
  labelSelector: string,
  done: (pods: Pod[]) => boolean,
  timeoutMs: number,
  onStarted: () => void,
): Promise<PodSample[]> {
  const path = `/api/v1/namespaces/${namespace}/pods`;
  const list = await api.get<{ metadata: { resourceVersion: string }; items: Pod[] }>(
    `${path}?labelSelector=${encodeURIComponent(labelSelector)}`,
  );
  const pods = new Map(list.items.map((p) => [p.metadata.name, p]));
  const samples: PodSample[] = [];
  const watching = api.watch<Pod>(
    path,
    { labelSelector, resourceVersion: list.metadata.resourceVersion },
    (event) => {
      if (event.type === 'DELETED') pods.delete(event.object.metadata.name);
      else pods.set(event.object.metadata.name, event.object);
      const current = [...pods.values()];
      samples.push({
        event: event.type,
        pod: event.object.metadata.name,
        image: event.object.spec.containers[0]?.image ?? '',
        serving: current.filter(isServing).length,
        active: current.filter((p) => p.metadata.deletionTimestamp === undefined).length,
        total: current.length,
      });
      return done(current);
    },
    timeoutMs,
  );
  onStarted();
  await watching;
  return samples;
}
