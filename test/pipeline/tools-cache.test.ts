// Issue 11 item 4, "no tool is built from source in a pipeline job": only the
// `tools` job builds (scripts/ci/build-tools.sh); every other job has
// TOOLS_CACHE_ONLY=true, so a tool missing from GitLab's cache (never filled,
// or not downloadable) fails the job at once with one message that names the
// fix, and publish-image, which waits for the jobs that need the tools, pushes
// nothing. A laptop (`npm test`, no switch) still builds what is missing.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { parse, stringify } from 'yaml';
import { REPO_ROOT } from '../support/paths.js';
import { PipelineSandbox } from './gitlab-ci-local.js';

/** The ensure scripts that build from Go modules (each calls may_build before use_go). */
const BUILDERS = ['ensure-helm.sh', 'ensure-k8s.sh', 'ensure-argocd.sh', 'ensure-rollouts.sh'];
const TOOLS_KEY = { files: ['scripts/lib/tool-versions.sh'], prefix: 'tools' };
const TOOLS_PATHS = ['.cache/mlops-inference-chain/'];
/** The one message of scripts/lib/tools.sh (may_build), for any tool. */
const FIX =
  /is not in the tools cache \(.*\),\n {2}and this job does not build tools from source \(TOOLS_CACHE_ONLY=true\)\.[\s\S]*key prefix `tools`[\s\S]*Fix: run the pipeline again with the variable TOOLS_BUILD=true[\s\S]*docs\/pipeline\.md, "The check jobs' tools"/;

const temps: string[] = [];
after(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});
function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temps.push(dir);
  return dir;
}

/**
 * TEST DOUBLE: a directory with a fake `go` that records each call (its
 * arguments, one line per call) in `calls` and fails, so nothing is ever built.
 */
function fakeGo(): { bin: string; calls: string; called: () => string[] } {
  const dir = tempDir('fake-go-');
  const bin = join(dir, 'bin');
  const calls = join(dir, 'go.calls');
  mkdirSync(bin);
  writeFileSync(
    join(bin, 'go'),
    `#!/bin/sh\necho "$*" >> '${calls}'\necho 'fake go: test double' >&2\nexit 1\n`,
  );
  chmodSync(join(bin, 'go'), 0o755);
  return {
    bin,
    calls,
    called: () => (existsSync(calls) ? readFileSync(calls, 'utf8').trim().split('\n') : []),
  };
}

/** This process's environment without the switch (a CI job running this suite has it set). */
function localEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.TOOLS_CACHE_ONLY;
  return env;
}

describe('ensure scripts: TOOLS_CACHE_ONLY=true never builds', () => {
  for (const script of BUILDERS) {
    test(`${script}: an empty tools cache fails at once with the fix, and no go runs`, () => {
      const go = fakeGo();
      const cache = tempDir('tools-cache-only-');
      const result = spawnSync('bash', [join(REPO_ROOT, 'scripts', script)], {
        encoding: 'utf8',
        timeout: 60_000,
        env: {
          ...localEnv(),
          PATH: `${go.bin}${delimiter}${process.env.PATH}`,
          XDG_CACHE_HOME: cache,
          TOOLS_CACHE_ONLY: 'true',
        },
      });
      assert.equal(result.status, 1, result.stderr);
      assert.equal(result.stdout, '', 'no path printed: there is no tool');
      assert.match(result.stderr, new RegExp(`^${script.replace('.sh', '')}: `));
      assert.match(result.stderr, FIX);
      // The tool, its version and where it was looked for.
      assert.match(result.stderr, new RegExp(join(cache, 'mlops-inference-chain').replace(/[/.]/g, '\\$&')));
      assert.equal((result.stderr.match(/Fix:/g) ?? []).length, 1, 'one message');
      assert.deepEqual(go.called(), [], 'the go test double was never invoked');
      assert.deepEqual(readdirSync(cache), [], 'nothing written: no lock, no partial build');
    });
  }

  test('the message says which tool and version is missing', () => {
    const versions = readFileSync(join(REPO_ROOT, 'scripts/lib/tool-versions.sh'), 'utf8');
    const helm = /^HELM_VERSION=(\S+)/m.exec(versions)?.[1];
    const result = spawnSync('bash', [join(REPO_ROOT, 'scripts/ensure-helm.sh')], {
      encoding: 'utf8',
      env: { ...localEnv(), XDG_CACHE_HOME: tempDir('tools-cache-only-'), TOOLS_CACHE_ONLY: 'true' },
    });
    assert.match(
      result.stderr,
      new RegExp(`^ensure-helm: helm ${helm?.replace(/\./g, '\\.')} is not in the tools cache`),
    );
  });

  test('without the switch (a laptop, `npm test`) a missing tool is still built: go is invoked', () => {
    const go = fakeGo();
    const result = spawnSync('bash', [join(REPO_ROOT, 'scripts/ensure-helm.sh')], {
      encoding: 'utf8',
      timeout: 60_000,
      env: {
        ...localEnv(),
        PATH: `${go.bin}${delimiter}${process.env.PATH}`,
        XDG_CACHE_HOME: tempDir('tools-cache-local-'),
      },
    });
    assert.equal(result.status, 1, 'the go test double fails the build');
    assert.match(result.stderr, /ensure-helm: building helm/);
    assert.doesNotMatch(result.stderr, /TOOLS_CACHE_ONLY/);
    assert.match(go.called().join('\n'), /^install .*helm\.sh\/helm\/v3\/cmd\/helm@/m);
  });

  test('every script that builds from source goes through may_build, and the tools job builds each of them', () => {
    const scripts = readdirSync(join(REPO_ROOT, 'scripts')).filter((f) => /^ensure-.*\.sh$/.test(f));
    const read = (f: string) => readFileSync(join(REPO_ROOT, 'scripts', f), 'utf8');
    const building = scripts.filter((f) => /^\s*use_go\b|go (build|install) /m.test(read(f))).sort();
    assert.deepEqual(building, [...BUILDERS].sort(), 'the scripts that run go build/install');
    for (const script of building) {
      const text = read(script);
      const gate = text.search(/^\s*may_build /m);
      assert.ok(gate >= 0, `${script} calls may_build`);
      assert.ok(gate < text.search(/^\s*use_go\b/m), `${script}: may_build comes before use_go`);
    }
    const job = readFileSync(join(REPO_ROOT, 'scripts/ci/build-tools.sh'), 'utf8');
    const list = /^for script in (.+); do$/m.exec(job)?.[1]?.split(/\s+/) ?? [];
    assert.deepEqual([...list].sort(), [...BUILDERS].sort(), 'scripts/ci/build-tools.sh builds them all');
    assert.match(job, /^export TOOLS_CACHE_ONLY=false/m);
  });
});

describe('.gitlab-ci.yml: the tools job fills the cache, the check jobs only read it', () => {
  const sandbox = new PipelineSandbox();
  after(() => sandbox.dispose());
  const ci = sandbox.preview();
  type Cache = { key: { files: string[]; prefix?: string }; paths: string[]; policy: string };
  const job = (name: string) => {
    assert.ok(ci[name], `job ${name} exists`);
    return ci[name] as {
      stage?: string;
      interruptible?: boolean;
      needs?: Array<{ job: string; optional?: boolean; artifacts?: boolean }>;
      cache?: Cache[];
      variables?: Record<string, string>;
      rules?: Array<{ if?: string; changes?: string[] }>;
      script?: string[];
    };
  };
  const toolsCache = (name: string) => job(name).cache?.findIndex((c) => c.key.prefix === 'tools') ?? -1;
  const push = (extra: Record<string, string> = {}) => ({
    variables: {
      CI_PIPELINE_SOURCE: 'push',
      CI_COMMIT_BRANCH: 'main',
      CI_COMMIT_REF_NAME: 'main',
      CI_DEFAULT_BRANCH: 'main',
      CI_COMMIT_MESSAGE: 'feat: a change',
      ...extra,
    },
  });

  test('tools: stage .pre, waits for nothing, interruptible, builds (TOOLS_CACHE_ONLY false) and saves the cache', () => {
    const tools = job('tools');
    assert.equal(tools.stage, '.pre');
    assert.deepEqual(tools.needs, []);
    assert.equal(tools.interruptible, true);
    assert.equal(tools.variables?.TOOLS_CACHE_ONLY, 'false');
    assert.equal(tools.variables?.XDG_CACHE_HOME, '$CI_PROJECT_DIR/.cache');
    assert.deepEqual(tools.script, ['bash scripts/ci/build-tools.sh']);
    const cache = tools.cache?.[toolsCache('tools')];
    assert.deepEqual(cache?.key, TOOLS_KEY);
    assert.deepEqual(cache?.paths, TOOLS_PATHS);
    assert.equal(cache?.policy, 'pull-push');
  });

  test('every other job has TOOLS_CACHE_ONLY=true (top-level variables)', () => {
    const top = parse(readFileSync(join(REPO_ROOT, '.gitlab-ci.yml'), 'utf8')) as {
      variables: Record<string, string>;
    };
    assert.equal(top.variables.TOOLS_CACHE_ONLY, 'true');
    for (const [name, value] of Object.entries(ci)) {
      const vars = (value as { variables?: Record<string, string> } | null)?.variables;
      if (name !== 'tools' && name !== 'variables' && vars?.TOOLS_CACHE_ONLY !== undefined)
        assert.equal(vars.TOOLS_CACHE_ONLY, 'true', `${name} overrides TOOLS_CACHE_ONLY`);
    }
  });

  test('chart-checks and e2e read the same cache, pull only, at the same position, and wait for tools when it runs', () => {
    for (const name of ['chart-checks', 'e2e']) {
      const index = toolsCache(name);
      assert.equal(index, toolsCache('tools'), `${name}: gitlab-ci-local names a cache by its position`);
      const cache = job(name).cache?.[index];
      assert.deepEqual(cache?.key, TOOLS_KEY, `${name}: the one tools cache key`);
      assert.deepEqual(cache?.paths, TOOLS_PATHS);
      assert.equal(cache?.policy, 'pull', `${name} never saves the tools cache`);
      assert.deepEqual(job(name).needs, [{ job: 'tools', optional: true, artifacts: false }]);
      assert.equal(job(name).variables?.XDG_CACHE_HOME, '$CI_PROJECT_DIR/.cache');
    }
  });

  test('no other job reads or writes the tools cache', () => {
    for (const [name, value] of Object.entries(ci)) {
      if (['tools', 'chart-checks', 'e2e'].includes(name) || name.startsWith('.')) continue;
      const caches = ((value as { cache?: Cache[] } | null)?.cache ?? []) as Cache[];
      assert.ok(!caches.some((c) => c.key?.prefix === 'tools'), `${name} uses the tools cache`);
    }
  });

  test('publish-image waits for tools (a failed tools job skips chart-checks, which alone would not stop publish)', () => {
    const needs = job('publish-image').needs ?? [];
    assert.deepEqual(
      needs.find((n) => n.job === 'tools'),
      { job: 'tools', optional: true, artifacts: false },
    );
    assert.ok(
      needs.some((n) => n.job === 'chart-checks'),
      'chart-checks (helm) is in the release gate',
    );
  });

  test('tools runs on schedules, with TOOLS_BUILD=true and when the pins or the build scripts change; not on a plain push', () => {
    const rules = job('tools').rules ?? [];
    assert.ok(rules.some((r) => r.if === '$CI_PIPELINE_SOURCE == "schedule"'));
    assert.ok(rules.some((r) => r.if === '$TOOLS_BUILD == "true"'));
    const changes = rules.flatMap((r) => r.changes ?? []);
    for (const path of [
      'scripts/lib/tool-versions.sh',
      'scripts/lib/tools.sh',
      'scripts/ci/build-tools.sh',
      'tools/**/*',
    ])
      assert.ok(changes.includes(path), `changes: ${path}`);
    for (const script of [...BUILDERS, 'ensure-go.sh']) assert.ok(changes.includes(`scripts/${script}`));
    // gitlab-ci-local's rule engine: a push that changes none of them has no tools job...
    const onGitLab = { GITLAB_CI: 'true' };
    assert.ok(!sandbox.getPipelineJobs(push(onGitLab)).includes('tools'));
    assert.ok(sandbox.getPipelineJobs(push({ TOOLS_BUILD: 'true' })).includes('tools'));
    assert.ok(sandbox.getPipelineJobs(push({ CI_PIPELINE_SOURCE: 'schedule' })).includes('tools'));
    // ...one that changes a pin has (gitlab-ci-local diffs against origin/main)...
    const pins = join(sandbox.dir, 'scripts/lib/tool-versions.sh');
    mkdirSync(join(sandbox.dir, 'scripts/lib'), { recursive: true });
    writeFileSync(pins, 'HELM_VERSION=v0.0.0\n');
    execFileSync('git', ['add', '-A'], { cwd: sandbox.dir });
    execFileSync('git', ['commit', '--quiet', '-m', 'a new pin'], { cwd: sandbox.dir });
    try {
      assert.ok(sandbox.getPipelineJobs(push(onGitLab)).includes('tools'));
      // ...but only on GitLab: outside it (the rehearsal) only TOOLS_BUILD starts it.
      assert.ok(!sandbox.getPipelineJobs(push()).includes('tools'));
    } finally {
      execFileSync('git', ['reset', '--quiet', '--hard', 'HEAD~1'], { cwd: sandbox.dir });
    }
  });
});

describe('gitlab-ci-local: the tools cache from the tools job to chart-checks (shell isolation, as --cold)', () => {
  /**
   * The real .gitlab-ci.yml with the two jobs' scripts cut down to the tools
   * part (no npm ci): `tools` writes a stand-in helm (TEST DOUBLE) into the
   * tools cache, chart-checks runs the real ensure-helm.sh.
   */
  function sandboxWithScripts(): PipelineSandbox {
    const ci = parse(readFileSync(join(REPO_ROOT, '.gitlab-ci.yml'), 'utf8')) as Record<
      string,
      Record<string, unknown>
    >;
    const helm = /^HELM_VERSION=(\S+)/m.exec(
      readFileSync(join(REPO_ROOT, 'scripts/lib/tool-versions.sh'), 'utf8'),
    )?.[1];
    // Without an image gitlab-ci-local sets CI_PROJECT_DIR to the job's own isolated
    // build directory; with one it is /builds/<group>/<project> on this machine,
    // shared by every run, and nothing would pass through its cache.
    delete (ci.default as { image?: unknown }).image;
    ci.tools = { ...ci.tools, before_script: [], script: ['bash fake-tools.sh'] };
    ci['chart-checks'] = {
      ...ci['chart-checks'],
      before_script: [],
      script: ['bash scripts/ensure-helm.sh'],
    };
    const file = join(tempDir('tools-ci-'), '.gitlab-ci.yml');
    writeFileSync(file, stringify(ci));
    const sandbox = new PipelineSandbox(file);
    mkdirSync(join(sandbox.dir, 'scripts/lib'), { recursive: true });
    for (const path of ['scripts/lib/tools.sh', 'scripts/lib/tool-versions.sh', 'scripts/ensure-helm.sh'])
      cpSync(join(REPO_ROOT, path), join(sandbox.dir, path));
    // TEST DOUBLE: a "helm" that only answers `version`, where ensure-helm.sh looks for it.
    writeFileSync(
      join(sandbox.dir, 'fake-tools.sh'),
      [
        'set -eu',
        `d="$XDG_CACHE_HOME/mlops-inference-chain/helm/${helm}"`,
        'mkdir -p "$d"',
        `printf '#!/bin/sh\\necho ${helm}\\n' > "$d/helm"`,
        'chmod +x "$d/helm"',
      ].join('\n'),
    );
    execFileSync('git', ['add', '-A'], { cwd: sandbox.dir });
    execFileSync('git', ['commit', '--quiet', '-m', 'scripts'], { cwd: sandbox.dir });
    return sandbox;
  }

  test('empty cache: chart-checks fails with the fix; after the tools job it finds helm in the cache', {
    timeout: 5 * 60_000,
  }, () => {
    const sandbox = sandboxWithScripts();
    try {
      const go = fakeGo();
      const run = (job: string, extra: string[] = []) =>
        spawnSync(
          join(REPO_ROOT, 'node_modules/.bin/gitlab-ci-local'),
          [
            '--force-shell-executor',
            '--shell-isolation',
            '--no-color',
            '--no-json-schema-validation',
            ...extra,
            job,
          ],
          {
            cwd: sandbox.dir,
            encoding: 'utf8',
            timeout: 120_000,
            env: { ...localEnv(), PATH: `${go.bin}${delimiter}${process.env.PATH}`, FORCE_COLOR: '0' },
          },
        );
      const cold = run('chart-checks');
      const coldLog = cold.stdout + cold.stderr;
      assert.notEqual(cold.status, 0, coldLog);
      assert.match(coldLog, /ensure-helm: helm v\S+ is not in the tools cache/);
      assert.match(coldLog, /Fix: run the pipeline again with the variable TOOLS_BUILD=true/);
      assert.deepEqual(go.called(), [], 'no go in the check job');

      const tools = run('tools', ['--variable', 'TOOLS_BUILD=true']);
      assert.equal(tools.status, 0, tools.stdout + tools.stderr);
      const warm = run('chart-checks');
      const warmLog = warm.stdout + warm.stderr;
      assert.equal(warm.status, 0, warmLog);
      assert.match(warmLog, /imported cache '1_tools-/);
      const caches = readdirSync(join(sandbox.dir, '.gitlab-ci-local/cache')).filter((c) =>
        c.startsWith('1_tools-'),
      );
      assert.equal(caches.length, 1, 'one tools cache, saved by the tools job');
      assert.ok(
        readdirSync(
          join(sandbox.dir, '.gitlab-ci-local/cache', caches[0] ?? '', '.cache/mlops-inference-chain/helm'),
        ).length > 0,
        "the stand-in helm went through gitlab-ci-local's cache",
      );
      assert.match(warmLog, /mlops-inference-chain\/helm\/v\S+\/helm/);
      assert.deepEqual(go.called(), []);
    } finally {
      sandbox.dispose();
    }
  });
});
