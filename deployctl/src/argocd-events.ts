/**
 * Argo CD's own events about an Application (`GET /api/v1/applications/{name}/events`:
 * the Kubernetes Events its controller writes, in whole seconds) and the three
 * moments of one sync that the timeline shows: when Argo CD noticed the release
 * (OutOfSync), when its sync of the release finished, and when the app turned
 * Healthy again. The messages are the controller's (argo-cd v3.6.1,
 * controller/appcontroller.go): "Updated sync status: A -> B", "Initiated
 * automated sync to 'REV'", "Sync operation to REV succeeded", "Updated health
 * status: A -> B".
 */
import type { ArgoConnection } from './argocd.js';
import { DeployctlError } from './exit-codes.js';
import { HTTP_TIMEOUTS, requestJson } from './http.js';

export interface AppEvent {
  /** ISO time (the event's lastTimestamp, or eventTime). */
  at: string;
  reason: string;
  message: string;
}

/** When Argo CD noticed, synced and turned Healthy for one revision; undefined when it left no trace. */
export interface SyncMilestones {
  refresh: string | undefined;
  synced: string | undefined;
  healthy: string | undefined;
}

interface KubeEvent {
  reason?: string;
  message?: string;
  lastTimestamp?: string;
  eventTime?: string;
  firstTimestamp?: string;
}

/** Argo CD's events of `name`, oldest first (the `pipeline` role's `get` suffices). */
export async function getApplicationEvents(connection: ArgoConnection, name: string): Promise<AppEvent[]> {
  const url = `${connection.server}/api/v1/applications/${encodeURIComponent(name)}/events`;
  const response = await requestJson(url, {
    headers: { authorization: `Bearer ${connection.token}` },
    timeoutMs: HTTP_TIMEOUTS.argocdRequestMs,
  });
  const items = (response.body as { items?: KubeEvent[] } | undefined)?.items;
  if (response.status !== 200 || !Array.isArray(items)) {
    throw new DeployctlError('network', `Argo CD answered HTTP ${response.status} for ${url}`);
  }
  return toAppEvents(items);
}

/** Kubernetes Events (from Argo CD's API or the Kubernetes API) as AppEvents, oldest first. */
export function toAppEvents(items: KubeEvent[]): AppEvent[] {
  return items
    .map((e) => ({
      at: e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? '',
      reason: e.reason ?? '',
      message: e.message ?? '',
    }))
    .filter((e) => !Number.isNaN(Date.parse(e.at)))
    .sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
}

const OUT_OF_SYNC = /^Updated sync status: \S+ -> OutOfSync$/;
const HEALTHY = /^Updated health status: \S+ -> Healthy$/;
const INITIATED = /^Initiated (?:automated )?sync to /i;
const SYNC_DONE = /^(?:Partial )?[Ss]ync operation to (\S+) (succeeded|failed)/;

/**
 * The milestones of the sync of `revision`: synced is its first successful sync
 * operation since the last operation to another revision; refresh the last
 * "-> OutOfSync" after the operation before that one and no later than the sync (compared by time: Argo CD may write that
 * status change in the same second as, and after, the sync it triggered), or
 * else the "Initiated ... sync to 'REV'" event (when the sync finished before
 * the status was written, the status never showed OutOfSync); healthy the first
 * "-> Healthy" at or after the sync, or the sync itself when health never left
 * Healthy (nothing had to roll).
 */
export function getSyncMilestones(events: AppEvent[], revision: string): SyncMilestones {
  // The first successful sync to `revision` since the last operation to another one: a
  // selfHeal re-sync to the same revision later is not when it was deployed.
  const isSuccess = (e: AppEvent) => {
    const match = SYNC_DONE.exec(e.message);
    return match?.[1] === revision && match[2] === 'succeeded';
  };
  const last = events.findLastIndex(isSuccess);
  const other = events.findLastIndex((e, i) => {
    const match = SYNC_DONE.exec(e.message);
    return i < last && match !== null && match[1] !== revision;
  });
  const index = events.findIndex((e, i) => i > other && isSuccess(e));
  if (index < 0) return { refresh: undefined, synced: undefined, healthy: undefined };
  const synced = events[index]!.at;
  const syncedMs = Date.parse(synced);
  const previous = events.findLast((e, i) => i < index && SYNC_DONE.test(e.message));
  const afterMs = previous === undefined ? Number.NEGATIVE_INFINITY : Date.parse(previous.at);
  const window = events.filter((e) => Date.parse(e.at) > afterMs && Date.parse(e.at) <= syncedMs);
  const refresh =
    window.findLast((e) => OUT_OF_SYNC.test(e.message))?.at ??
    window.findLast((e) => INITIATED.test(e.message) && e.message.includes(revision))?.at;
  const healthy = events.slice(index).find((e) => HEALTHY.test(e.message))?.at;
  return { refresh, synced, healthy: healthy ?? synced };
}
