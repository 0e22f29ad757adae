import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from '../../test/support/paths.js';
import { CI_VARIABLES } from '../src/ci-variables.js';
import {
  formatArgv,
  formatTeardownPlan,
  getSetupPlan,
  getTeardownPlan,
  type SetupInput,
  type SetupStep,
} from '../src/setup-plan.js';
import { runCli } from './helpers/git-fixture.js';

const INPUT: SetupInput = {
  project: 'my-group/mlops-inference-chain',
  gitlabUrl: 'https://gitlab.com',
  awsProfile: 'mlops',
  region: 'eu-central-1',
  apiAllowedCidrs: '203.0.113.0/24',
  clusterAdminArn: 'arn:aws:iam::111122223333:role/Admin',
  tier: 'free',
  defaultBranch: 'main',
};

/**
 * GitLab REST endpoints the plan may call, with the fields GitLab documents for
 * them (docs.gitlab.com/api/: environments, project_level_variables,
 * protected_branches, project_webhooks, project_access_tokens, resource_groups).
 * A plan step outside this table, or a field GitLab does not take, fails.
 */
const GITLAB_API: Array<{ method: string; path: RegExp; fields: string[] }> = [
  { method: 'POST', path: /^\/projects\/[^/]+\/environments$/, fields: ['name', 'external_url', 'tier'] },
  {
    method: 'POST',
    path: /^\/projects\/[^/]+\/variables$/,
    fields: [
      'key',
      'value',
      'masked',
      'protected',
      'environment_scope',
      'raw',
      'variable_type',
      'description',
    ],
  },
  {
    method: 'POST',
    path: /^\/projects\/[^/]+\/protected_branches$/,
    fields: [
      'name',
      'push_access_level',
      'merge_access_level',
      'unprotect_access_level',
      'allow_force_push',
      'allowed_to_push',
    ],
  },
  {
    method: 'POST',
    path: /^\/projects\/[^/]+\/deploy_keys$/,
    fields: ['title', 'key', 'can_push', 'expires_at'],
  },
  {
    method: 'POST',
    path: /^\/projects\/[^/]+\/deploy_tokens$/,
    fields: ['name', 'scopes', 'expires_at', 'username'],
  },
  {
    method: 'POST',
    path: /^\/projects\/[^/]+\/hooks$/,
    fields: ['url', 'token', 'push_events', 'enable_ssl_verification', 'push_events_branch_filter'],
  },
  {
    method: 'POST',
    path: /^\/projects\/[^/]+\/access_tokens$/,
    fields: ['name', 'scopes', 'access_level', 'expires_at', 'description'],
  },
  { method: 'PUT', path: /^\/projects\/[^/]+\/resource_groups\/[^/]+$/, fields: ['process_mode'] },
];

test('setup plan: stacks first, then GitLab and Argo CD, the first push last', () => {
  const steps = getSetupPlan(INPUT);
  const titles = steps.map((step) => step.title);
  const at = (pattern: RegExp) => titles.findIndex((title) => pattern.test(title));
  assert.ok(at(/bootstrap CDK/) < at(/registry stack/) && at(/registry stack/) < at(/cluster stack/));
  assert.ok(at(/cluster stack/) < at(/environment prod/));
  assert.ok(at(/GITOPS_PUSH_SSH_KEY for prod/) < at(/first push/));
  assert.ok(at(/deploy key/) < at(/protect main/), 'the branch protection names the deploy key');
  assert.equal(at(/first push/), titles.length - 1);
  const command = (step: SetupStep) => (step.kind === 'shell' ? formatArgv(step.argv, step.cwd) : '');
  const deploy = steps.find((step) => /deploy MlopsCluster/.test(command(step)));
  assert.ok(deploy);
  assert.match(command(deploy), /^cd infra && npx cdk deploy MlopsCluster /);
  assert.match(command(deploy), /-c clusterAdminArns=arn:aws:iam::111122223333:role\/Admin/);
  assert.match(command(deploy), /-c apiAllowedCidrs=203\.0\.113\.0\/24/);
  assert.match(command(deploy), /--outputs-file <state>\/cdk-outputs-MlopsCluster\.json/);
});

test('setup plan: every GitLab call is a documented endpoint with documented fields', () => {
  for (const tier of ['free', 'premium'] as const) {
    for (const step of getSetupPlan({
      ...INPUT,
      tier,
      argocdDomain: 'a.example.com',
      argocdCertificateArn: 'arn:x',
    })) {
      if (step.kind !== 'gitlab') continue;
      const endpoint = GITLAB_API.find((e) => e.method === step.method && e.path.test(step.path));
      assert.ok(endpoint, `${step.method} ${step.path} is not a documented endpoint`);
      for (const field of Object.keys(step.body)) {
        assert.ok(endpoint.fields.includes(field), `${step.method} ${step.path}: field ${field}`);
      }
    }
  }
});

test('setup plan: Free gets write deploy keys (SSH), Premium a project access token; the tier is in the text; secrets are scoped', () => {
  const free = getSetupPlan(INPUT);
  const keys = free.filter((step) => step.kind === 'gitlab' && step.resource === 'deploy-key');
  assert.equal(keys.length, 2);
  assert.ok(keys.every((step) => /any tier, GitLab\.com Free included/.test(step.title)));
  assert.ok(!free.some((step) => step.kind === 'gitlab' && /access_tokens/.test(step.path)));
  const premium = getSetupPlan({ ...INPUT, tier: 'premium' });
  const token = premium.find((step) => step.kind === 'gitlab' && /access_tokens$/.test(step.path));
  assert.match(token?.title ?? '', /GitLab\.com Premium or Ultimate/);
  const scoped = (plan: SetupStep[], key: string) =>
    plan.flatMap((step) =>
      step.kind === 'gitlab' && step.body.key === key
        ? [[step.body.environment_scope, step.body.masked, step.body.protected, step.body.variable_type]]
        : [],
    );
  assert.deepEqual(scoped(free, 'GITOPS_PUSH_SSH_KEY'), [
    ['prod', false, true, 'file'],
    ['dev', false, true, 'file'],
  ]);
  assert.deepEqual(scoped(premium, 'GITOPS_PUSH_TOKEN'), [
    ['prod', true, true, 'env_var'],
    ['dev', true, true, 'env_var'],
  ]);
  assert.deepEqual(scoped(free, 'ARGOCD_AUTH_TOKEN'), [
    ['prod', true, true, 'env_var'],
    ['dev', true, true, 'env_var'],
  ]);
  assert.ok(!free.some((step) => /webhook/.test(step.title)), 'no webhook without a certificate');
});

test('setup plan: every Settings variable of ci-variables.ts is set by setup or named as a step by hand', () => {
  const plan = getSetupPlan({
    ...INPUT,
    argocdDomain: 'a.example.com',
    argocdCertificateArn: 'arn:x',
    tier: 'premium',
    // Only to verify through a public endpoint instead of the cluster's API (EKS_CLUSTER_NAME).
    serviceUrls: { prod: 'https://prod.example.com', dev: 'https://dev.example.com' },
  });
  const free = getSetupPlan(INPUT);
  const named = new Set(
    [...plan, ...free].flatMap((step) =>
      step.kind === 'gitlab' && typeof step.body.key === 'string'
        ? [step.body.key]
        : step.kind === 'manual'
          ? [step.title.split(' ').at(-1) ?? '']
          : [],
    ),
  );
  const settings = CI_VARIABLES.filter((variable) => variable.setBy === 'settings').map(
    (variable) => variable.name,
  );
  assert.deepEqual(
    settings.filter((name) => !named.has(name)),
    [],
  );
});

test('the docs quote the teardown order of the plan (infra/README.md "Tearing down")', () => {
  const readme = readFileSync(join(REPO_ROOT, 'infra/README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### Tearing down'));
  const block = /```text\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
  assert.equal(block, formatTeardownPlan(getTeardownPlan(INPUT)));
});

test('deployctl setup --dry-run prints the plan; a real run needs GITLAB_TOKEN', async () => {
  const args = [
    'setup',
    '--project',
    INPUT.project,
    '--api-allowed-cidrs',
    INPUT.apiAllowedCidrs,
    '--cluster-admin-arn',
    INPUT.clusterAdminArn,
  ];
  const dry = await runCli([...args, '--dry-run']);
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /^1\. point the Argo CD manifests at the project, commit and push/m);
  assert.match(dry.stdout, /GitLab POST \/api\/v4\/projects\/my-group%2Fmlops-inference-chain\/environments/);
  assert.match(dry.stdout, /first push \(after setup\)\n {3}\$ git push origin HEAD:develop\n/);
  const real = await runCli(args, { env: { GITLAB_TOKEN: '' } });
  assert.equal(real.code, 2);
  assert.match(real.stderr, /GITLAB_TOKEN is not set/);
});
