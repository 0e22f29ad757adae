/**
 * A real smart-HTTP git server on 127.0.0.1, standing in for the GitLab
 * project's HTTPS remote: git's own `git http-backend` (CGI) behind a small
 * node:http front that does what GitLab does at the door, HTTP Basic auth.
 * Fetches are open when `readToken` is unset; pushes (`git-receive-pack`)
 * always need the push token, like GitLab's protected write access.
 *
 * Like a GitLab project with a webhook, it can announce each push that changed
 * a ref: after the push it POSTs GitLab's "Push Hook" payload (the fields
 * GitLab documents, including every field Argo CD's webhook handler reads:
 * `ref`, `before`, `after`, `project.web_url`, `project.default_branch`,
 * `commits[].added/modified/removed`) with the hook's `X-Gitlab-Token`.
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
/** A webhook receiver that does not answer in time counts as a failed delivery (GitLab: 10 s). */
const WEBHOOK_TIMEOUT_MS = 10_000;

export interface GitHttpServerOptions {
  /** Folder holding the bare repositories, served as /<name>.git. */
  root: string;
  /** The password a push must carry (any user name, as GitLab's token auth). */
  pushToken: string;
  /** If set, fetches need it too. */
  readToken?: string;
  /**
   * Accept push options, as GitLab does (`receive.advertisePushOptions`), and
   * record each push's options for `getPushOptions`. Off, the server refuses
   * them like a plain git server.
   */
  recordPushOptions?: boolean;
}

export interface GitHttpServer {
  /** http://127.0.0.1:PORT */
  url: string;
  /** Every request's method, path and whether it was authorised, in order. */
  requests: Array<{ method: string; path: string; service: string; authorised: boolean }>;
  /** Adds a project webhook for push events (GitLab: Settings → Webhooks); returns its remover. */
  addWebhook(hook: Webhook): () => void;
  /** Every webhook delivery, in order: what was sent and Argo CD's (or anyone's) answer. */
  deliveries: WebhookDelivery[];
  /** With `recordPushOptions`: each accepted push's options (`git push -o`), oldest first. */
  getPushOptions(): string[][];
  close(): Promise<void>;
}

export interface Webhook {
  url: string;
  /** Sent as `X-Gitlab-Token` (GitLab's "Secret token"). */
  token: string;
}

export interface WebhookDelivery {
  url: string;
  repository: string;
  ref: string;
  before: string;
  after: string;
  /** When the push finished and when the hook's answer came (ms since epoch). */
  pushedAt: number;
  answeredAt: number;
  /** HTTP status, or 0 when the request failed (then `error` says why). */
  status: number;
  error?: string;
}

const ZERO_SHA = '0'.repeat(40);

type Refs = Map<string, string>;

async function readRefs(gitDir: string): Promise<Refs> {
  const { stdout } = await run('git', [
    '--git-dir',
    gitDir,
    'for-each-ref',
    '--format=%(refname) %(objectname)',
  ]);
  return new Map(
    stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split(' ') as [string, string]),
  );
}

interface CommitInfo {
  id: string;
  message: string;
  title: string;
  timestamp: string;
  url: string;
  author: { name: string; email: string };
  added: string[];
  modified: string[];
  removed: string[];
}

async function describeCommits(gitDir: string, before: string, after: string, webUrl: string) {
  const range = before === ZERO_SHA ? [after, '--max-count=20'] : [`${before}..${after}`];
  const { stdout } = await run('git', ['--git-dir', gitDir, 'rev-list', '--reverse', ...range]);
  const commits: CommitInfo[] = [];
  for (const id of stdout.split('\n').filter(Boolean)) {
    const meta = await run('git', [
      '--git-dir',
      gitDir,
      'show',
      '-s',
      '--format=%an%x00%ae%x00%cI%x00%B',
      id,
    ]);
    const [name = '', email = '', timestamp = '', message = ''] = meta.stdout.split('\0');
    const changes = await run('git', [
      '--git-dir',
      gitDir,
      'diff-tree',
      '--root',
      '--no-commit-id',
      '-r',
      '--name-status',
      id,
    ]);
    const files = { added: [] as string[], modified: [] as string[], removed: [] as string[] };
    for (const line of changes.stdout.split('\n').filter(Boolean)) {
      const [status = '', path = ''] = line.split('\t');
      if (status.startsWith('A')) files.added.push(path);
      else if (status.startsWith('D')) files.removed.push(path);
      else files.modified.push(path);
    }
    commits.push({
      id,
      message: message.trim(),
      title: message.split('\n')[0] ?? '',
      timestamp,
      url: `${webUrl}/-/commit/${id}`,
      author: { name, email },
      ...files,
    });
  }
  return commits;
}

/** GitLab's Push Hook payload for one updated ref (docs.gitlab.com: "Webhook events", push events). */
export async function getPushPayload(options: {
  gitDir: string;
  serverUrl: string;
  name: string;
  ref: string;
  before: string;
  after: string;
}) {
  const { gitDir, serverUrl, name, ref, before, after } = options;
  const webUrl = `${serverUrl}/${name}`;
  const head = await run('git', ['--git-dir', gitDir, 'symbolic-ref', '--short', 'HEAD']).then(
    (r) => r.stdout.trim(),
    () => 'main',
  );
  const commits = after === ZERO_SHA ? [] : await describeCommits(gitDir, before, after, webUrl);
  const last = commits.at(-1);
  const project = {
    id: 1,
    name,
    description: '',
    web_url: webUrl,
    git_ssh_url: `git@127.0.0.1:${name}.git`,
    git_http_url: `${webUrl}.git`,
    namespace: 'local',
    visibility_level: 0,
    path_with_namespace: name,
    default_branch: head,
    homepage: webUrl,
    url: `${webUrl}.git`,
    ssh_url: `git@127.0.0.1:${name}.git`,
    http_url: `${webUrl}.git`,
  };
  return {
    object_kind: 'push',
    event_name: 'push',
    before,
    after,
    ref,
    ref_protected: true,
    checkout_sha: after === ZERO_SHA ? null : after,
    user_id: 1,
    user_name: last?.author.name ?? 'gitops',
    user_username: 'gitops',
    user_email: last?.author.email ?? '',
    project_id: 1,
    project,
    commits,
    total_commits_count: commits.length,
    repository: {
      name,
      url: `${webUrl}.git`,
      description: '',
      homepage: webUrl,
      git_http_url: `${webUrl}.git`,
      git_ssh_url: `git@127.0.0.1:${name}.git`,
      visibility_level: 0,
    },
  };
}

/** Where git keeps `http-backend` (`git --exec-path`). */
function httpBackend(): string {
  const path = `${execFileSync('git', ['--exec-path'], { encoding: 'utf8' }).trim()}/git-http-backend`;
  if (!existsSync(path))
    throw new Error(`git-http-backend is missing at ${path}; install git (apt-get install -y git)`);
  return path;
}

function passwordOf(request: IncomingMessage): string | undefined {
  const header = request.headers.authorization ?? '';
  if (!header.startsWith('Basic ')) return undefined;
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  return decoded.slice(decoded.indexOf(':') + 1);
}

/**
 * git configuration for receive-pack through the environment (git >= 2.31), so
 * the served repositories stay untouched: push options on, and a post-receive
 * hook that appends each push's options (GIT_PUSH_OPTION_<i>) to `log`.
 */
function pushOptionRecorder(log: string, dir: string): NodeJS.ProcessEnv {
  const hooks = writePushOptionHook(log, dir);
  return {
    GIT_CONFIG_COUNT: '2',
    GIT_CONFIG_KEY_0: 'receive.advertisePushOptions',
    GIT_CONFIG_VALUE_0: 'true',
    GIT_CONFIG_KEY_1: 'core.hooksPath',
    GIT_CONFIG_VALUE_1: hooks,
  };
}

/**
 * Writes DIR/hooks/post-receive, which appends each push's options
 * (GIT_PUSH_OPTION_<i>, tab-separated after `push`) to `log`; returns the
 * hooks directory for core.hooksPath. The git SSH server records the same way.
 */
export function writePushOptionHook(log: string, dir: string): string {
  const hooks = join(dir, 'hooks');
  mkdirSync(hooks);
  writeFileSync(
    join(hooks, 'post-receive'),
    [
      '#!/bin/sh',
      'tab="$(printf "\\t")"',
      'line=push',
      'i=0',
      'while [ "$i" -lt "$((GIT_PUSH_OPTION_COUNT + 0))" ]; do',
      '  line="$line$tab$(printenv "GIT_PUSH_OPTION_$i")"',
      '  i=$((i + 1))',
      'done',
      `printf '%s\\n' "$line" >> '${log}'`,
      '',
    ].join('\n'),
    { mode: 0o755 },
  );
  return hooks;
}

export async function startGitHttpServer(options: GitHttpServerOptions): Promise<GitHttpServer> {
  const backend = httpBackend();
  const requests: GitHttpServer['requests'] = [];
  const hooks: Webhook[] = [];
  const deliveries: WebhookDelivery[] = [];
  let serverUrl = '';

  /** After a push: one Push Hook per changed ref to every webhook, as GitLab sends them. */
  const announce = async (name: string, gitDir: string, before: Refs, after: Refs) => {
    const pushedAt = Date.now();
    const changed = [...new Set([...before.keys(), ...after.keys()])].filter(
      (ref) => ref.startsWith('refs/heads/') && before.get(ref) !== after.get(ref),
    );
    for (const ref of changed) {
      const payload = await getPushPayload({
        gitDir,
        serverUrl,
        name,
        ref,
        before: before.get(ref) ?? ZERO_SHA,
        after: after.get(ref) ?? ZERO_SHA,
      });
      for (const hook of hooks) {
        const delivery: WebhookDelivery = {
          url: hook.url,
          repository: name,
          ref,
          before: payload.before,
          after: payload.after,
          pushedAt,
          answeredAt: 0,
          status: 0,
        };
        try {
          const response = await fetch(hook.url, {
            method: 'POST',
            headers: {
              'Content-Type': 'application/json',
              'User-Agent': 'GitLab/18.0.0',
              'X-Gitlab-Event': 'Push Hook',
              'X-Gitlab-Token': hook.token,
              'X-Gitlab-Instance': serverUrl,
            },
            body: JSON.stringify(payload),
            signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
          });
          await response.arrayBuffer();
          delivery.status = response.status;
        } catch (error) {
          delivery.error = (error as Error).message;
        }
        delivery.answeredAt = Date.now();
        deliveries.push(delivery);
      }
    }
  };
  // Only with recordPushOptions: the hook and its log live in one temp dir, removed by close().
  const recordDir = options.recordPushOptions ? mkdtempSync(join(tmpdir(), 'git-http-pushes-')) : undefined;
  const pushLog = recordDir ? join(recordDir, 'push-options.log') : '';
  const recorder = recordDir ? pushOptionRecorder(pushLog, recordDir) : {};

  const handle = (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const service = url.searchParams.get('service') ?? url.pathname.split('/').pop() ?? '';
    const isPush = service === 'git-receive-pack';
    const needed = isPush ? options.pushToken : options.readToken;
    // As on GitLab, a token that may push may also fetch.
    const password = passwordOf(request);
    const authorised = needed === undefined || password === needed || password === options.pushToken;
    requests.push({ method: request.method ?? '', path: url.pathname, service, authorised });
    if (!authorised) {
      response.writeHead(401, { 'WWW-Authenticate': 'Basic realm="git"' }).end('HTTP Basic: Access denied\n');
      return;
    }
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      GIT_PROJECT_ROOT: options.root,
      GIT_HTTP_EXPORT_ALL: '1',
      PATH_INFO: decodeURIComponent(url.pathname),
      QUERY_STRING: url.search.slice(1),
      REQUEST_METHOD: request.method,
      CONTENT_TYPE: request.headers['content-type'] ?? '',
      // http-backend refuses receive-pack without an authenticated user.
      REMOTE_USER: 'gitops',
      REMOTE_ADDR: '127.0.0.1',
      ...recorder,
    };
    for (const [name, value] of Object.entries(request.headers)) {
      if (typeof value === 'string') env[`HTTP_${name.toUpperCase().replaceAll('-', '_')}`] = value;
    }
    // A push to a project with webhooks: note its refs now, announce the changes after.
    const repoName = /^\/(.+?)\.git\//.exec(decodeURIComponent(url.pathname))?.[1];
    const hooked = isPush && request.method === 'POST' && hooks.length > 0 && repoName !== undefined;
    const gitDir = repoName === undefined ? '' : join(options.root, `${repoName}.git`);
    const refsBefore = hooked ? readRefs(gitDir) : undefined;
    // The push may not reach http-backend before the refs have been noted.
    void (refsBefore ?? Promise.resolve()).then(
      () => startCgi(request, response, env, hooked ? repoName : undefined, gitDir, refsBefore),
      (error: Error) => response.destroy(error),
    );
  };

  const startCgi = (
    request: IncomingMessage,
    response: ServerResponse,
    env: NodeJS.ProcessEnv,
    repoName: string | undefined,
    gitDir: string,
    refsBefore: Promise<Refs> | undefined,
  ) => {
    const cgi = spawn(backend, [], { env, stdio: ['pipe', 'pipe', 'inherit'] });
    request.pipe(cgi.stdin);
    // CGI output: headers, a blank line, then the body.
    let head = Buffer.alloc(0);
    let headersDone = false;
    cgi.stdout.on('data', (chunk: Buffer) => {
      if (headersDone) {
        response.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      headersDone = true;
      let status = 200;
      for (const line of head.subarray(0, end).toString('latin1').split('\r\n')) {
        const colon = line.indexOf(':');
        const name = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10);
        else response.setHeader(name, value);
      }
      response.writeHead(status);
      response.write(head.subarray(end + 4));
    });
    cgi.on('close', () => {
      response.end();
      if (repoName === undefined || refsBefore === undefined) return;
      // GitLab sends hooks asynchronously, after the push has been answered.
      void Promise.all([refsBefore, readRefs(gitDir)])
        .then(([before, after]) => announce(repoName, gitDir, before, after))
        .catch((error: Error) => console.error(`git-http-server: webhook for ${repoName}: ${error.message}`));
    });
    cgi.on('error', (error) => response.destroy(error));
  };

  const server: Server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  serverUrl = `http://127.0.0.1:${port}`;
  return {
    url: serverUrl,
    requests,
    deliveries,
    addWebhook: (hook) => {
      hooks.push(hook);
      return () => {
        const at = hooks.indexOf(hook);
        if (at >= 0) hooks.splice(at, 1);
      };
    },
    getPushOptions: () =>
      pushLog && existsSync(pushLog)
        ? readFileSync(pushLog, 'utf8')
            .split('\n')
            .filter((line) => line.startsWith('push'))
            .map((line) => line.split('\t').slice(1))
        : [],
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          if (recordDir) rmSync(recordDir, { recursive: true, force: true });
          resolve();
        });
      }),
  };
}
