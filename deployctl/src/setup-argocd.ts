/**
 * Argo CD's side of setup: an admin session, the repository credential
 * (`POST /api/v1/repositories?upsert=true`) and the pipelines' project-role
 * tokens (`POST /api/v1/projects/{project}/roles/{role}/token`), each
 * idempotent: what Argo CD already has and accepts is kept.
 *
 * Without argocdDomain Argo CD is reached through `kubectl port-forward` at
 * https://localhost:8080, where argocd-server answers with its own
 * self-signed certificate; the tunnel never leaves this machine and the
 * cluster, so for a loopback host (only) the certificate is not verified.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { DeployctlError } from './exit-codes.js';
import { HTTP_TIMEOUTS } from './http.js';

export interface ArgoAnswer<T> {
  status: number;
  body: T;
}

export interface RepoCredential {
  url: string;
  username: string;
  password: string;
}

export interface Repository {
  repo?: string;
  username?: string;
  connectionState?: { status?: string; message?: string };
}

/** What setup uses of Argo CD (deployctl's own tests pass an in-memory stand-in; test/argocd the real one). */
export type ArgoCdSetup = Pick<
  ArgoCdSetupClient,
  | 'login'
  | 'getRepository'
  | 'hasWorkingRepository'
  | 'upsertRepository'
  | 'createProjectToken'
  | 'isProjectToken'
  | 'waitForToken'
>;

const LOOPBACK = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

export class ArgoCdSetupClient {
  constructor(
    readonly server: string,
    private token = '',
  ) {}

  /** POST /api/v1/session as `admin`. */
  async login(password: string): Promise<void> {
    const answer = await this.send<{ token?: string }>('POST', '/api/v1/session', {
      username: 'admin',
      password,
    });
    if (answer.status !== 200 || !answer.body?.token) {
      throw new DeployctlError(
        'input',
        `Argo CD at ${this.server} refused the admin login (HTTP ${answer.status}); set ARGOCD_ADMIN_PASSWORD to the admin password (kubectl -n argocd get secret argocd-initial-admin-secret -o jsonpath='{.data.password}' | base64 -d)`,
      );
    }
    this.token = answer.body.token;
  }

  /** The repository as Argo CD has it (password never shown), or undefined. */
  async getRepository(url: string): Promise<Repository | undefined> {
    // forceRefresh: Argo CD caches a repository's connection state, and an upsert does not
    // clear it (server/repository/repository.go, v3.6), so without it a credential that was
    // just fixed would still read as Failed.
    const answer = await this.send<Repository>(
      'GET',
      `/api/v1/repositories/${encodeURIComponent(url)}?forceRefresh=true`,
    );
    if (answer.status === 404 || answer.status === 403) return undefined;
    this.check(answer, `GET repository ${url}`);
    return answer.body.repo ? answer.body : undefined;
  }

  /** True when Argo CD has the repository with this user and can read it. */
  async hasWorkingRepository(url: string, username: string): Promise<boolean> {
    const repo = await this.getRepository(url);
    return repo?.username === username && repo.connectionState?.status === 'Successful';
  }

  /** Creates or replaces the credential; Argo CD checks it by reading the repository first. */
  async upsertRepository(credential: RepoCredential): Promise<void> {
    const answer = await this.send('POST', '/api/v1/repositories?upsert=true', {
      repo: credential.url,
      type: 'git',
      username: credential.username,
      password: credential.password,
    });
    this.check(answer, `store the repository credential for ${credential.url}`);
  }

  /** A new token of the project's role; the caller stores it. */
  async createProjectToken(project: string, role: string, expiresInS: number, id: string): Promise<string> {
    const answer = await this.send<{ token?: string }>(
      'POST',
      `/api/v1/projects/${encodeURIComponent(project)}/roles/${encodeURIComponent(role)}/token`,
      {
        project,
        role,
        id,
        expiresIn: expiresInS,
        description: 'GitLab CI (deployctl), made by deployctl setup',
      },
    );
    this.check(answer, `create a token of role ${role} in AppProject ${project}`);
    if (!answer.body.token) {
      throw new DeployctlError('internal', `Argo CD answered no token for ${project}/${role}`);
    }
    return answer.body.token;
  }

  /**
   * Whether `token` is a working token of `project`: it may read its own
   * AppProject. (Argo CD accepts a new token only once its project cache has
   * the token's id, which takes a moment; see waitForToken.)
   */
  async isProjectToken(token: string, project: string): Promise<boolean> {
    const client = new ArgoCdSetupClient(this.server, token);
    const answer = await client.send('GET', `/api/v1/projects/${encodeURIComponent(project)}`);
    return answer.status === 200;
  }

  /** Waits until Argo CD accepts a token it just minted (minting updates the AppProject). */
  async waitForToken(token: string, project: string, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await this.isProjectToken(token, project))) {
      if (Date.now() > deadline) {
        throw new DeployctlError(
          'timeout',
          `Argo CD did not accept the new ${project} token within ${timeoutMs / 1000}s; rerun setup`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }

  private check(answer: ArgoAnswer<unknown>, what: string): void {
    if (answer.status >= 200 && answer.status < 300) return;
    const message =
      typeof answer.body === 'object' && answer.body !== null
        ? String((answer.body as { message?: unknown }).message ?? JSON.stringify(answer.body))
        : String(answer.body ?? '');
    throw new DeployctlError(
      answer.status >= 500 ? 'network' : 'input',
      `Argo CD could not ${what} (HTTP ${answer.status}: ${message.slice(0, 300)})`,
    );
  }

  send<T = unknown>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<ArgoAnswer<T>> {
    const target = new URL(`${this.server.replace(/\/+$/, '')}${path}`);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const https = target.protocol === 'https:';
    const send = https ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(
        target,
        {
          method,
          agent: false,
          ...(https && LOOPBACK.has(target.hostname) ? { rejectUnauthorized: false } : {}),
          headers: {
            accept: 'application/json',
            // Argo CD refuses a non-GET without this content type (415).
            'content-type': 'application/json',
            ...(payload === undefined ? {} : { 'content-length': Buffer.byteLength(payload) }),
            ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
          },
          timeout: HTTP_TIMEOUTS.argocdRequestMs,
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            text += chunk;
          });
          res.on('end', () => {
            let parsed: unknown = text;
            try {
              parsed = text === '' ? undefined : JSON.parse(text);
            } catch {
              // plain-text error: keep the text
            }
            resolve({ status: res.statusCode ?? 0, body: parsed as T });
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
      req.on('error', (cause) =>
        reject(
          new DeployctlError(
            'network',
            `cannot reach Argo CD at ${this.server} (${(cause as NodeJS.ErrnoException).code ?? cause.message}); without argocdDomain keep \`kubectl port-forward svc/argocd-server -n argocd 8080:443\` running, or pass --argocd-url`,
            { cause },
          ),
        ),
      );
      req.end(payload);
    });
  }
}
