/**
 * Which jobs receive the pipeline's secrets, run for real by gitlab-ci-local.
 *
 * The write-back credential (GITOPS_PUSH_TOKEN) and the Argo CD token are
 * GitLab CI/CD variables scoped to an environment (`prod`, `dev`); GitLab hands
 * a scoped variable only to jobs that declare that environment, exactly as
 * gitlab-ci-local does with `values:` per environment in its variables file.
 * Every job of .gitlab-ci.yml keeps its rules, variables, `environment:` and
 * `extends:`; only its script is swapped for a probe that prints what it sees
 * (running the real scripts would need ECR, Argo CD and a cluster), and its
 * needs/artifacts/caches are dropped so each job runs alone.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { stringify } from 'yaml';
import { PipelineSandbox } from './gitlab-ci-local.js';

const PROBED = [
  'GITOPS_PUSH_TOKEN',
  'ARGOCD_AUTH_TOKEN',
  'AWS_ROLE_ARN',
  'IMAGE_REPOSITORY',
  'DEPLOY_ENV',
  'IMAGE_UNDER_TEST',
];
const PROBE = PROBED.map((name) => `echo "probe ${name}=\${${name}:-}"`);

/** The values an operator stores in Settings > CI/CD > Variables (docs/pipeline.md). */
const SETTINGS = {
  GITOPS_PUSH_TOKEN: { values: { prod: 'push-token-prod', dev: 'push-token-dev' } },
  ARGOCD_AUTH_TOKEN: { values: { prod: 'argocd-token-prod', dev: 'argocd-token-dev' } },
  AWS_ACCOUNT_ID: '123456789012',
  AWS_ROLE_ARN_PROD: 'arn:aws:iam::123456789012:role/ci-prod',
  AWS_ROLE_ARN_DEV: 'arn:aws:iam::123456789012:role/ci-dev',
};

describe('secrets reach only the jobs that need them', () => {
  let sandbox: PipelineSandbox;

  before(() => {
    sandbox = new PipelineSandbox();
    const expanded = sandbox.preview();
    const probed: Record<string, unknown> = {};
    for (const [name, job] of Object.entries(expanded)) {
      if (typeof job !== 'object' || job === null || !('script' in job)) {
        probed[name] = job;
        continue;
      }
      const { needs, artifacts, cache, dependencies, before_script, after_script, parallel, ...kept } =
        job as Record<string, unknown>;
      // The matrix job: one SUITE stands for all (they share everything else).
      const variables = { ...((kept.variables as Record<string, string>) ?? {}) };
      if (parallel) variables.SUITE = 'service';
      probed[name] = { ...kept, variables, script: PROBE };
    }
    writeFileSync(join(sandbox.dir, '.gitlab-ci.yml'), stringify(probed));
    writeFileSync(join(sandbox.dir, '.gitlab-ci-local-variables.yml'), stringify(SETTINGS));
  });
  after(() => sandbox?.dispose());

  /** Runs the named jobs of a push to `branch`; returns job → the probed variables. */
  function run(branch: string, jobs: string[]): Map<string, Record<string, string>> {
    const result = sandbox.run([
      ...jobs,
      '--no-json-schema-validation',
      // No container engine here: the probe needs none of the job image.
      '--force-shell-executor',
      ...jobs.filter((job) => job.startsWith('rollback-')).flatMap((job) => ['--manual', job]),
      '--variable',
      `CI_COMMIT_BRANCH=${branch}`,
      '--variable',
      `CI_COMMIT_REF_NAME=${branch}`,
      '--variable',
      'CI_DEFAULT_BRANCH=main',
      '--variable',
      'CI_PIPELINE_SOURCE=push',
      '--ignore-predefined-vars',
      'CI_COMMIT_BRANCH,CI_COMMIT_REF_NAME,CI_DEFAULT_BRANCH,CI_PIPELINE_SOURCE',
    ]);
    assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
    const seen = new Map<string, Record<string, string>>();
    for (const line of result.stdout.split('\n')) {
      const match = /^(\S.*?)\s+> probe (\w+)=(.*)$/.exec(line.trim());
      if (!match) continue;
      const [, job = '', name = '', value = ''] = match;
      const vars = seen.get(job) ?? {};
      vars[name] = value.trim();
      seen.set(job, vars);
    }
    for (const job of jobs) assert.ok(seen.has(job), `job ${job} ran; output:\n${result.stdout}`);
    return seen;
  }

  for (const [branch, env] of [
    ['main', 'prod'],
    ['develop', 'dev'],
  ] as const) {
    test(`on ${branch}: only release-${env}, verify-${env} and rollback-${env} get the ${env} tokens`, () => {
      const deployJobs = [`release-${env}`, `verify-${env}`, `rollback-${env}`];
      const otherJobs = [
        'lint',
        'type-check',
        'model-gate',
        'chart-checks',
        'build-image',
        'image-test',
        'publish-image',
        'timeline',
      ];
      const seen = run(branch, [...deployJobs, ...otherJobs]);
      // image-test tests build-image's archive (the rule's variable, expanded).
      assert.equal(seen.get('image-test')?.IMAGE_UNDER_TEST, 'oci-archive:image.oci.tar');
      for (const job of deployJobs) {
        assert.equal(
          seen.get(job)?.GITOPS_PUSH_TOKEN,
          `push-token-${env}`,
          `${job} can push the release commit`,
        );
        assert.equal(seen.get(job)?.ARGOCD_AUTH_TOKEN, `argocd-token-${env}`, `${job} can ask Argo CD`);
      }
      for (const job of otherJobs) {
        assert.equal(
          seen.get(job)?.GITOPS_PUSH_TOKEN,
          '',
          `${job} runs npm or the build and must not see the push token`,
        );
        assert.equal(seen.get(job)?.ARGOCD_AUTH_TOKEN, '', `${job} must not see the Argo CD token`);
      }
    });

    test(`on ${branch}: build and publish use the ${env} role and the ${env} repository`, () => {
      const seen = run(branch, ['build-image', 'publish-image', `release-${env}`]);
      const repository =
        env === 'prod'
          ? '123456789012.dkr.ecr.eu-central-1.amazonaws.com/mlops-inference-service'
          : '123456789012.dkr.ecr.eu-central-1.amazonaws.com/mlops-inference-service-dev';
      for (const job of ['build-image', 'publish-image', `release-${env}`]) {
        assert.equal(seen.get(job)?.DEPLOY_ENV, env, job);
        assert.equal(seen.get(job)?.AWS_ROLE_ARN, `arn:aws:iam::123456789012:role/ci-${env}`, job);
        assert.equal(seen.get(job)?.IMAGE_REPOSITORY, repository, job);
      }
    });
  }
});
