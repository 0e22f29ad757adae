import * as assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { cleanup, type Synthesized, synth } from './helpers';

// One synthesis of the default configuration serves every default-config test in this file.
let s: Synthesized;
before(() => {
  s = synth();
});
after(() => cleanup(s));

// Spelled out here, not imported: a test that reuses the constant it checks cannot fail.
const PROD_REPO = 'mlops-inference-service';
const PROD_CACHE = 'mlops-inference-service/build-cache';
const DEV_REPO = 'mlops-inference-service-dev';
const DEV_CACHE = 'mlops-inference-service-dev/build-cache';
const PUSH_ACTIONS = [
  'ecr:BatchCheckLayerAvailability',
  'ecr:BatchGetImage',
  'ecr:CompleteLayerUpload',
  'ecr:GetDownloadUrlForLayer',
  'ecr:InitiateLayerUpload',
  'ecr:PutImage',
  'ecr:UploadLayerPart',
];
const CACHE_ACTIONS = [...PUSH_ACTIONS, 'ecr:ListImages'].sort();
const SUB = (branch: string) => `project_path:acme/ml/mlops-inference-chain:ref_type:branch:ref:${branch}`;

function repoId(template: Template, name: string): string {
  const ids = Object.keys(
    template.findResources('AWS::ECR::Repository', { Properties: { RepositoryName: name } }),
  );
  assert.equal(ids.length, 1, `one repository named ${name}`);
  return ids[0] as string;
}

/** The role an output names, e.g. `ProdGitLabCiRoleArn`. */
function roleIdOf(template: Template, output: string): string {
  const value = template.findOutputs(output)[output]?.Value;
  assert.ok(value?.['Fn::GetAtt'], `output ${output} is a role's ARN`);
  return value['Fn::GetAtt'][0];
}

interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

/** Every statement that applies to a role: its inline policies and every AWS::IAM::Policy attached to it. */
function statementsOf(template: Template, roleId: string): Statement[] {
  const role = template.findResources('AWS::IAM::Role')[roleId];
  assert.ok(role, `role ${roleId} exists`);
  assert.equal(role.Properties.ManagedPolicyArns, undefined, 'no managed policies');
  const inline = (role.Properties.Policies ?? []).flatMap(
    (p: { PolicyDocument: { Statement: Statement[] } }) => p.PolicyDocument.Statement,
  );
  const attached = Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => p.Properties.Roles.some((r: { Ref: string }) => r.Ref === roleId))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
  const managed = Object.values(template.findResources('AWS::IAM::ManagedPolicy')).filter((p) =>
    (p.Properties.Roles ?? []).some((r: { Ref: string }) => r.Ref === roleId),
  );
  assert.equal(managed.length, 0, 'no customer managed policies');
  return [...inline, ...attached];
}

/**
 * Whether the trust policy admits a token with these claims, evaluated the way IAM does for
 * the operators used here: every key of a StringEquals block must equal one of its values.
 * Any other operator fails the test, so this evaluator cannot silently miss a condition.
 */
function admits(template: Template, roleId: string, claims: Record<string, string>): boolean {
  const trust = template.findResources('AWS::IAM::Role')[roleId]?.Properties.AssumeRolePolicyDocument;
  return trust.Statement.some(
    (st: { Effect: string; Action: string; Condition: Record<string, Record<string, unknown>> }) => {
      if (st.Effect !== 'Allow' || st.Action !== 'sts:AssumeRoleWithWebIdentity') return false;
      assert.deepEqual(Object.keys(st.Condition), ['StringEquals'], 'only StringEquals conditions');
      return Object.entries(st.Condition.StringEquals ?? {}).every(([key, allowed]) =>
        [allowed].flat().includes(claims[key]),
      );
    },
  );
}

describe('registry stack: one ECR repository per environment', () => {
  it('creates exactly the prod and dev repositories and their layer caches', () => {
    const names = Object.values(s.registryTemplate.findResources('AWS::ECR::Repository'))
      .map((r) => r.Properties.RepositoryName)
      .sort();
    assert.deepEqual(names, [PROD_REPO, PROD_CACHE, DEV_REPO, DEV_CACHE].sort());
  });

  for (const name of [PROD_REPO, DEV_REPO]) {
    it(`${name}: scans on push, keeps commit tags immutable and lets only \`latest\` move`, () => {
      s.registryTemplate.hasResourceProperties('AWS::ECR::Repository', {
        RepositoryName: name,
        ImageScanningConfiguration: { ScanOnPush: true },
        ImageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
        ImageTagMutabilityExclusionFilters: [
          {
            ImageTagMutabilityExclusionFilterType: 'WILDCARD',
            ImageTagMutabilityExclusionFilterValue: 'latest',
          },
        ],
      });
      // Rollback targets outlive the stack.
      const resource = s.registryTemplate.toJSON().Resources[repoId(s.registryTemplate, name)];
      assert.equal(resource.DeletionPolicy, 'Retain');
      assert.equal(resource.UpdateReplacePolicy, 'Retain');
    });
  }

  it('keeps the prod repository under its old logical id, so an update does not try to re-create it', () => {
    assert.match(repoId(s.registryTemplate, PROD_REPO), /^ImageRepository[0-9A-F]{8}$/);
    assert.match(repoId(s.registryTemplate, PROD_CACHE), /^BuildCacheRepository[0-9A-F]{8}$/);
  });

  const lifecycle = (name: string) =>
    JSON.parse(
      s.registryTemplate.findResources('AWS::ECR::Repository')[repoId(s.registryTemplate, name)]?.Properties
        .LifecyclePolicy.LifecyclePolicyText,
    ).rules.map((rule: { rulePriority: number; selection: unknown; action: unknown }) => ({
      rulePriority: rule.rulePriority,
      selection: rule.selection,
      action: rule.action,
    }));
  const rules = (keep: number) => [
    {
      rulePriority: 1,
      selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countNumber: 7, countUnit: 'days' },
      action: { type: 'expire' },
    },
    {
      rulePriority: 2,
      selection: {
        tagStatus: 'tagged',
        tagPatternList: ['*'],
        countType: 'imageCountMoreThan',
        countNumber: keep,
      },
      action: { type: 'expire' },
    },
  ];

  it('prod keeps its 30 newest tagged images, whatever dev pushes; untagged expire after 7 days', () => {
    assert.deepEqual(lifecycle(PROD_REPO), rules(30));
  });

  it('dev keeps its 10 newest tagged images in its own repository; untagged expire after 7 days', () => {
    assert.deepEqual(lifecycle(DEV_REPO), rules(10));
  });

  it('gives each environment a mutable layer cache whose entries expire after 14 days', () => {
    for (const name of [PROD_CACHE, DEV_CACHE]) {
      s.registryTemplate.hasResourceProperties('AWS::ECR::Repository', {
        RepositoryName: name,
        ImageTagMutability: 'MUTABLE',
        LifecyclePolicy: {
          LifecyclePolicyText: Match.serializedJson({
            rules: [
              Match.objectLike({
                selection: {
                  tagStatus: 'any',
                  countType: 'sinceImagePushed',
                  countNumber: 14,
                  countUnit: 'days',
                },
              }),
            ],
          }),
        },
      });
    }
  });

  it('outputs each environment’s repository, cache and CI role, and the audience', () => {
    const outputs = s.registryTemplate.findOutputs('*');
    // ExportsOutput*: CDK's own exports of the CI roles for the cluster stack's access entries.
    const named = Object.keys(outputs).filter((id) => !id.startsWith('ExportsOutput'));
    assert.deepEqual(named.sort(), [
      'DevBuildCacheRepositoryUri',
      'DevGitLabCiRoleArn',
      'DevRepositoryName',
      'DevRepositoryUri',
      'GitlabOidcAudience',
      'ProdBuildCacheRepositoryUri',
      'ProdGitLabCiRoleArn',
      'ProdRepositoryName',
      'ProdRepositoryUri',
    ]);
    assert.deepEqual(outputs.ProdRepositoryName?.Value, { Ref: repoId(s.registryTemplate, PROD_REPO) });
    assert.deepEqual(outputs.DevRepositoryName?.Value, { Ref: repoId(s.registryTemplate, DEV_REPO) });
    assert.match(JSON.stringify(outputs.ProdRepositoryUri?.Value), /dkr\.ecr/);
    for (const id of named) assert.ok(outputs[id]?.Description, `output ${id} is described`);
  });
});

describe('registry stack: GitLab OIDC and one CI role per environment', () => {
  it('creates the IAM OIDC provider for the GitLab host with the audience as client id', () => {
    s.registryTemplate.resourceCountIs('AWS::IAM::OIDCProvider', 1);
    s.registryTemplate.hasResourceProperties('AWS::IAM::OIDCProvider', {
      Url: 'https://gitlab.com',
      ClientIdList: ['https://gitlab.com'],
    });
  });

  it('has exactly two roles, prod under its old logical id', () => {
    const ids = Object.keys(s.registryTemplate.findResources('AWS::IAM::Role')).sort();
    assert.equal(ids.length, 2);
    assert.match(roleIdOf(s.registryTemplate, 'ProdGitLabCiRoleArn'), /^GitlabCiRole[0-9A-F]{8}$/);
    assert.match(roleIdOf(s.registryTemplate, 'DevGitLabCiRoleArn'), /^DevGitlabCiRole[0-9A-F]{8}$/);
  });

  for (const [env, branch] of [
    ['Prod', 'main'],
    ['Dev', 'develop'],
  ] as const) {
    it(`trusts the ${env.toLowerCase()} role for this project's ${branch} branch and our audience only`, () => {
      const roleId = roleIdOf(s.registryTemplate, `${env}GitLabCiRoleArn`);
      const role = s.registryTemplate.findResources('AWS::IAM::Role')[roleId];
      const providerId = Object.keys(s.registryTemplate.findResources('AWS::IAM::OIDCProvider'))[0];
      // Exact: one statement, one action, exactly these conditions and nothing else.
      assert.deepEqual(role?.Properties.AssumeRolePolicyDocument.Statement, [
        {
          Action: 'sts:AssumeRoleWithWebIdentity',
          Effect: 'Allow',
          Principal: { Federated: { Ref: providerId } },
          Condition: {
            StringEquals: { 'gitlab.com:aud': 'https://gitlab.com', 'gitlab.com:sub': SUB(branch) },
          },
        },
      ]);
    });
  }

  it('lets a develop pipeline assume only the dev role, and a main pipeline only the prod role', () => {
    const prod = roleIdOf(s.registryTemplate, 'ProdGitLabCiRoleArn');
    const dev = roleIdOf(s.registryTemplate, 'DevGitLabCiRoleArn');
    const token = (sub: string) => ({ 'gitlab.com:aud': 'https://gitlab.com', 'gitlab.com:sub': sub });
    assert.equal(admits(s.registryTemplate, prod, token(SUB('main'))), true);
    assert.equal(admits(s.registryTemplate, prod, token(SUB('develop'))), false);
    assert.equal(admits(s.registryTemplate, dev, token(SUB('develop'))), true);
    assert.equal(admits(s.registryTemplate, dev, token(SUB('main'))), false);
    // Not a tag, a merge request branch, another project, or another audience.
    for (const role of [prod, dev]) {
      assert.equal(
        admits(
          s.registryTemplate,
          role,
          token('project_path:acme/ml/mlops-inference-chain:ref_type:tag:ref:main'),
        ),
        false,
      );
      assert.equal(admits(s.registryTemplate, role, token(SUB('feature/x'))), false);
      assert.equal(
        admits(s.registryTemplate, role, token('project_path:acme/other:ref_type:branch:ref:main')),
        false,
      );
      assert.equal(
        admits(s.registryTemplate, role, {
          'gitlab.com:aud': 'https://evil.example',
          'gitlab.com:sub': SUB('main'),
        }),
        false,
      );
    }
  });

  it('lets the dev role write nothing that prod pulls or builds from', () => {
    const statements = statementsOf(s.registryTemplate, roleIdOf(s.registryTemplate, 'DevGitLabCiRoleArn'));
    const prodIds = [repoId(s.registryTemplate, PROD_REPO), repoId(s.registryTemplate, PROD_CACHE)];
    const devArns = [DEV_REPO, DEV_CACHE].map((name) => ({
      'Fn::GetAtt': [repoId(s.registryTemplate, name), 'Arn'],
    }));
    assert.ok(statements.length > 0);
    for (const st of statements) {
      assert.equal(st.Effect, 'Allow');
      const actions = [st.Action].flat();
      for (const action of actions) assert.doesNotMatch(action, /\*/, `no wildcard action (${action})`);
      for (const resource of [st.Resource].flat()) {
        const text = JSON.stringify(resource);
        for (const id of prodIds) assert.ok(!text.includes(id), `${st.Sid} names prod's ${id}`);
        if (resource === '*') {
          assert.deepEqual(
            actions,
            ['ecr:GetAuthorizationToken'],
            `${st.Sid}: "*" only for the registry login`,
          );
          continue;
        }
        assert.ok(
          devArns.some((arn) => JSON.stringify(arn) === text),
          `${st.Sid}: ${text} is neither the dev repository nor the dev cache`,
        );
      }
    }
  });

  for (const [env, repo, cache] of [
    ['Prod', PROD_REPO, PROD_CACHE],
    ['Dev', DEV_REPO, DEV_CACHE],
  ] as const) {
    it(`allows the ${env.toLowerCase()} role only the ECR push actions on ${repo} and its cache, plus the registry login`, () => {
      const statements = statementsOf(
        s.registryTemplate,
        roleIdOf(s.registryTemplate, `${env}GitLabCiRoleArn`),
      );
      assert.deepEqual(statements, [
        {
          Sid: 'PushToThisRepository',
          Effect: 'Allow',
          Action: PUSH_ACTIONS,
          Resource: { 'Fn::GetAtt': [repoId(s.registryTemplate, repo), 'Arn'] },
        },
        {
          Sid: 'UseTheLayerCache',
          Effect: 'Allow',
          Action: CACHE_ACTIONS,
          Resource: { 'Fn::GetAtt': [repoId(s.registryTemplate, cache), 'Arn'] },
        },
        { Sid: 'RegistryLogin', Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' },
      ]);
    });
  }
});

describe('registry stack: only conditions IAM evaluates for a GitLab token', () => {
  // For a generic OIDC provider IAM sets `<provider>:aud` and `<provider>:sub` (and `amr`, which
  // GitLab's CI tokens do not carry). Provider-specific claim keys exist only for a few named
  // providers, not GitLab, so `ref_protected`, `environment` & co. are never evaluated: a
  // condition on them would lock every pipeline out, or with IfExists check nothing.
  it('uses only aud and sub of the GitLab host, with StringEquals, and one exact sub per role', () => {
    for (const output of ['ProdGitLabCiRoleArn', 'DevGitLabCiRoleArn']) {
      const role = s.registryTemplate.findResources('AWS::IAM::Role')[roleIdOf(s.registryTemplate, output)];
      for (const statement of role?.Properties.AssumeRolePolicyDocument.Statement ?? []) {
        assert.deepEqual(
          Object.keys(statement.Condition),
          ['StringEquals'],
          `${output}: no IfExists, Like or set operators`,
        );
        assert.deepEqual(Object.keys(statement.Condition.StringEquals).sort(), [
          'gitlab.com:aud',
          'gitlab.com:sub',
        ]);
        const sub = statement.Condition.StringEquals['gitlab.com:sub'];
        assert.equal(typeof sub, 'string', `${output} admits exactly one ref, got ${JSON.stringify(sub)}`);
        assert.doesNotMatch(sub, /[*?]/, 'no wildcards');
      }
    }
  });
});

describe('registry stack: configuration', () => {
  it('follows the configured host, project, branches, audience, repository names and retention', () => {
    const s = synth({
      gitlabHost: 'gitlab.example.org',
      gitlabProjectPath: 'team/app',
      prodBranch: 'master',
      devBranch: 'staging',
      gitlabAudience: 'sts.amazonaws.com',
      untaggedExpiryDays: '3',
      prodKeepImages: '50',
      devKeepImages: '5',
      prodEcrRepositoryName: 'fast-api-service',
      devEcrRepositoryName: 'fast-api-service-staging',
    });
    try {
      s.registryTemplate.hasResourceProperties('AWS::IAM::OIDCProvider', {
        Url: 'https://gitlab.example.org',
        ClientIdList: ['sts.amazonaws.com'],
      });
      const condition = (output: string) =>
        s.registryTemplate.findResources('AWS::IAM::Role')[roleIdOf(s.registryTemplate, output)]?.Properties
          .AssumeRolePolicyDocument.Statement[0].Condition;
      assert.deepEqual(condition('ProdGitLabCiRoleArn'), {
        StringEquals: {
          'gitlab.example.org:aud': 'sts.amazonaws.com',
          'gitlab.example.org:sub': 'project_path:team/app:ref_type:branch:ref:master',
        },
      });
      assert.deepEqual(condition('DevGitLabCiRoleArn'), {
        StringEquals: {
          'gitlab.example.org:aud': 'sts.amazonaws.com',
          'gitlab.example.org:sub': 'project_path:team/app:ref_type:branch:ref:staging',
        },
      });
      for (const [name, untagged, keep] of [
        ['fast-api-service', 3, 50],
        ['fast-api-service-staging', 3, 5],
      ] as const) {
        s.registryTemplate.hasResourceProperties('AWS::ECR::Repository', {
          RepositoryName: name,
          LifecyclePolicy: {
            LifecyclePolicyText: Match.serializedJson(
              Match.objectLike({
                rules: [
                  Match.objectLike({ selection: Match.objectLike({ countNumber: untagged }) }),
                  Match.objectLike({ selection: Match.objectLike({ countNumber: keep }) }),
                ],
              }),
            ),
          },
        });
        s.registryTemplate.hasResourceProperties('AWS::ECR::Repository', {
          RepositoryName: `${name}/build-cache`,
        });
      }
    } finally {
      cleanup(s);
    }
  });

  it('reuses an existing GitLab OIDC provider instead of creating a second one', () => {
    const arn = 'arn:aws:iam::123456789012:oidc-provider/gitlab.com';
    const s = synth({ existingGitlabOidcProviderArn: arn });
    try {
      s.registryTemplate.resourceCountIs('AWS::IAM::OIDCProvider', 0);
      for (const output of ['ProdGitLabCiRoleArn', 'DevGitLabCiRoleArn']) {
        const role = s.registryTemplate.findResources('AWS::IAM::Role')[roleIdOf(s.registryTemplate, output)];
        assert.deepEqual(role?.Properties.AssumeRolePolicyDocument.Statement[0].Principal, {
          Federated: arn,
        });
      }
    } finally {
      cleanup(s);
    }
  });
});
