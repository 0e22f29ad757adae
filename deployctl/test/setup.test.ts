/**
 * `deployctl setup` and `teardown`, run: the GitLab side against the GitLab
 * REST API test double (test/support/gitlab-api-double.ts; GitLab's own
 * server cannot run here), the shell side (cdk, aws, kubectl, git) through a
 * recording runner that asserts the exact commands (test/support/setup-shell.ts),
 * and Argo CD through a small in-memory stand-in (FakeArgoCd below); the
 * Argo CD side runs against the real Argo CD in test/argocd/setup-argocd.test.ts.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, beforeEach, describe, test } from 'node:test';
import { DeployctlError } from '../src/exit-codes.js';
import { GitLabClient } from '../src/gitlab-api.js';
import type { ArgoCdSetup, Repository } from '../src/setup-argocd.js';
import { getSshPublicKey } from '../src/setup-keys.js';
import { getSetupPlan, getTeardownPlan, type SetupInput } from '../src/setup-plan.js';
import {
  formatSetupRun,
  runSetup,
  runTeardown,
  type SetupRunOptions,
  type StepResult,
} from '../src/setup-run.js';
import { runCli } from './helpers/git-fixture.js';
import { GitLabApiDouble } from './support/gitlab-api-double.js';
import { ACCOUNT, createRecordingShell, type RecordingShell } from './support/setup-shell.js';

const TOKEN = 'glpat-setup-test-token';
const PROJECT = 'my-group/mlops-inference-chain';
const WEBHOOK_SECRET = 'webhook-secret-0123456789';
const ADMIN_PASSWORD = 'argocd-admin-password';

const INPUT: SetupInput = {
  project: PROJECT,
  gitlabUrl: 'https://gitlab.com',
  awsProfile: 'mlops',
  region: 'eu-central-1',
  apiAllowedCidrs: '203.0.113.0/24',
  clusterAdminArn: 'arn:aws:iam::111122223333:role/Admin',
  argocdDomain: 'argocd.example.com',
  argocdCertificateArn: 'arn:aws:acm:eu-central-1:111122223333:certificate/abc',
  tier: 'free',
  defaultBranch: 'main',
};

/**
 * IN-MEMORY STAND-IN for Argo CD's API (deployctl's own suite; the real Argo
 * CD runs in test/argocd/setup-argocd.test.ts): a repository is readable with
 * the deploy token GitLab issued, a token is accepted for its own project.
 */
class FakeArgoCd implements ArgoCdSetup {
  repos = new Map<string, { username: string; password: string }>();
  tokens = new Map<string, string>();
  constructor(private readonly gitlab: GitLabApiDouble) {}
  async login(password: string) {
    if (password !== ADMIN_PASSWORD) throw new DeployctlError('input', 'Argo CD refused the admin login');
  }
  async getRepository(url: string): Promise<Repository | undefined> {
    const repo = this.repos.get(url);
    if (!repo) return undefined;
    const readable = this.gitlab.state.deployTokens.some(
      (token) => token.username === repo.username && token.token === repo.password && !token.revoked,
    );
    return {
      repo: url,
      username: repo.username,
      connectionState: { status: readable ? 'Successful' : 'Failed' },
    };
  }
  async hasWorkingRepository(url: string, username: string) {
    const repo = await this.getRepository(url);
    return repo?.username === username && repo.connectionState?.status === 'Successful';
  }
  async upsertRepository(credential: { url: string; username: string; password: string }) {
    this.repos.set(credential.url, { username: credential.username, password: credential.password });
  }
  async createProjectToken(project: string, _role: string, _expiresInS: number, id: string) {
    const token = `argocd-token-${project}-${id}`;
    this.tokens.set(token, project);
    return token;
  }
  async isProjectToken(token: string, project: string) {
    return this.tokens.get(token) === project;
  }
  async waitForToken() {}
}

let work: string;
let gitlab: GitLabApiDouble;
let argocd: FakeArgoCd;
let shell: RecordingShell;

function options(input: SetupInput = INPUT, token = TOKEN): SetupRunOptions {
  return {
    input,
    cwd: work,
    stateDir: join(work, '.deployctl/setup'),
    gitlab: new GitLabClient({ url: gitlab.url, token, project: input.project, retryBaseMs: 5 }),
    argocd,
    runner: shell.runner,
    log: () => {},
  };
}

const statuses = (results: StepResult[]) => Object.fromEntries(results.map((r) => [r.title, r.status]));

async function startGitLab(tier: 'free' | 'premium' = 'free') {
  gitlab = new GitLabApiDouble({ token: TOKEN, project: PROJECT, tier });
  await gitlab.start();
  argocd = new FakeArgoCd(gitlab);
}

describe('deployctl setup, run', () => {
  beforeEach(async () => {
    await gitlab?.close();
    if (work) rmSync(work, { recursive: true, force: true });
    work = mkdtempSync(join(tmpdir(), 'setup-run-'));
    shell = createRecordingShell({
      exposed: true,
      webhookSecret: WEBHOOK_SECRET,
      adminPassword: ADMIN_PASSWORD,
    });
    await startGitLab();
  });
  after(async () => {
    await gitlab?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('a full run creates everything, runs exactly the plan’s commands, and ends with the first push', async () => {
    const result = await runSetup(options(), getSetupPlan(INPUT));
    const s = gitlab.state;
    assert.deepEqual(
      s.environments.map((e) => [e.name, e.tier]),
      [
        ['prod', 'production'],
        ['dev', 'development'],
      ],
    );
    // The write-back deploy keys push, and each private half is the env's file variable.
    const keys = s.deployKeys.map((key) => [key.title, key.can_push]);
    assert.deepEqual(keys, [
      ['gitops-write-back-prod', true],
      ['gitops-write-back-dev', true],
    ]);
    for (const env of ['prod', 'dev']) {
      const variable = s.variables.find(
        (v) => v.key === 'GITOPS_PUSH_SSH_KEY' && v.environment_scope === env,
      );
      assert.ok(variable, `GITOPS_PUSH_SSH_KEY for ${env}`);
      assert.deepEqual([variable.variable_type, variable.protected, variable.masked], ['file', true, false]);
      const key = s.deployKeys.find((k) => k.title === `gitops-write-back-${env}`);
      assert.equal(getSshPublicKey(variable.value), key?.key.split(' ').slice(0, 2).join(' '));
      // OpenSSH itself reads the private key and derives the same public key.
      const file = join(work, `key-${env}`);
      writeFileSync(file, variable.value, { mode: 0o600 });
      const derived = execFileSync('ssh-keygen', ['-y', '-f', file], { encoding: 'utf8' }).trim();
      assert.equal(derived.split(' ').slice(0, 2).join(' '), getSshPublicKey(variable.value));
    }
    // Protected: Maintainers only, no force push, the env's deploy key may push.
    for (const [branch, env] of [
      ['main', 'prod'],
      ['develop', 'dev'],
    ]) {
      const protection = s.protectedBranches.find((b) => b.name === branch);
      assert.ok(protection, branch);
      assert.equal(protection.allow_force_push, false);
      assert.deepEqual(
        protection.push_access_levels.map((l) => [l.access_level, l.deploy_key_id]),
        [
          [40, null],
          [40, s.deployKeys.find((k) => k.title === `gitops-write-back-${env}`)?.id],
        ],
      );
      assert.deepEqual(
        protection.merge_access_levels.map((l) => l.access_level),
        [40],
      );
    }
    const variables = Object.fromEntries(
      s.variables.map((v) => [`${v.key}@${v.environment_scope}`, [v.value, v.masked, v.protected]]),
    );
    assert.deepEqual(variables['AWS_ACCOUNT_ID@*'], [ACCOUNT, false, false]);
    assert.deepEqual(variables['AWS_ROLE_ARN_PROD@*']?.[0], shell.outputs.MlopsRegistry.ProdGitLabCiRoleArn);
    assert.deepEqual(variables['AWS_ROLE_ARN_DEV@*']?.[0], shell.outputs.MlopsRegistry.DevGitLabCiRoleArn);
    assert.deepEqual(variables['ARGOCD_SERVER@*'], ['argocd.example.com', false, false]);
    for (const env of ['prod', 'dev']) {
      const [value, masked, isProtected] = variables[`ARGOCD_AUTH_TOKEN@${env}`] ?? [];
      assert.equal(await argocd.isProjectToken(String(value), `mlops-${env}`), true);
      assert.deepEqual([masked, isProtected], [true, true]);
    }
    assert.equal(variables['SERVICE_URL_PROD@*'], undefined, 'no URL given: by hand');
    // The webhook carries the secret from Secrets Manager.
    assert.deepEqual(
      s.hooks.map((h) => [h.url, h.token, h.push_events, h.enable_ssl_verification]),
      [['https://argocd.example.com/api/webhook', WEBHOOK_SECRET, true, true]],
    );
    // Argo CD reads the repository with the deploy token, which Secrets Manager holds too.
    const [deployToken] = s.deployTokens;
    assert.deepEqual(deployToken?.scopes, ['read_repository']);
    assert.equal(
      await argocd.hasWorkingRepository(
        'https://gitlab.com/my-group/mlops-inference-chain.git',
        deployToken?.username ?? '',
      ),
      true,
    );
    assert.deepEqual(JSON.parse(shell.secrets.get('mlops/argocd/gitlab-repository') ?? '{}'), {
      username: deployToken?.username,
      password: deployToken?.token,
    });

    const ctx =
      '-c gitlabProjectPath=my-group/mlops-inference-chain -c apiAllowedCidrs=203.0.113.0/24 -c clusterAdminArns=arn:aws:iam::111122223333:role/Admin -c region=eu-central-1 -c argocdDomain=argocd.example.com -c argocdCertificateArn=arn:aws:acm:eu-central-1:111122223333:certificate/abc -c argocdAllowedCidrs=203.0.113.0/24';
    const commands = shell.commands(join(work, '.deployctl/setup'));
    assert.deepEqual(commands.slice(0, 10), [
      'aws sts get-caller-identity --profile mlops',
      'bash scripts/set-argocd-repo.sh https://gitlab.com/my-group/mlops-inference-chain.git',
      'git status --porcelain -- argocd',
      'git commit --quiet -m argocd: read https://gitlab.com/my-group/mlops-inference-chain.git -- argocd',
      'git push --quiet',
      `npx cdk bootstrap ${ctx} --profile mlops`,
      `npx cdk deploy MlopsRegistry --require-approval never --outputs-file <state>/cdk-outputs-MlopsRegistry.json ${ctx} --profile mlops`,
      `npx cdk deploy MlopsCluster --require-approval never --outputs-file <state>/cdk-outputs-MlopsCluster.json ${ctx} --profile mlops`,
      'aws eks update-kubeconfig --region eu-central-1 --name mlops --profile mlops',
      'aws secretsmanager get-secret-value --secret-id mlops/argocd/gitlab-webhook --query SecretString --output text --region eu-central-1 --profile mlops',
    ]);
    assert.match(
      commands[10] ?? '',
      /^kubectl -n argocd get secret argocd-initial-admin-secret -o jsonpath=\{\.data\.password\}$/,
    );
    assert.match(
      commands[11] ?? '',
      /^aws secretsmanager put-secret-value --secret-id mlops\/argocd\/gitlab-repository --secret-string file:\/\/\S+\/repository\.json --region eu-central-1 --profile mlops$/,
    );
    assert.equal(commands.length, 12);
    assert.deepEqual(
      shell.calls.filter((c) => c.argv[1] === 'cdk').map((c) => c.cwd),
      [join(work, 'infra'), join(work, 'infra'), join(work, 'infra')],
    );

    const byStatus = statuses(result.results);
    assert.equal(byStatus['create environment prod'], 'created');
    assert.equal(byStatus["CI/CD variable EKS_CLUSTER_NAME (verify through the cluster's API)"], 'created');
    assert.equal(byStatus['CI/CD variable SERVICE_URL_PROD'], undefined, 'verify needs no public URL');
    assert.match(
      byStatus[
        'resource group prod: newest_first (exists after the first pipeline; a rerun of setup sets it)'
      ] ?? '',
      /^skipped$/,
    );
    const text = formatSetupRun(result);
    assert.match(text, /first push:\n {2}\$ git push origin HEAD:develop\n/);
    assert.match(text, /^6\. create environment prod: created$/m);
  });

  test('a second run changes nothing and says so per step', async () => {
    await runSetup(options(), getSetupPlan(INPUT));
    const writes = gitlab.writes().length;
    const second = await runSetup(options(), getSetupPlan(INPUT));
    assert.equal(
      gitlab.writes().length,
      writes,
      `no POST/PUT/PATCH/DELETE: ${JSON.stringify(gitlab.writes().slice(writes))}`,
    );
    const changed = second.results.filter((r) => r.status === 'created' || r.status === 'updated');
    assert.deepEqual(changed, []);
    assert.ok(second.results.filter((r) => r.status === 'already present').length >= 20);
    assert.match(formatSetupRun(second), /nothing changed; everything was already present/);
    assert.match(formatSetupRun(second), /^\d+\. CI\/CD variable AWS_ACCOUNT_ID: already present$/m);
    assert.match(formatSetupRun(second), /^3\. deploy the registry stack: already present$/m);
    // No duplicates anywhere.
    const s = gitlab.state;
    assert.equal(s.environments.length, 2);
    assert.equal(s.deployKeys.length, 2);
    assert.equal(s.hooks.length, 1);
    assert.equal(s.deployTokens.length, 1);
    assert.equal(s.protectedBranches.length, 2);
  });

  test('after the first pipeline a rerun sets the resource groups to newest_first', async () => {
    await runSetup(options(), getSetupPlan(INPUT));
    gitlab.addResourceGroup('prod');
    gitlab.addResourceGroup('dev');
    const rerun = await runSetup(options(), getSetupPlan(INPUT));
    assert.deepEqual(
      rerun.results.filter((r) => r.title.startsWith('resource group')).map((r) => r.status),
      ['updated', 'updated'],
    );
    assert.equal(gitlab.state.resourceGroups.get('prod')?.process_mode, 'newest_first');
  });

  test('a changed stack output updates its variable (PUT), nothing else', async () => {
    await runSetup(options(), getSetupPlan(INPUT));
    shell.outputs.MlopsRegistry.ProdGitLabCiRoleArn = `arn:aws:iam::${ACCOUNT}:role/MlopsRegistry-ProdGitlabCiRole-NEW`;
    const writes = gitlab.writes().length;
    const rerun = await runSetup(options(), getSetupPlan(INPUT));
    const changed = rerun.results.filter((r) => r.status === 'updated' || r.status === 'created');
    // The registry deploy reports a change (the fake cdk says no changes only for unchanged stacks it saw).
    assert.deepEqual(
      changed.map((r) => [r.title, r.status, r.detail]),
      [['CI/CD variable AWS_ROLE_ARN_PROD', 'updated', 'changed: value']],
    );
    const put = gitlab.writes().slice(writes);
    assert.deepEqual(
      put.map((r) => [r.method, r.path, r.query]),
      [
        [
          'PUT',
          '/api/v4/projects/my-group%2Fmlops-inference-chain/variables/AWS_ROLE_ARN_PROD',
          { 'filter[environment_scope]': '*' },
        ],
      ],
    );
    assert.equal(
      gitlab.state.variables.find((v) => v.key === 'AWS_ROLE_ARN_PROD')?.value,
      shell.outputs.MlopsRegistry.ProdGitLabCiRoleArn,
    );
  });

  test('GitLab 5xx: retried, then the step goes on; a lasting outage is a clear error (network)', async () => {
    gitlab.fail('POST', /\/environments$/, 502, 2);
    const result = await runSetup(options(), getSetupPlan(INPUT));
    assert.equal(statuses(result.results)['create environment prod'], 'created');
    assert.equal(gitlab.state.environments.length, 2);

    gitlab.fail('GET', /\/hooks$/, 503, 10);
    await assert.rejects(runSetup(options(), getSetupPlan(INPUT)), (error: DeployctlError) => {
      assert.equal(error.kind, 'network');
      assert.match(
        error.message,
        /webhook to Argo CD.*GitLab GET \/projects\/my-group%2Fmlops-inference-chain\/hooks: GitLab answered 503 4 times.*rerun setup later/,
      );
      return true;
    });
  });

  test('a run that fails halfway is completed by a rerun, with no duplicates', async () => {
    // GitLab breaks while the variables are written (after the deploy keys and branches).
    gitlab.fail('POST', /\/variables$/, 500, 100);
    await assert.rejects(runSetup(options(), getSetupPlan(INPUT)), /CI\/CD variable AWS_ACCOUNT_ID.*500/);
    assert.equal(gitlab.state.deployKeys.length, 2);
    assert.equal(gitlab.state.variables.length, 0);
    gitlab.fail('POST', /\/variables$/, 500, 0);
    (gitlab as unknown as { failures: unknown[] }).failures = [];
    const rerun = await runSetup(options(), getSetupPlan(INPUT));
    const byStatus = statuses(rerun.results);
    assert.equal(byStatus['create environment prod'], 'already present');
    // The key pairs' private halves were never stored: new pairs replace the keys.
    assert.equal(
      byStatus[
        'write-back credential for prod (any tier, GitLab.com Free included): a deploy key with write access, a new ed25519 key pair'
      ],
      'updated',
    );
    assert.equal(byStatus['CI/CD variable AWS_ACCOUNT_ID'], 'created');
    const s = gitlab.state;
    assert.equal(s.deployKeys.length, 2);
    for (const env of ['prod', 'dev']) {
      const variable = s.variables.find(
        (v) => v.key === 'GITOPS_PUSH_SSH_KEY' && v.environment_scope === env,
      );
      const key = s.deployKeys.find((k) => k.title === `gitops-write-back-${env}`);
      assert.equal(getSshPublicKey(variable?.value ?? ''), key?.key.split(' ').slice(0, 2).join(' '));
      // The protected branch lists the new key, not the deleted one.
      const branch = s.protectedBranches.find((b) => b.name === (env === 'prod' ? 'main' : 'develop'));
      assert.deepEqual(
        branch?.push_access_levels.filter((l) => l.deploy_key_id).map((l) => l.deploy_key_id),
        [key?.id],
      );
    }
    const third = await runSetup(options(), getSetupPlan(INPUT));
    assert.deepEqual(
      third.results.filter((r) => r.status === 'created' || r.status === 'updated'),
      [],
    );
  });

  test('premium: a project access token as GITOPS_PUSH_TOKEN (masked, protected, per env); Free GitLab refuses it clearly', async () => {
    const premium = { ...INPUT, tier: 'premium' as const };
    await assert.rejects(runSetup(options(premium), getSetupPlan(premium)), (error: DeployctlError) => {
      assert.equal(error.kind, 'refused');
      assert.match(
        error.message,
        /project access token.*403.*need GitLab\.com Premium or Ultimate.*--tier free/,
      );
      return true;
    });
    await gitlab.close();
    await startGitLab('premium');
    await runSetup(options(premium), getSetupPlan(premium));
    const [token] = gitlab.state.accessTokens;
    assert.deepEqual(
      [token?.name, token?.scopes, token?.access_level],
      ['gitops-write-back', ['write_repository'], 40],
    );
    const pushTokens = gitlab.state.variables.filter((v) => v.key === 'GITOPS_PUSH_TOKEN');
    assert.deepEqual(
      pushTokens.map((v) => [v.environment_scope, v.value === token?.token, v.masked, v.protected]),
      [
        ['prod', true, true, true],
        ['dev', true, true, true],
      ],
    );
    assert.equal(gitlab.state.deployKeys.length, 0);
    const writes = gitlab.writes().length;
    await runSetup(options(premium), getSetupPlan(premium));
    assert.equal(gitlab.writes().length, writes, 'a second premium run writes nothing');
  });

  test('a bad token is refused before anything runs; so is a token of a Developer', async () => {
    await assert.rejects(
      runSetup(options(INPUT, 'wrong'), getSetupPlan(INPUT)),
      /GitLab refused the token \(401/,
    );
    assert.equal(shell.calls.length, 0, 'no command ran');
    await gitlab.close();
    gitlab = new GitLabApiDouble({ token: TOKEN, project: PROJECT, accessLevel: 30 });
    await gitlab.start();
    await assert.rejects(runSetup(options(), getSetupPlan(INPUT)), /not a Maintainer .*access level 30/);
  });

  test('teardown: Applications, the wait for load balancers, the stacks, then GitLab; a rerun finds nothing left', async () => {
    await runSetup(options(), getSetupPlan(INPUT));
    shell.calls.length = 0;
    const results = await runTeardown(options(), getTeardownPlan(INPUT));
    const ctx =
      '-c gitlabProjectPath=my-group/mlops-inference-chain -c apiAllowedCidrs=203.0.113.0/24 -c clusterAdminArns=arn:aws:iam::111122223333:role/Admin -c region=eu-central-1 -c argocdDomain=argocd.example.com -c argocdCertificateArn=arn:aws:acm:eu-central-1:111122223333:certificate/abc -c argocdAllowedCidrs=203.0.113.0/24';
    assert.deepEqual(shell.commands(join(work, '.deployctl/setup')), [
      'aws sts get-caller-identity --profile mlops',
      'aws cloudformation describe-stacks --stack-name MlopsCluster --query Stacks[0].StackStatus --output text --region eu-central-1 --profile mlops',
      'aws eks update-kubeconfig --region eu-central-1 --name mlops --profile mlops',
      'kubectl -n argocd delete application mlops-root --ignore-not-found',
      'kubectl -n argocd delete application mlops-inference-service mlops-inference-service-dev --ignore-not-found --wait=true --timeout=20m',
      'kubectl -n argocd delete ingress argocd-server --ignore-not-found --wait=true',
      'kubectl get ingress --all-namespaces -o json',
      "aws elbv2 describe-load-balancers --query LoadBalancers[?starts_with(LoadBalancerName, 'k8s-')].LoadBalancerName --output json --region eu-central-1 --profile mlops",
      `npx cdk destroy MlopsCluster --force ${ctx} --profile mlops`,
      'aws cloudformation describe-stacks --stack-name MlopsRegistry --query Stacks[0].StackStatus --output text --region eu-central-1 --profile mlops',
      `npx cdk destroy MlopsRegistry --force ${ctx} --profile mlops`,
    ]);
    const s = gitlab.state;
    assert.deepEqual(
      [s.hooks.length, s.deployKeys.length, s.deployTokens.length, s.variables.length],
      [0, 0, 0, 0],
    );
    assert.ok(results.some((r) => r.status === 'deleted'));
    // Environments and protected branches stay (history, and the code's protection).
    assert.equal(s.environments.length, 2);
    assert.equal(s.protectedBranches.length, 2);
    shell.calls.length = 0;
    const again = await runTeardown(options(), getTeardownPlan(INPUT));
    // The stacks are gone: nothing but the checks runs again.
    assert.deepEqual(
      shell.calls.map((c) => c.argv.slice(0, 3).join(' ')),
      [
        'aws sts get-caller-identity',
        'aws cloudformation describe-stacks',
        'aws cloudformation describe-stacks',
      ],
    );
    assert.ok(
      again.slice(0, 7).every((r) => r.status === 'absent'),
      JSON.stringify(again),
    );
    assert.deepEqual(
      again.filter((r) => r.title.startsWith('delete the CI/CD')).map((r) => r.status),
      ['absent'],
    );
  });
});

describe('deployctl setup/teardown CLI: bad input exits non-zero with a clear message and no stack trace', () => {
  const args = [
    '--project',
    PROJECT,
    '--api-allowed-cidrs',
    '203.0.113.0/24',
    '--cluster-admin-arn',
    'arn:aws:iam::111122223333:role/Admin',
  ];
  const noStack = (stderr: string) => assert.doesNotMatch(stderr, /^\s+at /m, stderr);

  test('missing GITLAB_TOKEN', async () => {
    const run = await runCli(['setup', ...args], { env: { GITLAB_TOKEN: '' } });
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /GITLAB_TOKEN is not set; export a GitLab token with the api scope/);
    noStack(run.stderr);
  });

  test('unknown --tier, a bad project path, a non-https GitLab', async () => {
    for (const [extra, message] of [
      [['--tier', 'gold'], /--tier gold is not free or premium/],
      [
        ['--project', 'no-slash'],
        /--project `no-slash` is not a GitLab project path; pass it like my-group\/mlops-inference-chain/,
      ],
      [['--project', 'a/../b'], /is not a GitLab project path/],
      [['--gitlab-url', 'http://gitlab.example.com'], /is not https/],
      [['--service-url', 'staging=https://x'], /--service-url `staging=https:\/\/x` is not <prod\|dev>=/],
    ] as const) {
      const run = await runCli(['setup', ...args, ...extra], { env: { GITLAB_TOKEN: TOKEN } });
      assert.equal(run.code, 2, `${extra.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, message);
      noStack(run.stderr);
    }
  });

  test('a bad token and an unknown project, against the GitLab double: refused before any command runs', async () => {
    const double = new GitLabApiDouble({ token: TOKEN, project: PROJECT });
    await double.start();
    try {
      const local = ['--gitlab-url', double.url, '--aws-profile', 'does-not-exist'];
      const bad = await runCli(['setup', ...args, ...local], { env: { GITLAB_TOKEN: 'nope' } });
      assert.equal(bad.code, 2, bad.stderr);
      assert.match(
        bad.stderr,
        /GitLab refused the token \(401 Unauthorized: 401 Unauthorized\); set GITLAB_TOKEN to a personal or project access token with the api scope/,
      );
      noStack(bad.stderr);
      const unknown = await runCli(['setup', ...args, ...local, '--project', 'my-group/other'], {
        env: { GITLAB_TOKEN: TOKEN },
      });
      assert.equal(unknown.code, 2, unknown.stderr);
      assert.match(
        unknown.stderr,
        /404 Not Found \(404 Project Not Found\); check --project \(`my-group\/other`\)/,
      );
      noStack(unknown.stderr);
      // Only the project lookups reached GitLab; nothing was written.
      assert.deepEqual(double.writes(), []);
    } finally {
      await double.close();
    }
  });

  test('teardown --dry-run prints the order; a real teardown needs --yes', async () => {
    const dry = await runCli(['teardown', ...args, '--dry-run']);
    assert.equal(dry.code, 0, dry.stderr);
    const order = [...dry.stdout.matchAll(/^\d+\. (.*)$/gm)].map((m) => m[1] ?? '');
    assert.match(order[1] ?? '', /^delete the root Application first/);
    assert.match(order[2] ?? '', /^delete the prod and dev Applications and wait/);
    assert.ok(
      order.findIndex((t) => /destroy the cluster stack/.test(t)) <
        order.findIndex((t) => /destroy the registry stack/.test(t)),
    );
    assert.ok(order.findIndex((t) => /registry stack/.test(t)) < order.findIndex((t) => /webhook/.test(t)));
    const real = await runCli(['teardown', ...args], { env: { GITLAB_TOKEN: TOKEN } });
    assert.equal(real.code, 2);
    assert.match(real.stderr, /rerun with --yes/);
    noStack(real.stderr);
  });
});
