import * as assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Match } from 'aws-cdk-lib/assertions';
import { CI_CACHE_ACTIONS, CI_PUSH_ACTIONS } from '../lib/registry-stack';
import { cleanup, type Synthesized, synth } from './helpers';

// One synthesis of the default configuration serves every default-config test in this file.
let s: Synthesized;
before(() => {
  s = synth();
});
after(() => cleanup(s));

describe('registry stack: ECR repository', () => {
  it('scans on push, keeps commit tags immutable and lets only `latest` move', () => {
    s.registryTemplate.hasResourceProperties('AWS::ECR::Repository', {
      RepositoryName: 'mlops-inference-service',
      ImageScanningConfiguration: { ScanOnPush: true },
      ImageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
      ImageTagMutabilityExclusionFilters: [
        {
          ImageTagMutabilityExclusionFilterType: 'WILDCARD',
          ImageTagMutabilityExclusionFilterValue: 'latest',
        },
      ],
    });
  });

  it('keeps the images when the stack is deleted (rollback targets outlive the stack)', () => {
    s.registryTemplate.hasResource('AWS::ECR::Repository', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  it('expires untagged images after 7 days and keeps the 30 most recent tagged images', () => {
    const repo = s.registryTemplate.findResources('AWS::ECR::Repository')[repoId(s)];
    const policy = JSON.parse(repo?.Properties.LifecyclePolicy.LifecyclePolicyText);
    assert.deepEqual(
      policy.rules.map((rule: { rulePriority: number; selection: unknown; action: unknown }) => ({
        rulePriority: rule.rulePriority,
        selection: rule.selection,
        action: rule.action,
      })),
      [
        {
          rulePriority: 1,
          selection: {
            tagStatus: 'untagged',
            countType: 'sinceImagePushed',
            countNumber: 7,
            countUnit: 'days',
          },
          action: { type: 'expire' },
        },
        {
          rulePriority: 2,
          selection: {
            tagStatus: 'tagged',
            tagPatternList: ['*'],
            countType: 'imageCountMoreThan',
            countNumber: 30,
          },
          action: { type: 'expire' },
        },
      ],
    );
  });

  it('outputs the registry URI, the repository name and the CI role ARN', () => {
    const outputs = s.registryTemplate.findOutputs('*');
    assert.deepEqual(Object.keys(outputs).sort(), [
      'BuildCacheRepositoryUri',
      'GitLabCiRoleArn',
      'GitlabOidcAudience',
      'RegistryUri',
      'RepositoryName',
    ]);
    assert.match(JSON.stringify(outputs.RegistryUri?.Value), /dkr\.ecr/);
    assert.deepEqual(outputs.GitLabCiRoleArn?.Value, { 'Fn::GetAtt': [roleId(s), 'Arn'] });
  });
});

function repoId(s: Synthesized, name = 'mlops-inference-service'): string {
  const repos = s.registryTemplate.findResources('AWS::ECR::Repository', {
    Properties: { RepositoryName: name },
  });
  const ids = Object.keys(repos);
  assert.equal(ids.length, 1, `one repository named ${name}`);
  return ids[0] as string;
}

function roleId(s: Synthesized): string {
  const ids = Object.keys(s.registryTemplate.findResources('AWS::IAM::Role'));
  assert.equal(ids.length, 1, 'exactly one role: the CI role');
  return ids[0] as string;
}

describe('registry stack: GitLab OIDC and the CI role', () => {
  it('creates the IAM OIDC provider for the GitLab host with the audience as client id', () => {
    s.registryTemplate.resourceCountIs('AWS::IAM::OIDCProvider', 1);
    s.registryTemplate.hasResourceProperties('AWS::IAM::OIDCProvider', {
      Url: 'https://gitlab.com',
      ClientIdList: ['https://gitlab.com'],
    });
  });

  it('trusts only this project on its protected branches, and only our audience', () => {
    const role = s.registryTemplate.findResources('AWS::IAM::Role')[roleId(s)];
    const providerId = Object.keys(s.registryTemplate.findResources('AWS::IAM::OIDCProvider'))[0];
    // Exact: one statement, one action, exactly these conditions and nothing else.
    assert.deepEqual(role?.Properties.AssumeRolePolicyDocument.Statement, [
      {
        Action: 'sts:AssumeRoleWithWebIdentity',
        Effect: 'Allow',
        Principal: { Federated: { Ref: providerId } },
        Condition: {
          StringEquals: {
            'gitlab.com:aud': 'https://gitlab.com',
            'gitlab.com:sub': [
              'project_path:acme/ml/mlops-inference-chain:ref_type:branch:ref:main',
              'project_path:acme/ml/mlops-inference-chain:ref_type:branch:ref:develop',
            ],
          },
        },
      },
    ]);
  });

  it('allows only the ECR push actions, on this repository and its cache only, plus the registry login', () => {
    const policies = Object.values(s.registryTemplate.findResources('AWS::IAM::Policy'));
    assert.equal(policies.length, 1);
    const pushActions = [
      'ecr:BatchCheckLayerAvailability',
      'ecr:BatchGetImage',
      'ecr:CompleteLayerUpload',
      'ecr:GetDownloadUrlForLayer',
      'ecr:InitiateLayerUpload',
      'ecr:PutImage',
      'ecr:UploadLayerPart',
    ];
    assert.deepEqual(policies[0]?.Properties.Roles, [{ Ref: roleId(s) }]);
    assert.deepEqual(policies[0]?.Properties.PolicyDocument.Statement, [
      {
        Sid: 'PushToThisRepository',
        Effect: 'Allow',
        Action: pushActions,
        Resource: { 'Fn::GetAtt': [repoId(s), 'Arn'] },
      },
      {
        Sid: 'UseTheLayerCache',
        Effect: 'Allow',
        Action: [...pushActions, 'ecr:ListImages'].sort(),
        Resource: { 'Fn::GetAtt': [repoId(s, 'mlops-inference-service/build-cache'), 'Arn'] },
      },
      { Sid: 'RegistryLogin', Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' },
    ]);
    for (const action of [...CI_PUSH_ACTIONS, ...CI_CACHE_ACTIONS]) {
      assert.doesNotMatch(action, /\*|Delete|Policy|Lifecycle/, `${action} is not a push action`);
    }
  });

  it('attaches no managed policies and no inline policies beyond the push policy', () => {
    s.registryTemplate.hasResourceProperties('AWS::IAM::Role', {
      ManagedPolicyArns: Match.absent(),
      Policies: Match.absent(),
    });
  });
});

describe('registry stack: configuration', () => {
  it('follows the configured host, project, branches, audience and retention', () => {
    const s = synth({
      gitlabHost: 'gitlab.example.org',
      gitlabProjectPath: 'team/app',
      protectedBranches: 'master',
      gitlabAudience: 'sts.amazonaws.com',
      untaggedExpiryDays: '3',
      keepImages: '10',
      ecrRepositoryName: 'fast-api-service',
    });
    try {
      s.registryTemplate.hasResourceProperties('AWS::IAM::OIDCProvider', {
        Url: 'https://gitlab.example.org',
        ClientIdList: ['sts.amazonaws.com'],
      });
      s.registryTemplate.hasResourceProperties('AWS::IAM::Role', {
        AssumeRolePolicyDocument: {
          Statement: [
            Match.objectLike({
              Condition: {
                StringEquals: {
                  'gitlab.example.org:aud': 'sts.amazonaws.com',
                  'gitlab.example.org:sub': ['project_path:team/app:ref_type:branch:ref:master'],
                },
              },
            }),
          ],
        },
      });
      s.registryTemplate.hasResourceProperties('AWS::ECR::Repository', {
        RepositoryName: 'fast-api-service/build-cache',
      });
      s.registryTemplate.hasResourceProperties('AWS::ECR::Repository', {
        RepositoryName: 'fast-api-service',
        LifecyclePolicy: {
          LifecyclePolicyText: Match.serializedJson(
            Match.objectLike({
              rules: [
                Match.objectLike({ selection: Match.objectLike({ countNumber: 3 }) }),
                Match.objectLike({ selection: Match.objectLike({ countNumber: 10 }) }),
              ],
            }),
          ),
        },
      });
    } finally {
      cleanup(s);
    }
  });

  it('reuses an existing GitLab OIDC provider instead of creating a second one', () => {
    const arn = 'arn:aws:iam::123456789012:oidc-provider/gitlab.com';
    const s = synth({ existingGitlabOidcProviderArn: arn });
    try {
      s.registryTemplate.resourceCountIs('AWS::IAM::OIDCProvider', 0);
      s.registryTemplate.hasResourceProperties('AWS::IAM::Role', {
        AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Federated: arn } })] },
      });
    } finally {
      cleanup(s);
    }
  });
});
