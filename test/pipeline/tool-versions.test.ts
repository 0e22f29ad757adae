// The tools the suites build (issue 11, "no tool is built from source in a
// pipeline job"; issue 17, "the check jobs cannot pass on GitLab"): one file
// pins every version (scripts/lib/tool-versions.sh, the key of the CI tools
// cache), and a job image without Go still gets the pinned Go, checked by
// sha256, from the Go module proxy (scripts/ensure-go.sh).
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../support/paths.js';

const run = promisify(execFile);
const ENSURE_GO = join(REPO_ROOT, 'scripts/ensure-go.sh');

/** The assignments of scripts/lib/tool-versions.sh, as bash sees them. */
function pinned(): Record<string, string> {
  const out = spawnSync(
    'bash',
    [
      '-c',
      `. scripts/lib/tool-versions.sh && compgen -v | grep -E '_(VERSION|SHA256_[A-Z0-9_]+|NEWER)$' | while read -r v; do echo "$v=\${!v}"; done`,
    ],
    { cwd: REPO_ROOT, encoding: 'utf8' },
  );
  assert.equal(out.status, 0, out.stderr);
  return Object.fromEntries(
    out.stdout
      .trim()
      .split('\n')
      .map((line) => line.split('=') as [string, string]),
  );
}

/** The version a wrapper module under tools/ requires of `module`. */
function required(wrapper: string, module: string): string | undefined {
  const gomod = readFileSync(join(REPO_ROOT, 'tools', wrapper, 'go.mod'), 'utf8');
  const escaped = module.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  return new RegExp(`^\\s*(?:require\\s+)?${escaped}\\s+(v\\S+)`, 'm').exec(gomod)?.[1];
}

/** PATH without any directory that holds a `go` binary: a job image with no Go. */
function pathWithoutGo(): string {
  return (process.env.PATH ?? '')
    .split(delimiter)
    .filter((dir) => {
      try {
        return !readdirSync(dir).includes('go');
      } catch {
        return true;
      }
    })
    .join(delimiter);
}

const caches: string[] = [];
after(() => {
  for (const dir of caches) rmSync(dir, { recursive: true, force: true });
});
function emptyCache(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tools-cache-test-'));
  caches.push(dir);
  return dir;
}

test('scripts/lib/tool-versions.sh is the one place that pins a tool version', () => {
  const versions = pinned();
  for (const name of [
    'GO_VERSION',
    'HELM_VERSION',
    'K8S_VERSION',
    'ETCD_VERSION',
    'KWOK_VERSION',
    'ARGOCD_VERSION',
    'ROLLOUTS_VERSION',
    'SCHEMATHESIS_VERSION',
  ]) {
    assert.ok(versions[name], `${name} is pinned`);
  }
  for (const script of readdirSync(join(REPO_ROOT, 'scripts')).filter((f) => /^ensure-.*\.sh$/.test(f))) {
    const text = readFileSync(join(REPO_ROOT, 'scripts', script), 'utf8');
    assert.doesNotMatch(
      text,
      /^\s*(GO|HELM|K8S|ETCD|KWOK|ARGOCD|ROLLOUTS|SCHEMATHESIS)_VERSION=/m,
      `${script} pins a version of its own instead of reading scripts/lib/tool-versions.sh`,
    );
  }
  // The wrapper modules build exactly the pinned releases.
  assert.equal(required('argocd', 'github.com/argoproj/argo-cd/v3'), versions.ARGOCD_VERSION);
  assert.equal(required('rollouts', 'github.com/argoproj/argo-rollouts'), versions.ROLLOUTS_VERSION);
  assert.equal(required('k8s', 'k8s.io/kubernetes'), versions.K8S_VERSION);
  assert.equal(required('k8s', 'go.etcd.io/etcd/server/v3'), versions.ETCD_VERSION);
});

test('ensure-go.sh: with no go on PATH it fetches the pinned Go from the module proxy, checked, once', {
  timeout: 5 * 60_000,
}, async () => {
  const cache = emptyCache();
  const env = { ...process.env, PATH: pathWithoutGo(), XDG_CACHE_HOME: cache };
  assert.equal(spawnSync('bash', ['-c', 'command -v go'], { env }).status, 1, 'the test PATH has no go');

  const first = await run('bash', [ENSURE_GO], { env });
  assert.match(first.stderr, /downloading Go 1\.\d+\.\d+/);
  const bin = first.stdout.trim();
  assert.ok(
    bin.startsWith(join(cache, 'mlops-inference-chain', 'go')),
    `Go lands in the tools cache: ${bin}`,
  );
  const { stdout: version } = await run(join(bin, 'go'), ['version'], {
    env: { ...env, GOTOOLCHAIN: 'local' },
  });
  assert.match(version, new RegExp(`go${pinned().GO_VERSION?.replace(/\./g, '\\.')} `));

  const second = await run('bash', [ENSURE_GO], { env });
  assert.equal(second.stdout.trim(), bin);
  assert.doesNotMatch(second.stderr, /downloading/, 'the second call finds it in the cache');
});

test('ensure-go.sh: the machine’s own go wins, and nothing is downloaded', async () => {
  const cache = emptyCache();
  const result = await run('bash', [ENSURE_GO], { env: { ...process.env, XDG_CACHE_HOME: cache } });
  assert.equal(
    result.stdout.trim(),
    spawnSync('bash', ['-c', 'dirname "$(command -v go)"'], { encoding: 'utf8' }).stdout.trim(),
  );
  assert.deepEqual(readdirSync(cache), []);
});

test('ensure-go.sh: a download whose sha256 differs is refused and nothing is cached', async () => {
  // A module proxy that serves the wrong bytes (a compromised or broken mirror).
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/zip' });
    res.end('PK\u0005\u0006not the Go toolchain');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const cache = emptyCache();
    const proxy = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await assert.rejects(
      run('bash', [ENSURE_GO], {
        env: { ...process.env, PATH: pathWithoutGo(), XDG_CACHE_HOME: cache, GOPROXY: proxy },
      }),
      (error: { code?: number; stderr?: string }) => {
        assert.equal(error.code, 1);
        assert.match(error.stderr ?? '', /has sha256 [0-9a-f]{64}, expected [0-9a-f]{64}/);
        return true;
      },
    );
    assert.deepEqual(
      readdirSync(join(cache, 'mlops-inference-chain')).filter((f) => f !== 'go.lock'),
      [],
      'no toolchain and no leftovers',
    );
  } finally {
    server.close();
  }
});

test('ensure-go.sh: an unreachable proxy fails with the fix', async () => {
  const cache = emptyCache();
  await assert.rejects(
    run('bash', [ENSURE_GO], {
      env: { ...process.env, PATH: pathWithoutGo(), XDG_CACHE_HOME: cache, GOPROXY: 'http://127.0.0.1:9' },
    }),
    (error: { code?: number; stderr?: string }) => {
      assert.equal(error.code, 1);
      assert.match(error.stderr ?? '', /FAILED to download .*set GOPROXY to a mirror/);
      return true;
    },
  );
});

test('a job whose tools cache holds helm runs no Go at all (no go on PATH, no build)', {
  timeout: 20 * 60_000,
}, async () => {
  // The first call builds helm if this machine's cache lacks it (as the first
  // pipeline after a version change does); the second is what every later job sees.
  const { stdout: helm } = await run('bash', [join(REPO_ROOT, 'scripts/ensure-helm.sh')], {
    maxBuffer: 64 << 20,
  });
  const cached = await run('bash', [join(REPO_ROOT, 'scripts/ensure-helm.sh')], {
    env: { ...process.env, PATH: pathWithoutGo() },
  });
  assert.equal(cached.stdout.trim(), helm.trim());
  assert.doesNotMatch(cached.stderr, /building|downloading/);
});

test('scripts/lib/apt.sh: present commands need nothing; without root the missing ones are named with the command to run', () => {
  const script = (pairs: string) => `. scripts/lib/apt.sh && apt_ensure who ${pairs}`;
  const present = spawnSync('bash', ['-c', script('bash=bash git=git')], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  });
  assert.equal(present.status, 0);
  assert.equal(present.stderr, '');
  // As nobody: no apt-get run, a non-zero exit and the exact command.
  const asNobody = spawnSync(
    'setpriv',
    [
      '--reuid=65534',
      '--regid=65534',
      '--clear-groups',
      'bash',
      '-c',
      script('no-such-cmd-1=pkg-one no-such-cmd-2=pkg-one bash=bash'),
    ],
    { cwd: REPO_ROOT, encoding: 'utf8' },
  );
  assert.equal(asNobody.status, 1);
  assert.match(
    asNobody.stderr,
    /^who: missing pkg-one; install them as root: apt-get update && apt-get install -y --no-install-recommends pkg-one\n$/,
  );
});
