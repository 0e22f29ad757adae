// A small client for the test control plane's API server: plain HTTPS with the
// admin client certificate from the kubeconfig that scripts/k8s-up.sh writes.
// Why not @kubernetes/client-node: its current major (2.x) needs Node >= 22.19
// (undici 8) and this project runs on Node 20; the few verbs the tests use
// (get, server-side apply with or without dryRun, watch) fit in this file.
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { parse } from 'yaml';

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [key: string]: unknown };
  [key: string]: unknown;
}

export interface WatchEvent<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

/** The API server's answer to a request that did not succeed. */
export class KubeApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
    what: string,
  ) {
    super(`${what} failed with HTTP ${status}: ${body.slice(0, 2000)}`);
  }
}

interface ResourceInfo {
  plural: string;
  namespaced: boolean;
}

/** Named timeout for ordinary (non-watch) requests. */
const REQUEST_TIMEOUT_MS = 60_000;
const FIELD_MANAGER = 'mlops-k8s-tests';

export class KubeApi {
  private readonly server: URL;
  private readonly tls: { ca: Buffer; cert: Buffer; key: Buffer };
  private readonly discovery = new Map<string, Map<string, ResourceInfo>>();

  constructor(kubeconfigPath: string) {
    const config = parse(readFileSync(kubeconfigPath, 'utf8'));
    const cluster = config.clusters[0].cluster;
    const user = config.users[0].user;
    this.server = new URL(cluster.server);
    this.tls = {
      ca: readFileSync(cluster['certificate-authority']),
      cert: readFileSync(user['client-certificate']),
      key: readFileSync(user['client-key']),
    };
  }

  /** One HTTP request; resolves with the parsed JSON body, rejects with KubeApiError on non-2xx. */
  async request<T = unknown>(method: string, path: string, body?: string, contentType?: string): Promise<T> {
    const { status, text } = await this.send(method, path, body, contentType);
    if (status < 200 || status >= 300) throw new KubeApiError(status, text, `${method} ${path}`);
    return JSON.parse(text) as T;
  }

  get<T = unknown>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  /** The REST path of an object (collection path when `name` is omitted). */
  async pathFor(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    name?: string,
  ): Promise<string> {
    const info = await this.resourceInfo(apiVersion, kind);
    const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    const ns = info.namespaced ? `/namespaces/${namespace ?? 'default'}` : '';
    return `${base}${ns}/${info.plural}${name === undefined ? '' : `/${name}`}`;
  }

  /**
   * Server-side apply. With `dryRun` the API server runs every admission and
   * validation step (defaulting, schema, CRD structural schema) and persists
   * nothing: the strongest "would Kubernetes accept this" check there is.
   */
  async apply<T = KubeObject>(
    object: KubeObject,
    options: { dryRun?: boolean; namespace?: string } = {},
  ): Promise<T> {
    const namespace = object.metadata.namespace ?? options.namespace;
    const path = await this.pathFor(object.apiVersion, object.kind, namespace, object.metadata.name);
    const query = new URLSearchParams({ fieldManager: FIELD_MANAGER, force: 'true' });
    if (options.dryRun) query.set('dryRun', 'All');
    return this.request<T>(
      'PATCH',
      `${path}?${query}`,
      JSON.stringify(object),
      'application/apply-patch+yaml',
    );
  }

  /**
   * Watches a collection from `resourceVersion` on and calls `onEvent` for each
   * event until `onEvent` returns true (done) or `timeoutMs` passes (rejects).
   */
  watch<T>(
    collectionPath: string,
    params: Record<string, string>,
    onEvent: (event: WatchEvent<T>) => boolean,
    timeoutMs: number,
  ): Promise<void> {
    const query = new URLSearchParams({ ...params, watch: '1', allowWatchBookmarks: 'false' });
    return new Promise((resolve, reject) => {
      let buffered = '';
      let settled = false;
      const finish = (error?: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        req.destroy();
        if (error) reject(error);
        else resolve();
      };
      const timer = setTimeout(
        () => finish(new Error(`watch ${collectionPath} did not reach its goal within ${timeoutMs} ms`)),
        timeoutMs,
      );
      const req = request(this.url(`${collectionPath}?${query}`), { method: 'GET', ...this.tls }, (res) => {
        if (res.statusCode !== 200) {
          finish(new KubeApiError(res.statusCode ?? 0, '', `watch ${collectionPath}`));
          return;
        }
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffered += chunk;
          for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
            const line = buffered.slice(0, nl).trim();
            buffered = buffered.slice(nl + 1);
            if (line === '') continue;
            const event = JSON.parse(line) as WatchEvent<T>;
            if (event.type === 'ERROR') {
              finish(new Error(`watch ${collectionPath} error: ${line}`));
              return;
            }
            try {
              if (onEvent(event)) finish();
            } catch (error) {
              finish(error as Error);
            }
            if (settled) return;
          }
        });
        res.on('end', () =>
          finish(new Error(`watch ${collectionPath} closed by the server before its goal`)),
        );
        // A server that dies mid-watch resets the connection: no 'end', only 'error'/'close'.
        // Without these the timer above kept the test process alive until it fired.
        res.on('error', (error) => finish(error));
        res.on('close', () => finish(new Error(`watch ${collectionPath} connection closed before its goal`)));
      });
      req.on('error', (error) => finish(error));
      req.end();
    });
  }

  /** Polls `check` until it returns a value (not undefined), or fails after `timeoutMs`. */
  async waitFor<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let lastError: unknown;
    while (Date.now() < deadline) {
      try {
        const value = await check();
        if (value !== undefined) return value;
      } catch (error) {
        lastError = error;
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
    throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`, { cause: lastError });
  }

  private url(path: string): URL {
    return new URL(path, this.server);
  }

  private async resourceInfo(apiVersion: string, kind: string): Promise<ResourceInfo> {
    let kinds = this.discovery.get(apiVersion);
    if (!kinds) {
      const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
      const list = await this.get<{ resources: { name: string; kind: string; namespaced: boolean }[] }>(base);
      kinds = new Map();
      for (const r of list.resources) {
        // Sub-resources (deployments/scale, pods/status) share the kind: skip them.
        if (!r.name.includes('/')) kinds.set(r.kind, { plural: r.name, namespaced: r.namespaced });
      }
      this.discovery.set(apiVersion, kinds);
    }
    const info = kinds.get(kind);
    if (!info)
      throw new Error(`the API server serves no kind ${kind} in ${apiVersion} (is its CRD installed?)`);
    return info;
  }

  private send(
    method: string,
    path: string,
    body?: string,
    contentType = 'application/json',
  ): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const req = request(
        this.url(path),
        {
          method,
          ...this.tls,
          timeout: REQUEST_TIMEOUT_MS,
          headers: body === undefined ? {} : { 'Content-Type': contentType },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            text += chunk;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on('timeout', () =>
        req.destroy(new Error(`${method} ${path} timed out after ${REQUEST_TIMEOUT_MS} ms`)),
      );
      req.on('error', reject);
      req.end(body);
    });
  }
}
