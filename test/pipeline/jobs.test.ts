/**
 * The exact job set .gitlab-ci.yml creates for each kind of push, listed by
 * the real gitlab-ci-local, plus GitLab's schema check and the properties the
 * issue asks for (resource groups, interruptible checks, needs, OIDC, caches).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SUITES } from '../../scripts/test/suites.js';
import { REPO_ROOT } from '../support/paths.js';
import { PipelineSandbox, type Trigger } from './gitlab-ci-local.js';

const SHA = 'a'.repeat(40);

/** The check jobs: one per suite of `npm test` (see scripts/ci/run-suite.sh). */
const GATE_SUITES = ['training', 'service', 'infra'];
/** deployctl's suite runs in two jobs (`parallel: 2`), each half of its files; gitlab-ci-local's names. */
const DEPLOYCTL_SHARDS = ['deployctl-tests: [1/2]', 'deployctl-tests: [2/2]'];
const E2E_SUITES = ['observability', 'pipeline', 'k8s', 'argocd', 'rollouts'];
// image-test runs the `image` suite: against build-image's archive where an image
// is built (deploying branches), else on an image of its own.
const CHECKS = [
  'lint',
  'type-check',
  'model-gate',
  'chart-checks',
  'image-test',
  ...GATE_SUITES.map((s) => `test: [${s}]`),
  ...DEPLOYCTL_SHARDS,
  ...E2E_SUITES.map((s) => `e2e: [${s}]`),
];
const DEPLOY = (env: string) => [
  'doctor',
  'build-image',
  'publish-image',
  `release-${env}`,
  `verify-${env}`,
  `rollback-${env}`,
  'timeline',
];
const sorted = (names: string[]) => [...names].sort();

function push(branch: string, defaultBranch = 'main', message = 'feat: a change'): Trigger {
  return {
    variables: {
      CI_PIPELINE_SOURCE: 'push',
      CI_COMMIT_BRANCH: branch,
      CI_COMMIT_REF_NAME: branch,
      CI_DEFAULT_BRANCH: defaultBranch,
      CI_COMMIT_SHA: SHA,
      CI_COMMIT_MESSAGE: message,
    },
  };
}

/** GitLab's merge request pipeline: no CI_COMMIT_BRANCH, MR variables instead. */
function mergeRequest(source: string): Trigger {
  return {
    variables: {
      CI_PIPELINE_SOURCE: 'merge_request_event',
      CI_COMMIT_REF_NAME: source,
      CI_DEFAULT_BRANCH: 'main',
      CI_COMMIT_MESSAGE: 'feat: a change',
      CI_MERGE_REQUEST_SOURCE_BRANCH_NAME: source,
      CI_MERGE_REQUEST_TARGET_BRANCH_NAME: 'main',
      CI_MERGE_REQUEST_IID: '7',
    },
    unset: ['CI_COMMIT_BRANCH'],
  };
}

const RELEASE_MESSAGE = `release(prod): deploy ${SHA.slice(0, 12)}

Sets image.tag in helm/values-prod.yaml to ${SHA}; Argo CD syncs this commit.

Release-Commit: ${SHA}
Release-Image: 123456789012.dkr.ecr.eu-central-1.amazonaws.com/mlops-inference-service:${SHA}
Release-Pipeline: https://gitlab.example.com/group/mlops-inference-chain/-/pipelines/1
`;

describe('.gitlab-ci.yml job sets (gitlab-ci-local 4.72.0)', () => {
  let sandbox: PipelineSandbox;
  before(() => {
    sandbox = new PipelineSandbox();
  });
  after(() => sandbox.dispose());

  test('passes GitLab CI schema validation', () => {
    const result = sandbox.run(['--list']);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stderr, /json schema validated/);
  });

  test('schema validation is real: a malformed copy is rejected', () => {
    const broken = new PipelineSandbox();
    try {
      const file = join(broken.dir, '.gitlab-ci.yml');
      writeFileSync(
        file,
        readFileSync(file, 'utf8').replace('interruptible: true', 'interruptible: sometimes'),
      );
      const result = broken.run(['--list']);
      assert.notEqual(result.status, 0, 'gitlab-ci-local accepted `interruptible: sometimes`');
    } finally {
      broken.dispose();
    }
  });

  test('push to main (the default branch): checks, then build → publish → release → verify → timeline for prod', () => {
    assert.deepEqual(sandbox.getPipelineJobs(push('main')), sorted([...CHECKS, ...DEPLOY('prod')]));
  });

  test('push to master when master is the default branch: the same prod pipeline', () => {
    assert.deepEqual(
      sandbox.getPipelineJobs(push('master', 'master')),
      sorted([...CHECKS, ...DEPLOY('prod')]),
    );
  });

  test('push to develop: the full pipeline for dev', () => {
    assert.deepEqual(sandbox.getPipelineJobs(push('develop')), sorted([...CHECKS, ...DEPLOY('dev')]));
  });

  test('push to a feature branch: checks only', () => {
    assert.deepEqual(sandbox.getPipelineJobs(push('feature/faster-batching')), sorted(CHECKS));
  });

  test('push to main when master is the default branch: checks only', () => {
    assert.deepEqual(sandbox.getPipelineJobs(push('main', 'master')), sorted(CHECKS));
  });

  test('merge request: checks only', () => {
    assert.deepEqual(sandbox.getPipelineJobs(mergeRequest('feature/faster-batching')), sorted(CHECKS));
  });

  test('push to a branch with an open merge request: no duplicate branch pipeline', () => {
    const trigger = push('feature/faster-batching');
    trigger.variables.CI_OPEN_MERGE_REQUESTS = 'group/mlops-inference-chain!7';
    assert.deepEqual(sandbox.getPipelineJobs(trigger), []);
  });

  test('the pipeline’s own release commit on main: no pipeline', () => {
    assert.deepEqual(sandbox.getPipelineJobs(push('main', 'main', RELEASE_MESSAGE)), []);
  });

  test('a rollback commit on develop: no pipeline', () => {
    const message = `release(dev): roll back to ${SHA.slice(0, 12)} from bbbbbbbbbbbb\n\nRelease-Rollback: true\n`;
    assert.deepEqual(sandbox.getPipelineJobs(push('develop', 'main', message)), []);
  });

  test('develop fast-forwarded into main (tip: a release(dev) commit): the prod pipeline runs', () => {
    const message = RELEASE_MESSAGE.replaceAll('prod', 'dev');
    assert.deepEqual(
      sandbox.getPipelineJobs(push('main', 'main', message)),
      sorted([...CHECKS, ...DEPLOY('prod')]),
    );
  });

  test('main fast-forwarded into develop (tip: a release(prod) commit): the dev pipeline runs', () => {
    assert.deepEqual(
      sandbox.getPipelineJobs(push('develop', 'main', RELEASE_MESSAGE)),
      sorted([...CHECKS, ...DEPLOY('dev')]),
    );
  });

  test('a release(prod) commit on master when master is the default branch: no pipeline', () => {
    assert.deepEqual(sandbox.getPipelineJobs(push('master', 'master', RELEASE_MESSAGE)), []);
  });

  test('a developer commit that merely mentions release( still runs', () => {
    const jobs = sandbox.getPipelineJobs(push('main', 'main', 'fix: make release(prod) messages clearer'));
    assert.ok(jobs.includes('release-prod'), jobs.join(', '));
  });

  test('SKIP_CHECKS leaves the checks out only outside GitLab (GITLAB_CI is "true" there)', () => {
    const local = push('main');
    local.variables.SKIP_CHECKS = 'true';
    assert.deepEqual(sandbox.getPipelineJobs(local), sorted(DEPLOY('prod')));
    local.variables.GITLAB_CI = 'true';
    assert.deepEqual(sandbox.getPipelineJobs(local), sorted([...CHECKS, ...DEPLOY('prod')]));
  });

  test('needs: build starts with the checks; publish waits for the build and the release gate, not the e2e suites', () => {
    const ci = sandbox.preview() as unknown as { stages: string[] };
    const jobs = new Map(sandbox.listJobs(push('main')).map((job) => [job.name, job]));
    const needs = (name: string) => sorted((jobs.get(name)?.needs ?? []).map((need) => need.job));
    assert.deepEqual(needs('build-image'), []);
    for (const check of ['lint', 'type-check', 'model-gate']) {
      assert.deepEqual(needs(check), [], `${check} waits for nothing`);
    }
    // The jobs that run built tools wait only for the tools job, when it runs (tools-cache.test.ts).
    assert.deepEqual(needs('chart-checks'), ['tools']);
    assert.deepEqual(
      needs('publish-image'),
      sorted(['build-image', 'doctor', ...CHECKS.slice(0, 5), 'test', 'deployctl-tests', 'tools']),
    );
    assert.deepEqual(needs('image-test'), ['build-image'], 'image-test tests what build-image built');
    const at = ci.stages.indexOf('build');
    assert.deepEqual(
      ci.stages.slice(at, at + 3),
      ['build', 'image-test', 'publish'],
      'image-test is the stage between build and publish',
    );
    assert.deepEqual(needs('doctor'), []);
    assert.equal(jobs.get('doctor')?.stage, '.pre', 'doctor is the first job');
    for (const suite of E2E_SUITES)
      assert.deepEqual(
        needs(`e2e: [${suite}]`),
        ['tools'],
        'the e2e suites start at once (or after tools), beside the release',
      );
    assert.deepEqual(needs('release-prod'), ['publish-image']);
    assert.deepEqual(needs('verify-prod'), ['publish-image', 'release-prod']);
    assert.equal(jobs.get('rollback-prod')?.when, 'manual');
    assert.equal(jobs.get('timeline')?.when, 'always');
  });

  test('resource groups, interruptible, OIDC id_tokens and caches', () => {
    const ci = sandbox.preview();
    const job = (name: string) => {
      const found = ci[name];
      assert.ok(found, `job ${name} exists`);
      return found as Record<string, unknown>;
    };
    for (const env of ['prod', 'dev']) {
      for (const kind of ['release', 'verify', 'rollback']) {
        assert.equal(job(`${kind}-${env}`).resource_group, env, `${kind}-${env} holds resource group ${env}`);
        assert.equal(job(`${kind}-${env}`).interruptible, false, `${kind}-${env} is never cancelled midway`);
        assert.equal((job(`${kind}-${env}`).variables as Record<string, string>).GIT_DEPTH, '0');
      }
    }
    for (const check of ['lint', 'type-check', 'model-gate', 'chart-checks', 'image-test', 'test', 'e2e']) {
      assert.equal(job(check).interruptible, true, `${check} is interruptible`);
      const cache = job(check).cache as Array<{
        key: { files: string[]; prefix?: string };
        paths: string[];
      }>;
      assert.ok(
        cache.some((c) => c.paths.includes('.npm/')),
        `${check} caches npm downloads`,
      );
      // The tools directory (scripts/lib/tools.sh; XDG_CACHE_HOME in the project)
      // comes from a cache keyed on the file that pins the versions: the one
      // `tools` cache for the jobs that run built tools (tools-cache.test.ts),
      // else the suite's own one (what the suite installs there itself).
      const tools = cache.find((c) => c.paths.includes('.cache/mlops-inference-chain/'));
      assert.ok(tools, `${check} restores the tools directory`);
      assert.deepEqual(tools.key.files, ['scripts/lib/tool-versions.sh']);
      assert.equal(
        tools.key.prefix,
        ['chart-checks', 'e2e'].includes(check) ? 'tools' : 'suite-$SUITE',
        `${check}: its tools cache`,
      );
      assert.equal(
        (job(check).variables as Record<string, string>).XDG_CACHE_HOME,
        '$CI_PROJECT_DIR/.cache',
        `${check} builds its tools inside the project, where the cache can keep them`,
      );
    }
    for (const name of ['build-image', 'publish-image']) {
      const tokens = job(name).id_tokens as Record<string, { aud: string }>;
      assert.ok(tokens.GITLAB_OIDC_TOKEN, `${name} gets an OIDC token`);
    }
    const workflow = ci.workflow as { auto_cancel: { on_new_commit: string } };
    assert.equal(workflow.auto_cancel.on_new_commit, 'interruptible');
    // No static AWS keys anywhere in the file.
    const text = readFileSync(join(REPO_ROOT, '.gitlab-ci.yml'), 'utf8');
    assert.doesNotMatch(text, /AWS_SECRET_ACCESS_KEY|AWS_ACCESS_KEY_ID/);
    // The build assembles the image (scripts/image/assemble.ts) with its layers
    // kept by GitLab's cache, one per environment, in the folder the assembler uses.
    assert.match(
      readFileSync(join(REPO_ROOT, 'scripts/ci/build-image-job.sh'), 'utf8'),
      /scripts\/image\/assemble\.ts/,
    );
    const buildCache = job('build-image').cache as {
      key: { files: string[]; prefix: string };
      paths: string[];
    }[];
    const layers = buildCache.find((c) => c.paths.includes('.cache/mlops-inference-chain/assemble/'));
    assert.ok(layers, "build-image keeps the assembler's layers in GitLab's cache");
    assert.deepEqual(layers.key.files, ['package-lock.json', 'Dockerfile']);
    assert.equal(layers.key.prefix, 'image-layers-$DEPLOY_ENV', 'dev never writes what prod builds from');
    assert.equal(
      (job('build-image').variables as Record<string, string>).XDG_CACHE_HOME,
      '$CI_PROJECT_DIR/.cache',
    );
  });

  test('the check jobs run every suite of `npm test` (scripts/test/suites.ts), each once, by its CI job', () => {
    const ci = sandbox.preview();
    const inCi = new Map<string, string>();
    // A job script may call run-suite.sh through a wrapper of its own (image-test.sh).
    const suiteLines = (line: string) => {
      const wrapper = /^bash (scripts\/ci\/(?!run-suite)[\w-]+\.sh)$/.exec(line)?.[1];
      if (!wrapper) return [line];
      return readFileSync(join(REPO_ROOT, wrapper), 'utf8')
        .split('\n')
        .map((l) => l.replace(/^exec /, '').trim());
    };
    for (const [jobName, job] of Object.entries(ci)) {
      for (const line of ((job as { script?: string[] }).script ?? []).flatMap(suiteLines)) {
        const match =
          /^bash scripts\/ci\/run-suite\.sh (\S+)( --shard "\$CI_NODE_INDEX\/\$CI_NODE_TOTAL")?$/.exec(line);
        if (!match?.[1]) continue;
        // SUITE is a matrix (`test`, `e2e`: one job per suite) or the job's own variable.
        const { parallel, variables } = job as {
          parallel?: number | { matrix: Array<{ SUITE: string[] }> };
          variables?: Record<string, string>;
        };
        const matrix = match[1] === '"$SUITE"' && typeof parallel === 'object';
        const suites = matrix
          ? parallel.matrix.flatMap((m) => m.SUITE)
          : [match[1] === '"$SUITE"' ? (variables?.SUITE ?? '(no SUITE)') : match[1]];
        for (const suite of suites) {
          assert.ok(!inCi.has(suite), `suite ${suite} runs twice (${inCi.get(suite)} and ${jobName})`);
          inCi.set(suite, matrix ? `${jobName}: [${suite}]` : jobName);
          // A sharded suite: `parallel: N` jobs, each handing its share to run.ts; N as suites.ts says.
          const shards = SUITES.find((s) => s.name === suite)?.shards;
          assert.equal(
            match[2] === undefined ? undefined : parallel,
            shards,
            `${jobName}: suite ${suite} is split over ${shards ?? 'no'} jobs in scripts/test/suites.ts, so its job has parallel: ${shards ?? '(none)'} and passes --shard`,
          );
        }
      }
    }
    assert.deepEqual(
      [...inCi.keys()].sort(),
      SUITES.map((s) => s.name).sort(),
      'CI runs exactly the suites of npm test',
    );
    for (const suite of SUITES)
      assert.equal(inCi.get(suite.name), suite.ciJob, `suite ${suite.name}'s CI job`);
  });

  test('the release gate is what scripts/test/suites.ts says: publish waits for exactly the gate suites', () => {
    const ci = sandbox.preview();
    const publish = ci['publish-image'] as { needs: Array<{ job: string }> };
    const waitedFor = new Set(publish.needs.map((need) => need.job));
    for (const suite of SUITES) {
      const job = suite.ciJob.replace(/: \[.*\]$/, '');
      assert.equal(
        waitedFor.has(job),
        suite.gate,
        `suite ${suite.name} (${suite.ciJob}) is ${suite.gate ? '' : 'not '}in the gate, so publish ${suite.gate ? 'must' : 'must not'} wait for ${job}`,
      );
    }
    // The floor: a broken service cannot reach prod past these.
    for (const name of ['lint', 'types', 'model-gate', 'training', 'service', 'chart', 'image']) {
      assert.ok(SUITES.find((s) => s.name === name)?.gate, `${name} is part of the release gate`);
    }
  });

  test('image-test tests build-image’s archive on a deploying branch and its own build elsewhere', () => {
    const rules = (sandbox.preview()['image-test'] as { rules: { if?: string; variables?: object }[] }).rules;
    const withArchive = rules.filter((rule) => rule.variables);
    assert.deepEqual(
      withArchive.map((rule) => [rule.if, rule.variables]),
      [
        [
          '$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH || $CI_COMMIT_BRANCH == "develop"',
          { IMAGE_UNDER_TEST: 'oci-archive:$IMAGE_ARCHIVE' },
        ],
      ],
    );
    // The same branches build-image runs on (.on-deploy-branch).
    for (const trigger of [push('main'), push('develop')]) {
      assert.ok(sandbox.getPipelineJobs(trigger).includes('build-image'));
    }
    assert.ok(!sandbox.getPipelineJobs(push('feature/x')).includes('build-image'));
  });

  test('scripts/ci/run-suite.sh refuses an unknown suite with the known ones', () => {
    const result = spawnSync('bash', [join(REPO_ROOT, 'scripts/ci/run-suite.sh'), 'no-such-suite'], {
      encoding: 'utf8',
    });
    assert.equal(result.status, 2);
    assert.match(result.stderr, /no suite `no-such-suite` \(known: lint types model-gate/);
  });
});
