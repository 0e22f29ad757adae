/**
 * TEST DOUBLE for Argo CD's API server (no Argo CD can run here). It serves
 * `GET /api/v1/applications/{name}` with Application objects shaped like the
 * examples in Argo CD's API documentation (v1alpha1.Application), replaying a
 * scripted sequence, and records each request for assertions.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface AppState {
  sync: 'Synced' | 'OutOfSync' | 'Unknown';
  revision: string;
  health: 'Healthy' | 'Progressing' | 'Degraded' | 'Missing' | 'Suspended';
  healthMessage?: string;
  operation?: {
    phase: 'Running' | 'Succeeded' | 'Failed' | 'Error';
    message: string;
    revision: string;
    /** Failed attempts so far, and the Application's retry limit (operation.retry.limit). */
    retryCount?: number;
    retryLimit?: number;
    /** The Deployment's sync result message when the attempt failed (default: an invalid spec). */
    failure?: string;
  };
  deploymentHealth?: { status: string; message?: string };
}

const APP = 'mlops-inference-service';

/** An Application as Argo CD returns it, with the fields deployctl does and does not read. */
export function application(state: AppState) {
  const finishedAt = '2026-11-26T12:00:30Z';
  return {
    metadata: {
      name: APP,
      namespace: 'argocd',
      resourceVersion: '123456',
      uid: 'd1f7c3e8-0000-4000-8000-000000000001',
    },
    spec: {
      project: 'mlops',
      source: {
        repoURL: 'https://gitlab.example.com/mlops/inference.git',
        path: 'helm',
        targetRevision: 'main',
        helm: { valueFiles: ['values-prod.yaml'] },
      },
      destination: { server: 'https://kubernetes.default.svc', namespace: 'default' },
      syncPolicy: { automated: { prune: true, selfHeal: true } },
    },
    status: {
      sync: {
        status: state.sync,
        revision: state.revision,
        comparedTo: { source: { repoURL: 'https://gitlab.example.com/mlops/inference.git', path: 'helm' } },
      },
      health: { status: state.health, ...(state.healthMessage ? { message: state.healthMessage } : {}) },
      resources: [
        {
          group: 'apps',
          version: 'v1',
          kind: 'Deployment',
          namespace: 'default',
          name: APP,
          status: state.sync,
          health: state.deploymentHealth ?? { status: state.health },
        },
        {
          version: 'v1',
          kind: 'Service',
          namespace: 'default',
          name: APP,
          status: 'Synced',
          health: { status: 'Healthy' },
        },
      ],
      ...(state.operation
        ? {
            operationState: {
              operation: {
                sync: { revision: state.operation.revision },
                initiatedBy: { automated: true },
                ...(state.operation.retryLimit === undefined
                  ? {}
                  : {
                      retry: { limit: state.operation.retryLimit, backoff: { duration: '10s', factor: 2 } },
                    }),
              },
              phase: state.operation.phase,
              message: state.operation.message,
              startedAt: '2026-11-26T12:00:05Z',
              ...(state.operation.retryCount ? { retryCount: state.operation.retryCount } : {}),
              // A failed attempt waiting for its retry is Running with finishedAt set.
              ...(state.operation.phase === 'Running' && !state.operation.retryCount ? {} : { finishedAt }),
              syncResult: {
                revision: state.operation.revision,
                source: { repoURL: 'https://gitlab.example.com/mlops/inference.git', path: 'helm' },
                resources: [
                  {
                    group: 'apps',
                    version: 'v1',
                    kind: 'Deployment',
                    namespace: 'default',
                    name: APP,
                    status: isFailedAttempt(state.operation) ? 'SyncFailed' : 'Synced',
                    message: isFailedAttempt(state.operation)
                      ? (state.operation.failure ??
                        'Deployment.apps "mlops-inference-service" is invalid: spec.template.spec.containers[0].image: Required value')
                      : 'deployment.apps/mlops-inference-service configured',
                    hookPhase: state.operation.phase,
                    syncPhase: 'Sync',
                  },
                ],
              },
            },
          }
        : {}),
      reconciledAt: '2026-11-26T12:00:31Z',
      sourceType: 'Helm',
    },
  };
}

function isFailedAttempt(operation: NonNullable<AppState['operation']>): boolean {
  return operation.phase === 'Failed' || (operation.phase === 'Running' && (operation.retryCount ?? 0) > 0);
}

export interface ArgoDouble {
  url: string;
  requests: { url: string; authorization: string | undefined }[];
  close: () => Promise<void>;
}

export interface DoubleOptions {
  /** Answers every request with this HTTP status. */
  status?: number;
  /** Request numbers (1-based) answered 502. */
  badGateway?: number[];
  /** Request numbers (1-based) answered only after `slowMs` (a refresh that outlasts the client's timeout). */
  slow?: number[];
  slowMs?: number;
  /** Served on GET /api/v1/applications/{name}/events (a v1.EventList's items). */
  events?: { reason: string; message: string; lastTimestamp: string }[];
}

/** Serves `states` one per request to the Application, then repeats the last one. */
export async function startArgoCdDouble(
  states: AppState[],
  options: DoubleOptions = {},
): Promise<ArgoDouble> {
  const requests: ArgoDouble['requests'] = [];
  const server = createServer(async (req: IncomingMessage, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path === `/api/v1/applications/${APP}/events` && options.events) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ metadata: {}, items: options.events }));
      return;
    }
    requests.push({ url: req.url ?? '', authorization: req.headers.authorization });
    if (options.slow?.includes(requests.length)) {
      await new Promise((resolve) => setTimeout(resolve, options.slowMs ?? 2_000));
      if (res.destroyed) return;
    }
    if (path !== `/api/v1/applications/${APP}`) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'applications.argoproj.io not found', code: 5, message: 'not found' }));
      return;
    }
    if (options.status) {
      res.writeHead(options.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'invalid session', code: 16, message: 'invalid session' }));
      return;
    }
    if (options.badGateway?.includes(requests.length)) {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html><body>502 Bad Gateway</body></html>');
      return;
    }
    const state = states[Math.min(requests.length - 1, states.length - 1)]!;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(application(state)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
