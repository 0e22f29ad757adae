import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { doctor } from '../src/commands/doctor.js';
import { EXIT_CODES } from '../src/exit-codes.js';
import { clonePipelineCheckout, createFixture, type Fixture, runCli } from './helpers/git-fixture.js';

/** An unsigned JWT with GitLab's id_token claims; doctor checks presence, shape and expiry only. */
function fakeIdToken(expiresInS: number): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const claims = { sub: 'project_path:mlops/inference:ref_type:branch:ref:main', aud: 'https://gitlab.com' };
  return `${encode({ alg: 'RS256' })}.${encode({ ...claims, exp: Math.floor(Date.now() / 1000) + expiresInS })}.sig`;
}

const APPLICATION = (helm: string) => `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: mlops-inference-service
  namespace: argocd
spec:
  project: default
  source:
    repoURL: https://gitlab.example.com/mlops/inference.git
    targetRevision: main
    path: helm
    helm:
${helm}
  destination: {server: https://kubernetes.default.svc, namespace: default}
  syncPolicy: {automated: {prune: true, selfHeal: true}}
`;

/** AWS TEST DOUBLE: recorded shape of `aws ecr describe-repositories` output (no AWS reachable here). */
const describeRepositories = (mutability: string, exclusions: string[] = []) =>
  JSON.stringify({
    repositories: [
      {
        repositoryArn: 'arn:aws:ecr:eu-central-1:123456789012:repository/mlops-inference-service',
        registryId: '123456789012',
        repositoryName: 'mlops-inference-service',
        repositoryUri: '123456789012.dkr.ecr.eu-central-1.amazonaws.com/mlops-inference-service',
        createdAt: '2026-11-01T10:00:00+00:00',
        imageTagMutability: mutability,
        ...(exclusions.length > 0
          ? {
              imageTagMutabilityExclusionFilters: exclusions.map((filter) => ({
                filterType: 'WILDCARD',
                filter,
              })),
            }
          : {}),
        imageScanningConfiguration: { scanOnPush: true },
        encryptionConfiguration: { encryptionType: 'AES256' },
      },
    ],
  });

/** What a deployment job of prod sees (the header of .gitlab-ci.yml, deployctl/src/ci-variables.ts). */
const VARS = {
  CI_COMMIT_SHA: 'c'.repeat(40),
  CI_COMMIT_BRANCH: 'main',
  CI_DEFAULT_BRANCH: 'main',
  CI_SERVER_URL: 'https://gitlab.example.com',
  CI_PROJECT_PATH: 'group/mlops-inference-chain',
  AWS_ACCOUNT_ID: '123456789012',
  AWS_REGION: 'eu-central-1',
  AWS_ROLE_ARN_PROD: 'arn:aws:iam::123456789012:role/ci-prod',
  AWS_ROLE_ARN: 'arn:aws:iam::123456789012:role/ci-prod',
  ECR_REGISTRY: '123456789012.dkr.ecr.eu-central-1.amazonaws.com',
  ECR_REPOSITORY: 'mlops-inference-service',
  IMAGE_REPOSITORY: '123456789012.dkr.ecr.eu-central-1.amazonaws.com/mlops-inference-service',
  DEPLOY_ENV: 'prod',
  ARGOCD_APP: 'mlops-inference-service',
  SERVICE_URL_PROD: 'https://inference.example.com',
  SERVICE_URL: 'https://inference.example.com',
  GITOPS_PUSH_TOKEN: 'push-token',
  DEPLOYCTL_EVENTS_FILE: '.deployctl/events.jsonl',
  ARGOCD_SERVER: 'argocd.example.com',
  ARGOCD_AUTH_TOKEN: 'token',
};

describe('doctor', () => {
  let fixture: Fixture;
  let checkout: string;
  const files: Record<string, string> = {};
  before(() => {
    fixture = createFixture();
    checkout = clonePipelineCheckout(fixture, 'ci');
    const write = (name: string, content: string) => {
      files[name] = join(fixture.root, name);
      writeFileSync(files[name], content);
    };
    write('app-ok.yaml', APPLICATION('      valueFiles: [values-prod.yaml]'));
    write(
      'app-pinned.yaml',
      APPLICATION('      parameters:\n        - name: image.tag\n          value: latest'),
    );
    write('ecr-immutable.json', describeRepositories('IMMUTABLE'));
    // As infra/ creates it: commit tags immutable, `latest` excluded.
    write('ecr-with-exclusion.json', describeRepositories('IMMUTABLE_WITH_EXCLUSION', ['latest']));
  });
  after(() => fixture.cleanup());

  test('every check passes on a well-configured chain', async () => {
    const result = await doctor({
      env: 'prod',
      cwd: checkout,
      vars: { ...VARS, GITLAB_OIDC_TOKEN: fakeIdToken(600) },
      appFile: files['app-ok.yaml'],
      ecrJson: files['ecr-with-exclusion.json'],
    });
    assert.deepEqual(
      result.checks.map((c) => [c.name, c.status]),
      [
        ['ci-variables', 'pass'],
        ['oidc-token', 'pass'],
        ['argocd-no-image-pin', 'pass'],
        ['values-file', 'pass'],
        ['write-back', 'pass'],
        ['ecr-tag-mutability', 'pass'],
      ],
      JSON.stringify(result.checks, null, 2),
    );
    assert.equal(result.ok, true);
  });

  test('each broken link fails with its fix, and the CLI exits 7', async () => {
    const { ARGOCD_AUTH_TOKEN: _dropped, ...vars } = VARS;
    const run = await runCli(
      [
        'doctor',
        '--env',
        'prod',
        '--remote',
        'http://127.0.0.1:9/nothing.git',
        '--app-file',
        files['app-pinned.yaml']!,
        '--ecr-json',
        files['ecr-immutable.json']!,
        '--json',
      ],
      { cwd: checkout, env: { ...vars, ARGOCD_AUTH_TOKEN: '', GITLAB_OIDC_TOKEN: fakeIdToken(-60) } },
    );
    assert.equal(run.code, EXIT_CODES.checksFailed, run.stderr);
    const result = JSON.parse(run.stdout) as {
      ok: boolean;
      checks: { name: string; status: string; detail: string; fix: string }[];
    };
    const byName = Object.fromEntries(result.checks.map((c) => [c.name, c]));
    assert.match(byName['ci-variables']!.detail, /missing: ARGOCD_AUTH_TOKEN \(needed with ARGOCD_SERVER\)/);
    assert.match(byName['oidc-token']!.detail, /GITLAB_OIDC_TOKEN expired at/);
    assert.match(byName['oidc-token']!.fix, /id_tokens/);
    assert.match(byName['argocd-no-image-pin']!.detail, /pins parameter image\.tag=latest/);
    assert.equal(byName['values-file']!.status, 'pass');
    assert.match(byName['write-back']!.detail, /cannot fetch `main`/);
    assert.match(
      byName['ecr-tag-mutability']!.detail,
      /IMMUTABLE but the pipeline pushes moving tag\(s\) latest/,
    );
    assert.equal(result.ok, false);
  });

  test('ci-variables follows the declaration: Argo CD is optional, the write-back token is not', async () => {
    const { ARGOCD_SERVER: _server, ARGOCD_AUTH_TOKEN: _token, GITOPS_PUSH_TOKEN: _push, ...rest } = VARS;
    const check = async (vars: NodeJS.ProcessEnv) => {
      const result = await doctor({
        env: 'prod',
        cwd: checkout,
        vars: { ...vars, GITLAB_OIDC_TOKEN: fakeIdToken(600) },
        appFile: files['app-ok.yaml'],
        ecrJson: files['ecr-with-exclusion.json'],
      });
      return result.checks.find((c) => c.name === 'ci-variables')!;
    };
    const withoutArgo = await check({ ...rest, GITOPS_PUSH_TOKEN: 'push-token' });
    assert.equal(withoutArgo.status, 'pass', withoutArgo.detail);
    assert.match(withoutArgo.detail, /optional, not set: .*ARGOCD_SERVER .*ARGOCD_AUTH_TOKEN/);
    const withoutPushToken = await check(rest);
    assert.equal(withoutPushToken.status, 'fail');
    assert.equal(
      withoutPushToken.detail,
      'missing: GITOPS_PUSH_SSH_KEY or GITOPS_PUSH_TOKEN (the write-back credential)',
    );
    // Either alternative satisfies it: the deploy key alone passes.
    const withKey = await check({ ...rest, GITOPS_PUSH_SSH_KEY: '/builds/tmp/GITOPS_PUSH_SSH_KEY' });
    assert.equal(withKey.status, 'pass', withKey.detail);
    // prod's job needs prod's names only.
    assert.doesNotMatch(withoutPushToken.detail, /_DEV/);
  });

  test('--pipeline (the first job): checks what a job without an environment sees, names the rest', async () => {
    // What GitLab hands a job with no `environment:`: no GITOPS_PUSH_TOKEN, no ARGOCD_AUTH_TOKEN,
    // and none of the variables the .on-prod rules set (DEPLOY_ENV, SERVICE_URL, ...).
    const {
      GITOPS_PUSH_TOKEN: _a,
      ARGOCD_AUTH_TOKEN: _b,
      DEPLOY_ENV: _c,
      SERVICE_URL: _d,
      ARGOCD_APP: _e,
      IMAGE_REPOSITORY: _f,
      AWS_ROLE_ARN: _g,
      ...visible
    } = VARS;
    const result = await doctor({
      scope: 'pipeline',
      cwd: checkout,
      // IMAGE_ARCHIVE: a `variables:` entry of .gitlab-ci.yml that only build and publish use.
      vars: { ...visible, IMAGE_ARCHIVE: 'image.oci.tar', GITLAB_OIDC_TOKEN: fakeIdToken(600) },
      appFile: files['app-ok.yaml'],
    });
    assert.equal(result.env, 'prod', 'the env of CI_COMMIT_BRANCH main');
    assert.deepEqual(
      result.checks.map((c) => [c.name, c.status]),
      [
        ['ci-variables', 'pass'],
        ['oidc-token', 'pass'],
        ['argocd-no-image-pin', 'pass'],
        ['argocd-repo-url', 'pass'],
        ['values-file', 'pass'],
      ],
      JSON.stringify(result.checks, null, 2),
    );
    assert.match(result.notChecked.join('\n'), /GITOPS_PUSH_TOKEN.*scoped to environment prod/);
    assert.match(result.notChecked.join('\n'), /write-back/);

    // A variable every job needs is missing: the first job says so.
    const { AWS_ACCOUNT_ID: _h, ...missing } = visible;
    const broken = await doctor({
      scope: 'pipeline',
      cwd: checkout,
      vars: missing,
      appFile: files['app-ok.yaml'],
    });
    assert.equal(broken.ok, false);
    assert.match(broken.checks[0]?.detail ?? '', /missing: AWS_ACCOUNT_ID/);
  });

  test('--pipeline on a branch that deploys nowhere is bad input', async () => {
    await assert.rejects(
      doctor({ scope: 'pipeline', cwd: checkout, vars: { ...VARS, CI_COMMIT_BRANCH: 'feature/x' } }),
      /branch `feature\/x` deploys to no environment/,
    );
  });

  test('--local (setup): tools on PATH, the placeholder repository URL, dry-run push; no CI variables', async () => {
    const placeholder = join(fixture.root, 'app-placeholder.yaml');
    writeFileSync(
      placeholder,
      APPLICATION('      valueFiles: [values-prod.yaml]').replace(
        'https://gitlab.example.com/mlops/inference.git',
        'https://gitlab.com/your-group/mlops-inference-chain.git',
      ),
    );
    const result = await doctor({
      scope: 'local',
      env: 'prod',
      cwd: checkout,
      vars: { PATH: process.env.PATH },
      tools: ['git', 'no-such-tool-here'],
      appFile: placeholder,
      ecrJson: files['ecr-with-exclusion.json'],
    });
    const byName = new Map(result.checks.map((c) => [c.name, c]));
    assert.deepEqual(
      [...byName.keys()],
      ['tools', 'argocd-no-image-pin', 'argocd-repo-url', 'values-file', 'write-back', 'ecr-tag-mutability'],
    );
    assert.equal(byName.get('tools')?.status, 'fail');
    assert.match(byName.get('tools')?.detail ?? '', /not on PATH: no-such-tool-here$/);
    assert.equal(byName.get('argocd-repo-url')?.status, 'fail');
    assert.match(byName.get('argocd-repo-url')?.fix ?? '', /scripts\/set-argocd-repo\.sh/);
    assert.equal(byName.get('write-back')?.status, 'pass');
    assert.equal(byName.get('ecr-tag-mutability')?.status, 'pass');
    assert.match(result.notChecked.join('\n'), /only a pipeline has them/);
  });

  test('the CLI refuses --pipeline with --local', async () => {
    const run = await runCli(['doctor', '--pipeline', '--local', '--env', 'prod'], { cwd: checkout });
    assert.equal(run.code, EXIT_CODES.input);
    assert.match(run.stderr, /--pipeline or --local, not both/);
  });
});
