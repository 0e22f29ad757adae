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
  operation?: { phase: 'Running' | 'Succeeded' | 'Failed' | 'Error'; message: string; revision: string };
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
              operation: { sync: { revision: state.operation.revision }, initiatedBy: { automated: true } },
              phase: state.operation.phase,
              message: state.operation.message,
              startedAt: '2026-11-26T12:00:05Z',
              ...(state.operation.phase === 'Running' ? {} : { finishedAt }),
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
                    status: state.operation.phase === 'Failed' ? 'SyncFailed' : 'Synced',
                    message:
                      state.operation.phase === 'Failed'
                        ? 'Deployment.apps "mlops-inference-service" is invalid: spec.template.spec.containers[0].image: Required value'
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

export interface ArgoDouble {
  url: string;
  requests: { url: string; authorization: string | undefined }[];
  close: () => Promise<void>;
}

/**
 * Serves `states` one per request, then repeats the last one. `status` answers every
 * request with that HTTP status; `badGateway` lists request numbers (1-based) answered 502.
 */
export async function startArgoCdDouble(
  states: AppState[],
  options: { status?: number; badGateway?: number[] } = {},
): Promise<ArgoDouble> {
  const requests: ArgoDouble['requests'] = [];
  const server = createServer((req: IncomingMessage, res) => {
    requests.push({ url: req.url ?? '', authorization: req.headers.authorization });
    const path = (req.url ?? '').split('?')[0];
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
