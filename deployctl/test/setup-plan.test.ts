import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getSetupPlan, type SetupInput } from '../src/setup-plan.js';
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
    fields: ['name', 'push_access_level', 'merge_access_level', 'unprotect_access_level', 'allow_force_push'],
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

test('setup plan: stacks first, then GitLab and Argo CD, the first push last but the resource groups', () => {
  const steps = getSetupPlan(INPUT);
  const titles = steps.map((step) => step.title);
  const at = (pattern: RegExp) => titles.findIndex((title) => pattern.test(title));
  assert.ok(at(/bootstrap CDK/) < at(/registry stack/) && at(/registry stack/) < at(/cluster stack/));
  assert.ok(at(/cluster stack/) < at(/environment prod/));
  assert.ok(at(/GITOPS_PUSH_TOKEN for prod/) < at(/first push/));
  assert.ok(
    at(/first push/) < at(/resource group prod/),
    'resource groups exist only after the first pipeline',
  );
  const deploy = steps.find((step) => step.kind === 'shell' && /deploy MlopsCluster/.test(step.command));
  assert.ok(deploy?.kind === 'shell');
  assert.match(deploy.command, /-c clusterAdminArns=arn:aws:iam::111122223333:role\/Admin/);
  assert.match(deploy.command, /-c apiAllowedCidrs=203\.0\.113\.0\/24/);
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

test('setup plan: Free gets the bot-user token by hand, Premium a project access token; secrets are scoped', () => {
  const free = getSetupPlan(INPUT);
  assert.ok(free.some((step) => step.kind === 'manual' && /personal access token/.test(step.title)));
  assert.ok(!free.some((step) => step.kind === 'gitlab' && /access_tokens/.test(step.path)));
  const premium = getSetupPlan({ ...INPUT, tier: 'premium' });
  assert.ok(premium.some((step) => step.kind === 'gitlab' && /access_tokens$/.test(step.path)));
  const tokens = free.filter((step) => step.kind === 'gitlab' && step.body.key === 'GITOPS_PUSH_TOKEN');
  assert.deepEqual(
    tokens.map(
      (step) =>
        step.kind === 'gitlab' && [step.body.environment_scope, step.body.masked, step.body.protected],
    ),
    [
      ['prod', true, true],
      ['dev', true, true],
    ],
  );
  assert.ok(!free.some((step) => /webhook/.test(step.title)), 'no webhook without a certificate');
});

test('deployctl setup --dry-run prints the plan; without --dry-run it refuses', async () => {
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
  assert.match(dry.stdout, /^1\. point the Argo CD manifests at the project$/m);
  assert.match(dry.stdout, /GitLab POST \/api\/v4\/projects\/my-group%2Fmlops-inference-chain\/environments/);
  assert.match(dry.stdout, /first push\n {3}\$ git push origin HEAD:develop/);
  const real = await runCli(args);
  assert.equal(real.code, 2);
  assert.match(real.stderr, /only `deployctl setup --dry-run` exists yet/);
});
