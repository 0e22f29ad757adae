/**
 * The inference service's HTTP contract (docs/contracts.md): GET /version and
 * POST /predict. Through the Kubernetes Service each call may land on any pod.
 */
import { HTTP_TIMEOUTS, requestJson } from './http.js';

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

/** One GET /version; failures are data (pods come and go during a rollout). */
export async function getVersion(baseUrl: string): Promise<Probe<VersionReport>> {
  try {
    const response = await requestJson(joinUrl(baseUrl, '/version'), {
      timeoutMs: HTTP_TIMEOUTS.serviceRequestMs,
    });
    const body = response.body as Partial<VersionReport> | undefined;
    if (response.status !== 200 || typeof body?.commit !== 'string' || typeof body.instanceId !== 'string') {
      return {
        ok: false,
        error: `GET /version answered HTTP ${response.status} ${JSON.stringify(body) ?? ''}`,
      };
    }
    return { ok: true, value: body as VersionReport };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
}

export async function postPredict(baseUrl: string, input: string): Promise<Probe<Prediction>> {
  try {
    const response = await requestJson(joinUrl(baseUrl, '/predict'), {
      method: 'POST',
      body: { input },
      timeoutMs: HTTP_TIMEOUTS.serviceRequestMs,
    });
    const body = response.body as Partial<Prediction> | undefined;
    if (response.status !== 200 || typeof body?.label !== 'string') {
      return {
        ok: false,
        error: `POST /predict answered HTTP ${response.status} ${JSON.stringify(body) ?? ''}`,
      };
    }
    return { ok: true, value: body as Prediction };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
}
