/**
 * A real smart-HTTP git server on 127.0.0.1, standing in for the GitLab
 * project's HTTPS remote: git's own `git http-backend` (CGI) behind a small
 * node:http front that does what GitLab does at the door, HTTP Basic auth.
 * Fetches are open when `readToken` is unset; pushes (`git-receive-pack`)
 * always need the push token, like GitLab's protected write access.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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
  /** With `recordPushOptions`: each accepted push's options (`git push -o`), oldest first. */
  getPushOptions(): string[][];
  close(): Promise<void>;
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
  return {
    GIT_CONFIG_COUNT: '2',
    GIT_CONFIG_KEY_0: 'receive.advertisePushOptions',
    GIT_CONFIG_VALUE_0: 'true',
    GIT_CONFIG_KEY_1: 'core.hooksPath',
    GIT_CONFIG_VALUE_1: hooks,
  };
}

export async function startGitHttpServer(options: GitHttpServerOptions): Promise<GitHttpServer> {
  const backend = httpBackend();
  const requests: GitHttpServer['requests'] = [];
  // Only with recordPushOptions: the hook and its log live in one temp dir, removed by close().
  const recordDir = options.recordPushOptions ? mkdtempSync(join(tmpdir(), 'git-http-pushes-')) : undefined;
  const pushLog = recordDir ? join(recordDir, 'push-options.log') : '';
  const recorder = recordDir ? pushOptionRecorder(pushLog, recordDir) : {};

  const handle = (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const service = url.searchParams.get('service') ?? url.pathname.split('/').pop() ?? '';
    const isPush = service === 'git-receive-pack';
    const needed = isPush ? options.pushToken : options.readToken;
    const authorised = needed === undefined || passwordOf(request) === needed;
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
    cgi.on('close', () => response.end());
    cgi.on('error', (error) => response.destroy(error));
  };

  const server: Server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
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
