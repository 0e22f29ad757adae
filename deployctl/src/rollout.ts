/**
 * Argo Rollouts, as `wait` sees it through Argo CD (issue 16): the chart's `rollout.strategy:
 * canary` replaces the Deployment with a Rollout. deployctl still talks only to Argo CD: the
 * Rollout's live manifest comes from Argo CD's resource API
 * (`GET /api/v1/applications/{app}/resource`), so CI needs no Kubernetes credentials.
 *
 * Argo CD's built-in health for a Rollout is Progressing while the canary walks its steps,
 * Suspended while it pauses, Healthy once promoted and Degraded once aborted. An aborted
 * Rollout will not heal by waiting: the controller already scaled the canary away and the
 * stable pods serve the previous release, so `wait` fails at once (exit code `unhealthy`) and
 * `verify --rollback-on-failure` writes the rollback commit, so Git matches the cluster again.
 */
import type { Application, ArgoConnection } from './argocd.js';
import { appendEvent } from './events.js';
import { DeployctlError } from './exit-codes.js';
import { HTTP_TIMEOUTS, requestJson } from './http.js';

/** The fields of an `argoproj.io/v1alpha1` Rollout that deployctl reads. */
export interface Rollout {
  metadata?: { name?: string; namespace?: string; generation?: number };
  spec?: { strategy?: { canary?: { steps?: Record<string, unknown>[] } } };
  status?: {
    phase?: string;
    message?: string;
    abort?: boolean;
    observedGeneration?: string | number;
    currentStepIndex?: number;
    currentPodHash?: string;
    stableRS?: string;
    availableReplicas?: number;
    updatedReplicas?: number;
    canary?: { currentStepAnalysisRunStatus?: { name?: string; status?: string; message?: string } };
    conditions?: { type?: string; status?: string; reason?: string; message?: string }[];
  };
}

export interface RolloutRef {
  name: string;
  namespace: string;
}

export interface RolloutSummary {
  name: string;
  namespace: string;
  phase: string;
  message: string | undefined;
  aborted: boolean;
  /** Index of the step the canary is on; equal to `steps` once every step is done. */
  stepIndex: number | undefined;
  steps: number;
  /** The step being run, e.g. `setWeight 10` or `analysis`. */
  step: string | undefined;
  /** Weight of the last setWeight step reached (0 before the first, 100 when done). */
  weight: number;
  canaryHash: string | undefined;
  stableHash: string | undefined;
  analysisRun: string | undefined;
  analysisStatus: string | undefined;
  /** The controller has seen the current spec (else the status is the previous revision's). */
  observed: boolean;
}

/** The Rollouts among the Application's resources. */
export function getRolloutRefs(app: Application): RolloutRef[] {
  const resources = (app.status as { resources?: Record<string, string>[] } | undefined)?.resources ?? [];
  return resources
    .filter((r) => r.kind === 'Rollout' && r.group === 'argoproj.io' && r.name)
    .map((r) => ({ name: r.name!, namespace: r.namespace ?? '' }));
}

/** The live Rollout, from Argo CD's cache of the cluster. */
export async function getRollout(connection: ArgoConnection, app: string, ref: RolloutRef): Promise<Rollout> {
  const query = new URLSearchParams({
    name: app,
    namespace: ref.namespace,
    resourceName: ref.name,
    version: 'v1alpha1',
    kind: 'Rollout',
    group: 'argoproj.io',
  });
  const url = `${connection.server}/api/v1/applications/${encodeURIComponent(app)}/resource?${query}`;
  const response = await requestJson(url, {
    headers: { authorization: `Bearer ${connection.token}` },
    timeoutMs: HTTP_TIMEOUTS.argocdRequestMs,
  });
  const manifest = (response.body as { manifest?: unknown } | null)?.manifest;
  if (response.status !== 200 || typeof manifest !== 'string') {
    throw new DeployctlError(
      response.status === 401 || response.status === 403 ? 'input' : 'network',
      `Argo CD answered HTTP ${response.status} for Rollout ${ref.namespace}/${ref.name} of app \`${app}\`; the token's role needs \`get\` on the application's resources (\`argocd app resources ${app}\`)`,
    );
  }
  try {
    return JSON.parse(manifest) as Rollout;
  } catch (cause) {
    throw new DeployctlError('network', `Argo CD sent an unreadable manifest for Rollout ${ref.name}`, {
      cause,
    });
  }
}

function describeStep(step: Record<string, unknown> | undefined): string | undefined {
  if (!step) return undefined;
  const [kind, value] = Object.entries(step)[0] ?? [];
  if (kind === undefined) return undefined;
  return kind === 'setWeight' ? `setWeight ${String(value)}` : kind;
}

export function summarizeRollout(rollout: Rollout): RolloutSummary {
  const status = rollout.status ?? {};
  const steps = rollout.spec?.strategy?.canary?.steps ?? [];
  const stepIndex = status.currentStepIndex;
  let weight = 0;
  for (const step of steps.slice(0, (stepIndex ?? 0) + 1)) {
    if (typeof step.setWeight === 'number') weight = step.setWeight;
  }
  if (stepIndex !== undefined && stepIndex >= steps.length) weight = 100;
  const analysis = status.canary?.currentStepAnalysisRunStatus;
  const aborted =
    status.abort === true || (status.conditions ?? []).some((c) => c.reason === 'RolloutAborted');
  return {
    name: rollout.metadata?.name ?? '?',
    namespace: rollout.metadata?.namespace ?? '',
    phase: status.phase ?? 'Unknown',
    message: status.message,
    aborted,
    stepIndex,
    steps: steps.length,
    step: stepIndex === undefined ? undefined : describeStep(steps[stepIndex]),
    weight: aborted ? 0 : weight,
    canaryHash: status.currentPodHash,
    stableHash: status.stableRS,
    analysisRun: analysis?.name,
    analysisStatus: analysis?.status,
    observed: String(status.observedGeneration ?? '') === String(rollout.metadata?.generation ?? ''),
  };
}

export function formatRollout(summary: RolloutSummary): string {
  const step =
    summary.stepIndex === undefined
      ? 'no step yet'
      : summary.stepIndex >= summary.steps
        ? `all ${summary.steps} steps done`
        : `step ${summary.stepIndex + 1}/${summary.steps} (${summary.step ?? '?'})`;
  const analysis = summary.analysisRun
    ? `, analysis ${summary.analysisRun} ${summary.analysisStatus ?? ''}`.trimEnd()
    : '';
  const message = summary.message ? `: ${summary.message}` : '';
  return `Rollout ${summary.name} ${summary.phase}${summary.aborted ? ' (aborted)' : ''}, ${step}, canary weight ${summary.weight}%${analysis}${message}`;
}

/** Throws when the Rollout was aborted: its analysis failed (or someone aborted it by hand). */
export function verifyRolloutNotAborted(app: string, revision: string, summary: RolloutSummary): void {
  if (!summary.aborted || !summary.observed) return;
  throw new DeployctlError(
    'unhealthy',
    `canary of app \`${app}\` at ${revision} was aborted: ${formatRollout(summary)}; the stable pods serve the previous release again; see \`kubectl argo rollouts get rollout ${summary.name} -n ${summary.namespace}\` and the AnalysisRun (\`kubectl get analysisrun -n ${summary.namespace}\`), then fix the release or roll back with \`deployctl rollback\``,
    { evidence: summary },
  );
}

/**
 * Timeline events for the canary's progress (names in docs/contracts.md): one
 * `canary-step` per step entered, `canary-aborted` once, `canary-promoted` when every step
 * is done. Only changes are recorded, so polling the same state twice adds nothing.
 */
export function createRolloutRecorder(file: string | undefined) {
  const seen = new Map<string, string>();
  return async (summary: RolloutSummary, now = new Date()): Promise<void> => {
    if (!file || !summary.observed) return;
    let event: string | undefined;
    let data: Record<string, string> = { rollout: summary.name, phase: summary.phase };
    if (summary.aborted) {
      event = 'canary-aborted';
      data = { ...data, message: summary.message ?? '', weight: String(summary.weight) };
    } else if (
      summary.stepIndex !== undefined &&
      summary.stepIndex >= summary.steps &&
      summary.phase === 'Healthy'
    ) {
      event = 'canary-promoted';
    } else if (summary.stepIndex !== undefined && summary.stepIndex < summary.steps) {
      event = 'canary-step';
      data = {
        ...data,
        step: `${summary.stepIndex + 1}/${summary.steps}`,
        action: summary.step ?? '',
        weight: String(summary.weight),
      };
    }
    if (event === undefined) return;
    const key = `${event}:${data.step ?? ''}`;
    if (seen.get(summary.name) === key) return;
    seen.set(summary.name, key);
    await appendEvent(file, { event, at: now.toISOString(), data });
  };
}

/**
 * One poll of the Application's Rollouts, for `wait`: records the canary's progress and
 * throws when a Rollout was aborted. A network blip skips the poll (the next one retries).
 */
export async function checkRollouts(
  connection: ArgoConnection,
  app: string,
  revision: string,
  refs: RolloutRef[],
  record: (summary: RolloutSummary) => Promise<void>,
): Promise<RolloutSummary[]> {
  const summaries: RolloutSummary[] = [];
  for (const ref of refs) {
    let rollout: Rollout;
    try {
      rollout = await getRollout(connection, app, ref);
    } catch (error) {
      if (error instanceof DeployctlError && error.kind === 'network') continue;
      throw error;
    }
    const summary = summarizeRollout(rollout);
    await record(summary);
    verifyRolloutNotAborted(app, revision, summary);
    summaries.push(summary);
  }
  return summaries;
}
