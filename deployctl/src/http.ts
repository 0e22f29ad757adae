/**
 * HTTP for the systems deployctl talks to over the network (Argo CD's API, the
 * inference service). Every call has a named timeout; a network failure becomes
 * a `network` error that names the URL and what to check.
 *
 * Each request opens its own connection (`agent: false`): a Kubernetes Service
 * balances connections, not requests, so a kept-alive connection would ask the
 * same pod again and again and `verify` could never see the other replicas.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { DeployctlError } from './exit-codes.js';

export const HTTP_TIMEOUTS = {
  /** One Argo CD API call; a refresh=hard can take a while on big repos. */
  argocdRequestMs: 15_000,
  /** One /version or /predict call against the service. */
  serviceRequestMs: 5_000,
  /** One registry call (manifest HEAD, token request) for the rollback image check. */
  registryRequestMs: 15_000,
} as const;

export interface JsonResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: unknown;
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'HEAD';
  headers?: Record<string, string>;
  body?: unknown;
  timeoutMs: number;
  /** PEM certificates to trust instead of Node's bundled CAs (a Kubernetes cluster's own CA). */
  ca?: string;
}

/** Sends a request and parses a JSON body (undefined if the body is not JSON). */
export function requestJson(url: string, options: RequestOptions): Promise<JsonResponse> {
  return new Promise((resolve, reject) => {
    let target: URL;
    try {
      target = new URL(url);
    } catch (cause) {
      reject(
        new DeployctlError('input', `\`${url}\` is not a URL; pass it like http://host:8000`, { cause }),
      );
      return;
    }
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(
      target,
      {
        method: options.method ?? 'GET',
        agent: false,
        headers: {
          accept: 'application/json',
          ...(payload === undefined
            ? {}
            : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
          ...options.headers,
        },
        timeout: options.timeoutMs,
        ...(options.ca === undefined ? {} : { ca: options.ca }),
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => {
          let body: unknown;
          try {
            body = text === '' ? undefined : JSON.parse(text);
          } catch {
            body = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
        });
        res.on('error', (cause) => reject(toNetworkError(url, options.timeoutMs, cause)));
      },
    );
    req.on('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    req.on('error', (cause) => reject(toNetworkError(url, options.timeoutMs, cause)));
    req.end(payload);
  });
}

function toNetworkError(url: string, timeoutMs: number, cause: unknown): DeployctlError {
  const code = (cause as NodeJS.ErrnoException).code ?? (cause as Error).message;
  return new DeployctlError(
    'network',
    `cannot reach ${url} (${code}; timeout ${timeoutMs}ms); check the URL and that the server is up`,
    { cause },
  );
}
