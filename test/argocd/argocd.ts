/**
 * The real Argo CD for a test file: started by scripts/argocd-up.sh against a
 * control plane from scripts/k8s-up.sh (test/k8s/control-plane.ts), stopped
 * with it by scripts/k8s-down.sh. Also a small client for Argo CD's REST API
 * (the same API deployctl and the argocd CLI use) that returns the status code
 * instead of throwing, since the permission tests are about status codes.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Application } from '../../deployctl/src/argocd.js';
import type { ControlPlane } from '../k8s/control-plane.js';
import { parseManifests } from '../k8s/tools.js';
import { REPO_ROOT as repoRoot } from '../support/paths.js';
import type { GitLabProject } from './gitlab-project.js';

const run = promisify(execFile);
/** A cold build compiles Argo CD (~20 min of one core, more on a loaded machine). */
const UP_TIMEOUT_MS = 90 * 60_000;
const REQUEST_TIMEOUT_MS = 30_000;

export interface ArgoCd {
  /** http://127.0.0.1:PORT */
  server: string;
  adminPassword: string;
  /** The `argocd` binary (CLI). */
  bin: string;
  logs: string;
}

export async function startArgoCd(plane: ControlPlane, env: Record<string, string>): Promise<ArgoCd> {
  let stdout: string;
  try {
    ({ stdout } = await run('bash', [join(repoRoot, 'scripts/argocd-up.sh'), plane.stateDir], {
      cwd: repoRoot,
      env: { ...process.env, ...env },
      timeout: UP_TIMEOUT_MS,
      maxBuffer: 64 * 1024 * 1024,
    }));
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`scripts/argocd-up.sh failed:\n${stderr}`, { cause: error });
  }
  const envFile = stdout.trim().split('\n').at(-1) ?? '';
  const vars = Object.fromEntries(
    readFileSync(envFile, 'utf8')
      .split('\n')
      .filter((line) => line.includes('='))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
  return {
    server: vars.ARGOCD_SERVER ?? '',
    adminPassword: vars.ARGOCD_ADMIN_PASSWORD ?? '',
    bin: vars.ARGOCD_BIN ?? '',
    logs: vars.ARGOCD_LOGS ?? '',
  };
}

/**
 * Installs the chain the way infra does: the repository credentials (a
 * read-only deploy token) for `project`, then every document of its
 * argocd/root.yaml; the root Application then syncs the AppProjects and both
 * Applications from Git.
 */
export async function installRoot(plane: ControlPlane, project: GitLabProject): Promise<void> {
  await plane.api.apply({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: 'gitlab-repository',
      namespace: 'argocd',
      labels: { 'argocd.argoproj.io/secret-type': 'repository' },
    },
    stringData: { type: 'git', url: project.repoUrl, username: 'argocd', password: project.readToken },
  });
  const root = readFileSync(join(project.clone, 'argocd/root.yaml'), 'utf8');
  for (const object of parseManifests(root)) await plane.api.apply(object, { namespace: 'argocd' });
}

export interface ApiAnswer<T = unknown> {
  status: number;
  body: T;
}

export class ArgoApi {
  constructor(
    readonly server: string,
    readonly token: string,
  ) {}

  /** Logs in as a local user (POST /api/v1/session) and returns a client with its session token. */
  static async login(server: string, username: string, password: string): Promise<ArgoApi> {
    const answer = await new ArgoApi(server, '').request<{ token?: string }>('POST', '/api/v1/session', {
      username,
      password,
    });
    if (answer.status !== 200 || !answer.body.token) {
      throw new Error(
        `Argo CD login as ${username} failed: HTTP ${answer.status} ${JSON.stringify(answer.body)}`,
      );
    }
    return new ArgoApi(server, answer.body.token);
  }

  async request<T = unknown>(method: string, path: string, body?: unknown): Promise<ApiAnswer<T>> {
    const response = await fetch(`${this.server}${path}`, {
      method,
      // Argo CD refuses a non-GET without this content type (415), before any authorisation.
      headers: {
        ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
        'content-type': 'application/json',
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON (a plain-text error): keep the text
    }
    return { status: response.status, body: parsed as T };
  }

  async getApp(name: string, refresh?: 'normal' | 'hard'): Promise<ArgoApplication> {
    const answer = await this.request<ArgoApplication>(
      'GET',
      `/api/v1/applications/${name}${refresh ? `?refresh=${refresh}` : ''}`,
    );
    if (answer.status !== 200) throw new Error(`GET application ${name}: HTTP ${answer.status}`);
    return answer.body;
  }

  /**
   * A token of the AppProject role `role` (the pipeline's ARGOCD_AUTH_TOKEN),
   * once the server accepts it: it does so only when its project cache holds
   * the token's id (minting updates the AppProject); until then it answers 401.
   */
  async createProjectToken(
    project: string,
    role = 'pipeline',
    timeoutMs = 30_000,
    expiresInSeconds = 3600,
  ): Promise<string> {
    const answer = await this.request<{ token?: string }>(
      'POST',
      `/api/v1/projects/${project}/roles/${role}/token`,
      {
        project,
        role,
        expiresIn: expiresInSeconds,
      },
    );
    if (answer.status !== 200 || !answer.body.token) {
      throw new Error(
        `minting a ${project}/${role} token: HTTP ${answer.status} ${JSON.stringify(answer.body)}`,
      );
    }
    const client = new ArgoApi(this.server, answer.body.token);
    const deadline = Date.now() + timeoutMs;
    while ((await client.request('GET', `/api/v1/projects/${project}`)).status !== 200) {
      if (Date.now() > deadline)
        throw new Error(`Argo CD did not accept the ${project}/${role} token within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 500));
    }
    return answer.body.token;
  }

  /** Polls until `check` returns a value; the error names what was last seen. */
  async waitForApp<T>(
    name: string,
    what: string,
    timeoutMs: number,
    check: (app: ArgoApplication) => T | undefined,
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let last: ArgoApplication | undefined;
    while (Date.now() < deadline) {
      last = await this.getApp(name).catch(() => last);
      const value = last === undefined ? undefined : check(last);
      if (value !== undefined) return value;
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error(
      `Argo CD app ${name} did not reach "${what}" within ${timeoutMs} ms; last seen: ${describeApp(last)}`,
    );
  }
}

/** The fields of an Application the tests read beyond deployctl's. */
export type ArgoApplication = Application & {
  spec?: Application['spec'] & {
    project?: string;
    source?: { targetRevision?: string; helm?: { valueFiles?: string[] } };
    destination?: { namespace?: string };
  };
  status?: NonNullable<Application['status']> & {
    reconciledAt?: string;
    operationState?: NonNullable<NonNullable<Application['status']>['operationState']> & {
      retryCount?: number;
    };
    history?: { revision?: string; deployedAt?: string; deployStartedAt?: string; id?: number }[];
  };
};

export function describeApp(app: ArgoApplication | undefined): string {
  if (!app) return 'nothing';
  const s = app.status;
  return JSON.stringify({
    sync: s?.sync?.status,
    revision: s?.sync?.revision,
    health: s?.health,
    operation: s?.operationState && {
      phase: s.operationState.phase,
      message: s.operationState.message,
      retryCount: s.operationState.retryCount,
    },
    conditions: s?.conditions,
  });
}

/** Synced at `revision` (or any revision when omitted) and Healthy, with no operation running. */
export function isSyncedAndHealthy(app: ArgoApplication, revision?: string): boolean {
  const s = app.status;
  return (
    s?.sync?.status === 'Synced' &&
    (revision === undefined || s.sync.revision === revision) &&
    s.health?.status === 'Healthy' &&
    s.operationState?.phase !== 'Running'
  );
}
