/**
 * A real SSH git server on 127.0.0.1, standing in for the GitLab project's SSH
 * remote (`git@<host>:<group>/<project>.git`): Debian's OpenSSH `sshd` run as a
 * non-daemon (`sshd -D -e -f <config>`) with its own host key, accepting only
 * the given public key (the deploy key) for the user `git`, password and
 * keyboard-interactive login off, no ForceCommand: git's own
 * `git-receive-pack` serves the push, as gitlab-shell does behind GitLab.
 *
 * The user `git` does not exist on this machine and is not added to it:
 * nss_wrapper (Debian's libnss-wrapper, LD_PRELOAD into sshd only) gives sshd a
 * passwd file of its own in which `git` is this process's user, with the
 * server's root as its home, so `git@127.0.0.1:group/project.git` resolves to
 * `<root>/group/project.git` exactly like the scp-like URL GitLab shows.
 * scripts/ensure-sshd.sh installs both packages.
 *
 * With `recordPushOptions` each served repository accepts push options
 * (`receive.advertisePushOptions`, as GitLab does) and a post-receive hook
 * appends each push's GIT_PUSH_OPTION_* to a log for `getPushOptions`.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { writePushOptionHook } from './git-http-server.js';
import { freePort } from './net.js';
import { stopProcess } from './process.js';

const SSHD = '/usr/sbin/sshd';
const START_TIMEOUT_MS = 10_000;

export interface GitSshServerOptions {
  /** The public key (OpenSSH `.pub` line) allowed to log in as `git`: the deploy key. */
  authorizedKey: string;
  /** Accept push options and log them for getPushOptions (GitLab accepts them). */
  recordPushOptions?: boolean;
}

export interface GitSshServer {
  host: '127.0.0.1';
  port: number;
  /** The user every URL names, as on GitLab. */
  user: 'git';
  /** `[127.0.0.1]:<port> <type> <key>`: the known_hosts entry of this server's host key. */
  knownHostsEntry: string;
  /** Creates an empty bare repository `<root>/<project>.git`; returns its path. */
  createRepository(project: string): string;
  /** `git@127.0.0.1:<project>.git` */
  getUrl(project: string): string;
  /** With `recordPushOptions`: each push's options, oldest first. */
  getPushOptions(): string[][];
  /** sshd's log (stderr with -e): who logged in with which key. */
  getLog(): string;
  close(): Promise<void>;
}

function findNssWrapper(): string {
  const candidates = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib'].map((dir) =>
    join(dir, 'libnss_wrapper.so'),
  );
  const found = candidates.find((path) => existsSync(path));
  if (!found || !existsSync(SSHD)) {
    throw new Error(
      'sshd or libnss_wrapper.so is missing; run `bash scripts/ensure-sshd.sh` (apt-get install -y openssh-server libnss-wrapper)',
    );
  }
  return found;
}

function waitForPort(port: number, log: () => string, exited: () => boolean): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (exited()) {
        reject(new Error(`sshd exited at start:\n${log()}`));
        return;
      }
      const socket = createConnection({ host: '127.0.0.1', port });
      socket.once('data', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`sshd did not listen on ${port}:\n${log()}`));
        else setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}

export async function startGitSshServer(options: GitSshServerOptions): Promise<GitSshServer> {
  const nssWrapper = findNssWrapper();
  const dir = mkdtempSync(join(tmpdir(), 'git-ssh-server-'));
  const home = join(dir, 'home');
  mkdirSync(home);
  const hostKey = join(dir, 'ssh_host_ed25519_key');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'git-ssh-server', '-f', hostKey]);
  const authorizedKeys = join(dir, 'authorized_keys');
  writeFileSync(authorizedKeys, `${options.authorizedKey.trim()}\n`, { mode: 0o600 });

  // sshd's view of the accounts: this machine's, plus `git` as the user running the tests.
  const { uid, gid } = userInfo();
  const passwd = join(dir, 'passwd');
  writeFileSync(
    passwd,
    `${readFileSync('/etc/passwd', 'utf8').trimEnd()}\ngit:x:${uid}:${gid}:git:${home}:/bin/sh\n`,
  );
  const group = join(dir, 'group');
  writeFileSync(group, readFileSync('/etc/group', 'utf8'));

  const pushLog = join(dir, 'push-options.log');
  const hooks = writePushOptionHook(pushLog, dir);

  const port = await freePort();
  const config = join(dir, 'sshd_config');
  writeFileSync(
    config,
    [
      `ListenAddress 127.0.0.1:${port}`,
      `HostKey ${hostKey}`,
      'PidFile none',
      `AuthorizedKeysFile ${authorizedKeys}`,
      // The temporary directory lives under /tmp (mode 1777), which StrictModes refuses.
      'StrictModes no',
      'UsePAM no',
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      // `git` is this process's user, root here: key only.
      'PermitRootLogin prohibit-password',
      'AllowUsers git',
      'PermitUserEnvironment no',
      'AllowTcpForwarding no',
      'X11Forwarding no',
      'PrintMotd no',
      'LogLevel VERBOSE',
      '',
    ].join('\n'),
  );
  // The privilege-separation directory Debian's sshd insists on.
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });

  let log = '';
  const child = spawn(SSHD, ['-D', '-e', '-f', config], {
    env: {
      PATH: process.env.PATH,
      LD_PRELOAD: nssWrapper,
      NSS_WRAPPER_PASSWD: passwd,
      NSS_WRAPPER_GROUP: group,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    log += chunk;
  });
  let exited = false;
  child.on('exit', () => {
    exited = true;
  });
  try {
    await waitForPort(
      port,
      () => log,
      () => exited,
    );
  } catch (error) {
    if (!exited && child.pid) await stopProcess(child);
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }

  const [type, key] = readFileSync(`${hostKey}.pub`, 'utf8').trim().split(/\s+/);
  return {
    host: '127.0.0.1',
    port,
    user: 'git',
    knownHostsEntry: `[127.0.0.1]:${port} ${type} ${key}`,
    createRepository: (project) => {
      const path = join(home, `${project}.git`);
      mkdirSync(dirname(path), { recursive: true });
      execFileSync('git', ['init', '--quiet', '--bare', '--initial-branch=main', path]);
      if (options.recordPushOptions) {
        execFileSync('git', ['--git-dir', path, 'config', 'receive.advertisePushOptions', 'true']);
        execFileSync('git', ['--git-dir', path, 'config', 'core.hooksPath', hooks]);
      }
      return path;
    },
    getUrl: (project) => `git@127.0.0.1:${project}.git`,
    getPushOptions: () =>
      existsSync(pushLog)
        ? readFileSync(pushLog, 'utf8')
            .split('\n')
            .filter((line) => line.startsWith('push'))
            .map((line) => line.split('\t').slice(1))
        : [],
    getLog: () => log,
    close: async () => {
      if (!exited) await stopProcess(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
