/**
 * Argo CD's REST API (`/api/v1/applications/{name}`), token auth. Only the
 * fields deployctl reads are typed; the shapes follow Argo CD's API docs.
 */
import { DeployctlError } from './exit-codes.js';
import { HTTP_TIMEOUTS, requestJson } from './http.js';

interface ResourceStatus {
  group?: string;
  kind?: string;
  namespace?: string;
  name?: string;
  status?: string;
  message?: string;
  health?: { status?: string; message?: string };
  hookPhase?: string;
}

interface HelmSource {
  parameters?: { name?: string; value?: string }[];
  valuesObject?: { image?: Record<string, unknown> };
  values?: string;
}

export interface Application {
  metadata?: { name?: string };
  spec?: {
    source?: { helm?: HelmSource };
    sources?: { helm?: HelmSource }[];
  };
  status?: {
    sync?: { status?: string; revision?: string; revisions?: string[] };
    health?: { status?: string; message?: string };
    resources?: ResourceStatus[];
    operationState?: {
      phase?: string;
      message?: string;
      startedAt?: string;
      finishedAt?: string;
      /** Failed attempts so far; while one waits for its retry, phase stays Running. */
      retryCount?: number;
      operation?: { sync?: { revision?: string }; retry?: { limit?: number } };
      syncResult?: { revision?: string; resources?: ResourceStatus[] };
    };
    conditions?: { type?: string; message?: string }[];
  };
}

export interface ArgoConnection {
  server: string;
  token: string;
}

/** ARGOCD_SERVER is a host (argocd CLI style) or a URL; a bare host means https. */
export function getServerUrl(server: string): string {
  const trimmed = server.replace(/\/+$/, '');
  return /^https?:\/\//.test(trimmed) ? trimmed : `https://${trimmed}`;
}

export function verifyConnection(server: string | undefined, token: string | undefined): ArgoConnection {
  if (!server) {
    throw new DeployctlError(
      'input',
      'no Argo CD server: pass --server or set ARGOCD_SERVER (e.g. argocd.example.com)',
    );
  }
  if (!token) {
    throw new DeployctlError(
      'input',
      'no Argo CD token: set ARGOCD_AUTH_TOKEN (a project-scoped token: `argocd proj role create-token`)',
    );
  }
  return { server: getServerUrl(server), token };
}

/** GET the Application; `refresh` asks Argo CD to re-read Git now instead of at its next poll. */
export async function getApplication(
  connection: ArgoConnection,
  name: string,
  refresh?: 'normal' | 'hard',
  timeoutMs: number = HTTP_TIMEOUTS.argocdRequestMs,
): Promise<Application> {
  const query = refresh ? `?refresh=${refresh}` : '';
  const url = `${connection.server}/api/v1/applications/${encodeURIComponent(name)}${query}`;
  const response = await requestJson(url, {
    headers: { authorization: `Bearer ${connection.token}` },
    timeoutMs,
  });
  if (response.status === 401 || response.status === 403) {
    throw new DeployctlError(
      'input',
      `Argo CD refused the token for app \`${name}\` (HTTP ${response.status}); check ARGOCD_AUTH_TOKEN and that its role may \`get\` this application`,
    );
  }
  if (response.status === 404) {
    throw new DeployctlError(
      'input',
      `Argo CD app \`${name}\` not found on ${connection.server}; check --app (\`argocd app list\`)`,
    );
  }
  if (response.status !== 200 || typeof response.body !== 'object' || response.body === null) {
    throw new DeployctlError(
      'network',
      `Argo CD answered HTTP ${response.status} for ${url}; retry or check the server`,
      { evidence: { status: response.status } },
    );
  }
  return response.body as Application;
}

export interface AppSummary {
  syncStatus: string;
  revision: string | undefined;
  health: string;
  healthMessage: string | undefined;
  operationPhase: string | undefined;
  operationMessage: string | undefined;
  operationRevision: string | undefined;
  /** Failed attempts of the current operation (Argo CD retries with backoff while the phase stays Running). */
  retryCount: number;
  /** The operation's retry limit (negative: unlimited), when it has one. */
  retryLimit: number | undefined;
  finishedAt: string | undefined;
  outOfSync: string[];
  unhealthy: string[];
  failedResources: string[];
  conditions: string[];
}

function describeResource(resource: ResourceStatus): string {
  return `${resource.kind ?? '?'}/${resource.name ?? '?'}${resource.namespace ? ` (${resource.namespace})` : ''}`;
}

export function summarizeApplication(app: Application): AppSummary {
  const status = app.status ?? {};
  const operation = status.operationState;
  const resources = status.resources ?? [];
  return {
    syncStatus: status.sync?.status ?? 'Unknown',
    revision: status.sync?.revision ?? status.sync?.revisions?.[0],
    health: status.health?.status ?? 'Unknown',
    healthMessage: status.health?.message,
    operationPhase: operation?.phase,
    operationMessage: operation?.message,
    operationRevision: operation?.syncResult?.revision ?? operation?.operation?.sync?.revision,
    retryCount: operation?.retryCount ?? 0,
    retryLimit: operation?.operation?.retry?.limit,
    finishedAt: operation?.finishedAt,
    outOfSync: resources.filter((r) => r.status === 'OutOfSync').map(describeResource),
    unhealthy: resources
      .filter((r) => r.health?.status && !['Healthy', 'Progressing'].includes(r.health.status))
      .map(
        (r) =>
          `${describeResource(r)}: ${r.health?.status}${r.health?.message ? ` (${r.health.message})` : ''}`,
      ),
    failedResources: (operation?.syncResult?.resources ?? [])
      .filter((r) => r.status && !['Synced', 'Pruned', 'PruneSkipped'].includes(r.status))
      .map((r) => `${describeResource(r)}: ${r.status}${r.message ? ` (${r.message})` : ''}`),
    conditions: (status.conditions ?? []).map((c) => `${c.type ?? 'Condition'}: ${c.message ?? ''}`),
  };
}

/** Helm parameters/values in the Application that override `image.*` from the values file. */
export function getPinnedImageKeys(app: Application): string[] {
  const sources = [app.spec?.source, ...(app.spec?.sources ?? [])].filter((s) => s !== undefined);
  const pinned: string[] = [];
  for (const source of sources) {
    for (const parameter of source.helm?.parameters ?? []) {
      if (parameter.name?.startsWith('image.'))
        pinned.push(`parameter ${parameter.name}=${parameter.value ?? ''}`);
    }
    const image = source.helm?.valuesObject?.image;
    if (image && typeof image === 'object' && 'tag' in image)
      pinned.push(`valuesObject image.tag=${String(image.tag)}`);
    if (source.helm?.values && /^\s*tag:/m.test(source.helm.values)) pinned.push('inline values set a tag:');
  }
  return pinned;
}
