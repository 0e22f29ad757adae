/**
 * GitLab's REST API (v4) for `deployctl setup` and `teardown`: one small
 * client that authenticates with a PRIVATE-TOKEN header, retries what a
 * retry can fix (5xx, a dropped connection), and turns every other answer
 * into a DeployctlError that says what is wrong and what to do. Only the
 * entry point maps those to exit codes.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { DeployctlError } from './exit-codes.js';
import { sleep } from './retry.js';

export const GITLAB_TIMEOUTS = {
  /** One API call. */
  requestMs: 30_000,
} as const;

export const GITLAB_RETRY = { attempts: 4, baseMs: 500 } as const;

export type GitLabMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface GitLabClientOptions {
  /** https://gitlab.com */
  url: string;
  token: string;
  /** `group/project`. */
  project: string;
  /** Tests shorten the backoff. */
  retryBaseMs?: number;
  attempts?: number;
}

export interface GitLabAnswer<T> {
  status: number;
  body: T;
}

/** A GitLab answer that is neither success nor a 404 the caller asked to see. */
export class GitLabError extends DeployctlError {
  readonly status: number;
  constructor(kind: 'input' | 'network' | 'refused', message: string, status: number, cause?: unknown) {
    super(kind, message, { cause, evidence: { status } });
    this.status = status;
  }
}

export class GitLabClient {
  readonly projectPath: string;
  private readonly api: string;
  private readonly token: string;
  private readonly retryBaseMs: number;
  private readonly attempts: number;

  constructor(options: GitLabClientOptions) {
    this.api = `${options.url.replace(/\/+$/, '')}/api/v4`;
    this.token = options.token;
    this.projectPath = `/projects/${encodeURIComponent(options.project)}`;
    this.retryBaseMs = options.retryBaseMs ?? GITLAB_RETRY.baseMs;
    this.attempts = options.attempts ?? GITLAB_RETRY.attempts;
  }

  /** A project endpoint: `project('/variables')` → `/projects/group%2Fproject/variables`. */
  project(path: string): string {
    return `${this.projectPath}${path}`;
  }

  /**
   * Sends one call; 2xx returns the body. `allow` lists the statuses the caller
   * handles itself (a 404 of a GET that checks existence).
   */
  async request<T = unknown>(
    method: GitLabMethod,
    path: string,
    body?: Record<string, unknown>,
    allow: number[] = [],
  ): Promise<GitLabAnswer<T>> {
    for (let attempt = 1; ; attempt++) {
      let answer: GitLabAnswer<unknown>;
      try {
        answer = await this.send(method, path, body);
      } catch (cause) {
        if (attempt >= this.attempts) {
          throw new GitLabError(
            'network',
            `cannot reach GitLab at ${this.api} (${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}, ${attempt} attempts); check --gitlab-url and your connection`,
            0,
            cause,
          );
        }
        await sleep(this.retryBaseMs * 2 ** (attempt - 1));
        continue;
      }
      if (answer.status >= 500 && attempt < this.attempts) {
        await sleep(this.retryBaseMs * 2 ** (attempt - 1));
        continue;
      }
      if ((answer.status >= 200 && answer.status < 300) || allow.includes(answer.status)) {
        return answer as GitLabAnswer<T>;
      }
      throw this.toError(method, path, answer, attempt);
    }
  }

  /** Every item of a list endpoint (GitLab pages with `page`/`per_page`, 100 at most per page). */
  async list<T>(path: string): Promise<T[]> {
    const items: T[] = [];
    for (let page = 1; page <= 50; page++) {
      const separator = path.includes('?') ? '&' : '?';
      const answer = await this.request<T[]>('GET', `${path}${separator}per_page=100&page=${page}`);
      if (!Array.isArray(answer.body)) break;
      items.push(...answer.body);
      if (answer.body.length < 100) break;
    }
    return items;
  }

  private toError(
    method: GitLabMethod,
    path: string,
    answer: GitLabAnswer<unknown>,
    attempts: number,
  ): GitLabError {
    const what = `GitLab ${method} ${path.replace(/\?.*$/, '')}`;
    const detail = getGitLabMessage(answer.body);
    switch (answer.status) {
      case 401:
        return new GitLabError(
          'input',
          `GitLab refused the token (401 Unauthorized${detail ? `: ${detail}` : ''}); set GITLAB_TOKEN to a personal or project access token with the api scope`,
          401,
        );
      case 403:
        return new GitLabError(
          'refused',
          `${what}: 403 Forbidden${detail ? ` (${detail})` : ''}; the token's user must be a Maintainer (or Owner) of the project, and the token needs the api scope`,
          403,
        );
      case 404:
        return path.startsWith(this.projectPath)
          ? new GitLabError(
              'input',
              `${what}: 404 Not Found${detail ? ` (${detail})` : ''}; check --project (\`${decodeURIComponent(this.projectPath.slice('/projects/'.length))}\`) and that the token's user can see it`,
              404,
            )
          : new GitLabError('input', `${what}: 404 Not Found${detail ? ` (${detail})` : ''}`, 404);
      default:
        if (answer.status >= 500) {
          return new GitLabError(
            'network',
            `${what}: GitLab answered ${answer.status} ${attempts} times${detail ? ` (${detail})` : ''}; GitLab may be down (status.gitlab.com); rerun setup later, it continues where it stopped`,
            answer.status,
          );
        }
        return new GitLabError(
          'input',
          `${what}: ${answer.status}${detail ? ` ${detail}` : ''}`,
          answer.status,
        );
    }
  }

  private send(
    method: GitLabMethod,
    path: string,
    body?: Record<string, unknown>,
  ): Promise<GitLabAnswer<unknown>> {
    const target = new URL(`${this.api}${path}`);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(
        target,
        {
          method,
          headers: {
            accept: 'application/json',
            'PRIVATE-TOKEN': this.token,
            ...(payload === undefined
              ? {}
              : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
          },
          timeout: GITLAB_TIMEOUTS.requestMs,
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
              // a proxy's HTML error page: keep the text
            }
            resolve({ status: res.statusCode ?? 0, body: parsed });
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
      req.on('error', reject);
      req.end(payload);
    });
  }
}

/** GitLab's error shapes: `{"message": "..."}`, `{"message": {"field": ["..."]}}`, `{"error": "..."}`. */
export function getGitLabMessage(body: unknown): string {
  if (typeof body === 'string') return body.slice(0, 200);
  if (typeof body !== 'object' || body === null) return '';
  const { message, error } = body as { message?: unknown; error?: unknown };
  if (typeof message === 'string') return message;
  if (typeof message === 'object' && message !== null) {
    return Object.entries(message)
      .map(
        ([field, problems]) => `${field} ${Array.isArray(problems) ? problems.join(', ') : String(problems)}`,
      )
      .join('; ');
  }
  return typeof error === 'string' ? error : '';
}
