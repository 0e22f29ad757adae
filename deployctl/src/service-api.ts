/**
 * The inference service's HTTP contract (docs/contracts.md): GET /version and
 * POST /predict. Through the Kubernetes Service (a URL, or the API server's service
 * proxy: kube-service.ts) each call may land on any pod.
 */
import { HTTP_TIMEOUTS, type JsonResponse, requestJson } from './http.js';
import { getKubeRefusal, type ServiceEndpoint } from './kube-service.js';

export interface VersionReport {
  commit: string;
  buildTime?: string;
  model?: { name?: string; version?: string };
  instanceId: string;
}

export interface Prediction {
  label: string;
  score?: number;
  model?: { name?: string; version?: string };
}

export type Probe<T> = { ok: true; value: T } | { ok: false; error: string };

function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}${path}`;
}

/**
 * One request to the service. A failure to connect is data (pods come and go during a
 * rollout); the Kubernetes API server refusing the token is not, since no waiting fixes
 * it, and neither is failing to get a token: those throw.
 */
async function send(
  endpoint: ServiceEndpoint,
  request: string,
  options: { method?: 'POST'; path: string; body?: unknown },
): Promise<JsonResponse | string> {
  const headers = await endpoint.getHeaders();
  let response: JsonResponse;
  try {
    response = await requestJson(joinUrl(endpoint.url, options.path), {
      ...(options.method ? { method: options.method, body: options.body } : {}),
      timeoutMs: HTTP_TIMEOUTS.serviceRequestMs,
      headers,
      ...(endpoint.ca === undefined ? {} : { ca: endpoint.ca }),
    });
  } catch (error) {
    return (error as Error).message;
  }
  const refusal = getKubeRefusal(endpoint, request, response.status, response.body);
  if (refusal) throw refusal;
  return response;
}

/** One GET /version. */
export async function getVersion(endpoint: ServiceEndpoint): Promise<Probe<VersionReport>> {
  const response = await send(endpoint, 'GET /version', { path: '/version' });
  if (typeof response === 'string') return { ok: false, error: response };
  const body = response.body as Partial<VersionReport> | undefined;
  if (response.status !== 200 || typeof body?.commit !== 'string' || typeof body.instanceId !== 'string') {
    return {
      ok: false,
      error: `GET /version answered HTTP ${response.status} ${JSON.stringify(body) ?? ''}`,
    };
  }
  return { ok: true, value: body as VersionReport };
}

export async function postPredict(endpoint: ServiceEndpoint, input: string): Promise<Probe<Prediction>> {
  const response = await send(endpoint, 'POST /predict', {
    method: 'POST',
    path: '/predict',
    body: { input },
  });
  if (typeof response === 'string') return { ok: false, error: response };
  const body = response.body as Partial<Prediction> | undefined;
  if (response.status !== 200 || typeof body?.label !== 'string') {
    return {
      ok: false,
      error: `POST /predict answered HTTP ${response.status} ${JSON.stringify(body) ?? ''}`,
    };
  }
  return { ok: true, value: body as Prediction };
}
